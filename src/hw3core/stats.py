"""How far an accuracy measured on a finite test set moves by chance.

Both practical chapters compare accuracies measured on a few thousand images; a
difference is only worth a sentence when it is larger than this noise.
"""

from __future__ import annotations

import math


def standard_error(accuracy: float, n: int) -> float:
    """One standard error (in percentage points) of an accuracy (a fraction) measured on `n` images."""
    return 100 * math.sqrt(accuracy * (1 - accuracy) / n)
