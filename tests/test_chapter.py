"""chapter.table: integer columns stay integers even when the whole frame is numeric."""

import pandas as pd

from hw3core import chapter


def test_table_keeps_integers_in_an_all_numeric_frame():
    text = chapter.table(pd.DataFrame({"K": [3, 12345], "ratio": [0.125, 0.5]}), digits=2).data
    rows = [line.split("|")[1:-1] for line in text.splitlines()[2:]]
    assert [cell.strip() for cell in rows[1]] == ["12,345", "0.50"]
    assert rows[0][0].strip() == "3"
