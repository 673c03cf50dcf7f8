"""Per-image predictions a run keeps, so that two runs can be compared image by image.

Each study writes, for every split whose accuracy the book compares, one small CSV
`predictions-<split>.csv` into its run folder: the true label and the predicted class
of every image, in the split's order (`predicted`), and any further scoring of the same
images as more columns (P1's flip test-time augmentation, `predicted_flip`). The
chapters read back which images each model got right (`correct`) and hand two such
rows to `stats.compare_paired`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import atomic

PLAIN = "predicted"


def file_name(split: str) -> str:
    return f"predictions-{split}.csv"


def save(folder: Path, split: str, labels: np.ndarray, predicted: np.ndarray, **more: np.ndarray) -> None:
    """Write the labels and predicted classes of `split` (and any more scorings, by column name)."""
    frame = pd.DataFrame({"label": np.asarray(labels, dtype=int), PLAIN: np.asarray(predicted, dtype=int)})
    for column, values in more.items():
        frame[column] = np.asarray(values, dtype=int)
    atomic.write_csv(folder / file_name(split), frame)


def correct(folder: Path, split: str, column: str = PLAIN) -> np.ndarray:
    """Which images of `split` the run in `folder` classified right (booleans, in the split's order)."""
    frame = pd.read_csv(folder / file_name(split))
    return (frame[column] == frame["label"]).to_numpy()


def accuracy(folder: Path, split: str, column: str = PLAIN) -> float:
    """The accuracy (a fraction) the saved predictions give."""
    return float(correct(folder, split, column).mean())
