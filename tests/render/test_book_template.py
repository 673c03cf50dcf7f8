"""The smoke PDF laid out by the template Quarto users get (_extensions/hw3-book), read as a
Persian reader reads it (issue 23): heading numbers on the reading side of their titles,
Persian running headers and contents, the student on the cover, a number on every page, a
searchable text layer, tables right to left. The checks are tests/render/pdfchecks.py; the
last tests show each can fail, on PDFs made wrong on purpose.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pymupdf
import pytest
import typst
import yaml

import hw3render.pdf
import pdfchecks
from hw3core.settings import PROJECT_ROOT
from hw3render.config import load_book
from hw3render.pdf import write_pdf
from hw3render.pdf_text import fix_text_layer
from minibook import copy_mini_book

FONTS = [str(PROJECT_ROOT / "fonts")]


@pytest.fixture(scope="module")
def doc(smoke_book: Path) -> pymupdf.Document:
    return pymupdf.open(smoke_book / "hw3.pdf")


@pytest.fixture(scope="module")
def book():
    return load_book(PROJECT_ROOT, "smoke")


@pytest.mark.slow
def test_every_heading_number_is_on_the_reading_side_of_its_title(doc):
    assert not pdfchecks.heading_number_problems(doc)


@pytest.mark.slow
def test_running_headers_name_the_chapter_in_persian(doc, book):
    parts = [chapter.part for chapter in book.chapters if chapter.part]
    assert not pdfchecks.running_header_problems(doc, book.label("crossref-ch-prefix"), parts)


@pytest.mark.slow
def test_contents_are_titled_from_language_with_page_numbers_apart(doc, book):
    assert not pdfchecks.contents_problems(doc, book.label("toc-title-document"))


@pytest.mark.slow
def test_cover_holds_the_student_and_the_profile_note_from_quarto_yml(doc, book):
    assert not pdfchecks.cover_problems(doc, book.hw3.student_name, book.hw3.student_number, book.hw3.profile_note)
    assert doc.metadata["author"] == book.hw3.student_name, "the PDF's author is the student"


@pytest.mark.slow
def test_every_page_but_the_cover_has_a_number(doc):
    assert not pdfchecks.page_number_problems(doc)


@pytest.mark.slow
def test_a_search_finds_the_words_of_the_source(doc, smoke_book: Path):
    """Every Persian word the Typst source prints is extracted, and nothing else: «لایه»,
    not «الیه». The source is the .typ the renderer typeset (body, cover, template words)."""
    source = (smoke_book / "hw3.typ").read_text(encoding="utf-8")
    assert pdfchecks.found(doc, "لایه") >= source.count("لایه") > 0
    assert not pdfchecks.text_layer_problems(doc, source, "همکاران")  # citeproc's Persian "et al."


@pytest.mark.slow
def test_the_p2_comparison_reads_right_to_left_with_headers_over_their_columns(doc, smoke_render):
    notebook = smoke_render[1].executed[Path("report/p2-losses.qmd")]
    cell = next(c for c in notebook.cells if c.metadata.get("hw3-options", {}).get("label") == "tbl-p2-summary")
    table = next(o["data"]["text/markdown"] for o in cell.outputs if "text/markdown" in o.get("data", {}))
    assert not pdfchecks.table_column_problems(doc, *pdfchecks.pipe_table(table))


@pytest.mark.slow
def test_no_page_is_blank_or_left_mostly_blank_by_a_float(doc):
    assert not pdfchecks.blank_pages(doc)
    assert not pdfchecks.underfilled_pages(doc)


@pytest.mark.slow
def test_the_body_is_set_in_the_styles_size_not_the_templates(doc):
    """report/_typst/hw3-style.typ sets 10.5 pt; orange-book set 10 pt over it."""
    assert pdfchecks.body_size(doc) == 10.5


@pytest.mark.slow
def test_cell_output_is_framed_once_and_not_filled_like_code(doc, smoke_book: Path):
    source = (smoke_book / "hw3.typ").read_text(encoding="utf-8")
    outputs = [json.loads(f'"{text}"') for text in re.findall(r'#raw\(block: true, "((?:[^"\\]|\\.)*)"\)', source)]
    assert outputs, "the smoke book shows cell output"
    assert not pdfchecks.output_frame_problems(doc, outputs)


def _hostile_book(root: Path, name: str):
    """The mini book with `name` as the student's name in its _quarto.yml."""
    copy_mini_book(root)
    config = root / "_quarto.yml"
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["hw3"]["student-name"] = name
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    book = load_book(root, "smoke")
    book.output_dir.mkdir()
    return book


def test_a_student_name_that_looks_like_typst_code_is_printed_as_text(tmp_path: Path):
    """`hw3:` reaches the template as metadata, which Pandoc escapes: a name such as
    `#text(fill: red)[X]` or one with a quote is printed, not run, on the cover and in the
    PDF's author field."""
    book = _hostile_book(tmp_path, '#text(fill: red)[X] "Q" $1')
    printed = pymupdf.open(write_pdf(book, {}, {}))
    cover = printed[0].get_text()
    assert "#text(fill: red)[X]" in cover and re.search(r'["“”«»]Q["“”«»] \$1', cover), cover
    assert not [span for block in printed[0].get_text("dict")["blocks"] for line in block.get("lines", []) for span in line["spans"]
                if span["color"] == 0xFF0000], "nothing on the cover is red"
    assert printed.metadata["author"].startswith("#text(fill: red)[X]")


