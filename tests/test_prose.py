"""The words the chapters' text modules share: how one measured value stands to another, a
list, and the one clause that reports a comparison of two models with the paired test's verdict."""

import numpy as np

from hw3core import prose, stats
from outcomes import outcomes, paired


def test_direction_names_each_way_a_value_moved():
    assert len({prose.direction(1, 2), prose.direction(2, 1), prose.direction(1, 1)}) == 3
    assert prose.direction(1, 2, "up", "down", "same") == "up" and prose.direction(2, 1, "up", "down", "same") == "down"


def test_direction_counts_a_move_within_the_tolerance_as_none():
    assert prose.direction(0.50, 0.509, "up", "down", "same", tolerance=0.01) == "same"
    assert prose.direction(0.50, 0.511, "up", "down", "same", tolerance=0.01) == "up"
    assert prose.direction(3.0, 3.0, "up", "down", "same", tolerance=0.0) == "same"


def test_listing_joins_the_last_item_with_va():
    assert prose.listing(["الف"]) == "الف"
    assert prose.listing(["الف", "ب"]) == "الف و ب"
    assert prose.listing(["الف", "ب", "ج"]) == "الف، ب و ج"


def test_judged_reports_the_move_the_p_value_and_the_verdict():
    better = paired(2, 20, 80, 20)
    tie = paired(5, 7, 80, 20)
    assert prose.judged(better) == f"{better.difference:.2f} واحد درصد بالا رفت ({prose.p_value(better.p_value)})"
    assert prose.judged(tie).endswith(f"({prose.p_value(tie.p_value)}؛ {prose.TIE})") and "بالا رفت" in prose.judged(tie)
    worse = paired(20, 2, 80, 20)
    assert "پایین‌تر است" in prose.judged(worse, "بالاتر است", "پایین‌تر است")
    assert prose.judged(paired(0, 0, 80, 20)).startswith("تغییری نکرد")


def test_judged_names_the_seeds_and_says_when_they_disagree():
    rows = [outcomes(80, 2, 20, 20), outcomes(80, 2, 20, 20), outcomes(80, 20, 2, 20)]
    pooled = stats.compare_paired(np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]))
    words = prose.judged(pooled)
    assert "میانگین 3 seed" in words and "seedها هم‌جهت نبودند" in words and prose.TIE in words


def test_p_values_are_written_as_math():
    assert prose.p_value(0.0312) == "$p=0.031$" and prose.p_value(0.0004) == "$p<0.001$"


def test_device_name():
    assert prose.device_name("cpu") == "یک CPU" and prose.device_name("cuda:1") == "یک GPU" and "`xpu`" in prose.device_name("xpu")


def test_the_paired_rule_names_the_splits_the_test_and_its_level():
    rule = prose.paired_rule(5000, 10000)
    assert "5,000 تصویر اعتبارسنجی" in rule and "10,000 تصویر آزمون" in rule and "McNemar" in rule
    assert f"کمتر از {stats.SIGNIFICANCE:g}" in rule and prose.TIE in rule
