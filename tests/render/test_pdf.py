"""The smoke book's PDF as a reader prints it: A4, Vazirmatn embedded, a cover with the
student's details, numbered pages, nothing running off the paper."""

import re
import subprocess
from pathlib import Path

import pypdf
import pytest

from hw3core.render.config import load_book
from hw3core.settings import PROJECT_ROOT
from pdftools import A4, ink_in_side_margins, normalise, overlapping_words, render, text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdf(smoke_book: Path) -> Path:
    return smoke_book / "hw3.pdf"


def test_every_page_is_a4_and_nothing_is_wider_than_the_paper(pdf: Path):
    for number, page in enumerate(pypdf.PdfReader(pdf).pages, start=1):
        for box in (page.mediabox, page.cropbox):
            assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.5), f"page {number}: {box}"


def test_the_persian_font_embedded_is_vazirmatn(pdf: Path):
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = [line.split() for line in listing.splitlines()[2:]]
    vazirmatn = [f for f in fonts if "Vazirmatn" in f[0]]
    assert vazirmatn, listing
    assert all(f[-5] == "yes" for f in vazirmatn), f"Vazirmatn not embedded:\n{listing}"  # the 'emb' column


def test_cover_names_the_assignment_and_the_student(pdf: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    cover = normalise(text(pdf, page=1))
    for expected in (book.book["title"], book.extras["student-name"], str(book.extras["student-number"])):
        assert all(normalise(word) in cover for word in re.findall(r"\w+", expected)), expected


def test_body_pages_are_numbered_in_order(pdf: Path):
    pages = len(pypdf.PdfReader(pdf).pages)
    footers = [text(pdf, page=n, top=A4[1] - 60, height=60).strip() for n in range(1, pages + 1)]
    numbers = [int(f) for f in footers if f.isdigit()]
    assert footers[0] == "", "the cover carries no page number"
    assert len(numbers) >= len(load_book(PROJECT_ROOT, "smoke").chapters)
    assert numbers == sorted(set(numbers)) and numbers[0] == 1


def test_cover_and_first_chapter_as_images(pdf: Path, smoke_book: Path):
    """Rendered as a viewer would, and kept (path printed) for a person to look at."""
    reader = pypdf.PdfReader(pdf)
    first_chapter = next(item for item in reader.outline if not isinstance(item, list) and item.title[0].isdigit())
    chapter_page = reader.get_destination_page_number(first_chapter) + 1
    out = smoke_book / "pdf-pages"
    images = render(pdf, out, dpi=60, first=1) + render(pdf, out, dpi=60, first=chapter_page)
    print("PDF pages rendered:", *images)
    assert "فصل" in text(pdf, page=chapter_page), "the chapter page opens with 'فصل N'"
    for png in images:
        assert png.stat().st_size > 2000, f"{png} looks empty"
        assert not ink_in_side_margins(png, margin_cm=1.2, dpi=60), f"something runs into the margin of {png}"


def test_no_page_has_ink_in_the_side_margins(pdf: Path, tmp_path: Path):
    """Tables, figures and code stay inside the text block on every page."""
    crowded = [png.name for png in render(pdf, tmp_path, dpi=30) if ink_in_side_margins(png, margin_cm=1.2, dpi=30)]
    assert not crowded, f"pages with something in the outer 1.2 cm: {crowded}"


def test_no_words_are_drawn_over_each_other(pdf: Path):
    assert not overlapping_words(pdf)
