"""Run chapters' notebooks in Jupyter kernels, as Quarto's Jupyter engine does, several at once.

Each chapter gets its own fresh kernel (as in Quarto), but the kernels run side by side,
and on Linux each is forked from one process that has already imported the heavy libraries
(forked_kernels.py): a cached chapter would otherwise spend most of its time starting Python and
importing torch. Kernels talk over IPC sockets, not TCP, so nothing listens on a port and
ipykernel has no reason to warn that its traffic is unencrypted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from traitlets import default

from hw3core import layout
from hw3core.errors import Interrupted, UserError
from hw3core.settings import Settings, child_environment

from . import forked_kernels
from .config import BookConfig
from .errors import SourceError
from .qmd import parse, resolve_inline, to_notebook

log = logging.getLogger("hw3.render")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A kernel's own log (not its cells' output, which reaches the notebook) shows only what is
# fatal: a kernel shut down in the middle of a cell by Ctrl-C would log ZMQ errors otherwise.
KERNEL_ARGUMENTS = forked_kernels.KERNEL_ARGUMENTS  # forked kernels take them in forked_kernels, others from nbclient


class ChapterError(UserError):
    """A chapter cell raised: chapter, cell and the error's last line; the traceback is in `log`."""

    def __init__(self, message: str, log: Path) -> None:
        super().__init__(message)
        self.log = log


class IpcKernelManager(AsyncKernelManager):
    """A kernel on IPC sockets of its own, in Jupyter's runtime folder, instead of TCP ports.

    jupyter_client names IPC sockets after the connection file, or `kernel-ipc` in the
    working folder when the name is asked for before that file exists, which is what
    happens; kernels started side by side would then share sockets. A unique prefix each
    keeps them apart.
    """

    @default("transport")
    def _ipc(self) -> str:
        return "ipc"

    @default("ip")
    def _own_socket_prefix(self) -> str:
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        return str(runtime / f"hw3-kernel-{uuid.uuid4().hex[:12]}")

    # The preloaded parent the kernels are forked from, set on a render's own subclass (`_manager_class`).
    warm: forked_kernels.PreloadedParent | None = None

    async def _async_pre_start_kernel(self, **kw: object) -> tuple[list[str], dict[str, object]]:
        if self.provisioner is None and self.warm is not None:
            self.kernel_id = self.kernel_id or str(kw.pop("kernel_id", uuid.uuid4()))
            self.provisioner = forked_kernels.ForkingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            self.provisioner.parent_process = self.warm
        return await super()._async_pre_start_kernel(**kw)


def _manager_class(warm: forked_kernels.PreloadedParent | None) -> type[IpcKernelManager]:
    """The kernel manager of one render: forking from `warm`, or starting kernels the usual way."""
    return type("ForkingKernelManager", (IpcKernelManager,), {"warm": warm}) if warm is not None else IpcKernelManager


def workers(settings: Settings) -> int:
    """How many kernels run at once: HW3_RENDER_WORKERS, else one more than the CPUs
    (one kernel is usually waiting on its start-up or on the renderer)."""
    return settings.render_workers or (os.cpu_count() or 1) + 1


