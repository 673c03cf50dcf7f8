"""The words the chapters' text modules share: how one measured value stands to another, and a list."""

from hw3core import prose


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
