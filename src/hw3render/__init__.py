"""`hw3 render`: the book without the Quarto CLI, from the same sources and engines.

Chapter order and metadata from `_quarto.yml`. First its pre-render step runs, as Quarto
runs it (scripts.py; it trains what the chapters need, in the foreground), while the
kernels' preloaded parent loads its libraries; then each chapter executes in its own Jupyter kernel
(nbclient) with QUARTO_PROFILE set, several kernels at once, and keeps its executed
notebook where `keep-ipynb` asks (notebooks.py); Pandoc to HTML and to Typst, the PDF
laid out by the book's Typst extension as Quarto lays it out (pdf.py); Typst to one PDF;
last the post-render steps (they export the practical notebooks from the kept ones and
make the PDF's text searchable). Output goes where Quarto's would: `_book/`.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from hw3core.errors import UserError
from hw3core.settings import Settings, render_formats

from .config import load_book
from .convert import Target, collect_targets
from .execute import ChapterError, execute_chapters, warm_kernels
from .notebooks import keep
from .output import check_folder
from .pdf import write_pdf
from .scripts import run_step
from .search import write_search_index
from .site import chapter_title, check_site_links, copy_assets, search_enabled, write_page

__all__ = ["ChapterError", "RenderResult", "render_book"]
log = logging.getLogger("hw3.render")


@dataclass
class RenderResult:
    html: list[Path] = field(default_factory=list)
    pdf: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    # Each chapter as executed, its inline values in `metadata.user_expressions` (for tests).
    executed: dict[Path, nbformat.NotebookNode] = field(default_factory=dict)


def render_book(
    root: Path,
    profile: str,
    only: list[Path] | None = None,
    formats: tuple[str, ...] = ("html", "pdf"),
    output_dir: Path | None = None,
    settings: Settings | None = None,
) -> RenderResult:
    """Render the book (or the chapters in `only`) under `profile` into `_book/` (or `output_dir`),
    with `settings` (default: this process's) given to its steps and kernels.

    Everything that can be checked before a chapter runs is: the formats, the chapters, and
    that the output folder can be written (output.check_folder)."""
    book = load_book(root, profile, output_dir, settings)
    formats = render_formats(formats, book.raw.get("format") or {})
    known = {chapter.source for chapter in book.chapters}
    selected = [c for c in book.chapters if only is None or c.source in {Path(p) for p in only}]
    unknown = [str(p) for p in (only or []) if Path(p) not in known]
    if unknown:
        raise UserError(f"not chapters of _quarto.yml: {', '.join(unknown)}; pass paths as _quarto.yml lists them (report/x.qmd)")
    check_folder(book.output_dir)
    result = RenderResult()
    sources = [c.source for c in selected]
    everything = only is None
    # The kernels' preloaded parent loads its libraries while the pre-render step (its own process)
    # imports torch and every study and checks, or trains, the experiments.
    with warm_kernels(book.root, book.settings, len(sources)) as warm:
        run_step(book, "pre-render", sources, everything)
        notebooks, seconds = execute_chapters(book, sources, warm)
    keep(book, notebooks)
    result.seconds = {str(source): s for source, s in seconds.items()}
    targets: dict[str, Target] = {}
    for chapter in selected:
        targets.update(collect_targets(chapter.source, chapter.number, notebooks[chapter.source], book.labels))
    if "html" in formats:
        copy_assets(book)
    # Every page and the PDF is its own Pandoc (and Typst) process, independent of the others:
    # they run side by side, as many as there are CPUs.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pdf = None
        if "pdf" in formats:
            log.info("typesetting the PDF")
            pdf = pool.submit(write_pdf, book, notebooks, targets, everything)
        if "html" in formats:
            cited = book.cited(json.dumps(notebook, ensure_ascii=False) for notebook in notebooks.values())
            pages = [pool.submit(write_page, book, chapter, notebooks[chapter.source], targets, everything, cited) for chapter in selected]
            result.html = [page.result() for page in pages]
        result.pdf = pdf.result() if pdf is not None else None
    result.executed = notebooks
    run_step(book, "post-render", [*result.html, *([result.pdf] if result.pdf else [])], everything)
    if "html" in formats:
        if search_enabled(book):
            write_search_index(book, {c.source: chapter_title(c, book.root) for c in book.chapters})
        check_site_links(book, strict=everything)
    return result
