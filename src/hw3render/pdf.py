"""One PDF for the whole book, laid out by the template Quarto uses: every chapter through
Pandoc to Typst, then Typst to PDF.

The same files as `quarto render` (quarto-cli v1.10.4, the project's minimum): Quarto's
Typst partials (vendored in quarto_typst/, their VERSION beside them), with the partials
of the book's Typst format extension over them (`format: <name>-typst`,
`_extensions/<name>/`, staged as quarto-cli src/command/render/template.ts
`stageTemplate` does), the Typst package that extension carries on the package path
(src/command/render/output-typst.ts, src/core/typst.ts), the template variables Quarto
sets (the metadata, and the words of `language:` as `quarto.language.*`,
src/command/render/defaults.ts) and the format's header include. The text layer is made
searchable afterwards by the post-render step (report/_scripts/pdf_text.py).

What differs from Quarto is the body: its figure and table captions already carry their
numbers (convert.ChapterWriter), so Typst is asked not to number Pandoc's figures, and a
part is `#part[...]`, which Quarto's orange-book.lua writes too.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import pypandoc
import typst
import yaml

from . import output
from .config import BookConfig
from .convert import ChapterWriter, Target, resolve_references
from .errors import SourceError
from .site import _pandoc_args

QUARTO_TYPST = Path(__file__).parent / "quarto_typst"
# What quarto-cli's typst-brand-yaml.lua declares for a project without a _brand.yml; the
# extension's typst-show.typ reads them.
BRAND = "#let brand-color = (:)\n#let brand-color-background = (:)\n#let brand-logo = (:)\n"
NUMBERED_CAPTIONS = (
    "#show figure.where(kind: image): set figure(numbering: none)\n"
    "#show figure.where(kind: table): set figure(numbering: none)\n"
)


def typst_format(book: BookConfig) -> tuple[str, Path]:
    """The book's Typst format key (`<name>-typst`) and its extension's folder."""
    for key in book.raw.get("format", {}):
        name = key.removesuffix("-typst")
        if key.endswith("-typst") and (book.root / "_extensions" / name / "_extension.yml").is_file():
            return key, book.root / "_extensions" / name
    raise SourceError(
        "_quarto.yml has no `format: <name>-typst` with its _extensions/<name>/_extension.yml: "
        "hw3 render lays the PDF out with that extension, as Quarto does; add the format (format: hw3-book-typst)"
    )


def stage_template(extension: Path, folder: Path) -> Path:
    """Quarto's partials, then the extension's `template-partials` over them, in `folder`."""
    for partial in QUARTO_TYPST.glob("*.typ"):
        shutil.copy(partial, folder / partial.name)
    manifest = yaml.safe_load((extension / "_extension.yml").read_text(encoding="utf-8"))
    for name in manifest["contributes"]["formats"]["typst"].get("template-partials", []):
        shutil.copy(extension / name, folder / name)
    return folder / "template.typ"


def template_metadata(book: BookConfig, key: str) -> dict[str, Any]:
    """The metadata Quarto gives the template: the book's, the format's page options, and
    the project's text keys under `hw3:`. Metadata, not variables: Pandoc parses each value
    and escapes it for Typst, so a student name is printed as the text it is."""
    options = book.raw["format"][key] or {}
    hw3 = {field.name.replace("_", "-"): value for field in dataclasses.fields(book.hw3) if isinstance(value := getattr(book.hw3, field.name), str)}
    return {
        "title": book.book.get("title", ""),
        "subtitle": book.book.get("subtitle", ""),
        "by-author": [{"name": {"literal": book.book["author"]}}] if book.book.get("author") else [],
        "papersize": options.get("papersize", "us-letter"),
        "hw3": hw3,
        **{name: options[name] for name in ("toc-depth", "margin") if name in options},
    }


def template_inputs(book: BookConfig, key: str, folder: Path) -> list[str]:
    """Pandoc's metadata, variables and includes for the template, written into `folder`."""
    files = {
        "metadata.yaml": yaml.safe_dump(template_metadata(book, key), allow_unicode=True),
        "defaults.yaml": yaml.safe_dump({"variables": {"quarto": {"language": book.labels}}}, allow_unicode=True),
        "brand.typ": BRAND,
        "captions.typ": NUMBERED_CAPTIONS,
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    args = ["--metadata-file", str(folder / "metadata.yaml"), "--defaults", str(folder / "defaults.yaml")]
    args += ["--include-in-header", str(folder / "brand.typ")]
    args += [arg for path in book.format_option(key, "include-in-header") for arg in ("--include-in-header", str(book.root / path))]
    return args + ["--include-before-body", str(folder / "captions.typ")]


def write_pdf(book: BookConfig, notebooks: dict[Path, nbformat.NotebookNode], targets: dict[str, Target], strict: bool = True) -> Path:
    key, extension = typst_format(book)
    out = book.output_dir
    parts = []
    for chapter in book.chapters:
        if chapter.source not in notebooks:
            continue
        if chapter.part:
            parts.append(f"```{{=typst}}\n#part[{chapter.part}]\n```")
        figures = chapter.source.parent / f"{chapter.stem}_files" / "figure-html"
        writer = ChapterWriter(out / figures, figures.as_posix(), targets, chapter.number is not None)
        parts.append(resolve_references(writer.chapter(notebooks[chapter.source]), lambda label: f"#{label}", targets, strict))
    name = book.book.get("output-file", "book")
    typ_path, pdf_path = out / f"{name}.typ", out / f"{name}.pdf"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # Code is highlighted by Skylighting, as Quarto >= 1.9 does for Typst, so the style's
        # rules for highlighted code are exercised here too.
        args = _pandoc_args(book) + [
            "--standalone", "--template", str(stage_template(extension, folder)), "--wrap=none",
            "--top-level-division=chapter", "--syntax-highlighting=pygments",
        ]
        args += template_inputs(book, key, folder)
        # Typst's own citations off (`typst-citations`), as Quarto does with `citeproc: true`.
        typst_source = pypandoc.convert_text("\n\n".join(parts), "typst-citations", format="markdown", extra_args=args)
    output.write(typ_path, typst_source)
    fonts = [str(book.root / path) for path in book.format_option(key, "font-paths")]
    # Typst writes its output in place; compiled to bytes and written whole, the PDF is the
    # new one or the old one, never half of one.
    compiled = typst.compile(str(typ_path), root=str(out), font_paths=fonts, package_path=str(extension / "typst" / "packages"))
    return output.write(pdf_path, compiled)
