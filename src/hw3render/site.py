"""The HTML site: one page per chapter, a sidebar, a table of contents, prev/next links,
search, downloads, copyable code, heading anchors and cross-reference previews.

The options are Quarto's, read from `_quarto.yml`, so both renderers give the reader the
same site: `book.search`, `book.downloads`, `book.tools` (the sidebar's links),
`format.html.other-links` (the links under each page's table of contents),
`format.html.code-copy`, `format.html.anchor-sections` and `format.html.crossrefs-hover`.
What the browser does with them is templates/site.js.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pypandoc

from .config import BookConfig, Chapter
from .convert import ChapterWriter, Target, resolve_references
from .errors import MissingOutputError
from .search import INDEX_FILE

TEMPLATES = Path(__file__).parent / "templates"
log = logging.getLogger("hw3.render")

# Where the site's scripts go in the output folder, as Quarto lays out site_libs/.
SITE_LIBS = {
    "site_libs/quarto-search/fuse.min.js": TEMPLATES / "fuse" / "fuse.min.js",
    "site_libs/quarto-search/LICENSE": TEMPLATES / "fuse" / "LICENSE",
    "site_libs/hw3/site.js": TEMPLATES / "site.js",
}

# The one word of the interface that is not one of Quarto's language keys: anchor.js,
# which Quarto uses, titles heading anchors "Anchor"; `language:` may still override it.
ANCHOR_LABEL = "پیوند به این بخش"
URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class SiteLink:
    """A link of the sidebar or of a page's other links; `href` is inside the site unless a URL."""

    text: str
    href: str

    @property
    def local(self) -> bool:
        return not URL.match(self.href)


def language(book: BookConfig) -> dict[str, str]:
    """The interface's words: Quarto's language keys as `language:` sets them, and ours."""
    return {**book.labels, "anchor-label": str(book.language.get("anchor-label", ANCHOR_LABEL))}


def html_option(book: BookConfig, key: str, default: Any) -> Any:
    return (book.raw.get("format", {}).get("html") or {}).get(key, default)


def _link(item: dict[str, Any]) -> SiteLink:
    # Quarto reads an href that starts with "/" as a path from the project's root
    # (quarto-cli src/project/types/website/website-resources.ts); so do we, for every href.
    href = str(item.get("href", ""))
    return SiteLink(str(item.get("text", href)), href if URL.match(href) else href.removeprefix("/"))


def sidebar_links(book: BookConfig) -> list[SiteLink]:
    """`book.downloads` (only pdf is a format this renderer writes), then `book.tools` and their menus.

    Quarto names the download "<tools-download> PDF" and points it at <output-file>.pdf
    (quarto-cli src/project/types/book/book-config.ts, downloadTools).
    """
    downloads = book.book.get("downloads", [])
    links = []
    if "pdf" in ([downloads] if isinstance(downloads, str) else downloads):
        stem = book.book.get("output-file", "book")
        links.append(SiteLink(f"{language(book)['tools-download']} PDF", f"{stem}.pdf"))
    for tool in book.book.get("tools", []):
        links += [_link(item) for item in tool.get("menu", [tool])]
    return links


def other_links(book: BookConfig) -> list[SiteLink]:
    return [_link(item) for item in html_option(book, "other-links", None) or []]


def check_site_links(book: BookConfig, strict: bool = True) -> None:
    """Fail (or, in a partial render, warn) when a download link points at no file in the output."""
    links = [*sidebar_links(book), *other_links(book)]
    missing = sorted({link.href for link in links if link.local and not (book.output_dir / link.href).is_file()})
    if not missing:
        return
    message = (
        f"the site links to {', '.join(missing)} but {book.output_dir} has no such file: render the whole book "
        "with both formats (hw3 render --to html,pdf), or change book.downloads, book.tools or "
        "format.html.other-links in _quarto.yml"
    )
    if strict:
        raise MissingOutputError(message)
    log.warning("%s", message)


def _link_list(links: list[SiteLink], page: Path, css_class: str) -> str:
    items = []
    for link in links:
        href = _relative(Path(link.href), page) if link.local else link.href
        items.append(f'<li><a href="{html.escape(href)}">{html.escape(link.text)}</a></li>')
    return f'<ul class="{css_class}">' + "".join(items) + "</ul>" if items else ""


def site_options(book: BookConfig) -> str:
    """What site.js should do, as the JSON of a data attribute (no script body in the page)."""
    options = {
        "codeCopy": html_option(book, "code-copy", "hover"),
        "anchorSections": html_option(book, "anchor-sections", True),
        "crossrefsHover": html_option(book, "crossrefs-hover", True),
        "language": language(book),
    }
    return html.escape(json.dumps(options, ensure_ascii=False), quote=True)


def search_enabled(book: BookConfig) -> bool:
    return book.book.get("search", True) is not False


