"""How the book writes a tensor's shape: height × width × channels, as the assignment does.

PyTorch keeps the channels first, (C, H, W) for an image and (C, L) for a sequence; the
assignment, and T1's convention after it, write them last ("32×32×64"). Every table and
figure that shows a shape writes it through `hwc`, so no chapter reads 64×32×32 where
another reads 32×32×64.
"""

from __future__ import annotations

from collections.abc import Sequence


def hwc(shape: Sequence[int]) -> str:
    """A channels-first shape of one example, channels last: (C, H, W) -> "H×W×C",
    (C, L) -> "L×C", (F,) -> "F"."""
    dims = tuple(shape)
    return "×".join(str(d) for d in (*dims[1:], *dims[:1]))