def _environment(source: Path, root: Path, settings: Settings, threads: int) -> dict[str, str]:
    """The settings, Quarto's document variables and the profile, and a fair share of the
    CPUs per kernel unless OMP_NUM_THREADS is set."""
    quarto = {
        "QUARTO_PROFILE": settings.profile,
        "QUARTO_PROJECT_ROOT": str(root),
        "QUARTO_DOCUMENT_PATH": str((root / source).parent),
        "QUARTO_DOCUMENT_FILE": source.name,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    return child_environment(settings, quarto, defaults={"OMP_NUM_THREADS": str(threads)})


async def execute_async(
    notebook: nbformat.NotebookNode,
    source: Path,
    root: Path,
    settings: Settings,
    timeout: int = 3600,
    threads: int | None = None,
    warm: forked_kernels.PreloadedParent | None = None,
) -> nbformat.NotebookNode:
    """Execute in the chapter's folder with the settings, QUARTO_PROFILE and Quarto's document variables set.

    A chapter without code cells (the references page) needs no kernel and starts none.
    """
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return notebook
    started: list[nbformat.NotebookNode] = []  # the cells sent to the kernel, in order
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str((root / source).parent)}},
        kernel_manager_class=_manager_class(warm),
        extra_arguments=list(KERNEL_ARGUMENTS),
        on_cell_execute=lambda cell, cell_index: started.append(cell),
    )
    env = _environment(source, root, settings, threads or os.cpu_count() or 1)
    try:
        return await client.async_execute(env=env)
    except CellExecutionError as error:
        raise chapter_error(notebook, source, root, error) from None
    except DeadKernelError:
        # The last cell sent to the kernel is the one it died in: cells run one at a time. (Its
        # `execute_input` message, which numbers it, may never arrive from a kernel killed at once.)
        where = f" in {_cell_name(started[-1])}" if started else ""
        raise ChapterError(
            f"{source}: its kernel died{where} (killed, or out of memory); run again, with fewer chapters at once (HW3_RENDER_WORKERS=1) if memory is short",
            layout.chapter_log(root, source),
        ) from None


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
    # The cell's own error output names the exception even where nbclient's does not (an
    # error raised by a display formatter reaches it as "NoneType: None").
    shown = next((o for o in failed.outputs if o.get("output_type") == "error"), None) if failed is not None else None
    ename, evalue = (shown.ename, shown.evalue) if shown is not None else (error.ename, error.evalue)
    last = f"{ename}: {evalue}".strip() if ename else _ANSI.sub("", str(error)).strip().splitlines()[-1]
    last = "; ".join(part.strip(" -") for part in last.splitlines() if part.strip(" -"))
    log = layout.chapter_log(root, source)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(_ANSI.sub("", str(error)) + "\n", encoding="utf-8")
    if shown is not None:  # the user's code and its error, as the cell printed them; none of nbclient's machinery
        print(_ANSI.sub("", "\n".join(shown.get("traceback", []))), file=sys.stderr)
    return ChapterError(f"{source}: {where} failed: {last} (full traceback: {log})", log)


def execute(notebook: nbformat.NotebookNode, source: Path, root: Path, settings: Settings, timeout: int = 3600) -> nbformat.NotebookNode:
    """`execute_async` for one chapter, from synchronous code."""
    return asyncio.run(execute_async(notebook, source, root, settings, timeout))


def _threads(limit: int, kernels: int) -> int:
    """Each kernel's fair share of the CPUs when `limit` of `kernels` run at once."""
    return max(1, (os.cpu_count() or 1) // min(limit, kernels or 1))


def warm_kernels(root: Path, settings: Settings, kernels: int, limit: int | None = None) -> contextlib.AbstractContextManager[forked_kernels.PreloadedParent | None]:
    """The preloaded parent a render's kernels fork from, where forking is supported and pays (2+ kernels).

    It loads its libraries under the kernels' own environment (thread count, plot backend);
    each kernel's document variables are set after its fork. It starts loading at once and
    is first needed by the first kernel, so a render opens it before its other work.
    """
    if not forked_kernels.SUPPORTED or kernels < 2:
        return contextlib.nullcontext()
    return forked_kernels.PreloadedParent(_environment(Path("index.qmd"), root, settings, _threads(limit or workers(settings), kernels)))


def _last_seconds(root: Path, profile: str) -> dict[str, float]:
    """Each chapter's seconds in the profile's earlier renders (none if never timed or unreadable)."""
    try:
        return json.loads(layout.chapter_timings(root, profile).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def longest_first(sources: list[Path], root: Path, profile: str) -> list[Path]:
    """`sources` in the order that ends soonest: the longest chapters of the last render first
    (a long chapter started last is alone at the end); chapters never timed go first of all."""
    last = _last_seconds(root, profile)
    return sorted(sources, key=lambda source: -float(last.get(str(source), float("inf"))))


def _remember(seconds: dict[Path, float], root: Path, profile: str) -> None:
    path = layout.chapter_timings(root, profile)
    known = {**_last_seconds(root, profile), **{str(s): round(t, 2) for s, t in seconds.items()}}
    with contextlib.suppress(OSError):  # only a hint for the next render's order; a read-only project renders all the same
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=1), encoding="utf-8")


