"""The HTML site: one page per chapter, a sidebar, a table of contents, prev/next links."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import nbformat
import pypandoc

from .config import BookConfig, Chapter
from .convert import ChapterWriter, Target, resolve_references

TEMPLATES = Path(__file__).parent / "templates"


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
    args = ["--columns=1000", *(arg for path in filters for arg in ("--lua-filter", str(path))), "--citeproc"]
    args += [arg for key, word in book.labels.items() if key.startswith("callout-") for arg in ("-M", f"{key}={word}")]
    for bib in book.bibliography:
        args += ["--bibliography", str(bib)]
    return args


def copy_assets(book: BookConfig) -> None:
    """Put the stylesheets and `project.resources` where Quarto puts them: at their own paths."""
    for path in [*book.format_option("html", "css"), *book.resources]:
        target = book.output_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(book.root / path, target)


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
        "profilenote": book.extras.get("profile-note", ""),
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
