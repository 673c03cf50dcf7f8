"""T2's sentence on DenseNet against ResNet at equal accuracy follows the family table (t2.text)."""

import pandas as pd
import pytest

from hw3core.t2 import families, text

COLUMNS = ["model", "family", "parameters (M)", "multiply-adds (G)", families.TOP1]


def toy(*dense: tuple[str, float, float, float]) -> pd.DataFrame:
    """Two ResNets, 10 M / 2 G at 70 % and 30 M / 6 G at 80 %, beside the given DenseNets."""
    resnets = [("resnet10", "ResNet", 10.0, 2.0, 70.0), ("resnet30", "ResNet", 30.0, 6.0, 80.0)]
    return pd.DataFrame([*resnets, *((name, "DenseNet", p, m, a) for name, p, m, a in dense)], columns=COLUMNS)


def test_the_resnet_line_is_linear_between_its_neighbours_and_silent_outside():
    table = toy()
    assert families.cost_at_accuracy(table, "ResNet", 75.0, "parameters (M)") == pytest.approx(20.0)
    assert families.cost_at_accuracy(table, "ResNet", 72.5, "multiply-adds (G)") == pytest.approx(3.0)
    assert families.cost_at_accuracy(table, "ResNet", 69.0, "parameters (M)") is None


def test_every_densenet_cheaper_is_said_as_a_whole():
    sentence = text.equal_accuracy(toy(("densenet1", 5.0, 1.0, 75.0), ("densenet2", 8.0, 1.5, 78.0)))
    assert "هر 2 DenseNet پارامتر کمتری از ResNetها می‌خواهند" in sentence
    assert "هر 2 DenseNet ضرب‌وجمع کمتری هم از ResNetها می‌خواهند" in sentence


def test_a_dearer_densenet_is_named_with_the_numbers_that_show_it():
    # at 75 % the ResNet line needs 4 G; densenet2 needs 5 G, and resnet30 reaches 80 % with 6 G
    sentence = text.equal_accuracy(toy(("densenet1", 5.0, 1.0, 72.0), ("densenet2", 8.0, 5.0, 75.0)))
    compute = sentence.split("؛")[1].strip()
    assert compute.startswith("DenseNet-1 ضرب‌وجمع کمتری هم از ResNetها می‌خواهند، ولی DenseNet-2 با 5.00 میلیارد ضرب‌وجمع")
    assert "ResNet-30 با 6.00 میلیارد به 80.00 درصد" in compute and "تنها 4.00 میلیارد" in compute


def test_no_densenet_cheaper_and_one_outside_the_resnet_range():
    sentence = text.equal_accuracy(toy(("densenet1", 50.0, 9.0, 75.0), ("densenet2", 1.0, 0.1, 60.0)))
    assert "هیچ DenseNetی پارامتر کمتری از ResNetها نمی‌خواهد: DenseNet-1" in sentence
    assert "DenseNet-2" not in sentence  # 60 % is below every ResNet: the line says nothing there


def test_the_books_table_shows_densenet_161_losing_its_compute_advantage():
    sentence = text.equal_accuracy(families.family_table())
    params, compute = sentence.split("؛")
    assert "هر 4 DenseNet پارامتر کمتری" in params
    assert "ولی DenseNet-161 با 7.73 میلیارد ضرب‌وجمع به دقت 77.14 درصد" in compute and "ResNet-101 با 7.80" in compute


def test_model_names_as_the_papers_write_them():
    assert text.model_name("densenet121") == "DenseNet-121" and text.model_name("resnet50") == "ResNet-50"
