"""P3's figures pass the audit, and the size comparison is drawn only when it compares."""

import pandas as pd
import torch

from hw3core import figures
from hw3core.p3 import plots


def _history(offset: float) -> pd.DataFrame:
    return pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.8, 1.6],
                         "train_acc": [0.3 + offset, 0.5, 0.6], "val_acc": [0.3, 0.4, 0.45]})


def _rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({"model": ["MobileNetV2 (frozen)", "MobileNetV2 (scratch)", "VGG16 (frozen)"][:n],
                         "parameters": [2_230_000, 2_230_000, 134_000_000][:n], "accuracy": [80.0, 60.0, 75.0][:n],
                         "trainable": [5_124, 2_228_996, 16_388][:n]})


def test_curves_prediction_and_size_figures_are_fit_to_print():
    assert figures.audit(plots.training_curves({"a": _history(0.0), "b": _history(0.1)})) == []
    table = pd.DataFrame({"class": ["tabby", "tiger cat"], "probability": [0.6, 0.3]})
    assert figures.audit(plots.prediction_figure(torch.zeros(3, 8, 8), table, "a photo")) == []
    assert figures.audit(plots.accuracy_vs_parameters(_rows(3))) == []


def test_one_model_is_no_comparison_and_draws_no_figure():
    assert plots.accuracy_vs_parameters(_rows(1)) is None
    assert plots.accuracy_vs_parameters(_rows(2)) is not None
