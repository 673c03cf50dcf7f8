"""Persian and Latin on one line, as a reader sees them in the PDF (issue 17).

The fixture chapter tests/render/fixtures/mini-book/report/bidi.qmd holds the lines that
came out scrambled, written as the chapters wrote them. Each is found in the PDF by the
glyphs' positions (PyMuPDF): the glyphs of a line, sorted left to right, are its visual
order, and every Latin run inside a right-to-left line must read there as it reads in the
source ("128→64×64×64", not "64×64×64128→"), on one line where it must not break.
"""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from hw3render import render_book
from minibook import copy_mini_book

pytestmark = pytest.mark.slow

CHAPTER = Path("report/bidi.qmd")
# Runs that must read left to right inside their Persian line, spaces dropped.
RUNS = ["128→64×64×64", "32×32×128", "parameters()", "YOLOv3softmax", "2⁵=32", "5×5", "Y[..]+=XW"]


def visual_lines(pdf: Path) -> list[dict]:
    """Every line of text as drawn: its glyphs left to right, its box; math and sub- or
    superscripts join the line whose middle is within 5 pt of theirs."""
    lines: list[dict] = []
    for page in pymupdf.open(pdf):
        glyphs = [
            (char["bbox"], char["c"])
            for block in page.get_text("rawdict")["blocks"]
            for line in block.get("lines", [])
            for span in line["spans"]
            for char in span["chars"]
            if not char["c"].isspace() and not 0x200B <= ord(char["c"]) <= 0x206F
        ]
        page_lines: list[list] = []
        for box, char in sorted(glyphs, key=lambda g: (g[0][1] + g[0][3]) / 2):
            middle = (box[1] + box[3]) / 2
            if page_lines and abs(middle - page_lines[-1][0]) < 5:
                page_lines[-1][1].append((box, char))
            else:
                page_lines.append([middle, [(box, char)]])
        for _, chars in page_lines:
            chars.sort(key=lambda g: g[0][0])
            lines.append({"text": "".join(c for _, c in chars), "x0": chars[0][0][0], "x1": chars[-1][0][2], "chars": chars})
    return lines


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    root = copy_mini_book(tmp_path_factory.mktemp("bidi-book"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HW3_CACHE_DIR", str(root / "cache"))
        patch.delenv("QUARTO_PROFILE", raising=False)
        result = render_book(root, "smoke", only=[CHAPTER], formats=("pdf",))
    return visual_lines(result.pdf)


def persian(text: str) -> bool:
    return bool(re.search(r"[\u0600-\u06ff]", text))


@pytest.mark.parametrize("run", RUNS)
def test_a_latin_run_keeps_its_order_inside_a_persian_line(lines: list[dict], run: str):
    found = [line["text"] for line in lines if run in line["text"] and persian(line["text"])]
    assert found, f"{run!r} nowhere in visual order; lines with its pieces: " + repr(
        [line["text"] for line in lines if run[:3] in line["text"]]
    )


def reading_position(lines: list[dict], piece: str) -> tuple[int, float]:
    """Where `piece` is in reading order: its line, then its distance from the right edge
    of the line's first glyph. A Persian piece is looked for as drawn, letters reversed."""
    drawn = piece[::-1] if persian(piece) else piece
    for number, line in enumerate(lines):
        at = line["text"].find(drawn)
        if at >= 0 and persian(line["text"]):
            return number, -line["chars"][at][0][0]
    raise AssertionError(f"{piece!r} is not drawn in a Persian line")


@pytest.mark.parametrize("pieces", [("بشکند", "Dumoulin", "Visin2016"), ("LeNet", "LeCun", "همکاران", "1998", "دست")])
def test_a_citation_in_persian_words_reads_right_to_left(lines: list[dict], pieces: tuple[str, ...]):
    """Under `lang: fa` citeproc writes «(Dumoulin و Visin 2016)» and «(LeCun و همکاران
    1998)»: right-to-left text around Latin names, whose year stays after «همکاران»."""
    positions = [reading_position(lines, piece) for piece in pieces]
    assert positions == sorted(positions), f"{pieces} read in the order {sorted(pieces, key=lambda p: positions[pieces.index(p)])}"


def test_a_sentences_full_stop_stays_outside_the_latin_run_it_follows(lines: list[dict]):
    """«… U-Net (seed = 0).»: the closing bracket ends the run, so the full stop is drawn
    at the sentence's end, left of the run, not inside it after the bracket."""
    line = next(line["text"] for line in lines if "U-Net" in line["text"])
    assert ".U-Net(seed=0)" in line, line


def test_a_display_formula_inside_a_paragraph_is_centred(lines: list[dict]):
    body = [line for line in lines if persian(line["text"])]
    left, right = min(line["x0"] for line in body), max(line["x1"] for line in body)
    formula = next(line for line in lines if "=𝑊𝑥+𝑏" in line["text"])
    assert (formula["x0"] + formula["x1"]) / 2 == pytest.approx((left + right) / 2, abs=3), formula["text"]


def test_a_word_and_an_inline_formula_do_not_break_across_lines(lines: list[dict]):
    assert sum(line["text"].count("nearest-centroid") for line in lines) == 3
    formula = [line["text"] for line in lines if "softmax" in line["text"] and "log" in line["text"]]
    assert formula and "𝐿" in formula[0] and "𝑏" in formula[0], formula


def test_a_heading_that_starts_with_latin_is_right_aligned_with_its_number_on_the_right(lines: list[dict]):
    body_right = max(line["x1"] for line in lines if persian(line["text"]))
    heading = next(line for line in lines if "stride=1" in line["text"] and not persian(line["text"]))
    assert heading["x1"] == pytest.approx(body_right, abs=1.5), "the heading starts at the right margin"
    assert re.search(r"stride=1\d+(\.\d+)*$", heading["text"]), f"number right of the title: {heading['text']!r}"
