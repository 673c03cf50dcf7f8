"""chapter.table: integer columns stay integers even when the whole frame is numeric; the
first page's line naming the student's repository."""

import pandas as pd
import yaml

from hw3core import chapter


def test_table_keeps_integers_in_an_all_numeric_frame():
    text = chapter.table(pd.DataFrame({"K": [3, 12345], "ratio": [0.125, 0.5]}), digits=2).data
    rows = [line.split("|")[1:-1] for line in text.splitlines()[2:]]
    assert [cell.strip() for cell in rows[1]] == ["12,345", "0.50"]
    assert rows[0][0].strip() == "3"


def test_the_first_page_names_the_repository_only_when_it_is_set(tmp_path):
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump({"hw3": {"repository": "https://github.com/sara/hw3"}}), encoding="utf-8")
    assert "<https://github.com/sara/hw3>" in chapter.repository_note(tmp_path).data
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump({"hw3": {"student-name": "Sara"}}), encoding="utf-8")
    assert chapter.repository_note(tmp_path) is None
