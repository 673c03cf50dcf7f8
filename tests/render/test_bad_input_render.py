"""Bad input to the book's commands, by kind: each ends in one line (or a cell's own traceback
and one line), before anything runs where it can be checked first, and leaves the previous
output as it was.

The kinds: a value typed on the command line (`--to`, `--out`), user text that reaches a file
name (the submission), a write that fails (disk full, read-only folder), a build of another
profile, Ctrl-C and a dying kernel, and broken project files.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

import hw3core.atomic
from hw3core.errors import StorageError
from hw3core.settings import PROJECT_ROOT, get_settings
from hw3render import build_record, output
from hw3render.cli import main
from hw3render.config import load_book
from hw3render.execute import ChapterError, execute
from hw3render.pdf import write_pdf
from hw3render.qmd import parse, to_notebook
from minibook import copy_mini_book


def one_error_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    return err[0]


def tiny_book(root: Path, chapters: dict[str, str], hw3: str = "") -> Path:
    """A book of `chapters` (name -> source) declaring html and the Typst format, nothing else."""
    root.mkdir(parents=True, exist_ok=True)
    for name, source in chapters.items():
        (root / name).write_text(textwrap.dedent(source), encoding="utf-8")
    listed = "".join(f"    - {name}\n" for name in chapters)
    (root / "_quarto.yml").write_text(f"project:\n  type: book\nbook:\n  title: T\n  chapters:\n{listed}format:\n  html: {{}}\n  hw3-book-typst: {{}}\n{hw3}", encoding="utf-8")
    return root


# --- values typed on the command line ------------------------------------------------------------


@pytest.mark.parametrize("to", ["docx", "", "html,docx", "latex", " "])
def test_an_unknown_format_is_refused_before_anything_runs(tmp_path, capsys, to):
    root = copy_mini_book(tmp_path / "book")
    assert main(["--root", str(root), "render", "--to", to]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"hw3: error: --to {to!r} ") and line.endswith("use html, pdf, hw3-book-typst, or several joined by commas (--to html,pdf)")
    assert not (root / "steps.jsonl").exists(), "the pre-render step did not run"
    assert not (root / "_book").exists()


@pytest.mark.parametrize(
    "break_it, problem",
    [
        (lambda out: out.write_text("a file"), "it is a file, not a folder"),
        (lambda out: setattr(tempfile, "NamedTemporaryFile", _refuse(errno.EROFS)), "it cannot be written; make it writable, or render elsewhere with --out"),
        (lambda out: setattr(tempfile, "NamedTemporaryFile", _refuse(errno.EACCES)), "it cannot be written"),
        (lambda out: setattr(output.shutil, "disk_usage", lambda path: _Usage(5 * 2**20)), "5 MiB free, and a render needs about 100 MiB"),
    ],
    ids=["a file", "read-only", "no permission", "nearly full"],
)
def test_an_output_folder_that_cannot_take_the_book_stops_the_render_before_any_chapter(tmp_path, capsys, monkeypatch, break_it, problem):
    root = copy_mini_book(tmp_path / "book")
    out = tmp_path / "out"
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", tempfile.NamedTemporaryFile)  # undone after the test
    monkeypatch.setattr(output.shutil, "disk_usage", output.shutil.disk_usage)
    break_it(out)
    assert main(["--root", str(root), "--out", str(out), "render"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"hw3: error: cannot write {out}") and problem in line, line
    assert not (root / "steps.jsonl").exists(), "the pre-render step did not run"


class _Usage:
    def __init__(self, free: int) -> None:
        self.free = free


def _refuse(code: int):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code), kwargs.get("dir"))

    return refuse


# --- outputs are whole or absent -----------------------------------------------------------------


def _disk_full(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_leaves_the_previous_pdf_whole_and_says_so_in_one_line(tmp_path, monkeypatch):
    root = copy_mini_book(tmp_path / "book")
    book = load_book(root, "smoke")
    previous = write_pdf(book, {}, {}).read_bytes()
    monkeypatch.setattr(hw3core.atomic.os, "fsync", _disk_full)  # the writer's bytes do not fit
    with pytest.raises(StorageError) as error:
        write_pdf(book, {}, {})
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"cannot write {book.output_dir / 'mini.'}") and "the disk is full" in message, message
    assert "HW3_CACHE_DIR" not in message, "the advice is about the output, not the cache"
    assert (book.output_dir / "mini.pdf").read_bytes() == previous
    assert not [p.name for p in book.output_dir.iterdir() if p.name.endswith(".tmp")], "no temporary file is left"


@pytest.mark.parametrize("code, advice", [(errno.ENOSPC, "the disk is full"), (errno.EDQUOT, "quota"), (errno.EROFS, "cannot be written"), (errno.EACCES, "cannot be written")])
def test_every_output_write_keeps_the_old_file_when_it_fails(tmp_path, monkeypatch, code, advice):
    page = output.write(tmp_path / "report" / "page.html", "<p>old</p>")
    monkeypatch.setattr(hw3core.atomic.os, "replace", _refuse(code))
    with pytest.raises(StorageError, match=advice):
        output.write(page, "<p>new</p>")
    assert page.read_text() == "<p>old</p>" and sorted(p.name for p in page.parent.iterdir()) == ["page.html"]


# --- a build knows its profile -------------------------------------------------------------------


def _fake_build(root: Path, profile: str) -> tuple[Path, list[Path]]:
    out = root / "_book"
    files = [out / "mini.pdf", out / "index.html", out / "report" / "features.html", out / "report" / "bidi.html", out / "report" / "references.html"]
    for path in files:
        output.write(path, f"{profile} build")
    for page in ("features", "bidi"):
        output.write(out / "report" / f"{page}_files" / "figure-html" / "figure-1.png", b"png")
    build_record.record(out, profile, files)
    return out, files


def test_the_post_render_step_records_its_profile_and_removes_another_profiles_outputs(tmp_path, monkeypatch, capsys):
    """A quick HTML-only render of one chapter over a smoke build: the smoke PDF and pages go, so
    the site links to nothing of another profile; the quick page stays, recorded as quick."""
    root = copy_mini_book(tmp_path / "book")
    out, _ = _fake_build(root, "smoke")
    output.write(out / "report" / "features.html", "quick page")
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(out))
    monkeypatch.setenv("QUARTO_PROJECT_DIR", str(root))
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_FILES", "_book/report/features.html\n")
    assert main(["--root", str(root), "notebooks", "--quarto", "--profile", "quick"]) == 0
    assert build_record.recorded(out) == {"report/features.html": "quick"}
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        build_record.RECORD, "report/features.html", "report/features_files/figure-html/figure-1.png",
    ], "the smoke pages' figures went with them"
    assert "removed mini.pdf: built by another profile than quick" in capsys.readouterr().out


@pytest.mark.slow
def test_submission_of_another_profile_than_the_build_is_refused(smoke_book, tmp_path, capsys):
    """The issue's case: `hw3 submission --profile full` over a smoke build zipped the smoke book."""
    root = _named_project(tmp_path, "Sara", "0401234567")
    assert build_record.recorded(smoke_book)["hw3.pdf"] == "smoke", "the book's own post-render step recorded the smoke render"
    assert main(["--root", str(root), "--out", str(smoke_book), "submission", "--profile", "full"]) == 2
    line = one_error_line(capsys)
    assert "built by profile smoke, not full; render the book with --profile full first" in line, line
    assert not list(smoke_book.parent.glob("HW3-*.zip"))


