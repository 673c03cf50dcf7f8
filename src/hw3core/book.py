"""Helpers the chapters call: set-up, the smoke banner, and tables as Markdown.

Tables are returned as Markdown display objects so that Quarto and `hw3 render` both
turn them into real Pandoc tables (numbered, captioned, left-to-right) in HTML and PDF.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
from IPython.display import Markdown

from .profiles import active_profile
from .settings import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "fonts"

SMOKE_BANNER = """::: {.callout-warning}
## پروفایل smoke
این فصل با پروفایل `smoke` و داده‌های مصنوعیِ بسیار کوچک اجرا شده است تا فقط درستیِ کد آزموده شود؛
**اعداد، نمودارها و نتیجه‌گیری‌های آن هیچ معنایی ندارند.** برای نتایج واقعی کتاب را با پروفایل `quick` یا `full` بسازید.
:::
"""


def _close_figures() -> None:
    from matplotlib import pyplot

    pyplot.close("all")


def _show_each_figure_once() -> None:
    """A cell whose value is a Figure shows it once, not twice.

    The inline backend displays every pyplot figure a cell opened when the cell ends, and
    the cell's value displays the returned Figure again: two copies, the second without
    caption. Dropping that end-of-cell display (closing the figures instead) leaves the
    returned Figure and explicit `plt.show()` calls, which is what chapters use.
    """
    from IPython import get_ipython
    from matplotlib_inline.backend_inline import flush_figures

    shell = get_ipython()
    if shell is None:
        return
    callbacks = shell.events.callbacks["post_execute"]
    if flush_figures in callbacks:
        shell.events.unregister("post_execute", flush_figures)
    if _close_figures not in callbacks:
        shell.events.register("post_execute", _close_figures)


def chapter_setup() -> Markdown | None:
    """Call once at the top of every chapter: figure defaults, and the smoke banner if any."""
    from matplotlib import font_manager
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    for font in sorted(Path(FONT_DIR).glob("*.ttf")):
        font_manager.fontManager.addfont(str(font))
    set_matplotlib_formats("png")
    _show_each_figure_once()
    matplotlib.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.figsize": (7.0, 3.6),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.family": ["DejaVu Sans", "Vazirmatn"],
        }
    )
    return Markdown(SMOKE_BANNER) if active_profile() == "smoke" else None


def table(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> Markdown:
    """A DataFrame as a Pandoc pipe table: thousands separators, fixed decimals."""
    return Markdown(frame.to_markdown(index=index, floatfmt=f",.{digits}f", intfmt=","))


def number(value: float, digits: int = 0) -> str:
    """A number for inline prose, with thousands separators."""
    return f"{value:,.{digits}f}"
