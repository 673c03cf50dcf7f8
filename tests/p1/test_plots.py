"""P1's figures pass the audit: curves, the sample grid, and confusion matrices on one scale."""

import numpy as np
import pandas as pd
import torch

from hw3core import data, figures
from hw3core.p1 import plots


def _history() -> pd.DataFrame:
    return pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.8, 1.6],
                         "train_acc": [0.3, 0.5, 0.6], "val_acc": [0.3, 0.45, 0.4]})


def test_curves_and_samples_are_fit_to_print():
    assert figures.audit(plots.plot_history(_history(), "(b) model")) == []
    assert figures.audit(plots.plot_histories({"(b)": _history(), "(c)": _history()})) == []
    images = torch.randint(0, 256, (10, 3, 32, 32), dtype=torch.uint8)
    assert figures.audit(plots.plot_image_grid(images, list(data.CIFAR10_CLASSES))) == []


def test_confusion_matrices_share_one_labelled_colour_scale_and_readable_digits():
    rng = np.random.default_rng(0)
    matrices = {f"({part})": rng.integers(0, 900, (10, 10)) for part in "bcde"}
    fig = plots.plot_confusion_matrices(matrices, data.CIFAR10_CLASSES)
    assert figures.audit(fig) == []
    norms = {id(image.norm) for ax in fig.axes for image in ax.images}
    assert len(norms) == 1 and fig.axes[-1].get_ylabel() == "test images"
