"""Seeds: one for a whole run, and one per epoch derived from it.

Resuming a killed run must reproduce the uninterrupted one, so nothing random is drawn
from a generator carried across epochs; each epoch reseeds from `epoch_seed`.
"""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch of a run seeded `seed`.

    Everything random within an epoch (shuffling, augmentation, triplet partners,
    dropout) is drawn from this, never from a generator carried across epochs, so a run
    resumed at epoch N draws exactly what the uninterrupted run drew.
    """
    return seed * 1000 + epoch
