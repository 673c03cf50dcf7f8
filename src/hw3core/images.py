"""Real sample images that ship inside scikit-image, so figures need no download.

Only the images bundled in the wheel are allowed here (`skimage.data` fetches the rest
from the network, which a clean offline build cannot do).
"""

from __future__ import annotations

import numpy as np
import skimage.data
from skimage.color import rgb2gray
from skimage.transform import resize

BUNDLED = ("astronaut", "camera", "cell", "coins", "moon", "page", "text", "chelsea", "coffee")


def sample_image(name: str, size: int | None = None) -> np.ndarray:
    """A bundled scikit-image picture as grey levels in [0, 1], centre-cropped square and resized.

    `size=None` keeps the largest centred square at its native resolution.
    """
    if name not in BUNDLED:
        raise ValueError(f"{name!r} is not a bundled scikit-image sample; choose one of {', '.join(BUNDLED)}")
    image = getattr(skimage.data, name)()
    grey = rgb2gray(image) if image.ndim == 3 else image / 255.0
    side = min(grey.shape)
    top, left = (grey.shape[0] - side) // 2, (grey.shape[1] - side) // 2
    square = grey[top:top + side, left:left + side]
    return square if size is None else resize(square, (size, size), anti_aliasing=True)
