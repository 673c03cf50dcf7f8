"""The book's render steps, read from _quarto.yml and run as quarto-cli runs them
(src/command/render/project.ts `runScripts`, src/core/run/)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from hw3core.errors import SettingError
from hw3render.config import load_book
from hw3render.scripts import ScriptError, run_step, split_command

RECORD = Path(__file__).parent / "fixtures" / "mini-book" / "_scripts" / "record.py"


def project(root: Path, **steps: object) -> Path:
    """A one-chapter book at `root` whose project runs `steps` (pre_render=..., post_render=...)."""
    (root / "_scripts").mkdir(parents=True)
    shutil.copy(RECORD, root / "_scripts" / "record.py")
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n", encoding="utf-8")
    config = {"project": {"type": "book", **{k.replace("_", "-"): v for k, v in steps.items()}}, "book": {"chapters": ["index.qmd"]}}
    (root / "_quarto.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def records(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "steps.jsonl").read_text(encoding="utf-8").splitlines()]


def test_a_command_line_is_split_on_spaces_and_double_quotes_keep_a_part_whole():
    """quarto-cli src/core/run/shell.ts `parseShellRunCommand`."""
    assert split_command('_scripts/a.py "two words"  x') == ["_scripts/a.py", "two words", "x"]


def test_a_partial_render_is_told_its_files_and_not_that_it_renders_everything(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("QUARTO_PROJECT_RENDER_ALL", "1")  # left over from an outer render: not passed on
    root = project(tmp_path / "book", post_render=["_scripts/record.py one", "_scripts/record.py two"])
    run_step(load_book(root, "quick"), "post-render", [root / "_book" / "index.html"], render_all=False)
    one, two = records(root)
    assert [one["args"], two["args"]] == [["one"], ["two"]], "entries run in order"
    assert one["QUARTO_PROJECT_OUTPUT_FILES"] == "_book/index.html" and one["QUARTO_PROJECT_INPUT_FILES"] is None
    assert one["QUARTO_PROJECT_RENDER_ALL"] is None and one["QUARTO_PROJECT_SCRIPT_PROGRESS"] == "0"
    assert one["QUARTO_PROFILE"] == "quick" and Path(one["QUARTO_PROJECT_OUTPUT_DIR"]) == (root / "_book").resolve()


def test_the_file_list_goes_to_the_file_quarto_is_told_to_use(tmp_path: Path, monkeypatch):
    """quarto-cli issue 10828: QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES names a file for the list."""
    listing = tmp_path / "inputs.txt"
    monkeypatch.setenv("QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES", str(listing))
    root = project(tmp_path / "book", pre_render="_scripts/record.py")
    run_step(load_book(root, "smoke"), "pre-render", [Path("index.qmd"), Path("report/a.qmd")], render_all=True)
    assert listing.read_text(encoding="utf-8") == "index.qmd\nreport/a.qmd"
    assert records(root)[0]["QUARTO_PROJECT_INPUT_FILES"] is None


def test_quarto_python_picks_the_python_of_a_py_step(tmp_path: Path, monkeypatch):
    """QUARTO_PYTHON, a binary or a folder holding python3 (quarto-cli src/core/jupyter/capabilities.ts)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("QUARTO_PYTHON", str(folder))
    root = project(tmp_path / "book", pre_render="_scripts/record.py")
    run_step(load_book(root, "smoke"), "pre-render", [Path("index.qmd")], render_all=True)
    assert records(root)[0]["python"] == str(folder / "python3")
    monkeypatch.setenv("QUARTO_PYTHON", str(tmp_path / "nowhere"))
    with pytest.raises(SettingError, match="QUARTO_PYTHON='.*nowhere' names no file"):
        load_book(root, "smoke")  # read with the other settings, before any step runs


def test_a_failing_step_stops_with_one_line_and_later_entries_do_not_run(tmp_path: Path):
    root = project(tmp_path / "book", pre_render=["_scripts/fail.py", "_scripts/record.py"])
    (root / "_scripts" / "fail.py").write_text("raise SystemExit(3)\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"pre-render step `_scripts/fail.py` failed \(exit status 3\)"):
        run_step(load_book(root, "smoke"), "pre-render", [Path("index.qmd")], render_all=True)
    assert not (root / "steps.jsonl").exists()


def test_a_step_only_quarto_can_run_is_refused_by_name(tmp_path: Path):
    root = project(tmp_path / "book", post_render="_scripts/notify.ts")
    with pytest.raises(ScriptError, match="_scripts/notify.ts needs Deno"):
        run_step(load_book(root, "smoke"), "post-render", [], render_all=True)


def test_a_program_runs_without_a_shell_in_the_project_folder(tmp_path: Path):
    root = project(tmp_path / "book", pre_render=f"{sys.executable} _scripts/record.py $HOME")
    run_step(load_book(root, "smoke"), "pre-render", [Path("index.qmd")], render_all=True)
    step = records(root)[0]
    assert step["args"] == ["$HOME"] and Path(step["cwd"]) == root.resolve()
    assert os.environ.get("QUARTO_PROJECT_DIR") is None, "the render's own environment is left as it was"
