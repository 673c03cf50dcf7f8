"""What P2 records while a regime trains: the feature maps of the three stages for a few
fixed training images at the first, middle and last epoch, and the nearest-centroid
accuracy of the embeddings on validation after every epoch. Both go into the run's
folder, where the chapter's figures and convergence table read them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import atomic
from ..data import TensorImages, stratified_subset
from ..training import to_device
from .features import capture_feature_maps, embeddings, nearest_centroid_accuracy
from .models import Classifier


def fixed_indices(labels: torch.Tensor, n: int, seed: int) -> np.ndarray:
    """`n` seeded training indices, alternating the classes, whose maps are recorded every epoch."""
    picks = stratified_subset(labels, n // len(labels.unique()), seed)
    return picks[np.argsort(labels[picks].numpy(), kind="stable").reshape(len(labels.unique()), -1).T.ravel()]


class EpochRecorder:
    """fit's `on_epoch_end`: feature maps at the chosen epochs, nearest-centroid accuracy every epoch.

    Rows already on disk are kept, so a resumed run continues the same table.
    """

    def __init__(self, workdir: Path, fixed: torch.Tensor, reference: TensorImages, val: TensorImages, map_epochs: list[int], device: torch.device) -> None:
        self.workdir, self.fixed, self.reference, self.val = workdir, fixed, reference, val
        self.map_epochs, self.device = map_epochs, device
        self.path = workdir / "embedding-history.csv"
        self.rows = pd.read_csv(self.path).to_dict("records") if self.path.exists() else []

    def __call__(self, epoch: int, model: nn.Module) -> None:
        extractor = model.extractor if isinstance(model, Classifier) else model
        if epoch + 1 in self.map_epochs:
            maps = capture_feature_maps(extractor, to_device(self.fixed, self.device))
            atomic.torch_save({name: m.half() for name, m in maps.items()}, feature_map_path(self.workdir, epoch + 1))
        accuracy = nearest_centroid_accuracy(
            embeddings(extractor, self.reference, self.device),
            self.reference.labels,
            embeddings(extractor, self.val, self.device),
            self.val.labels,
        )
        self.rows = [row for row in self.rows if row["epoch"] < epoch + 1] + [{"epoch": epoch + 1, "centroid_val_acc": accuracy}]
        atomic.write_csv(self.path, pd.DataFrame(self.rows))


def feature_map_path(directory: Path, epoch: int) -> Path:
    return directory / "feature-maps" / f"epoch-{epoch:03d}.pt"


def map_epochs(epochs: int) -> list[int]:
    """First, middle and last epoch (1-based), without repeats."""
    return sorted({1, (epochs + 1) // 2, epochs})
