"""Helpers the chapters call: set-up, the smoke banner, tables as Markdown, and the line of the
book's first page that names the student's repository.

Tables are returned as Markdown display objects so that Quarto and `hw3 render` both
turn them into real Pandoc tables (numbered, captioned, left-to-right) in HTML and PDF.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
from IPython.display import Markdown

from . import figures
from .project_config import read_project_config
from .settings import PROJECT_ROOT, book_keys, get_settings

FONT_DIR = PROJECT_ROOT / "fonts"

SMOKE_BANNER = """::: {.callout-warning}
## پروفایل smoke
این فصل با پروفایل `smoke` و داده‌های مصنوعی بسیار کوچک اجرا شده است تا فقط درستی کد آزموده شود؛
**اعداد، نمودارها و نتیجه‌گیری‌های آن هیچ معنایی ندارند.** برای نتایج واقعی کتاب را با پروفایل `quick` یا `full` بسازید.
:::
"""


def text_as_markdown() -> None:
    """Show every str value as Markdown (text/markdown), in inline expressions too.

    Quarto writes a plain str inline value as its repr, unquoted and with Markdown
    punctuation backslash-escaped (quarto-cli src/core/jupyter/jupyter-inline.ts): Persian
    text with a ZWNJ would show a literal "\\u200c", and "0.5" inside $...$ would become
    the broken math "0\\.5". A text/markdown representation goes in as it is, in Quarto
    and in `hw3 render` alike, so every str the chapters compute reaches the page intact.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/markdown"].for_type(str, str)


def setup(depends_on_profile: bool = True) -> Markdown | None:
    """Call once at the top of every chapter: figure defaults, str values as Markdown
    (`text_as_markdown`), and the smoke banner if any.

    The banner says the chapter's numbers mean nothing under `smoke`; a chapter whose
    numbers the profile cannot change (the theory chapters: closed forms, modules without
    weights, the papers' tables) passes `depends_on_profile=False` and gets none, so the
    reader is not told that its correct numbers are meaningless.

    Pyplot's interactive mode is switched off so that a figure is shown only when a cell
    returns it (or calls `plt.show()`); otherwise the inline backend would also show every
    pyplot figure created during the cell, and a returned figure would appear twice.
    The settings are read first, so a bad one stops the chapter at its first cell. Every
    figure shown passes `figures.check` first (see `_audit_shown_figures`).
    """
    settings = get_settings()
    from matplotlib import font_manager, pyplot
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    fonts = sorted(Path(FONT_DIR).glob("*.ttf"))
    for font in fonts:
        font_manager.fontManager.addfont(str(font))
    # Vazirmatn comes with the project, not with an installed copy (an exported notebook run
    # in Colab): matplotlib would warn "font family not found" at every figure without it.
    persian = ["Vazirmatn"] if any(font.name.startswith("Vazirmatn") for font in fonts) else []
    set_matplotlib_formats("png")
    text_as_markdown()
    _audit_shown_figures()
    pyplot.ioff()
    matplotlib.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.figsize": (7.0, 3.6),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.family": ["DejaVu Sans", *persian],
        }
    )
    return Markdown(SMOKE_BANNER) if depends_on_profile and settings.profile == "smoke" else None


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

    def checked(fig: Figure) -> bytes | None:
        figures.check(fig)  # lays the figure out once, as it will be drawn
        # Keep that layout: the PNG's own draw would solve the constrained layout again,
        # which for P2's grids of 40 maps cost more than drawing them.
        fig.set_layout_engine("none")
        return draw(fig)

    png.for_type(Figure, checked)


def table(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> Markdown:
    """A DataFrame as a Pandoc pipe table: thousands separators, fixed decimals.

    Cast to object first: an all-numeric frame would otherwise reach tabulate as one float
    array, and its integer columns would be printed with decimals.
    """
    return Markdown(frame.astype(object).to_markdown(index=index, floatfmt=f",.{digits}f", intfmt=","))


def number(value: float, digits: int = 0) -> str:
    """A number for inline prose, with thousands separators."""
    return f"{value:,.{digits}f}"


def repository_note(root: Path | None = None) -> Markdown | None:
    """Where the code and the practical notebooks are published (`hw3: repository:` in
    `_quarto.yml` under `root`, default the project a render names): a line for the book's
    first page, which the assignment asks to carry that link; None when the key is not set."""
    settings = get_settings()
    config = read_project_config(root or settings.quarto.project_dir or PROJECT_ROOT, settings.profile)
    repository = book_keys(config).repository
    return None if repository is None else Markdown(f"کد این پاسخ و دفترچه‌های سه پرسش عملی در مخزن <{repository}> منتشر شده است.")
