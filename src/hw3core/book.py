"""Helpers the chapters call: set-up, the smoke banner, and tables as Markdown.

Tables are returned as Markdown display objects so that Quarto and `hw3 render` both
turn them into real Pandoc tables (numbered, captioned, left-to-right) in HTML and PDF.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
from IPython.display import Markdown

from . import figures
from .profiles import active_profile
from .settings import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "fonts"

SMOKE_BANNER = """::: {.callout-warning}
## پروفایل smoke
این فصل با پروفایل `smoke` و داده‌های مصنوعیِ بسیار کوچک اجرا شده است تا فقط درستیِ کد آزموده شود؛
**اعداد، نمودارها و نتیجه‌گیری‌های آن هیچ معنایی ندارند.** برای نتایج واقعی کتاب را با پروفایل `quick` یا `full` بسازید.
:::
"""


def chapter_setup() -> Markdown | None:
    """Call once at the top of every chapter: figure defaults, and the smoke banner if any.

    Pyplot's interactive mode is switched off so that a figure is shown only when a cell
    returns it (or calls `plt.show()`); otherwise the inline backend would also show every
    pyplot figure created during the cell, and a returned figure would appear twice.
    Every figure shown passes `figures.check` first (see `_audit_shown_figures`).
    """
    from matplotlib import font_manager, pyplot
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    for font in sorted(Path(FONT_DIR).glob("*.ttf")):
        font_manager.fontManager.addfont(str(font))
    set_matplotlib_formats("png")
    _audit_shown_figures()
    pyplot.ioff()
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


def _audit_shown_figures() -> None:
    """Wrap the kernel's PNG formatter for Figures so that it draws only figures `audit` passes.

    A defect raises `figures.FigureDefects` inside the formatter; IPython reports it as the
    cell's error, so the chapter fails to execute and `hw3 render` names the chapter and
    the defects. Outside IPython there is nothing to wrap.
    """
    from IPython import get_ipython
    from matplotlib.figure import Figure

    shell = get_ipython()
    if shell is None:
        return
    png = shell.display_formatter.formatters["image/png"]
    draw = png.lookup_by_type(Figure)
    png.for_type(Figure, lambda fig: draw(figures.check(fig)))


def table(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> Markdown:
    """A DataFrame as a Pandoc pipe table: thousands separators, fixed decimals.

    Cast to object first: an all-numeric frame would otherwise reach tabulate as one float
    array, and its integer columns would be printed with decimals.
    """
    return Markdown(frame.astype(object).to_markdown(index=index, floatfmt=f",.{digits}f", intfmt=","))


def number(value: float, digits: int = 0) -> str:
    """A number for inline prose, with thousands separators."""
    return f"{value:,.{digits}f}"
