"""Images in and out: photos of any mode as RGB tensors, and scikit-image's bundled samples.

`rgb_tensor` is the one place a decoded picture becomes uint8 RGB. Pillow's own
`convert("RGB")` clips 16-bit grey levels instead of scaling them (a 16-bit PNG comes
out almost white) and drops alpha, keeping whatever colour lies under transparent
pixels; here 16-bit and float levels are scaled to 0-255, transparency is composited
on white, and the EXIF orientation of a phone photo is applied.

Only the images bundled in the scikit-image wheel are used as samples (`skimage.data`
fetches the rest from the network, which a clean offline build cannot do).
"""

from __future__ import annotations

import numpy as np
import skimage.data
import torch
from PIL import Image, ImageOps
from skimage.color import rgb2gray
from skimage.transform import resize

# Grey modes whose levels are wider than 8 bits, and premultiplied-alpha modes Pillow
# cannot convert to RGBA directly.
_WIDE = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_PREMULTIPLIED = {"La": "LA", "RGBa": "RGBA"}


def _to_8bit(image: Image.Image) -> Image.Image:
    """A wide grey image as mode L, its full scale mapped to 255 (not clipped at 255).

    The I;16 modes are 16-bit. Mode I (32-bit) and F carry no scale of their own: I is
    taken as 16-bit when a level exceeds 255 (older Pillows open 16-bit PNGs as I) and as
    8-bit otherwise; F as 0-1 when its levels fit, else as 0-255.
    """
    levels = np.nan_to_num(np.asarray(image, dtype=np.float64))
    top = levels.max() if levels.size else 0.0
    full = {"I": 65535.0 if top > 255 else 255.0, "F": 1.0 if top <= 1.0 else 255.0}.get(image.mode, 65535.0)
    return Image.fromarray(np.clip(np.rint(levels * (255.0 / full)), 0, 255).astype(np.uint8), "L")


def rgb_tensor(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> torch.Tensor:
    """Any Pillow image as uint8 RGB [3, H, W]: upright, alpha composited on `background`."""
    image = ImageOps.exif_transpose(image)
    if image.mode in _WIDE:
        image = _to_8bit(image)
    if image.mode in _PREMULTIPLIED:
        image = image.convert(_PREMULTIPLIED[image.mode])
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode in ("P", "L", "RGB") and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (*background, 255)), rgba)
    rgb = np.asarray(image.convert("RGB"))
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1).contiguous()


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
