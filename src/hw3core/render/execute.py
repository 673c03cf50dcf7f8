"""Run a chapter's notebook in a Jupyter kernel, as Quarto's Jupyter engine does."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


class ChapterError(RuntimeError):
    """A chapter cell raised; the message names the chapter and shows the traceback."""


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
        raise ChapterError(f"{source}: a cell failed while executing the chapter\n{error}") from error
