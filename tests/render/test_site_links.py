"""Every link of the smoke site resolves inside the output folder, as a browser resolves it
from file:// (or under any sub-path of a web server): each href and src of each page,
each url() of the site's stylesheets, each entry of the search index; an anchor (#id) is
an id of the page it points into."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.slow
LINKING = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src", "embed": "src"}
OUTSIDE = re.compile(r"^(https?:|mailto:|data:)")


class _Links(HTMLParser):
    """The links and the ids of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if named.get("id"):
            self.ids.add(named["id"])
        if tag in LINKING and named.get(LINKING[tag]):
            self.links.append(named[LINKING[tag]])


def read(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def dead_links(site: Path, source: Path, links: list[str], ids: dict[Path, set[str]]) -> list[str]:
    """The links of `source` that a browser opening it from disk would not find."""
    dead = []
    for link in links:
        if OUTSIDE.match(link):
            continue
        parts = urlsplit(link)
        where = f"{source.relative_to(site)}: {link}"
        if parts.scheme or parts.netloc or parts.path.startswith("/"):
            dead.append(f"{where} (not relative: breaks from disk and under a sub-path)")
            continue
        target = (source.parent / unquote(parts.path)).resolve() if parts.path else source.resolve()
        if not target.is_relative_to(site.resolve()) or not target.is_file():
            dead.append(f"{where} (no such file)")
        elif parts.fragment and target in ids and unquote(parts.fragment) not in ids[target]:
            dead.append(f"{where} (no id {unquote(parts.fragment)!r} there)")
    return dead


def test_every_link_of_every_page_resolves_from_disk(smoke_book: Path):
    pages = {page.resolve(): read(page) for page in sorted(smoke_book.rglob("*.html"))}
    ids = {page: parsed.ids for page, parsed in pages.items()}
    assert len(pages) >= 9
    dead = [line for page, parsed in pages.items() for line in dead_links(smoke_book.resolve(), page, parsed.links, ids)]
    assert dead == []
    assert sum(len(parsed.links) for parsed in pages.values()) > 100


def test_the_stylesheets_fonts_and_the_search_index_resolve_too(smoke_book: Path):
    dead = []
    for sheet in sorted(smoke_book.rglob("*.css")):
        urls = re.findall(r"""url\(\s*["']?([^"')]+)["']?\s*\)""", sheet.read_text(encoding="utf-8"))
        dead += dead_links(smoke_book.resolve(), sheet.resolve(), urls, {})
    index = (smoke_book / "search.js").read_text(encoding="utf-8")
    entries = json.loads(index.removeprefix("window.hw3SearchIndex = ").rstrip().removesuffix(";"))
    pages = {page.resolve(): read(page).ids for page in smoke_book.rglob("*.html")}
    # search.js holds hrefs from the site's root; the pages resolve them against it
    dead += dead_links(smoke_book.resolve(), (smoke_book / "search.js").resolve(), [e["href"] for e in entries], pages)
    assert dead == []