def chapter_title(chapter: Chapter, root: Path) -> str:
    """The chapter's first heading without its attributes, numbered as in the book."""
    for line in (root / chapter.source).read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            title = re.sub(r"\s*\{[^}]*\}\s*$", "", line[2:]).strip()
            return f"{chapter.number}  {title}" if chapter.number is not None else title
    return chapter.stem


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def _sidebar(book: BookConfig, current: Chapter) -> str:
    items = []
    for chapter in book.chapters:
        if chapter.part:
            items.append(f'<li class="part">{html.escape(chapter.part)}</li>')
        active = ' class="active" aria-current="page"' if chapter == current else ""
        href = _relative(chapter.html_path, current.html_path)
        items.append(f'<li><a href="{href}"{active}>{html.escape(chapter_title(chapter, book.root))}</a></li>')
    return "<ul>\n" + "\n".join(items) + "\n</ul>"


def _pandoc_args(book: BookConfig) -> list[str]:
    """Citeproc lists only the works cited, as Quarto's does (HTML, and Typst with
    `citeproc: true`); blocks.lua gets the callout titles of `language:` as metadata."""
    # --columns: tables keep their natural column widths; Pandoc would otherwise give a
    # table with a line longer than 72 characters fixed relative widths that wrap numbers.
    # Pandoc runs filters and citeproc in command-line order: the book's filters first, then
    # blocks.lua (what Quarto's own filters do here), then citeproc, Quarto's order.
    filters = [*book.filters, TEMPLATES / "blocks.lua"]
    args = ["--columns=1000", *(arg for path in filters for arg in ("--lua-filter", str(path)))]
    args += citation_args(book)
    args += [arg for key, word in book.labels.items() if key.startswith("callout-") for arg in ("-M", f"{key}={word}")]
    return args


def citation_args(book: BookConfig) -> list[str]:
    """Pandoc's citeproc with the book's bibliography: the citations and reference lists of the
    pages, and of the exported notebooks (reader_notebook.py), so both write a work alike."""
    return ["--citeproc", *(arg for bib in book.bibliography for arg in ("--bibliography", str(bib)))]


def copy_assets(book: BookConfig) -> None:
    """Put the stylesheets and `project.resources` where Quarto puts them (at their own
    paths), and the site's scripts under site_libs/."""
    copies = {path: book.root / path for path in [*book.format_option("html", "css"), *book.resources]}
    copies.update({Path(path): source for path, source in SITE_LIBS.items()})
    for path, source in copies.items():
        target = book.output_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)


def _site_variables(book: BookConfig, chapter: Chapter) -> dict[str, str]:
    """The template's search box, downloads and site.js options for one page."""
    words = language(book)
    variables = {
        "sidebartools": _link_list(sidebar_links(book), chapter.html_path, "sidebar-tools"),
        "otherlinks": _link_list(other_links(book), chapter.html_path, "other-links"),
        "otherlinkstitle": html.escape(words["other-links-title"]),
        "siteoptions": site_options(book),
    }
    if search_enabled(book):
        variables |= {
            "search": "true",
            "searchindex": INDEX_FILE,
            "searchlabel": html.escape(words["search-label"], quote=True),
            "searchplaceholder": html.escape(words["search-text-placeholder"], quote=True),
        }
    return variables


def write_page(
    book: BookConfig,
    chapter: Chapter,
    notebook: nbformat.NotebookNode,
    targets: dict[str, Target],
    strict: bool = True,
) -> Path:
    page = book.output_dir / chapter.html_path
    figures = f"{chapter.stem}_files/figure-html"
    writer = ChapterWriter(page.parent / figures, figures, targets, chapter.number is not None)

    def link(label: str) -> str:
        target = targets[label].chapter.with_suffix(".html")
        return ("" if target == chapter.html_path else _relative(target, chapter.html_path)) + f"#{label}"

    markdown = resolve_references(writer.chapter(notebook), link, targets, strict)
    position = book.chapters.index(chapter)
    previous = book.chapters[position - 1] if position > 0 else None
    following = book.chapters[position + 1] if position + 1 < len(book.chapters) else None
    variables = {
        "booktitle": book.book.get("title", ""),
        "pagetitle": chapter_title(chapter, book.root),
        "siteroot": _relative(book.output_dir / "x", book.output_dir / chapter.html_path).removesuffix("x"),
        "sidebar": _sidebar(book, chapter),
        "profilenote": book.hw3.profile_note or "",
        **_site_variables(book, chapter),
    }
    for prefix, other in (("prev", previous), ("next", following)):
        if other is not None:
            variables[f"{prefix}href"] = _relative(other.html_path, chapter.html_path)
            variables[f"{prefix}title"] = chapter_title(other, book.root)
    args = _pandoc_args(book) + ["--standalone", "--template", str(TEMPLATES / "page.html"), "--mathml", "--toc", "--toc-depth=3"]
    args += [arg for css in book.format_option("html", "css") for arg in ("--css", variables["siteroot"] + css.as_posix())]
    if chapter.number is not None:
        args += ["--number-sections", f"--number-offset={chapter.number - 1}"]
    if "{#refs}" in markdown:
        # YAML metadata, not -M: citeproc reads `nocite` only as Markdown citations.
        markdown = "---\nnocite: |\n  " + ", ".join(f"@{key}" for key in book.cited) + "\n---\n\n" + markdown
    else:
        args += ["-M", "suppress-bibliography=true"]
    args += [arg for key, value in variables.items() for arg in ("-V", f"{key}={value}")]
    page.parent.mkdir(parents=True, exist_ok=True)
    pypandoc.convert_text(markdown, "html5", format="markdown", extra_args=args, outputfile=str(page))
    return page
