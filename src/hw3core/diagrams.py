"""Boxes and arrows for the architecture drawings of the theory chapters.

The drawings are plain matplotlib so they are produced by the book itself (no external
drawing tool, no network) and can print numbers computed from the real modules.
Labels are English: matplotlib does not shape right-to-left Persian text. Every canvas
is declared a diagram (`figures.diagram`): it has no data axes, so no axis labels.

Figures are built as matplotlib.figure.Figure, not through pyplot: a chapter cell that
returns one then shows it exactly once (pyplot's inline backend would show it again)
and no figure piles up in pyplot's registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from . import figures

PALETTE = {
    "image": "#cfe2f3",
    "text": "#fce5cd",
    "fusion": "#d9ead3",
    "head": "#ead1dc",
    "neutral": "#eeeeee",
}


@dataclass(frozen=True)
class Box:
    """A drawn box; its edge midpoints are where arrows attach."""

    x: float
    y: float
    width: float
    height: float

    @property
    def left(self) -> tuple[float, float]:
        return (self.x, self.y + self.height / 2)

    @property
    def right(self) -> tuple[float, float]:
        return (self.x + self.width, self.y + self.height / 2)

    @property
    def top(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height)

    @property
    def bottom(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y)


def canvas(width: float, height: float, inches: float = figures.FULL_WIDTH_IN) -> tuple[Figure, Axes]:
    """An empty drawing area with data coordinates 0..width by 0..height and no axes,
    `inches` wide and filling the figure: by default the printed text width, so that the
    drawing is never shrunk and its labels print at the size they are set."""
    fig = Figure(figsize=(inches, inches * height / width))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, figures.diagram(ax)


def box(
    ax: Axes,
    x: float,
    y: float,
    width: float,
    height: float,
    text: str,
    color: str = PALETTE["neutral"],
    fontsize: float = figures.FLOOR_PT,
) -> Box:
    """Draw a rounded box with centred text, lower-left corner at (x, y)."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=color,
            edgecolor="#444444",
            linewidth=0.8,
        )
    )
    ax.text(x + width / 2, y + height / 2, text, ha="center", va="center", fontsize=fontsize)
    return Box(x, y, width, height)


def arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    color: str = "#333333",
    curve: float = 0.0,
    label: str | None = None,
    style: str = "-|>",
    linestyle: str = "-",
) -> None:
    """Draw an arrow from start to end, bent by `curve` (0 = straight), with an optional label."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=9,
            color=color,
            linewidth=0.9,
            linestyle=linestyle,
            connectionstyle=f"arc3,rad={curve}",
            shrinkA=1,
            shrinkB=1,
        )
    )
    if label:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.text(*middle, label, fontsize=7.5, ha="center", va="bottom", color=color)