async def _run_all(
    chapters: dict[Path, nbformat.NotebookNode], root: Path, settings: Settings, limit: int, warm: forked_kernels.PreloadedParent | None
) -> tuple[dict[Path, nbformat.NotebookNode], dict[Path, float]]:
    profile = settings.profile
    gate = asyncio.Semaphore(limit)  # admits in the order the tasks are made
    threads = _threads(limit, len(chapters))
    seconds: dict[Path, float] = {}

    async def one(source: Path, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
        async with gate:
            log.info("executing %s [%s]", source, profile)
            started = time.perf_counter()
            executed = await execute_async(notebook, source, root, settings, threads=threads, warm=warm)
            seconds[source] = time.perf_counter() - started
            log.info("  done %s (%.1f s)", source, seconds[source])
            return executed

    tasks = {source: asyncio.ensure_future(one(source, chapters[source])) for source in longest_first(list(chapters), root, profile)}
    interrupted = asyncio.Event()

    def stop() -> None:  # Ctrl-C: the chapters are cancelled, and their kernels shut down, here
        interrupted.set()
        for task in tasks.values():
            task.cancel()

    loop = asyncio.get_running_loop()
    if isinstance(loop, ChapterLoop):
        loop.on_ctrl_c(stop)
    try:
        await asyncio.gather(*tasks.values())
    except BaseException:
        for task in tasks.values():
            if not interrupted.is_set():  # cancelled once already: a second cancel would cut their kernels' shutdown short
                task.cancel()  # a failed chapter stops the others; their kernels shut down on cancel
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        if interrupted.is_set():  # whatever a cancelled kernel raised on its way down is no news
            raise Interrupted(f"interrupted while executing {', '.join(map(str, tasks))}; nothing was written, run the same command again") from None
        raise
    finally:
        if isinstance(loop, ChapterLoop):
            loop.on_ctrl_c(None)
    _remember(seconds, root, profile)
    return {source: tasks[source].result() for source in chapters}, seconds


class ChapterLoop(asyncio.SelectorEventLoop):
    """The render's event loop, where Ctrl-C stops every chapter the render's way (`_run_all`).

    nbclient gives each notebook its own SIGINT handler, which shuts that one kernel down in
    the middle of its cell: the kernel then logs ZMQ errors and nbclient raises DeadKernelError
    and an AssertionError of its own cleanup, a hundred lines for a Ctrl-C. Here only the
    render sets what SIGINT does; the handlers nbclient adds and removes are ignored.
    """

    def on_ctrl_c(self, callback: Callable[[], None] | None) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows, not off the main thread
            if callback is None:
                super().remove_signal_handler(signal.SIGINT)
            else:
                super().add_signal_handler(signal.SIGINT, callback)

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: object) -> None:
        if sig != signal.SIGINT:
            super().add_signal_handler(sig, callback, *args)

    def remove_signal_handler(self, sig: int) -> bool:
        return sig != signal.SIGINT and super().remove_signal_handler(sig)


def execute_all(
    chapters: dict[Path, nbformat.NotebookNode],
    root: Path,
    settings: Settings,
    limit: int | None = None,
    warm: forked_kernels.PreloadedParent | None = None,
) -> tuple[dict[Path, nbformat.NotebookNode], dict[Path, float]]:
    """Execute every chapter, `limit` kernels at a time (default `workers`), keeping their order.

    Kernels fork from `warm` (see `warm_kernels`), or from a preloaded parent of this call's own.
    Returns the executed notebooks and each chapter's seconds. The first chapter that fails
    stops the rest and its ChapterError is raised.
    """
    limit = limit or workers(settings)
    parent = contextlib.nullcontext(warm) if warm is not None else warm_kernels(root, settings, len(chapters), limit)
    with parent as forked_from:
        with asyncio.Runner(loop_factory=ChapterLoop) as runner:
            return runner.run(_run_all(chapters, root, settings, limit, forked_from))


def chapter_notebook(book: BookConfig, source: Path) -> nbformat.NotebookNode:
    """A chapter's cells, not yet executed; a chapter that breaks a rule of the source is named."""
    try:
        return to_notebook(parse((book.root / source).read_text(encoding="utf-8")))
    except SourceError as error:
        raise SourceError(f"{source}: {error}") from None


def execute_chapters(
    book: BookConfig, sources: list[Path], warm: forked_kernels.PreloadedParent | None = None
) -> tuple[dict[Path, nbformat.NotebookNode], dict[Path, float]]:
    """Execute chapters in parallel kernels (forked from `warm` if given) and resolve their
    inline values; also each one's seconds."""
    executed, seconds = execute_all({s: chapter_notebook(book, s) for s in sources}, book.root, book.settings, warm=warm)
    return {source: resolve_inline(notebook, str(source)) for source, notebook in executed.items()}, seconds
