"""What every figure of the book must have, checked on the matplotlib Figure itself.

`audit(fig)` lists what a reader would miss: axis labels (unless the axes is declared an
image or a diagram), a legend wherever an axes holds more than one labelled series, a
labelled colour bar wherever colour carries a value, text no smaller than `FLOOR_PT` at the
size the figure is printed, and no raw ASCII math (``H_l(x_{l-1})``) where mathtext belongs.
`hw3core.chapter.setup` runs it on every figure a chapter cell shows, so a defective
figure stops the render instead of reaching the reader. Captions are the chapters' own
(`fig-cap`); the renderer refuses a figure without one.

An axes opts out of axis labels only by saying what it is: `image_axes(ax)` for a picture
or a map drawn pixel by pixel, `diagram(ax)` for boxes and arrows. The declaration is kept
in the axes' `gid`, a public artist property that travels with the figure.
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.text import Text

# Printed size: the PDF's text block is A4 less 2.2 cm margins each side (`margin: x:` of
# the hw3-book-typst format in _quarto.yml), and Typst shrinks a wider figure to that
# width, as the HTML page does to its column.
PRINT_WIDTH_IN = (21.0 - 2 * 2.2) / 2.54
# The inline backend saves with bbox_inches="tight" and matplotlib's 0.1 in padding, so
# FULL_WIDTH_IN is the widest figure (figsize) that prints at its own size.
SAVE_PAD_IN = 0.1
FULL_WIDTH_IN = PRINT_WIDTH_IN - 2 * SAVE_PAD_IN
# The smallest text a figure may print: the body is 10.5 pt and its smallest text (running
# header, footnotes) 8.5 pt of a font with a small x-height; matplotlib's DejaVu Sans has a
# much larger x-height (0.55 em), so 7 pt of it reads as large as the body's 8.5 pt, and 7 pt
# is the usual print minimum for figure text.
FLOOR_PT = 7.0

IMAGE, DIAGRAM = "hw3-image", "hw3-diagram"
# ASCII subscripts or superscripts (x_l, x_{l-1}, 2^5) outside $...$: mathtext belongs there.
RAW_MATH = re.compile(r"[A-Za-z0-9)\]]_[A-Za-z0-9{(]|[A-Za-z0-9)\]]\^[A-Za-z0-9{(]")
MATHTEXT = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")


class FigureDefects(ValueError):
    """A figure the book would show lacks what its reader needs; the message lists what."""


def image_axes(ax: Axes) -> Axes:
    """Declare `ax` a picture (a photo, a feature map): its pixels need no axis labels."""
    ax.set_gid(IMAGE)
    return ax


def diagram(ax: Axes) -> Axes:
    """Declare `ax` a drawing of boxes and arrows, not a plot: it has no data axes to label."""
    ax.set_gid(DIAGRAM)
    return ax


def rgb(image: np.ndarray) -> np.ndarray:
    """A photo (uint8, or floats in 0..1) as RGB pixels: a grey photo's grey is the picture,
    not a value to read off a colour bar, so it is drawn as colours, not through a colour map."""
    picture = np.asarray(image)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=2)
    return np.clip(picture, 0, 1) if np.issubdtype(picture.dtype, np.floating) else picture


def show_image(ax: Axes, image: np.ndarray, title: str = "", fontsize: float = FLOOR_PT) -> Axes:
    """A photo on `ax`, titled, with the axes hidden and declared an image."""
    ax.imshow(rgb(image), interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize)
    return image_axes(ax)


def audit(fig: Figure) -> list[str]:
    """Every defect of `fig`, one readable line each; an empty list means it may be shown."""
    fig.draw_without_rendering()  # lay out ticks and labels as they will be drawn
    scale = print_scale(fig)
    mapped = {id(ax): _colour_mapped(ax) for ax in fig.axes}
    with_bar = {id(m.norm) for artists in mapped.values() for m in artists if m.colorbar is not None}
    defects: list[str] = []
    for index, ax in enumerate(fig.axes):
        name = _name(ax, index, len(fig.axes))
        if _colorbar(ax) is not None:
            defects += _colorbar_defects(ax, name)
        elif _plots_data(ax):
            defects += _label_defects(ax, name)
            defects += _legend_defects(fig, ax, name)
            defects += _colour_scale_defects(mapped[id(ax)], with_bar, name)
    defects += _text_defects(fig, scale)
    return defects


def check(fig: Figure) -> Figure:
    """`fig` if `audit` finds nothing; otherwise FigureDefects naming every defect."""
    defects = audit(fig)
    if defects:
        raise FigureDefects("the figure is not fit to print:\n  - " + "\n  - ".join(defects))
    return fig


def print_scale(fig: Figure) -> float:
    """How much the figure shrinks when printed: 1, or the text width over its saved width."""
    width = fig.get_tightbbox().width + 2 * SAVE_PAD_IN
    return min(1.0, PRINT_WIDTH_IN / width)


def _name(ax: Axes, index: int, count: int) -> str:
    title = next((t for t in (ax.get_title(loc) for loc in ("center", "left", "right")) if t), "")
    where = f"axes {index + 1} of {count}"
    return f"{where} ({title!r})" if title else where


def _colorbar(ax: Axes):
    # matplotlib marks the axes a Colorbar draws in with `_colorbar` (set in Colorbar.__init__).
    return getattr(ax, "_colorbar", None)


def _plots_data(ax: Axes) -> bool:
    return bool(ax.lines or ax.collections or ax.images or ax.patches or ax.containers)


def _label_defects(ax: Axes, name: str) -> list[str]:
    if ax.get_gid() in (IMAGE, DIAGRAM):
        return []
    if not ax.axison:
        return [f"{name}: its axes are hidden but it is not declared an image or a diagram (figures.image_axes / figures.diagram)"]
    missing = [
        axis
        for axis, shared in (("x", ax.get_shared_x_axes()), ("y", ax.get_shared_y_axes()))
        if not any(getattr(other, f"get_{axis}label")() for other in shared.get_siblings(ax))
    ]
    return [f"{name}: no {axis} label" for axis in missing]


def _series_labels(ax: Axes) -> list[str]:
    series = [*ax.lines, *ax.collections, *ax.containers]
    return [label for artist in series if not (label := str(artist.get_label())).startswith("_")]


def _legend_defects(fig: Figure, ax: Axes, name: str) -> list[str]:
    labels = _series_labels(ax)
    if len(labels) < 2:
        return []
    shown = {text.get_text() for legend in _legends(fig) for text in legend.get_texts()}
    missing = [label for label in labels if label not in shown]
    if missing:
        return [f"{name}: {len(labels)} labelled series but no legend shows {', '.join(map(repr, missing))}"]
    return []


def _legends(fig: Figure) -> list:
    return [*fig.legends, *(legend for ax in fig.axes if (legend := ax.get_legend()) is not None)]


def _colour_mapped(ax: Axes) -> list[ScalarMappable]:
    """Artists whose colour is looked up from a value: not RGB pixels, and not a colour map
    that gives every value the same colour (contour lines drawn in one colour, say)."""
    images = [image for image in ax.images if np.ndim(image.get_array()) == 2]
    mapped = images + [c for c in ax.collections if c.get_array() is not None]
    # the colours of the distinct values: the same set as of every pixel, at a fraction of the cost
    return [m for m in mapped if len(np.unique(m.to_rgba(np.unique(np.ravel(m.get_array()))), axis=0)) > 1]


def _colour_scale_defects(mapped: list[ScalarMappable], with_bar: set[int], name: str) -> list[str]:
    """`mapped`: an axes' colour-mapped artists; `with_bar`: the norms some colour bar shows."""
    if any(id(m.norm) not in with_bar for m in mapped):
        return [f"{name}: colour carries a value but no colour bar shows its scale (share one norm and add fig.colorbar)"]
    return []