def test_submission_of_an_unrecorded_build_is_refused(tmp_path, capsys):
    root = copy_mini_book(tmp_path / "book")
    out, _ = _fake_build(root, "smoke")
    (out / build_record.RECORD).unlink()
    assert main(["--root", str(root), "submission", "--profile", "smoke"]) == 2
    assert "not recorded as built (no .hw3-build.json entry), not smoke" in one_error_line(capsys)


# --- user text is data ---------------------------------------------------------------------------


def _named_project(tmp_path: Path, name: str, number: str) -> Path:
    """The book's own sources and _quarto.yml with the student's details set to `name` and `number`."""
    root = tmp_path / "project"
    (root / "report").mkdir(parents=True)
    for path in [*PROJECT_ROOT.glob("_quarto*.yml"), PROJECT_ROOT / "index.qmd", *PROJECT_ROOT.glob("report/*.qmd")]:
        (root / path.relative_to(PROJECT_ROOT)).write_bytes(path.read_bytes())
    config = root / "_quarto.yml"
    text = config.read_text(encoding="utf-8").replace('student-name: "Name"', f"student-name: {json.dumps(name)}")
    config.write_text(text.replace('student-number: "StudentNumber"', f"student-number: {json.dumps(number)}"), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "name, zipped",
    [
        ("x/../../../pwned", "HW3-x-.-.-.-pwned-401234567.zip"),
        ("../..", "HW3-_-401234567.zip"),
        ("Sara\\Ahmadi", "HW3-Sara-Ahmadi-401234567.zip"),
        ("س" * 100, f"HW3-{'س' * 50}-401234567.zip"),  # 100 bytes of UTF-8 (a longer name is refused: tests/test_settings.py)
        ('Sara "Q" Ahmadi', "HW3-Sara_-Q-_Ahmadi-401234567.zip"),
    ],
)
def test_a_student_name_makes_a_safe_zip_name_beside_the_output(tmp_path, capsys, name, zipped):
    root = copy_mini_book(tmp_path / "book")
    config = root / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8").replace('"دانشجوی نمونه"', json.dumps(name)), encoding="utf-8")
    _fake_build(root, "smoke")
    assert main(["--root", str(root), "submission", "--profile", "smoke"]) == 0
    archive = Path(capsys.readouterr().out.strip())
    assert archive == root / zipped and archive.is_file()
    assert sorted(p.name for p in tmp_path.rglob("*.zip")) == [zipped], "nothing written outside the project"
    assert build_record.RECORD not in "".join(zipfile.ZipFile(archive).namelist())


