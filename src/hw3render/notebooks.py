"""The executed notebooks a render keeps beside its chapters, and the practical notebooks
the book's post-render step exports from them.

With `keep-ipynb`, Quarto keeps each chapter's executed notebook beside it as
`<stem>.quarto_ipynb` (quarto-cli src/execute/jupyter/jupyter.ts: the notebook is written
there before execution, src/resources/jupyter/notebook.py `nb_write` writes the executed
cells back into it, and `cleanupNotebook` deletes it unless keep-ipynb is set); when that
name is taken it writes `<stem>.quarto_ipynb_1`, `_2`, ... `hw3 render` keeps the same
file under the same option. The post-render step (report/_scripts/notebooks.py, which
calls `hw3 notebooks --quarto`) builds each practical chapter's notebook from the newest
of them, so no chapter executes a second time, and then removes the kept notebooks, so
that the next render writes the same name again instead of piling up `_1`, `_2`.

Only two things are read from a kept notebook, and both renderers write them: the code
cells in order (outputs, execution count, timing) and the inline values in the Markdown
cells' `metadata.user_expressions`. They are put into the chapter's own cells as
`hw3 render` builds them (`from_kept`), so the chapter as executed is the same whichever
renderer executed it; reader_notebook.py makes the notebook a reader gets from that. A
kept notebook whose code or inline expressions differ from the chapter's (the chapter
changed since) is not used.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Iterator

import nbformat

from . import output
from .config import BookConfig
from .execute import chapter_notebook, execute_chapters
from .qmd import INLINE_MARK, front_matter, resolve_inline, split_options
from .reader_notebook import reader_notebook

log = logging.getLogger("hw3.render")

KEPT_SUFFIX = ".quarto_ipynb"


class KeptMismatch(Exception):
    """A kept notebook is not an execution of the chapter as it is now."""


def keeps_ipynb(book: BookConfig, source: Path) -> bool:
    """Whether `keep-ipynb` is on for a chapter: its front matter over `_quarto.yml`'s, at
    the top level or under `execute:`, the two places the schema accepts it (quarto-cli
    src/resources/schema/document-render.yml, `contexts: [document-execute]`) and that
    src/config/metadata.ts moves into the format's execute options alike."""
    keep = False
    for options in (book.raw, front_matter((book.root / source).read_text(encoding="utf-8"))):
        execute = options.get("execute")
        for place in (options, execute if isinstance(execute, dict) else {}):
            keep = bool(place.get("keep-ipynb", keep))
    return keep


def kept_path(book: BookConfig, source: Path) -> Path:
    """Where Quarto first puts a chapter's executed notebook: `<stem>.quarto_ipynb` beside it."""
    return book.root / source.parent / f"{source.stem}{KEPT_SUFFIX}"


def kept_notebooks(book: BookConfig, source: Path) -> list[Path]:
    """A chapter's kept notebooks (`<stem>.quarto_ipynb`, `_1`, `_2`, ...), newest first."""
    first = kept_path(book, source)
    pattern = re.compile(rf"{re.escape(first.name)}(_\d+)?")
    found = [p for p in first.parent.glob(f"{first.name}*") if pattern.fullmatch(p.name)]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def keep(book: BookConfig, executed: dict[Path, nbformat.NotebookNode]) -> None:
    """Leave each executed chapter's notebook where Quarto would, where keep-ipynb asks.

    A chapter without code cells runs no kernel (Quarto's markdown engine), so it keeps none.
    """
    for source, notebook in executed.items():
        if any(cell.cell_type == "code" for cell in notebook.cells) and keeps_ipynb(book, source):
            output.write(kept_path(book, source), nbformat.writes(notebook))


def discard_kept(book: BookConfig) -> None:
    """Remove every chapter's kept notebooks, so the next render writes `<stem>.quarto_ipynb` again."""
    for chapter in book.chapters:
        for path in kept_notebooks(book, chapter.source):
            path.unlink(missing_ok=True)


def _code(cell: nbformat.NotebookNode) -> str:
    """A code cell's code without its `#|` options (Quarto moves some of them into metadata)."""
    return split_options(cell.source)[1].strip()


def _inline_values(kept: nbformat.NotebookNode) -> Iterator[dict]:
    return (value for cell in kept.cells if cell.cell_type == "markdown" for value in cell.metadata.get("user_expressions", []))


def from_kept(book: BookConfig, source: Path, kept: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The chapter's notebook as `hw3 render` exports it, with the outputs and inline values of `kept`."""
    notebook = chapter_notebook(book, source)
    notebook.metadata["language_info"] = kept.metadata.get("language_info", {})
    ran = iter(cell for cell in kept.cells if cell.cell_type == "code")
    values = _inline_values(kept)
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.metadata.get(INLINE_MARK):
            continue
        twin = next(ran, None)
        if twin is None or _code(twin) != _code(cell):
            raise KeptMismatch(f"code cell `{_code(cell)[:40]}`")
        cell.outputs, cell.execution_count = twin.outputs, twin.execution_count
        if "execution" in twin.metadata:
            cell.metadata["execution"] = twin.metadata["execution"]
    if next(ran, None) is not None:
        raise KeptMismatch("more code cells than the chapter has")

    def helper_values(cell: nbformat.NotebookNode) -> list[dict]:
        taken = [next(values, None) for _ in cell.metadata[INLINE_MARK]]
        if [value and value["expression"].strip() for value in taken] != cell.metadata[INLINE_MARK]:
            raise KeptMismatch(f"inline expressions {cell.metadata[INLINE_MARK]}")
        return taken

    return resolve_inline(notebook, str(source), helper_values)


def executed_from_kept(book: BookConfig, source: Path) -> nbformat.NotebookNode | None:
    """The chapter as executed by the last render, from its newest usable kept notebook; None if there is none."""
    for path in kept_notebooks(book, source):
        try:
            return from_kept(book, source, nbformat.read(path, as_version=4))
        except (OSError, ValueError, KeptMismatch) as reason:  # unreadable, or of an older chapter
            log.warning("%s: not used (%s)", path.relative_to(book.root), reason)
    return None


def export(book: BookConfig, out: Path, execute_missing: bool) -> list[Path]:
    """Write `out/notebooks/<stem>.ipynb`, the reader's notebook of each practical chapter
    (reader_notebook.py); returns the files written.

    A chapter is taken from its kept notebook; one without any is executed when
    `execute_missing` (the whole book was rendered, so every notebook is due) and skipped
    otherwise (it was not among the chapters rendered). The kept notebooks are removed.
    """
    notebooks = {source: executed_from_kept(book, source) for source in book.hw3.practical_notebooks}
    missing = [source for source, notebook in notebooks.items() if notebook is None]
    if missing and execute_missing:
        log.info("no executed notebook kept for %s: executing", ", ".join(map(str, missing)))
        notebooks.update(execute_chapters(book, missing)[0])
    written = []
    for source, notebook in notebooks.items():
        if notebook is not None:
            written.append(output.write(out / "notebooks" / f"{source.stem}.ipynb", nbformat.writes(reader_notebook(book, source, notebook))))
    discard_kept(book)
    return written
