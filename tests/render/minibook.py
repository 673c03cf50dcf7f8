"""The renderer's fixture book, copied with the project's styling, filters and fonts."""

from __future__ import annotations

import shutil
from pathlib import Path

from hw3core.settings import PROJECT_ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "mini-book"


def copy_mini_book(root: Path) -> Path:
    """tests/render/fixtures/mini-book at `root`, with report/_html, _typst, _filters,
    fonts/ and _extensions/ (the PDF template) from the project, so its format options and
    filters are the book's own."""
    shutil.copytree(FIXTURE, root, dirs_exist_ok=True)
    shutil.copytree(PROJECT_ROOT / "fonts", root / "fonts")
    shutil.copytree(PROJECT_ROOT / "_extensions", root / "_extensions")
    for styling in ("_html", "_typst", "_filters"):
        shutil.copytree(PROJECT_ROOT / "report" / styling, root / "report" / styling)
    return root
