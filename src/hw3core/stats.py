"""Whether two models differ in accuracy by more than chance, and how far one accuracy
moves by chance.

Every comparison the practical chapters make is of two models scored on the *same*
images, so it is judged as a paired difference (`compare_paired`): McNemar's exact test
on the images that exactly one of the two got right, and the standard error of the
difference from the same per-image outcomes. Two accuracies on the same images err
together on the hard ones, so treating them as independent (as a band of two standard
errors of each would) is the wrong test and usually the cautious one.

A model trained with several seeds gives one row of outcomes per seed; seed k of one
model is paired with seed k of the other (same test images, same seed for the
initialisation and the order of batches).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy.stats import binomtest

# A difference is called real when McNemar's exact test rejects "both models are equally
# often the one that is right" at this level (two-sided); otherwise the two are equal
# within noise. One level for the whole book, stated once in each chapter.
SIGNIFICANCE = 0.05

Verdict = Literal["a", "b", "tie"]


def standard_error(accuracy: float, n: int) -> float:
    """One standard error (in percentage points) of an accuracy (a fraction) measured on `n` images."""
    return 100 * math.sqrt(accuracy * (1 - accuracy) / n)


@dataclass(frozen=True)
class Comparison:
    """Model B against model A on the same images, accuracies and differences in percentage points.

    `a_only` / `b_only` count the (image, seed) pairs that only A / only B classified
    right: McNemar's discordant pairs. `difference` is B's mean accuracy minus A's,
    `standard_error` its standard error from the per-image differences, `p_value`
    McNemar's exact two-sided p-value. `seed_differences` holds B - A seed by seed
    (one entry for a single run). `verdict` is "b" (B better), "a" (A better) or "tie"
    (equal within noise).
    """

    accuracy_a: float
    accuracy_b: float
    difference: float
    standard_error: float
    a_only: int
    b_only: int
    images: int
    p_value: float
    seed_differences: tuple[float, ...]
    verdict: Verdict

    @property
    def seeds(self) -> int:
        return len(self.seed_differences)

    @property
    def seeds_agree(self) -> bool:
        """Whether every seed's difference has the sign of the mean difference (a tie has no sign)."""
        return all(math.copysign(1, d) == math.copysign(1, self.difference) and d != 0 for d in self.seed_differences)


def _outcomes(correct: np.ndarray) -> np.ndarray:
    array = np.asarray(correct, dtype=bool)
    return array[np.newaxis] if array.ndim == 1 else array


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """McNemar's exact two-sided p-value from the two discordant counts: the binomial test
    of `b_only` successes in `a_only + b_only` trials at one half (1 when there are none)."""
    discordant = a_only + b_only
    return 1.0 if discordant == 0 else float(binomtest(b_only, discordant, 0.5).pvalue)


def compare_paired(correct_a: np.ndarray, correct_b: np.ndarray, level: float = SIGNIFICANCE) -> Comparison:
    """Model B against model A from per-image outcomes: True where the model was right.

    Each argument is one run's outcomes (shape: images) or one row per seed (seeds x
    images), image i of a row being the same image for both models. The discordant pairs
    of every seed are added up for the test. B (or A) is called better only when the test
    rejects equality at `level` and, with several seeds, every seed's difference points
    the same way; otherwise the verdict is a tie, "equal within noise".
    """
    a, b = _outcomes(correct_a), _outcomes(correct_b)
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes must have one shape, got {a.shape} and {b.shape}: both models scored on the same images and seeds")
    if a.size == 0:
        raise ValueError("no outcomes to compare")
    a_only, b_only = int((a & ~b).sum()), int((b & ~a).sum())
    per_image = b.astype(float) - a.astype(float)
    difference = 100 * float(per_image.mean())
    spread = 100 * float(per_image.std()) / math.sqrt(per_image.size)
    p_value = mcnemar_exact(a_only, b_only)
    seed_differences = tuple(100 * float(row.mean()) for row in per_image)
    comparison = Comparison(
        accuracy_a=100 * float(a.mean()),
        accuracy_b=100 * float(b.mean()),
        difference=difference,
        standard_error=spread,
        a_only=a_only,
        b_only=b_only,
        images=a.shape[1],
        p_value=p_value,
        seed_differences=seed_differences,
        verdict="tie",
    )
    if p_value < level and comparison.seeds_agree:
        return replace(comparison, verdict="b" if difference > 0 else "a")
    return comparison


# Two standard errors: a difference of two independent measurements (times, two epochs of
# one run) inside this band is what chance alone gives about one time in twenty.
NOISE_STANDARD_ERRORS = 2


def within_noise(difference: float, standard_error: float) -> bool:
    """Whether a difference of two independent measurements is within two standard errors of it.

    For what `compare_paired` cannot judge: the seconds two runs took, or how much one
    run's validation accuracy still rose over its last epochs.
    """
    return abs(difference) <= NOISE_STANDARD_ERRORS * standard_error


def mean_and_spread(values: list[float] | tuple[float, ...]) -> tuple[float, float | None]:
    """Mean of a measurement over seeds and its sample standard deviation (None for one seed)."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else None


def difference_standard_error(a: float, b: float, n: int) -> float:
    """One standard error (percentage points) of the difference of two independent accuracies
    (fractions), each measured on `n` images."""
    return math.hypot(standard_error(a, n), standard_error(b, n))


def noise_band(a: float, b: float, n: int) -> float:
    """Two standard errors of the difference of two independent accuracies on `n` images."""
    return NOISE_STANDARD_ERRORS * difference_standard_error(a, b, n)
