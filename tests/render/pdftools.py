"""Reading a rendered PDF as the tests need it: text of a page or a strip of it, word boxes,
fonts, the outline, page sizes, pixels.

PyMuPDF (a pip wheel, nothing to install beside Python) does the reading and the
rasterising, so the tests look at what a reader's viewer shows, not at what the
typesetter was asked to do. Coordinates are PDF points from the top-left of the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pymupdf
from matplotlib import image

A4 = (595.276, 841.89)  # points


def text(pdf: Path, page: int | None = None, top: float = 0, height: float | None = None) -> str:
    """The text of the whole file, or of one page (1-based), optionally a horizontal strip in points."""
    with pymupdf.open(pdf) as document:
        pages = [document[page - 1]] if page is not None else list(document)
        strips = []
        for each in pages:
            clip = None if height is None else pymupdf.Rect(0, top, each.rect.width, top + height)
            strips.append(each.get_text("text", clip=clip))
        return "\f".join(strips)


def normalise(value: str) -> str:
    """Undo what PDF text extraction does to Persian: marks moved, lam-alef split, spacing,
    and a letter read twice where one glyph stands for a cluster ("ویژگگی"). Apply it to
    both sides of a comparison: a real double letter ("ممکن") is folded the same way."""
    value = re.sub(r"[\s\u200c\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\u0654]+", "", value)
    return re.sub(r"([\u0621-\u06d3])\1+", r"\1", value.replace("لا", "ال"))


def page_sizes(pdf: Path) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """(media box, crop box) of every page, each as (width, height) in points."""
    with pymupdf.open(pdf) as document:
        return [((p.mediabox.width, p.mediabox.height), (p.cropbox.width, p.cropbox.height)) for p in document]


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """The bookmarks: (level, title, 1-based page) in order, level 1 for chapters and parts."""
    with pymupdf.open(pdf) as document:
        return [(level, title, page) for level, title, page, *_ in document.get_toc(simple=True)]


def fonts(pdf: Path) -> dict[str, bool]:
    """Every font the pages use, by its base name, and whether the file embeds it."""
    with pymupdf.open(pdf) as document:
        found: dict[str, bool] = {}
        for number in range(len(document)):
            for _xref, extension, _kind, name, *_ in document.get_page_fonts(number):
                found[name] = found.get(name, False) or extension != "n/a"  # n/a: no font file in the PDF
        return found


def render(pdf: Path, out: Path, dpi: int, first: int | None = None, last: int | None = None) -> list[Path]:
    """Pages `first`..`last` (one page if only `first`, all if neither) as PNG files, in order."""
    out.mkdir(parents=True, exist_ok=True)
    with pymupdf.open(pdf) as document:
        if first is None:
            first, last = 1, len(document)
        elif last is None:
            last = first
        pages = []
        for number in range(first, last + 1):
            path = out / f"page-{number}.png"
            document[number - 1].get_pixmap(dpi=dpi).save(path)
            pages.append(path)
        return pages


# Letters and digits only: math glyphs (accents, braces, stacked symbols) overlap by design,
# and Persian marks (kasra, hamza) are drawn over their letter with no width of their own.
PLAIN = re.compile(r"[A-Za-z0-9\u0621-\u064a\u066e-\u06d3\u06f0-\u06f9]")


def _glyphs(page: pymupdf.Page) -> list[tuple[float, float, float, float, str]]:
    """(x0, y0, x1, y1, character) of every letter and digit drawn on the page, by x0."""
    glyphs = []
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                glyphs += [(*c["bbox"], c["c"]) for c in span["chars"] if PLAIN.match(c["c"]) and c["bbox"][2] - c["bbox"][0] > 0.5]
    return sorted(glyphs)


def overlapping_words(pdf: Path, share: float = 0.5) -> list[tuple[int, str, str]]:
    """(page, glyph, glyph) for letters or digits drawn over each other, e.g. numbers squeezed in a table.

    Glyphs, not words: in right-to-left lines the extracted words follow the logical order,
    so a word's box can span a whole line, while each glyph's box is where it is drawn.
    Two glyphs collide when their boxes share more than `share` of the smaller one.
    """
    found = []
    with pymupdf.open(pdf) as document:
        for number, page in enumerate(document, start=1):
            glyphs = _glyphs(page)
            for i, (x0, y0, x1, y1, char) in enumerate(glyphs):
                for u0, v0, u1, v1, other in glyphs[i + 1 :]:
                    if u0 >= x1:
                        break  # sorted by x0: no later glyph reaches back over this one
                    common = (min(x1, u1) - u0) * max(0.0, min(y1, v1) - max(y0, v0))
                    if common > share * min((x1 - x0) * (y1 - y0), (u1 - u0) * (v1 - v0)):
                        found.append((number, char, other))
    return found


def ink_in_side_margins(png: Path, margin_cm: float, dpi: int) -> bool:
    """Whether anything is drawn within `margin_cm` of the left or right edge of the paper."""
    pixels = image.imread(png)[..., :3].mean(axis=2)
    strip = int(margin_cm / 2.54 * dpi)
    return bool((pixels[:, :strip] < 0.9).any() or (pixels[:, -strip:] < 0.9).any())
