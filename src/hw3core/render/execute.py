"""Run a chapter's notebook in a Jupyter kernel, as Quarto's Jupyter engine does."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ..errors import UserError

LOG_DIR = Path(".hw3") / "logs"  # under the project root, like the cache
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ChapterError(UserError):
    """A chapter cell raised: chapter, cell and the error's last line; the traceback is in `log`."""

    def __init__(self, message: str, log: Path) -> None:
        super().__init__(message)
        self.log = log


def execute(notebook: nbformat.NotebookNode, source: Path, root: Path, profile: str, timeout: int = 3600) -> nbformat.NotebookNode:
    """Execute in the chapter's folder with QUARTO_PROFILE and Quarto's document variables set.

    A chapter without code cells (the references page) needs no kernel and starts none.
    """
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return notebook
    env = {
        **os.environ,
        "QUARTO_PROFILE": profile,
        "QUARTO_PROJECT_ROOT": str(root),
        "QUARTO_DOCUMENT_PATH": str((root / source).parent),
        "QUARTO_DOCUMENT_FILE": source.name,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str((root / source).parent)}},
    )
    try:
        return client.execute(env=env)
    except CellExecutionError as error:
        raise chapter_error(notebook, source, root, error) from None


def _cell_name(cell: nbformat.NotebookNode) -> str:
    """A cell's `#| label:` if it has one, else its first line of code."""
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    label = next((line.split(":", 1)[1].strip().strip('"') for line in lines if re.match(r"#\|\s*label\s*:", line)), None)
    code = next((line for line in lines if not line.startswith("#|")), "")
    return f"cell {label}" if label else f"the cell `{code[:60]}`"


def chapter_error(notebook: nbformat.NotebookNode, source: Path, root: Path, error: CellExecutionError) -> ChapterError:
    """One line (chapter, cell, the error's last line) and the whole traceback in a log file."""
    failed = next((c for c in notebook.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    where = _cell_name(failed) if failed is not None else "a cell"
    last = f"{error.ename}: {error.evalue}".strip() if error.ename else _ANSI.sub("", str(error)).strip().splitlines()[-1]
    log = root / LOG_DIR / f"{source.stem}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(_ANSI.sub("", str(error)) + "\n", encoding="utf-8")
    return ChapterError(f"{source}: {where} failed: {last.splitlines()[0]} (full traceback: {log})", log)
