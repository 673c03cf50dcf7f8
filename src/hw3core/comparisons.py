"""Two runs compared image by image: the outcomes each run saved, handed to `stats.compare_paired`.

Every chapter that says one model did better than another reads both runs' saved
predictions (`predictions`) through `compare` and lets the paired test decide; the
sentence that reports it comes from `prose.judged`. A run repeated over seeds
(`seeding.over_seeds`) gives one row of outcomes per seed; two runs are compared over
the seeds they share, in their configs' order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import predictions
from .cache import Artifacts
from .seeding import config_seeds, seed_folder
from .stats import Comparison, compare_paired, mean_and_spread


def seeds(artifacts: Artifacts) -> list[int]:
    """The seeds a run was trained with (`seeding.config_seeds` of its config)."""
    return config_seeds(artifacts.config)


def folder(artifacts: Artifacts, seed: int) -> Path:
    """Where the run kept the files of `seed`."""
    return seed_folder(artifacts.directory, artifacts.config, seed) if "seeds" in artifacts.config else artifacts.directory


def outcomes(artifacts: Artifacts, split: str, column: str = predictions.PLAIN, only: list[int] | None = None) -> np.ndarray:
    """Which images of `split` the run got right: one row per seed (of `only`, else all of its seeds)."""
    return np.stack([predictions.correct(folder(artifacts, seed), split, column) for seed in (only or seeds(artifacts))])


def labels(artifacts: Artifacts, split: str) -> np.ndarray:
    """The true labels of `split` in the order the run saved its predictions (its first seed's)."""
    return pd.read_csv(folder(artifacts, seeds(artifacts)[0]) / predictions.file_name(split))["label"].to_numpy()


def compare(before: Artifacts, after: Artifacts, split: str = "test", column: str = predictions.PLAIN) -> Comparison:
    """`after` against `before` on `split`, seed k against seed k over the seeds both have.

    Refuses two runs whose saved labels differ: they were not scored on the same images,
    and no paired test applies.
    """
    if not np.array_equal(labels(before, split), labels(after, split)):
        raise ValueError(f"{before.directory.name} and {after.directory.name} were scored on different {split} images; they cannot be compared image by image")
    shared = [seed for seed in seeds(before) if seed in seeds(after)]
    return compare_paired(outcomes(before, split, column, shared), outcomes(after, split, column, shared))


def accuracy_over_seeds(artifacts: Artifacts, split: str = "test", column: str = predictions.PLAIN) -> tuple[float, float | None]:
    """A run's accuracy (%) on `split`: the mean over its seeds and their sample standard deviation (None for one seed)."""
    per_seed = 100 * outcomes(artifacts, split, column).mean(axis=1)
    return mean_and_spread(per_seed.tolist())
