"""How far an accuracy measured on a finite test set moves by chance.

Both practical chapters compare accuracies measured on a few thousand images; a
difference is only worth a sentence when it is larger than this noise.
"""

from __future__ import annotations

import math


def standard_error(accuracy: float, n: int) -> float:
    """One standard error (in percentage points) of an accuracy (a fraction) measured on `n` images."""
    return 100 * math.sqrt(accuracy * (1 - accuracy) / n)


def difference_standard_error(a: float, b: float, n: int) -> float:
    """One standard error (percentage points) of the difference of two accuracies (fractions),
    each measured on `n` images.

    It treats the two as independent. Two models scored on the same images make correlated
    errors, so the true error of their difference is smaller: the band this gives is the
    cautious one, and a difference it calls noise may still be real.
    """
    return math.hypot(standard_error(a, n), standard_error(b, n))


def noise_band(a: float, b: float, n: int) -> float:
    """How far apart (percentage points) two accuracies (fractions) measured on `n` images
    may lie by chance alone: two standard errors of their difference."""
    return NOISE_STANDARD_ERRORS * difference_standard_error(a, b, n)


# Two standard errors: a difference inside this band is what chance alone gives about
# one time in twenty, so the prose does not call it an effect.
NOISE_STANDARD_ERRORS = 2


def within_noise(difference: float, standard_error: float) -> bool:
    """Whether a difference of accuracies (percentage points) is within two standard errors."""
    return abs(difference) <= NOISE_STANDARD_ERRORS * standard_error