def _colorbar_defects(ax: Axes, name: str) -> list[str]:
    bar = _colorbar(ax)
    label = ax.get_ylabel() if bar.orientation == "vertical" else ax.get_xlabel()
    return [] if label else [f"{name}: colour bar without a label (fig.colorbar(..., label=...))"]


def _texts(fig: Figure) -> list[Text]:
    """Every text the figure draws: titles, annotations, cell digits, ticks, labels, legends."""
    texts: list[Text] = list(fig.texts)
    for legend in _legends(fig):
        texts += [*legend.get_texts(), legend.get_title()]
    for ax in fig.axes:
        texts += [child for child in ax.get_children() if isinstance(child, Text)]
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                texts += [axis.label, axis.get_offset_text(), *axis.get_ticklabels(which="both")]
    return [text for text in texts if text.get_text().strip() and _drawn(text)]


def _drawn(artist: Artist) -> bool:
    return artist.get_visible() and (artist.axes is None or artist.axes.get_visible())


def _text_defects(fig: Figure, scale: float) -> list[str]:
    small: dict[float, list[str]] = {}
    math: list[str] = []
    for text in _texts(fig):
        content = text.get_text()
        printed = round(text.get_fontsize() * scale, 1)
        if printed < FLOOR_PT:
            small.setdefault(printed, []).append(content)
        if RAW_MATH.search(MATHTEXT.sub("", content)):
            math.append(content)
    shrunk = f" (the figure prints at {100 * scale:.0f}% of its width)" if scale < 1 else ""
    defects = [
        f"text printed at {size:g} pt, under the {FLOOR_PT:g} pt floor{shrunk}: {_examples(contents)}"
        for size, contents in sorted(small.items())
    ]
    return defects + [f"raw ASCII math in {content!r}: write it as mathtext ($...$)" for content in math]


def _examples(contents: list[str]) -> str:
    shown = ", ".join(repr(c) for c in contents[:3])
    return shown + (f" and {len(contents) - 3} more" if len(contents) > 3 else "")
