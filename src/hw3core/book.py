"""Helpers the chapters call: set-up, the smoke banner, and tables as Markdown.

Tables are returned as Markdown display objects so that Quarto and `hw3 render` both
turn them into real Pandoc tables (numbered, captioned, left-to-right) in HTML and PDF.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pandas as pd
from IPython.display import Markdown

from .profiles import active_profile
from .settings import PROJECT_ROOT, pin_paths

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
    Under Quarto the kernel runs in the chapter's folder, so relative path settings are
    pinned against the project root, where `quarto render` was typed.
    """
    if os.environ.get("QUARTO_PROJECT_ROOT"):
        pin_paths(Path(os.environ["QUARTO_PROJECT_ROOT"]))
    from matplotlib import font_manager, pyplot
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    for font in sorted(Path(FONT_DIR).glob("*.ttf")):
        font_manager.fontManager.addfont(str(font))
    set_matplotlib_formats("png")
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


def table(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> Markdown:
    """A DataFrame as a Pandoc pipe table: thousands separators, fixed decimals.

    Cast to object first: an all-numeric frame would otherwise reach tabulate as one float
    array, and its integer columns would be printed with decimals.
    """
    return Markdown(frame.astype(object).to_markdown(index=index, floatfmt=f",.{digits}f", intfmt=","))


def number(value: float, digits: int = 0) -> str:
    """A number for inline prose, with thousands separators."""
    return f"{value:,.{digits}f}"
