"""Two runs compared image by image from the predictions they saved: seed k against seed k,
on the same images only."""

from pathlib import Path

import numpy as np
import pytest

from hw3core import comparisons, predictions, stats
from hw3core.cache import Artifacts


def run(folder: Path, config: dict, outcomes_per_seed: dict[int, np.ndarray], labels: np.ndarray) -> Artifacts:
    """A finished run in `folder` that saved test predictions right where `outcomes_per_seed` says."""
    for seed, right in outcomes_per_seed.items():
        where = folder if seed == next(iter(outcomes_per_seed)) else folder / "seeds" / str(seed)
        where.mkdir(parents=True, exist_ok=True)
        predictions.save(where, "test", labels, np.where(right, labels, (labels + 1) % 10))
    return Artifacts(folder, config, {})


def test_compare_pairs_the_seeds_both_runs_have(tmp_path: Path):
    labels = np.arange(40) % 10
    rng = np.random.default_rng(0)
    a = {seed: rng.random(40) < 0.6 for seed in (0, 1, 2)}
    b = {seed: rng.random(40) < 0.8 for seed in (0, 1)}
    before = run(tmp_path / "a", {"seeds": [0, 1, 2]}, a, labels)
    after = run(tmp_path / "b", {"seeds": [0, 1]}, b, labels)
    got = comparisons.compare(before, after)
    expected = stats.compare_paired(np.stack([a[0], a[1]]), np.stack([b[0], b[1]]))
    assert got == expected and got.seeds == 2
    mean, spread = comparisons.accuracy_over_seeds(before)
    assert mean == pytest.approx(100 * np.mean([a[s].mean() for s in a])) and spread == pytest.approx(np.std([100 * a[s].mean() for s in a], ddof=1))


def test_a_single_seed_run_is_one_row(tmp_path: Path):
    labels = np.arange(20) % 10
    right = np.arange(20) < 15
    single = run(tmp_path / "one", {"seed": 4}, {4: right}, labels)
    assert comparisons.seeds(single) == [4] and comparisons.outcomes(single, "test").shape == (1, 20)
    assert comparisons.accuracy_over_seeds(single) == (75.0, None)


def test_runs_scored_on_different_images_are_refused(tmp_path: Path):
    right = np.ones(20, dtype=bool)
    one = run(tmp_path / "one", {"seed": 0}, {0: right}, np.arange(20) % 10)
    other = run(tmp_path / "other", {"seed": 0}, {0: right}, np.arange(20) % 5)
    with pytest.raises(ValueError, match="different test images"):
        comparisons.compare(one, other)
