"""Softmax against independent sigmoids for overlapping labels, T4 (b) (hw3core.t4.multilabel)."""

import pytest

from hw3core.t4 import multilabel


def test_sigmoids_let_one_object_be_person_and_woman():
    table = multilabel.multilabel_demo().set_index("class")
    assert table["softmax + CE"].sum() == pytest.approx(1.0, abs=1e-5)
    assert (table.loc[["Person", "Woman"], "softmax + CE"] <= 0.5 + 1e-6).all()
    assert (table.loc[["Person", "Woman"], "sigmoid + BCE"] > 0.9).all()
    assert (table.loc[["Car", "Dog"], "sigmoid + BCE"] < 0.1).all()