def test_the_cover_links_the_repository_only_when_hw3_names_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`hw3.repository` (when set) is printed and linked under the student's number."""
    book = _hostile_book(tmp_path, "Name")
    assert not pymupdf.open(write_pdf(book, {}, {}))[0].get_links(), "no repository, no link"
    url = "https://github.com/someone/hw3_repo"
    metadata = hw3render.pdf.template_metadata
    monkeypatch.setattr(hw3render.pdf, "template_metadata", lambda *args: {**metadata(*args), "hw3": {**metadata(*args)["hw3"], "repository": url}})
    cover = pymupdf.open(write_pdf(book, {}, {}))[0]
    assert url in cover.get_text() and [link["uri"] for link in cover.get_links()] == [url]


def test_without_the_books_typst_extension_hw3_render_says_what_to_add(tmp_path: Path):
    book = _hostile_book(tmp_path, "Name")
    (tmp_path / "_extensions" / "hw3-book" / "_extension.yml").unlink()
    with pytest.raises(Exception, match=r"format: <name>-typst.*_extensions/<name>/_extension.yml"):
        write_pdf(book, {}, {})


def _typst_pdf(tmp_path: Path, source: str, name: str = "t") -> Path:
    (tmp_path / f"{name}.typ").write_text(source, encoding="utf-8")
    pdf = tmp_path / f"{name}.pdf"
    typst.compile(str(tmp_path / f"{name}.typ"), output=str(pdf), font_paths=FONTS)
    return pdf


PERSIAN = '#set text(font: "Vazirmatn", lang: "fa")\nلایهٔ آخر، تقریباً همهٔ لایه‌ها.\n'


def test_the_text_layer_fix_makes_persian_searchable_once_and_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pdf = _typst_pdf(tmp_path, PERSIAN)
    assert pdfchecks.found(pymupdf.open(pdf), "لایه") == 0, "Typst's own text layer reads «الیه»"
    assert fix_text_layer(pdf) > 0
    assert pdfchecks.found(pymupdf.open(pdf), "لایه") == 2
    fixed = pdf.read_bytes()
    assert fix_text_layer(pdf) == 0 and pdf.read_bytes() == fixed, "a fixed PDF is left as it is"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.pdf", "t.typ"], "no copy left beside it"

    other = _typst_pdf(tmp_path, PERSIAN, "u")
    before = other.read_bytes()

    def fail(doc):
        raise OSError("disk full")

    monkeypatch.setattr("hw3render.pdf_text._rewrite", fail)
    with pytest.raises(OSError):
        fix_text_layer(other)
    assert other.read_bytes() == before and not list(tmp_path.glob(".*")), "a failed rewrite leaves the PDF whole"


def test_the_heading_check_sees_a_number_drawn_over_its_title(tmp_path: Path):
    """A heading whose number is placed with orange-book's `place(dx: -width - gap)` in a
    right-to-left line, as Quarto's bundled template draws it."""
    pdf = _typst_pdf(
        tmp_path,
        '#set text(font: "Vazirmatn", lang: "fa", size: 11pt)\n'
        "#show heading: it => block(place(dx: -1.5em - 7mm, counter(heading).display(it.numbering)) + it.body)\n"
        '#set heading(numbering: "1.1")\n= فصل\n== پرسش‌ها\nمتن.\n',
    )
    assert pdfchecks.heading_number_problems(pymupdf.open(pdf))


def test_the_table_check_sees_a_left_to_right_table(tmp_path: Path):
    pdf = _typst_pdf(
        tmp_path,
        '#set text(font: "Vazirmatn", lang: "fa")\n'
        "#text(dir: ltr, table(columns: 3, [رژیم], [دقت], [زمان], [آنتروپی], [0.982], [0.122]))\n",
    )
    problems = pdfchecks.table_column_problems(pymupdf.open(pdf), ["رژیم", "دقت", "زمان"], [["آنتروپی", "0.982", "0.122"]])
    assert any("right to left" in p for p in problems)


def test_the_page_number_cover_and_blank_page_checks_see_what_is_missing(tmp_path: Path):
    pdf = pymupdf.open(_typst_pdf(tmp_path, '#set text(font: "Vazirmatn", lang: "fa")\nجلد\n#pagebreak()\nمتن\n#pagebreak()\n#pagebreak()\nپایان\n'))
    assert pdfchecks.page_number_problems(pdf)[0] == "page 2: no page number in the footer ('')"
    assert pdfchecks.cover_problems(pdf, "Name") == ["the cover lacks 'Name'"]
    assert pdfchecks.blank_pages(pdf) == [3]


def test_the_output_check_sees_a_box_inside_the_frame_and_a_filled_one(tmp_path: Path):
    pdf = pymupdf.open(_typst_pdf(
        tmp_path,
        '#block(stroke: 0.5pt, inset: 7pt, block(fill: luma(230), inset: 8pt, raw("(2, 14)")))\n'
        '#block(fill: luma(245), inset: 7pt, raw("(3, 15)"))\n#block(stroke: 0.5pt, inset: 7pt, raw("(4, 16)"))\n',
    ))
    assert [problem[:25] for problem in pdfchecks.output_frame_problems(pdf, ["(2, 14)", "(3, 15)", "(4, 16)"])] == [
        "page 1: output '(2, 14)' ", "page 1: output '(3, 15)' "]