@pytest.mark.parametrize("key, placeholder", [("student-name", '"Name"'), ("student-name", '""'), ("student-number", '"StudentNumber"'), ("student-number", "")])
def test_a_placeholder_student_is_refused_in_one_line_naming_the_key(tmp_path, capsys, key, placeholder):
    root = copy_mini_book(tmp_path / "book")
    config = root / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    old = '"دانشجوی نمونه"' if key == "student-name" else '"401234567"'
    config.write_text(text.replace(f"{key}: {old}", f"{key}: {placeholder}"), encoding="utf-8")
    _fake_build(root, "smoke")
    assert main(["--root", str(root), "submission", "--profile", "smoke"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"hw3: error: _quarto.yml: hw3: {key} is ") and "before making the submission" in line, line
    assert not list(root.glob("*.zip"))


@pytest.mark.slow
def test_submission_zip_holds_pdf_notebooks_and_site(smoke_book, tmp_path, capsys):
    root = _named_project(tmp_path, "Sara Ahmadi", "0401234567")
    assert main(["--root", str(root), "--out", str(smoke_book), "submission", "--profile", "smoke"]) == 0
    archive = Path(capsys.readouterr().out.strip())
    assert archive.name == "HW3-Sara_Ahmadi-0401234567.zip" and archive.parent == smoke_book.parent
    names = zipfile.ZipFile(archive).namelist()
    assert "hw3.pdf" in names and "html/index.html" in names and f"html/{build_record.RECORD}" not in names
    assert {f"notebooks/{n}.ipynb" for n in ("p1-cifar10", "p2-losses", "p3-transfer")} <= set(names)


# --- interrupts and kernels that die -------------------------------------------------------------


def test_ctrl_c_during_a_render_is_one_line_and_status_130(tmp_path):
    root = tiny_book(tmp_path / "book", {"index.qmd": "# A\n\n```{python}\nopen('started', 'w').close()\nimport time\ntime.sleep(60)\n```\n"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    render = subprocess.Popen([sys.executable, "-m", "hw3render.cli", "--root", str(root), "render", "--to", "html"], env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (root / "started").exists() and time.monotonic() < deadline and render.poll() is None:
        time.sleep(0.2)
    os.killpg(render.pid, signal.SIGINT)  # what Ctrl-C does: the terminal signals the whole group
    _, err = render.communicate(timeout=60)
    lines = err.splitlines()
    assert render.returncode == 130, err
    assert lines[-1] == "hw3: interrupted while executing index.qmd; nothing was written, run the same command again", err
    assert all(line.startswith("hw3: ") for line in lines), err


def _notebook(source: str):
    return to_notebook(parse(textwrap.dedent(source)))


def test_a_kernel_killed_mid_chapter_is_one_line_naming_the_chapter_and_cell(tmp_path):
    (tmp_path / "report").mkdir()
    notebook = _notebook("# A\n\n```{python}\nx = 1\n```\n\n```{python}\n#| label: tbl-killed\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n```\n")
    with pytest.raises(ChapterError) as error:
        execute(notebook, Path("report/a.qmd"), tmp_path, get_settings())
    assert str(error.value).startswith("report/a.qmd: its kernel died in cell tbl-killed (killed, or out of memory)")
    assert "\n" not in str(error.value)


def test_a_failing_cell_shows_its_own_traceback_and_none_of_the_machinery(tmp_path, capsys):
    (tmp_path / "report").mkdir()
    notebook = _notebook("# A\n\n```{python}\ndef inner():\n    raise KeyError('no such run')\ninner()\n```\n")
    with pytest.raises(ChapterError):
        execute(notebook, Path("report/a.qmd"), tmp_path, get_settings())
    shown = capsys.readouterr().err
    assert "inner()" in shown and "raise KeyError('no such run')" in shown and "KeyError: 'no such run'" in shown
    assert not any(word in shown for word in ("nbclient", "zmq", "jupyter_client", "\x1b["))


# --- broken project files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chapters, problem",
    [
        ({"index.qmd": "# A\n\n```{python}\nx = 1\n"}, "index.qmd: unclosed ```{python} cell starting at line 3; close it with a line of ```"),
        ({"index.qmd": "---\ntitle: x\n---\n# A\n\n````{python}\nx = 1\n```\n"}, "index.qmd: unclosed ```{python} cell starting at line 6; close it with a line of ````"),
        ({"index.qmd": "---\ntitle: x\n# A\n"}, "index.qmd: the front matter opened by --- at line 1 is not closed by a --- line; close it"),
    ],
)
def test_a_broken_chapter_is_one_line_naming_the_file_and_line(tmp_path, capsys, chapters, problem):
    root = tiny_book(tmp_path / "book", chapters)
    assert main(["--root", str(root), "render", "--to", "html"]) == 2
    assert one_error_line(capsys) == f"hw3: error: {problem}"


@pytest.mark.parametrize("command", [["render"], ["submission"], ["notebooks"]])
def test_a_chapter_missing_from_the_disk_is_one_line_for_every_command(tmp_path, capsys, command):
    root = tiny_book(tmp_path / "book", {"index.qmd": "# A\n"})
    (root / "_quarto.yml").write_text((root / "_quarto.yml").read_text().replace("    - index.qmd\n", "    - index.qmd\n    - report/gone.qmd\n"))
    assert main(["--root", str(root), *command]) == 2
    assert one_error_line(capsys) == f"hw3: error: {root / '_quarto.yml'}: book: chapters: lists report/gone.qmd, which is not a file under {root}; restore it or remove it from the list"


@pytest.mark.parametrize(
    "config, problem",
    [
        ("project: [type: book\n", "_quarto.yml is not valid YAML at line "),
        ("project:\n  type: book\n\tbook: x\n", "_quarto.yml is not valid YAML at line 3"),
        ("- a list\n", "_quarto.yml holds a YAML list, not the map of settings Quarto reads"),
        (None, "_quarto.yml not found; run hw3 in the book's folder, or pass --root"),
    ],
)
def test_a_broken_or_missing_quarto_yml_is_one_line_for_render(tmp_path, capsys, config, problem):
    if config is not None:
        (tmp_path / "_quarto.yml").write_text(config)
    assert main(["--root", str(tmp_path), "render"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"hw3: error: {tmp_path}/") and problem in line, line


def test_a_profile_note_that_looks_like_html_is_printed_as_text(tmp_path):
    from hw3render.execute import chapter_notebook
    from hw3render.site import write_page

    root = copy_mini_book(tmp_path / "book")
    config = root / "_quarto.yml"
    note = '<script>alert("x")</script> & <b>bold</b>'
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('  student-number: "401234567"\n', f'  student-number: "401234567"\n  profile-note: {json.dumps(note)}\n'), encoding="utf-8")
    book = load_book(root, "smoke")
    chapter = next(c for c in book.chapters if c.source.name == "references.qmd")
    page = write_page(book, chapter, chapter_notebook(book, chapter.source), {}, strict=False).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page and "<script>alert" not in page
