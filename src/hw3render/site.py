"""The HTML site: one page per chapter, a sidebar, a table of contents, prev/next links,
search, downloads, copyable code, heading anchors and cross-reference previews.

The options are Quarto's, read from `_quarto.yml`, so both renderers give the reader the
same site: `book.search`, `book.downloads`, `book.tools` (the sidebar's links),
`format.html.other-links` (the links under each page's table of contents, from
`_quarto.yml` and the folders' `_metadata.yml`), `format.html.code-copy`,
`format.html.anchor-sections` and `format.html.crossrefs-hover`. The page has the markup
of a Quarto book page (templates/page.html), so the book's stylesheets hold for both.
What the browser does with them is templates/site.js.

Every link in the site is relative, so the site works opened from disk and served under
any path. Links resolve as in Quarto: a `book.tools` href is a path in the project, with
or without a leading "/" (Quarto makes it "/x", quarto-cli
src/project/types/website/website-navigation.ts resolveItem, then relative to each page,
website-resources.ts resolveTag); an `other-links` href is written into the page as it is
(format-html-bootstrap.ts processOtherLinks, after that resolution has run), so it is
relative to the page.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pypandoc

from . import output
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
    """A link of the sidebar (`href` a path from the site's root) or of a page's other links
    (`href` relative to the page); either may be a URL instead."""

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


def _tool_link(item: dict[str, Any]) -> SiteLink:
    """A `book.tools` entry: its href a path from the project's root, "/" or not."""
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
        links += [_tool_link(item) for item in tool.get("menu", [tool])]
    return links


def other_links(book: BookConfig, chapter: Chapter) -> list[SiteLink]:
    """The other links of one chapter's page, their hrefs relative to the page."""
    return [SiteLink(str(item.get("text", item.get("href", ""))), str(item.get("href", ""))) for item in book.html_list(chapter, "other-links")]


def check_site_links(book: BookConfig, strict: bool = True) -> None:
    """Fail (or, in a partial render, warn) when a download or other link points at no file in the output."""
    targets = {link.href: book.output_dir / link.href for link in sidebar_links(book) if link.local}
    for chapter in book.chapters:
        page = book.output_dir / chapter.html_path
        targets |= {f"{link.href} (from {chapter.html_path})": Path(os.path.normpath(page.parent / link.href)) for link in other_links(book, chapter) if link.local}
    missing = sorted(name for name, path in targets.items() if not path.is_file())
    if not missing:
        return
    message = (
        f"the site links to {', '.join(missing)} but {book.output_dir} has no such file: render the whole book "
        "with both formats (hw3 render --to html,pdf), or change book.downloads or book.tools in _quarto.yml, "
        "or format.html.other-links there or in a folder's _metadata.yml (an other-links href is relative to the page)"
    )
    if strict:
        raise MissingOutputError(message)
    log.warning("%s", message)


def _sidebar_tools(links: list[SiteLink], page: Path) -> str:
    items = []
    for link in links:
        href = _relative(Path(link.href), page) if link.local else link.href
        items.append(f'<li><a href="{html.escape(href)}">{html.escape(link.text)}</a></li>')
    return '<ul class="sidebar-tools">' + "".join(items) + "</ul>" if items else ""


def _other_links(links: list[SiteLink]) -> str:
    """As Quarto lists them under the table of contents, each with its default icon, link-45deg."""
    items = [f'<li><a href="{html.escape(link.href)}"><i class="bi bi-link-45deg" aria-hidden="true"></i>{html.escape(link.text)}</a></li>' for link in links]
    return "<ul>" + "".join(items) + "</ul>" if items else ""


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


def _heading(chapter: Chapter, root: Path) -> str:
    """The chapter's first heading, as written, without its attributes."""
    for line in (root / chapter.source).read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return re.sub(r"\s*\{[^}]*\}\s*$", "", line[2:]).strip()
    return chapter.stem


def chapter_title(chapter: Chapter, root: Path) -> str:
    """The chapter's title as text, numbered as in the book."""
    title = _heading(chapter, root)
    return f"{chapter.number}  {title}" if chapter.number is not None else title


def _menu_text(chapter: Chapter, root: Path) -> str:
    """The chapter's title as Quarto marks it up in the sidebar and the page navigation."""
    title = f'<span class="chapter-title">{html.escape(_heading(chapter, root))}</span>'
    return f'<span class="chapter-number">{chapter.number}</span>&nbsp; {title}' if chapter.number is not None else title


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def _sidebar_item(book: BookConfig, chapter: Chapter, current: Chapter) -> str:
    active = ' active" aria-current="page' if chapter == current else ""
    href = _relative(chapter.html_path, current.html_path)
    return (
        f'<li class="sidebar-item"><div class="sidebar-item-container"><a href="{href}" class="sidebar-item-text sidebar-link{active}">'
        f'<span class="menu-text">{_menu_text(chapter, book.root)}</span></a></div></li>'
    )


def _sidebar(book: BookConfig, current: Chapter) -> str:
    """The book's chapters, each part a section that opens and closes (sidebaritem.ejs; site.js toggles it)."""
    items: list[str] = []
    words = language(book)
    for chapter in book.chapters:
        if chapter.part:
            section = f"quarto-sidebar-section-{sum(1 for c in book.chapters[: book.chapters.index(chapter) + 1] if c.part)}"
            members = "".join(_sidebar_item(book, c, current) for c in book.chapters if c.in_part == chapter.part)
            items.append(
                '<li class="sidebar-item sidebar-item-section"><div class="sidebar-item-container">'
                f'<a class="sidebar-item-text sidebar-link text-start" aria-controls="{section}" aria-expanded="true" role="button" tabindex="0">'
                f'<span class="menu-text">{html.escape(chapter.part)}</span></a>'
                f'<a class="sidebar-item-toggle text-start" aria-controls="{section}" aria-expanded="true" role="button" tabindex="0" '
                f'aria-label="{html.escape(words["toggle-section"], quote=True)}"><i class="bi bi-chevron-right ms-2" aria-hidden="true"></i></a></div>'
                f'<ul id="{section}" class="collapse list-unstyled sidebar-section depth1 show">{members}</ul></li>'
            )
        elif chapter.in_part is None:
            items.append(_sidebar_item(book, chapter, current))
    return '<ul class="list-unstyled mt-1">\n' + "\n".join(items) + "\n</ul>"


def _pandoc_args(book: BookConfig) -> list[str]:
    """Citeproc lists only the works cited, as Quarto's does (HTML, and Typst with
    `citeproc: true`); blocks.lua gets the callout titles of `language:` as metadata.

    The project's `lang` and `dir` are metadata of every page, as Quarto merges
    `_quarto.yml` into each document's: citeproc takes its locale from `lang` (so under
    `lang: fa` a citation reads «Huang و همکاران 2017» in both formats), the Typst
    template its direction."""
    # --columns: tables keep their natural column widths; Pandoc would otherwise give a
    # table with a line longer than 72 characters fixed relative widths that wrap numbers.
    # Pandoc runs filters and citeproc in command-line order: the book's filters first, then
    # blocks.lua (what Quarto's own filters do here), then citeproc, Quarto's order.
    filters = [*book.filters, TEMPLATES / "blocks.lua"]
    args = ["--columns=1000", *(arg for path in filters for arg in ("--lua-filter", str(path)))]
    args += citation_args(book)
    args += [arg for key, word in book.labels.items() if key.startswith("callout-") for arg in ("-M", f"{key}={word}")]
    args += [arg for key in ("dir",) if key in book.raw for arg in ("-M", f"{key}={book.raw[key]}")]
    return args


def citation_args(book: BookConfig) -> list[str]:
    """Pandoc's citeproc with the book's bibliography, style and language: the citations and
    reference lists of the pages, and of the exported notebooks (reader_notebook.py), so both
    write a work alike (`lang` picks citeproc's locale: «و همکاران» under fa)."""
    args = ["--citeproc", *(arg for bib in book.bibliography for arg in ("--bibliography", str(bib)))]
    if book.csl:
        args += ["--csl", str(book.csl)]
    return args + [arg for key in ("lang",) if key in book.raw for arg in ("-M", f"{key}={book.raw[key]}")]


def _nocite(keys: list[str]) -> str:
    """A YAML block that makes citeproc process `keys` as if cited, or nothing (YAML, not -M:
    citeproc reads `nocite` only as Markdown citations)."""
    return "---\nnocite: |\n  " + ", ".join(f"@{key}" for key in dict.fromkeys(keys)) + "\n---\n\n" if keys else ""


def copy_assets(book: BookConfig) -> None:
    """Put the stylesheets and `project.resources` where Quarto puts them (at their own
    paths), and the site's scripts under site_libs/."""
    copies = {path: book.root / path for path in [*book.format_option("html", "css"), *book.resources]}
    copies.update({Path(path): source for path, source in SITE_LIBS.items()})
    for path, source in copies.items():
        output.copy(source, book.output_dir / path)


def _site_variables(book: BookConfig, chapter: Chapter) -> dict[str, str]:
    """The template's search box, downloads and site.js options for one page."""
    words = language(book)
    variables = {
        "sidebartools": _sidebar_tools(sidebar_links(book), chapter.html_path),
        "otherlinks": _other_links(other_links(book, chapter)),
        "otherlinkstitle": html.escape(words["other-links-title"]),
        "toctitle": html.escape(words["toc-title-document"]),
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
    cited: list[str] | None = None,
) -> Path:
    """One chapter's HTML page. `cited`: the works the whole book cites, for the references
    page (default: those its sources cite; render_book adds what the executed cells wrote)."""
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
        "booktitle": html.escape(book.book.get("title", "")),
        "pagetitle": chapter_title(chapter, book.root),
        "pagefile": chapter.html_path.name,
        "siteroot": _relative(book.output_dir / "x", book.output_dir / chapter.html_path).removesuffix("x"),
        "sidebar": _sidebar(book, chapter),
        "profilenote": html.escape(book.hw3.profile_note or ""),  # a variable is not escaped by Pandoc
        **_site_variables(book, chapter),
    }
    if chapter.number is not None:
        variables["chapternumber"] = str(chapter.number)
    if chapter.in_part:
        variables["partname"] = html.escape(chapter.in_part)
    for prefix, other in (("prev", previous), ("next", following)):
        if other is not None:
            variables[f"{prefix}href"] = _relative(other.html_path, chapter.html_path)
            variables[f"{prefix}title"] = _menu_text(other, book.root)
            variables[f"{prefix}plain"] = html.escape(chapter_title(other, book.root), quote=True)
    args = _pandoc_args(book) + ["--standalone", "--template", str(TEMPLATES / "page.html"), "--mathml", "--toc", "--toc-depth=3"]
    args += [arg for css in book.format_option("html", "css") for arg in ("--css", variables["siteroot"] + css.as_posix())]
    if chapter.number is not None:
        # The chapter's heading is the page's title (templates/blocks.lua), so its sections
        # are the top level; the offset makes the first of chapter N "N.1".
        args += ["--number-sections", f"--number-offset={chapter.number}"]
    # Every page gets the book's `nocite`, as Quarto gives each chapter the project's metadata,
    # and the references page every work cited anywhere in the book.
    refs = book.references_chapter
    markdown = _nocite([*((book.cited() if cited is None else cited) if chapter == refs else []), *book.nocite]) + markdown
    if refs is None:
        args += ["-M", "suppress-bibliography=true"]
    elif chapter != refs:
        # Citations link to the references page, and the page's own list goes (citations.lua)
        args += ["-M", "link-citations=true", "-M", f"references-page={_relative(refs.html_path, chapter.html_path)}"]
        args += ["--lua-filter", str(TEMPLATES / "citations.lua")]
    args += [arg for key, value in variables.items() for arg in ("-V", f"{key}={value}")]
    return output.write(page, pypandoc.convert_text(markdown, "html5", format="markdown", extra_args=args))
