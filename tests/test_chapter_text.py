"""What the chapters' text may contain, so that Persian and Latin typeset right (issue 17;
the rules are in the README, "Writing a chapter"): Latin digits only, and no ezafe kasra
on a Latin word, which no font can draw there (it lands on the next Persian word)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hw3core import glossary
from hw3core.settings import PROJECT_ROOT
from hw3render.qmd import parse

# The preface, the chapters and every module that writes Persian for the reader (the text.py
# modules, the smoke banner of chapter.py, ...), found by its letters, so a new one is checked
# without a list; and _quarto.yml.
PROSE = sorted([PROJECT_ROOT / "_quarto.yml", *glossary.prose_files()])
PERSIAN_NUMERALS = re.compile(r"[\u06f0-\u06f9\u0660-\u066c]+")
KASRA_ON_LATIN = re.compile(r"[A-Za-z0-9`)\]$]\u0650")
KASRA = re.compile("\u0650")


def offending(path: Path, pattern: re.Pattern[str]) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [f"{path.relative_to(PROJECT_ROOT)}:{n}: {m.group(0)!r}" for n, line in enumerate(lines, 1) for m in pattern.finditer(line)]


def relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


@pytest.mark.parametrize("path", PROSE, ids=relative)
def test_numbers_are_written_in_latin_digits(path: Path):
    """One digit convention for the book: Latin digits in prose, as in math, code, tables
    and figures, so "128×128" never sits next to its Persian form."""
    assert not offending(path, PERSIAN_NUMERALS)


@pytest.mark.parametrize("path", PROSE, ids=relative)
def test_no_kasra_is_written_on_a_latin_word(path: Path):
    assert not offending(path, KASRA_ON_LATIN)


@pytest.mark.parametrize("path", PROSE, ids=relative)
def test_the_ezafe_is_written_only_after_a_final_he(path: Path):
    """Persian orthography leaves the ezafe unwritten, except after a final ه, where it is
    «ـهٔ» (not «هِ»); a kasra on every ezafe reads as a translation."""
    assert not offending(path, KASRA)


def test_the_checks_see_what_they_look_for():
    sample = PROJECT_ROOT / "index.qmd"
    assert PERSIAN_NUMERALS.search("از ۲۵۶ به 16") and PERSIAN_NUMERALS.search("20٪") and not PERSIAN_NUMERALS.search("از 256 به 16")
    assert KASRA_ON_LATIN.search("IoUِ آن") and not KASRA_ON_LATIN.search("IoU آن") and sample in PROSE
    assert PROJECT_ROOT / "src" / "hw3core" / "chapter.py" in PROSE and PROJECT_ROOT / "src" / "hw3core" / "p1" / "text.py" in PROSE
    assert KASRA.search("لایهِ آخر") and not KASRA.search("لایهٔ آخر")


# What a reader of the answers does not need: how the code is checked. It stays in code
# comments and the README (issue 17, item 3).
CHECKING_DETAILS = re.compile(r"\btests/|test_\w+\.py|pytest|\bassert\b|\bmeta\b device|دستگاه\s*`?meta|آزمون‌ها[^.؛]*بررسی")


@pytest.mark.parametrize("path", [PROJECT_ROOT / "index.qmd", *sorted((PROJECT_ROOT / "report").glob("*.qmd"))], ids=relative)
def test_the_prose_says_nothing_of_how_the_code_is_tested(path: Path):
    prose = "\n".join(block.text for block in parse(path.read_text(encoding="utf-8")) if block.kind == "markdown")
    assert not CHECKING_DETAILS.findall(prose), path
    assert CHECKING_DETAILS.search("پیاده‌سازی را آزمون‌ها بررسی می‌کنند") and CHECKING_DETAILS.search("see tests/t1/")
