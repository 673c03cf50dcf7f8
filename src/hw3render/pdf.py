"""One PDF for the whole book: every chapter through Pandoc to Typst, then Typst to PDF."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pypandoc
import typst

from .config import BookConfig
from .convert import ChapterWriter, Target, resolve_references
from .site import TEMPLATES, _pandoc_args


def write_pdf(book: BookConfig, notebooks: dict[Path, nbformat.NotebookNode], targets: dict[str, Target], strict: bool = True) -> Path:
    out = book.output_dir
    parts = []
    for chapter in book.chapters:
        if chapter.source not in notebooks:
            continue
        if chapter.part:
            parts.append(f"```{{=typst}}\n#hw3-part[{chapter.part}]\n```")
        figures = chapter.source.parent / f"{chapter.stem}_files" / "figure-html"
        writer = ChapterWriter(out / figures, figures.as_posix(), targets, chapter.number is not None)
        parts.append(resolve_references(writer.chapter(notebooks[chapter.source]), lambda label: f"#{label}", targets, strict))
    markdown = "\n\n".join(parts)
    name = book.book.get("output-file", "book")
    typ_path = out / f"{name}.typ"
    variables = {
        "title": book.book.get("title", ""),
        "subtitle": book.book.get("subtitle", ""),
        "author": book.hw3.student_name or book.book.get("author", ""),
        "studentnumber": book.hw3.student_number or "",
        "profilenote": book.hw3.profile_note or "",
        "chapterword": book.label("crossref-ch-prefix"),
        "toctitle": book.label("toc-title-document"),
    }
    # Code is highlighted by Skylighting, as Quarto >= 1.9 does for Typst, so the style's
    # rules for highlighted code are exercised here too.
    args = _pandoc_args(book) + ["--standalone", "--template", str(TEMPLATES / "book.typ"), "--syntax-highlighting=pygments"]
    args += [arg for path in book.format_option("typst", "include-in-header") for arg in ("--include-in-header", str(book.root / path))]
    args += [arg for key, value in variables.items() for arg in ("-V", f"{key}={value}")]
    pypandoc.convert_text(markdown, "typst", format="markdown", extra_args=args, outputfile=str(typ_path))
    pdf_path = out / f"{name}.pdf"
    fonts = [str(book.root / path) for path in book.format_option("typst", "font-paths")]
    typst.compile(str(typ_path), output=str(pdf_path), root=str(out), font_paths=fonts)
    return pdf_path
