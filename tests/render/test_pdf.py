"""The smoke book's PDF as a reader prints it: A4, Vazirmatn embedded, a cover with the
student's details, numbered pages, nothing running off the paper."""

import re
from pathlib import Path

import pytest

from hw3render.config import load_book
from hw3core.settings import PROJECT_ROOT
from pdftools import A4, fonts, ink_in_side_margins, normalise, outline, overlapping_words, page_sizes, render, text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdf(smoke_book: Path) -> Path:
    return smoke_book / "hw3.pdf"


def test_every_page_is_a4_and_nothing_is_wider_than_the_paper(pdf: Path):
    for number, boxes in enumerate(page_sizes(pdf), start=1):
        for box in boxes:
            assert box == pytest.approx(A4, abs=0.5), f"page {number}: {box}"


def test_the_persian_font_embedded_is_vazirmatn(pdf: Path):
    used = fonts(pdf)
    vazirmatn = {name: embedded for name, embedded in used.items() if "Vazirmatn" in name}
    assert vazirmatn, used
    assert all(vazirmatn.values()), f"Vazirmatn not embedded: {vazirmatn}"


def test_cover_names_the_assignment_and_the_student(pdf: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    cover = normalise(text(pdf, page=1))
    for expected in (book.book["title"], book.hw3.student_name, book.hw3.student_number):
        assert all(normalise(word) in cover for word in re.findall(r"\w+", expected)), expected


def test_body_pages_are_numbered_in_order(pdf: Path):
    pages = len(page_sizes(pdf))
    footers = [text(pdf, page=n, top=A4[1] - 60, height=60).strip() for n in range(1, pages + 1)]
    numbers = [int(f) for f in footers if f.isdigit()]
    assert footers[0] == "", "the cover carries no page number"
    assert len(numbers) >= len(load_book(PROJECT_ROOT, "smoke").chapters)
    assert numbers == sorted(set(numbers)) and numbers[0] == 1


def test_cover_and_first_chapter_as_images(pdf: Path, smoke_book: Path):
    """Rendered as a viewer would, and kept (path printed) for a person to look at."""
    title, chapter_page = next((title, page) for level, title, page in outline(pdf) if level == 1 and title[0].isdigit())
    out = smoke_book / "pdf-pages"
    images = render(pdf, out, dpi=60, first=1) + render(pdf, out, dpi=60, first=chapter_page)
    print("PDF pages rendered:", *images)
    assert normalise(title) in normalise(text(pdf, page=chapter_page)), f"the chapter page opens with {title!r}"
    for png in images:
        assert png.stat().st_size > 2000, f"{png} looks empty"
        assert not ink_in_side_margins(png, margin_cm=1.2, dpi=60), f"something runs into the margin of {png}"


def test_no_page_has_ink_in_the_side_margins(pdf: Path, tmp_path: Path):
    """Tables, figures and code stay inside the text block on every page."""
    crowded = [png.name for png in render(pdf, tmp_path, dpi=30) if ink_in_side_margins(png, margin_cm=1.2, dpi=30)]
    assert not crowded, f"pages with something in the outer 1.2 cm: {crowded}"


def test_no_words_are_drawn_over_each_other(pdf: Path):
    assert not overlapping_words(pdf)


def test_the_overlap_check_sees_digits_printed_over_each_other(tmp_path: Path):
    """The check above can fail: a row of numbers squeezed into one place is found, a clean row is not."""
    import pymupdf

    def page_with(positions: list[float]) -> Path:
        document = pymupdf.open()
        page = document.new_page(width=A4[0], height=A4[1])
        for x in positions:
            page.insert_text((x, 100), "1,234", fontsize=12)
        path = tmp_path / f"{len(positions)}-{positions[-1]:.0f}.pdf"
        document.save(path)
        return path

    assert overlapping_words(page_with([100, 200]), share=0.5) == []
    assert overlapping_words(page_with([100, 103]))
