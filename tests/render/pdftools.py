"""Reading a rendered PDF as the tests need it: text of a page or a strip of it, pixels.

poppler's command-line tools (Debian: poppler-utils) do the reading, so the tests look at
what a reader's viewer shows, not at what the typesetter was asked to do.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
from matplotlib import image

A4 = (595.276, 841.89)  # points


def text(pdf: Path, page: int | None = None, top: float = 0, height: float | None = None) -> str:
    """pdftotext of the whole file, or of one page (1-based), optionally a horizontal strip in points."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    if height is not None:
        args += ["-x", "0", "-y", str(int(top)), "-W", str(int(A4[0]) + 1), "-H", str(int(height))]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def normalise(value: str) -> str:
    """Undo what PDF text extraction does to Persian: marks moved, lam-alef split, spacing."""
    value = re.sub(r"[\s\u200c\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\u0654]+", "", value)
    return value.replace("لا", "ال")


def render(pdf: Path, out: Path, dpi: int, first: int | None = None, last: int | None = None) -> list[Path]:
    """Pages `first`..`last` (one page if only `first`, all if neither) as PNG files, in order."""
    out.mkdir(parents=True, exist_ok=True)
    args = ["pdftoppm", "-png", "-r", str(dpi)]
    if first is not None:
        last = last if last is not None else first
        args += ["-f", str(first), "-l", str(last)]
    subprocess.run([*args, str(pdf), str(out / "page")], check=True)
    pages = sorted(out.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [p for p in pages if first is None or first <= int(p.stem.rsplit("-", 1)[1]) <= last]


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
# Words of text and numbers; math glyphs (accents, braces, stacked symbols) overlap by design.
PLAIN = re.compile(r"^[A-Za-z0-9\u0600-\u06ff\u200c,.:;!?()%+\-/'\"«»_\[\]=*#]{2,}$")


def overlapping_words(pdf: Path, share: float = 0.3) -> list[tuple[int, str, str]]:
    """(page, word, word) for words drawn over each other, e.g. numbers squeezed in a table."""
    listing = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for number, page in enumerate(listing.split("<page ")[1:], start=1):
        words = [w for w in WORD.findall(page) if PLAIN.match(w[4])]
        if len(words) < 2:
            continue
        box = np.array([[float(v) for v in w[:4]] for w in words])
        width = np.minimum(box[:, None, 2], box[None, :, 2]) - np.maximum(box[:, None, 0], box[None, :, 0])
        height = np.minimum(box[:, None, 3], box[None, :, 3]) - np.maximum(box[:, None, 1], box[None, :, 1])
        area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
        common = np.clip(width, 0, None) * np.clip(height, 0, None) / np.minimum(area[:, None], area[None, :]).clip(1e-9)
        first, second = np.nonzero(np.triu(common > share, k=1))
        found += [(number, words[i][4], words[j][4]) for i, j in zip(first, second)]
    return found


def ink_in_side_margins(png: Path, margin_cm: float, dpi: int) -> bool:
    """Whether anything is drawn within `margin_cm` of the left or right edge of the paper."""
    pixels = image.imread(png)[..., :3].mean(axis=2)
    strip = int(margin_cm / 2.54 * dpi)
    return bool((pixels[:, :strip] < 0.9).any() or (pixels[:, -strip:] < 0.9).any())
