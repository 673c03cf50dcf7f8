"""The `hw3:` keys of _quarto.yml, read and checked in one place (hw3core.settings.book_keys).

A bad key stops `hw3` with exit status 2 and one line naming the file, the key and what
it may be; good keys parse to typed fields, as they were written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hw3core.project_config import read_project_config
from hw3core.settings import PROJECT_ROOT, BookKeys, book_keys
from hw3render.cli import main  # the installed `hw3`: every command


def one_error_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    return err[0]


# --- the hw3: keys of _quarto.yml ------------------------------------------------------------------

CONFIG = """project:
  type: book
book:
  title: A book
  chapters:
    - index.qmd
    - part: Practical
      chapters:
        - report/p1-x.qmd
"""


def book(root: Path, hw3: str, smoke: str | None = None) -> Path:
    """A two-chapter book whose _quarto.yml ends with `hw3` (and a smoke profile's file, if given)."""
    (root / "report").mkdir(parents=True)
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n", encoding="utf-8")
    (root / "report" / "p1-x.qmd").write_text("# P1\n", encoding="utf-8")
    (root / "_quarto.yml").write_text(CONFIG + hw3, encoding="utf-8")
    if smoke is not None:
        (root / "_quarto-smoke.yml").write_text(smoke, encoding="utf-8")
    return root


def test_an_unquoted_student_number_keeps_its_digits(tmp_path, capsys):
    root = book(tmp_path, "hw3:\n  student-name: Sara\n  student-number: 0401234567\n  practical-notebooks:\n    - report/p1-x.qmd\n", "hw3:\n  profile-note: a smoke note\n")
    assert yaml.safe_load((root / "_quarto.yml").read_text())["hw3"]["student-number"] == 0o401234567, "what YAML alone makes of it"
    assert book_keys(read_project_config(root, "smoke")) == BookKeys("Sara", "0401234567", (Path("report/p1-x.qmd"),), "a smoke note")
    out = root / "_book"
    for built in (out / "book.pdf", out / "notebooks" / "p1-x.ipynb", out / "index.html"):
        built.parent.mkdir(parents=True, exist_ok=True)
        built.write_text("built")
    assert main(["--root", str(root), "submission", "--profile", "smoke"]) == 0
    assert capsys.readouterr().out.strip() == str(root / "HW3-Sara-0401234567.zip")


def test_no_hw3_section_means_no_student_details(tmp_path):
    assert book_keys(read_project_config(book(tmp_path, ""), "smoke")) == BookKeys()


BAD_KEYS = [
    ("hw3:\n  studnet-name: Sara\n", None, "_quarto.yml: hw3: studnet-name is not a key of this project; the known keys are practical-notebooks, profile-note, student-name, student-number"),
    ("hw3:\n  student-name: Sara\n", "hw3:\n  profile-notes: x\n", "_quarto-smoke.yml: hw3: profile-notes is not a key of this project"),
    ("hw3:\n  student-name: [Sara, Ali]\n", None, "_quarto.yml: hw3: student-name must be one line of text, not a list"),
    ("hw3:\n  practical-notebooks: report/p1-x.qmd\n", None, "_quarto.yml: hw3: practical-notebooks must be a list of chapter paths"),
    ("hw3:\n  practical-notebooks:\n    - report/p9.qmd\n", None, "_quarto.yml: hw3: practical-notebooks lists report/p9.qmd, which does not exist under"),
    ("hw3:\n  practical-notebooks:\n    - _quarto.yml\n", None, "_quarto.yml: hw3: practical-notebooks lists _quarto.yml, which is not a chapter of the book"),
    ("hw3: [a, b]\n", None, "_quarto.yml: hw3: must be a map of keys"),
    ("hw3:\n  student-name: 'Sara\n", None, "_quarto.yml is not valid YAML at line 12: "),
]


@pytest.mark.parametrize("hw3, smoke, message", BAD_KEYS, ids=[m.split(": ", 2)[-1][:40] for _, _, m in BAD_KEYS])
def test_a_bad_hw3_key_is_one_line_naming_the_file_and_the_key(tmp_path, capsys, hw3, smoke, message):
    root = book(tmp_path, hw3, smoke)
    assert main(["--root", str(root), "submission", "--profile", "smoke"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("hw3: error: ") and message in line, line


def test_a_missing_project_file_is_one_line(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "submission", "--profile", "smoke"]) == 2
    assert one_error_line(capsys) == f"hw3: error: {tmp_path / '_quarto.yml'} not found; run hw3 in the book's folder, or pass --root with the folder that holds _quarto.yml"


def test_the_books_own_keys_are_read_as_written():
    keys = book_keys(read_project_config(PROJECT_ROOT, "smoke"))
    assert keys.student_name == "Name" and keys.student_number == "StudentNumber" and keys.profile_note.startswith("پروفایل smoke")
    assert [p.stem for p in keys.practical_notebooks] == ["p1-cifar10", "p2-losses", "p3-transfer"]
