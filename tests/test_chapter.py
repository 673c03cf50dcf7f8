"""hw3core.chapter: integer columns stay integers even when the whole frame is numeric; the
smoke banner only where the profile changes the numbers; the first page's line naming the
student's repository."""

from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml

from hw3core import chapter
from hw3core.settings import PROJECT_ROOT


def test_table_keeps_integers_in_an_all_numeric_frame():
    text = chapter.table(pd.DataFrame({"K": [3, 12345], "ratio": [0.125, 0.5]}), digits=2).data
    rows = [line.split("|")[1:-1] for line in text.splitlines()[2:]]
    assert [cell.strip() for cell in rows[1]] == ["12,345", "0.50"]
    assert rows[0][0].strip() == "3"


def test_the_smoke_banner_is_for_chapters_whose_numbers_the_profile_changes():
    with matplotlib.rc_context():  # setup sets the book's figure defaults
        assert "پروفایل smoke" in chapter.setup().data
        assert chapter.setup(depends_on_profile=False) is None


THEORY = sorted((PROJECT_ROOT / "report").glob("t[0-9]-*.qmd"))


@pytest.mark.parametrize("path", THEORY, ids=lambda p: p.name)
def test_theory_chapters_read_no_profile_and_show_no_banner(path: Path):
    """A theory chapter's numbers come from closed forms, modules without weights and the
    papers' tables: its package never reads the profile, so it declines the smoke banner."""
    assert "chapter.setup(depends_on_profile=False)" in path.read_text(encoding="utf-8")
    package = PROJECT_ROOT / "src" / "hw3core" / path.name.split("-")[0]
    assert [f.name for f in package.glob("*.py") if "profile" in f.read_text(encoding="utf-8")] == []


def test_the_first_page_names_the_repository_only_when_it_is_set(tmp_path):
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump({"hw3": {"repository": "https://github.com/sara/hw3"}}), encoding="utf-8")
    assert "<https://github.com/sara/hw3>" in chapter.repository_note(tmp_path).data
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump({"hw3": {"student-name": "Sara"}}), encoding="utf-8")
    assert chapter.repository_note(tmp_path) is None
