"""The search index of the site: one entry per page and per level-2 section, as a script.

Quarto indexes a book the same way (quarto-cli src/project/types/website/website-search.ts:
a page entry for the text before the first `section.level2`, then one entry per level-2
section with its subsections; fields href, title, section, text) and writes `search.json`,
which its search fetches. A page opened from disk (file://) may not fetch, so here the
index is a script, `search.js`, that sets `window.hw3SearchIndex`; the pages load it with
a <script> tag. Persian spelling variants (ZWNJ, Arabic ي/ك) are folded by the search
itself (templates/site.js), on both the index and the query, so they are folded in one place.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from . import output
from .config import BookConfig

INDEX_FILE = "search.js"
SKIPPED = {"script", "style", "math"}   # math: MathML's symbols and its TeX would read as noise
WHITESPACE = re.compile(r"\s+")


class _PageSections(HTMLParser):
    """The text of one page's <article>, split at its level-2 headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[dict[str, str]] = [{"id": "", "section": "", "text": ""}]
        self._article = self._skipped = 0
        self._heading: str | None = None    # the tag of the heading whose text is being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self._article += 1
        elif tag in SKIPPED:
            self._skipped += 1
        elif self._article and tag == "h2":
            self.sections.append({"id": dict(attrs).get("id") or "", "section": "", "text": ""})
            self._heading = tag
        elif self._article and tag == "h1":
            self._heading = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._article -= 1
        elif tag in SKIPPED:
            self._skipped -= 1
        elif tag == self._heading:
            self._heading = None

    def handle_data(self, data: str) -> None:
        if not self._article or self._skipped or self._heading == "h1":
            return
        self.sections[-1]["section" if self._heading == "h2" else "text"] += data + " "


def page_entries(page: Path, href: str, title: str) -> list[dict[str, str]]:
    """Index entries of one rendered page; `href` is the page's path inside the site."""
    parser = _PageSections()
    parser.feed(page.read_text(encoding="utf-8"))
    entries = []
    for section in parser.sections:
        text = WHITESPACE.sub(" ", section["text"]).strip()
        heading = WHITESPACE.sub(" ", section["section"]).strip()
        if text or heading:
            anchor = f"#{section['id']}" if section["id"] else ""
            entries.append({"href": href + anchor, "title": title, "section": heading, "text": text})
    return entries


def write_search_index(book: BookConfig, titles: dict[Path, str]) -> Path:
    """Index every chapter page present in the output folder (a partial render keeps the others)."""
    entries = []
    for chapter in book.chapters:
        page = book.output_dir / chapter.html_path
        if page.exists():
            entries += page_entries(page, chapter.html_path.as_posix(), titles[chapter.source])
    script = "window.hw3SearchIndex = " + json.dumps(entries, ensure_ascii=False, indent=0) + ";\n"
    path = book.output_dir / INDEX_FILE
    output.write(path, script)
    return path
