"""`hw3 render`: the book without the Quarto CLI, from the same sources and engines.

Chapter order and metadata from `_quarto.yml`; first the experiments the chapters need
are trained in the foreground (`hw3core.pretrain`, what Quarto's pre-render step runs);
then each chapter executes in its own Jupyter kernel (nbclient) with QUARTO_PROFILE set,
several kernels at once; Pandoc to HTML and to Typst; Typst to one PDF; the practical
chapters' executed notebooks saved beside them. Output goes where Quarto's would: `_book/`.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from hw3core.errors import UserError

from .config import BookConfig, load_book
from .convert import Target, collect_targets
from .execute import ChapterError, execute, execute_all, warm_kernels
from .pdf import write_pdf
from .qmd import parse, resolve_inline, to_notebook
from .search import write_search_index
from .site import chapter_title, check_site_links, copy_assets, search_enabled, write_page
from .zygote import Zygote

__all__ = ["ChapterError", "RenderResult", "render_book", "execute_chapter", "execute_chapters", "export_notebooks"]
log = logging.getLogger("hw3.render")


@dataclass
class RenderResult:
    html: list[Path] = field(default_factory=list)
    pdf: Path | None = None
    notebooks: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    # Each chapter as executed, its inline values in `metadata.user_expressions` (for tests).
    executed: dict[Path, nbformat.NotebookNode] = field(default_factory=dict)
    trained: list[str] = field(default_factory=list)  # experiments trained before the chapters ran


def chapter_notebook(book: BookConfig, source: Path) -> nbformat.NotebookNode:
    """A chapter's cells, not yet executed."""
    return to_notebook(parse((book.root / source).read_text(encoding="utf-8")))


def execute_chapter(book: BookConfig, source: Path) -> nbformat.NotebookNode:
    """Parse, execute and resolve the inline values of one chapter."""
    return resolve_inline(execute(chapter_notebook(book, source), source, book.root, book.profile), str(source))


def execute_chapters(
    book: BookConfig, sources: list[Path], warm: Zygote | None = None
) -> tuple[dict[Path, nbformat.NotebookNode], dict[Path, float]]:
    """`execute_chapter` for several chapters, in parallel kernels (forked from `warm` if given); also each one's seconds."""
    executed, seconds = execute_all({s: chapter_notebook(book, s) for s in sources}, book.root, book.profile, warm=warm)
    return {source: resolve_inline(notebook, str(source)) for source, notebook in executed.items()}, seconds


def export_notebooks(book: BookConfig, notebooks: dict[Path, nbformat.NotebookNode], out: Path) -> list[Path]:
    written = []
    for source in book.practical:
        if source in notebooks:
            path = out / "notebooks" / f"{source.stem}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebooks[source], path)
            written.append(path)
    return written


def render_book(
    root: Path,
    profile: str,
    only: list[Path] | None = None,
    formats: tuple[str, ...] = ("html", "pdf"),
    output_dir: Path | None = None,
) -> RenderResult:
    """Render the book (or the chapters in `only`) under `profile` into `_book/` (or `output_dir`)."""
    book = load_book(root, profile, output_dir)
    known = {chapter.source for chapter in book.chapters}
    selected = [c for c in book.chapters if only is None or c.source in {Path(p) for p in only}]
    unknown = [str(p) for p in (only or []) if Path(p) not in known]
    if unknown:
        raise UserError(f"not chapters of _quarto.yml: {', '.join(unknown)}; pass paths as _quarto.yml lists them (report/x.qmd)")
    result = RenderResult()
    sources = [c.source for c in selected]
    # The kernels' zygote loads its libraries while this process imports its own (torch and
    # every study, with pretrain) and checks (or trains) the experiments.
    with warm_kernels(book.root, book.profile, len(sources)) as warm:
        from hw3core import pretrain

        result.trained = pretrain.train_for(sources, book.profile)
        notebooks, seconds = execute_chapters(book, sources, warm)
    result.seconds = {str(source): s for source, s in seconds.items()}
    targets: dict[str, Target] = {}
    for chapter in selected:
        targets.update(collect_targets(chapter.source, chapter.number, notebooks[chapter.source], book.labels))
    book.output_dir.mkdir(parents=True, exist_ok=True)
    if "html" in formats:
        copy_assets(book)
    # Every page and the PDF is its own Pandoc (and Typst) process, independent of the others:
    # they run side by side, as many as there are CPUs.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pdf = None
        if "pdf" in formats:
            log.info("typesetting the PDF")
            pdf = pool.submit(write_pdf, book, notebooks, targets, only is None)
        if "html" in formats:
            pages = [pool.submit(write_page, book, chapter, notebooks[chapter.source], targets, only is None) for chapter in selected]
            result.html = [page.result() for page in pages]
        result.pdf = pdf.result() if pdf is not None else None
    result.notebooks = export_notebooks(book, notebooks, book.output_dir)
    result.executed = notebooks
    if "html" in formats:
        if search_enabled(book):
            write_search_index(book, {c.source: chapter_title(c, book.root) for c in book.chapters})
        check_site_links(book, strict=only is None)
    return result
