"""Chapters' kernels forked from one warm process: each is still a fresh kernel, in its own
folder and environment, with the heavy libraries already imported, and none outlives the render."""

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from hw3core.settings import get_settings
from hw3render import forked_kernels
from hw3render.execute import ChapterError, execute_all

pytestmark = pytest.mark.skipif(not forked_kernels.SUPPORTED, reason="kernels are forked on Linux only")

PROBE = """
import os, subprocess, sys
loaded_before = "torch" in sys.modules
status = subprocess.run([sys.executable, "-c", "pass"]).returncode
print(loaded_before, os.getcwd(), os.environ["QUARTO_PROFILE"], os.environ["QUARTO_DOCUMENT_FILE"], status, os.getpid(), os.getppid(), "secret" in globals())
"""


def outputs(notebook: nbformat.NotebookNode) -> list[str]:
    return [o.get("text", "") for cell in notebook.cells for o in cell.outputs]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_each_chapter_gets_a_fresh_forked_kernel_in_its_folder_and_environment(tmp_path):
    (tmp_path / "report").mkdir()
    chapters = {
        Path("index.qmd"): new_notebook(cells=[new_code_cell("secret = 1"), new_code_cell(PROBE)]),
        Path("report/a.qmd"): new_notebook(cells=[new_code_cell(PROBE)]),
    }
    executed, seconds = execute_all(chapters, tmp_path, get_settings(), limit=2)

    assert set(seconds) == set(chapters)
    runs = {source: outputs(notebook)[0].split() for source, notebook in executed.items()}
    for source, (loaded, cwd, profile, document, status, pid, parent, secret) in runs.items():
        assert loaded == "True", "torch was not preloaded: the kernel was not forked from the preloaded parent"
        assert Path(cwd) == (tmp_path / source).parent
        assert (profile, document, status) == ("smoke", source.name, "0")  # a child process can be waited for
        assert int(parent) != os.getpid()  # the preloaded parent's child, not the render's
        assert not alive(int(pid)), "a kernel outlived the render"
    # the second chapter does not see the first one's variables
    assert runs[Path("index.qmd")][-1] == "True" and runs[Path("report/a.qmd")][-1] == "False"
    assert runs[Path("index.qmd")][5] != runs[Path("report/a.qmd")][5]


def test_a_failing_cell_in_a_forked_kernel_is_reported_as_a_chapter_error(tmp_path):
    chapters = {
        Path("index.qmd"): new_notebook(cells=[new_code_cell("1 / 0")]),
        Path("b.qmd"): new_notebook(cells=[new_code_cell("x = 1")]),
    }
    with pytest.raises(ChapterError, match="ZeroDivisionError"):
        execute_all(chapters, tmp_path, get_settings(), limit=2)


def test_the_preloaded_parent_exits_when_the_render_closes_it():
    warm = forked_kernels.PreloadedParent({**os.environ, "OMP_NUM_THREADS": "1"})
    pid = warm.process.pid
    warm.close()
    assert warm.process.returncode == 0 and not alive(pid)


def test_a_forked_kernel_handle_follows_its_process():
    child = os.fork()
    if child == 0:
        os._exit(0)
    handle = forked_kernels.ForkedKernel(child)
    os.waitpid(child, 0)
    assert handle.poll() == 0 and handle.wait(timeout=1) == 0
    with pytest.raises(ProcessLookupError):
        handle.kill()


def test_a_preloaded_parent_that_cannot_load_its_libraries_says_so_in_one_line(monkeypatch):
    monkeypatch.setattr(forked_kernels.sys, "executable", "/bin/false")  # a Python that exits at once
    warm = forked_kernels.PreloadedParent({**os.environ})
    with pytest.raises(forked_kernels.UserError, match="make setup"):
        warm.fork("unused.json", {}, ".")
