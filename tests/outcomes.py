"""Per-image outcomes of two models with a given 2x2 table, for the tests of the paired
comparison and of every sentence that reports one (importable from any test: the tests
folder is on pytest's pythonpath)."""

from __future__ import annotations

import numpy as np

from hw3core import stats


def outcomes(both: int, a_only: int, b_only: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """True where model A / model B is right, shuffled so that the order of images cannot matter."""
    a = np.array([True] * both + [True] * a_only + [False] * b_only + [False] * neither)
    b = np.array([True] * both + [False] * a_only + [True] * b_only + [False] * neither)
    order = np.random.default_rng(0).permutation(len(a))
    return a[order], b[order]


def paired(a_only: int, b_only: int, both: int = 800, neither: int = 200) -> stats.Comparison:
    """B judged against A when only A is right on `a_only` images and only B on `b_only`."""
    return stats.compare_paired(*outcomes(both, a_only, b_only, neither))


# One comparison of each verdict: B better, a tie, A better.
B_BETTER, TIE, A_BETTER = paired(10, 60), paired(30, 34), paired(60, 10)
