"""The settings, read and checked in one place (hw3core.settings): every variable and every
`hw3:` key of _quarto.yml.

A bad value stops `hw3` with exit status 2 and one line naming the variable (or the file
and key), the value and what it may be; good values parse to typed fields; a child
process reads back exactly the settings its parent had."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from hw3core.project_config import read_project_config
from hw3core.errors import SettingError
from hw3core.settings import PROJECT_ROOT, BookKeys, Settings, book_keys, child_environment, file_name_part, get_settings, render_formats
from hw3render import build_record
from hw3render.cli import main  # the installed `hw3`: every command

VARIABLES = (
    "HW3_DATA_DIR", "HW3_CACHE_DIR", "TORCH_HOME", "HW3_PROFILE", "HW3_DEVICE", "HW3_OFFLINE", "HW3_P3_IMAGE",
    "HW3_RENDER_WORKERS", "QUARTO_PROFILE", "QUARTO_PROJECT_DIR", "QUARTO_PROJECT_ROOT", "QUARTO_PROJECT_OUTPUT_DIR",
    "QUARTO_PROJECT_RENDER_ALL", "QUARTO_PROJECT_INPUT_FILES", "QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES",
    "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES", "QUARTO_PYTHON",
)  # fmt: skip


def one_error_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    return err[0]


# --- the environment ---------------------------------------------------------------------------

YES_OR_NO = "is neither yes nor no; use 1, true, yes, on for yes, or 0, false, no, off or nothing for no"
BAD = [
    ("HW3_OFFLINE", "maybe", YES_OR_NO),
    ("HW3_OFFLINE", "2", YES_OR_NO),
    ("HW3_PROFILE", "fastest", "is not a profile of this book; use full, quick or smoke, or unset it"),
    ("QUARTO_PROFILE", "production", "names no profile of this book; use full, quick or smoke"),
    ("HW3_DEVICE", "cuda 0", "is not a device name PyTorch knows; use cpu, cuda, cuda:1 or mps, or unset it"),
    ("HW3_RENDER_WORKERS", "0", "is not a positive whole number; set it to how many chapters may execute at once"),
    ("HW3_RENDER_WORKERS", "-2", "is not a positive whole number"),
    ("HW3_RENDER_WORKERS", "two", "is not a positive whole number"),
    ("HW3_DATA_DIR", "{file}", "is a file, not a folder: {file}; point HW3_DATA_DIR at a folder"),
    ("HW3_CACHE_DIR", "{file}", "is a file, not a folder: {file}; point HW3_CACHE_DIR at a folder"),
    ("TORCH_HOME", "{file}", "is a file, not a folder: {file}; point TORCH_HOME at a folder"),
    ("HW3_P3_IMAGE", "{missing}", "names no file ({missing}); point HW3_P3_IMAGE at a JPEG or PNG photo, or unset it"),
    ("HW3_P3_IMAGE", "{folder}", "is a folder, not a file ({folder}); point HW3_P3_IMAGE at a JPEG or PNG photo"),
    ("QUARTO_PYTHON", "{missing}", "names no file; point it at a python binary (e.g. .venv/bin/python), or unset it"),
    ("QUARTO_PYTHON", "{folder}", "is a folder without a python3 or python binary"),
    ("QUARTO_PROJECT_OUTPUT_DIR", "{file}", "is a file, not a folder"),
    ("QUARTO_PROJECT_RENDER_ALL", "sometimes", YES_OR_NO),
    ("HW3_OFFLINE", "y", YES_OR_NO),
    ("HW3_RENDER_WORKERS", "²", "is not a positive whole number"),  # str.isdigit says yes, int() says no
    ("HW3_RENDER_WORKERS", "３", "is not a positive whole number"),
    ("HW3_RENDER_WORKERS", "+2", "is not a positive whole number"),
    ("HW3_DEVICE", "cuda:٣", "is not a device name PyTorch knows"),
    ("HW3_PROFILE", "Smoke", "is not a profile of this book"),
]


@pytest.mark.parametrize("variable, value, problem", BAD, ids=[f"{v}={x}" for v, x, _ in BAD])
def test_a_bad_value_is_one_line_naming_the_variable_the_value_and_what_is_allowed(tmp_path, monkeypatch, capsys, variable, value, problem):
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-folder").mkdir()
    places = {"file": tmp_path / "a-file", "missing": tmp_path / "missing.png", "folder": tmp_path / "a-folder"}
    value, problem = value.format(**places), problem.format(**places)
    monkeypatch.setenv(variable, value)
    assert main(["list"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"hw3: error: {variable}={value!r} ") and problem in line, line


def test_hw3_itself_ends_a_bad_setting_in_one_line_and_status_2(tmp_path):
    env = {**os.environ, "HW3_OFFLINE": "false-ish", "PYTHONPATH": os.pathsep.join(sys.path)}
    ran = subprocess.run([sys.executable, "-m", "hw3render.cli", "list"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.splitlines() == [f"hw3: error: HW3_OFFLINE='false-ish' {YES_OR_NO}"]


@pytest.mark.parametrize("value, offline", [("1", True), ("true", True), ("YES", True), ("on", True), (" 0 ", False), ("false", False), ("No", False), ("off", False), ("", False)])
def test_offline_is_a_yes_or_no_and_false_means_online(value, offline):
    assert get_settings({"HW3_OFFLINE": value}).offline is offline


def test_each_variable_parses_to_its_typed_field(tmp_path):
    base = tmp_path.resolve()
    (base / "cat.png").write_bytes(b"")
    (base / "bin").mkdir()
    (base / "bin" / "python3").symlink_to(sys.executable)
    env = {
        "HW3_DATA_DIR": "data", "HW3_CACHE_DIR": str(base / "cache"), "TORCH_HOME": "~/th", "HW3_PROFILE": "quick",
        "HW3_DEVICE": "cuda:1", "HW3_OFFLINE": "on", "HW3_P3_IMAGE": "cat.png", "HW3_RENDER_WORKERS": "3", "QUARTO_PYTHON": "bin",
    }  # fmt: skip
    settings = get_settings(env, cwd=base)
    assert settings == Settings(
        data_dir=base / "data", cache_dir=base / "cache", torch_home=Path.home() / "th", profile="quick", device_name="cuda:1",
        offline=True, p3_image=base / "cat.png", render_workers=3, quarto=settings.quarto,
    )  # fmt: skip
    assert settings.quarto.python == base / "bin" / "python3"


def test_unset_and_empty_both_mean_the_default(monkeypatch):
    defaults = get_settings({})
    assert get_settings(dict.fromkeys(VARIABLES, "")) == defaults
    assert get_settings(dict.fromkeys(VARIABLES, "  ")) == defaults, "only spaces is empty too, for every variable"
    assert (defaults.profile, defaults.device_name, defaults.offline, defaults.p3_image, defaults.render_workers) == ("full", None, False, None, None)
    assert (defaults.data_dir, defaults.cache_dir) == (PROJECT_ROOT / "data", PROJECT_ROOT / ".hw3" / "cache")
    for name in ("TORCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    assert get_settings().torch_home == Path(torch.hub.get_dir()).parent  # torch's own default, without asking torch


def test_torch_home_defaults_as_torch_does_under_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert get_settings().torch_home == Path(torch.hub.get_dir()).parent == tmp_path / "torch"


def test_quarto_profile_wins_and_ignores_profiles_of_other_projects():
    assert get_settings({"HW3_PROFILE": "full", "QUARTO_PROFILE": "production,quick"}).profile == "quick"
    assert get_settings({"HW3_PROFILE": "quick"}).profile == "quick"
    assert get_settings({"HW3_PROFILE": "quick", "QUARTO_PROFILE": ""}).profile == "quick"


def test_what_a_render_step_is_given(tmp_path):
    base = tmp_path.resolve()
    env = {
        "QUARTO_PROJECT_DIR": str(base), "QUARTO_PROJECT_OUTPUT_DIR": "_book", "QUARTO_PROJECT_RENDER_ALL": "1",
        "QUARTO_PROJECT_INPUT_FILES": "index.qmd\nreport/a.qmd\n", "HW3_CACHE_DIR": ".hw3/cache",
    }  # fmt: skip
    settings = get_settings(env, cwd=base / "report")  # a kernel runs in its chapter's folder
    quarto = settings.quarto
    assert (quarto.project_dir, quarto.output_dir, quarto.render_all) == (base, base / "_book", True)
    assert quarto.inputs() == ["index.qmd", "report/a.qmd"]
    assert settings.cache_dir == base / ".hw3" / "cache", "relative to the project Quarto names, not the chapter's folder"
    listing = base / "inputs.txt"
    listing.write_text("report/p3-transfer.qmd\n")
    assert get_settings({**env, "QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES": str(listing)}).quarto.inputs() == ["report/p3-transfer.qmd"]
    after = {**env, "QUARTO_PROJECT_OUTPUT_FILES": "_book/index.html\n_book/hw3.pdf\n"}
    assert get_settings(after).quarto.outputs() == ["_book/index.html", "_book/hw3.pdf"]
    assert get_settings({**after, "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES": str(listing)}).quarto.outputs() == ["report/p3-transfer.qmd"]
    assert get_settings({"QUARTO_PROJECT_ROOT": str(base), "HW3_DATA_DIR": "d"}, cwd=base / "report").data_dir == base / "d"


def test_a_child_reads_back_the_same_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cat.png").write_bytes(b"")
    typed = {"HW3_CACHE_DIR": "c", "TORCH_HOME": "th", "HW3_P3_IMAGE": "cat.png", "HW3_DEVICE": "cpu", "HW3_RENDER_WORKERS": "2", "QUARTO_PROFILE": "x,quick"}
    for name, value in typed.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    settings = get_settings()
    env = child_environment(settings)
    assert get_settings(env, cwd=tmp_path / "report") == settings
    assert "QUARTO_PROFILE" not in env and env["HW3_PROFILE"] == "quick" and env["PATH"] == os.environ["PATH"]
    kernel = child_environment(settings, {"QUARTO_PROFILE": "quick", "HW3_DEVICE": None}, defaults={"OMP_NUM_THREADS": "7"})
    assert kernel["QUARTO_PROFILE"] == "quick" and "HW3_DEVICE" not in kernel and kernel["OMP_NUM_THREADS"] == "7"
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert child_environment(settings, defaults={"OMP_NUM_THREADS": "7"})["OMP_NUM_THREADS"] == "1", "the user's own value wins"


# --- the hw3: keys of _quarto.yml ------------------------------------------------------------------

CONFIG = """project:
  type: book
book:
  title: A book
  chapters:
    - index.qmd
    - part: Practical
      chapters:
        - report/p1-x.qmd
"""


def book(root: Path, hw3: str, smoke: str | None = None) -> Path:
    """A two-chapter book whose _quarto.yml ends with `hw3` (and a smoke profile's file, if given)."""
    (root / "report").mkdir(parents=True)
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n", encoding="utf-8")
    (root / "report" / "p1-x.qmd").write_text("# P1\n", encoding="utf-8")
    (root / "_quarto.yml").write_text(CONFIG + hw3, encoding="utf-8")
    if smoke is not None:
        (root / "_quarto-smoke.yml").write_text(smoke, encoding="utf-8")
    return root


def test_an_unquoted_student_number_keeps_its_digits(tmp_path, capsys):
    root = book(tmp_path, "hw3:\n  student-name: Sara\n  student-number: 0401234567\n  practical-notebooks:\n    - report/p1-x.qmd\n", "hw3:\n  profile-note: a smoke note\n")
    assert yaml.safe_load((root / "_quarto.yml").read_text())["hw3"]["student-number"] == 0o401234567, "what YAML alone makes of it"
    assert book_keys(read_project_config(root, "smoke")) == BookKeys("Sara", "0401234567", (Path("report/p1-x.qmd"),), "a smoke note")
    out = root / "_book"
    built = [out / "book.pdf", out / "notebooks" / "p1-x.ipynb", out / "index.html", out / "report" / "p1-x.html"]
    for path in built:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("built")
    build_record.record(out, "smoke", built)
    assert main(["--root", str(root), "submission", "--profile", "smoke"]) == 0
    assert capsys.readouterr().out.strip() == str(root / "HW3-Sara-0401234567.zip")


def test_the_repository_is_an_https_url_as_written(tmp_path):
    root = book(tmp_path, "hw3:\n  repository: https://github.com/sara/hw3\n")
    assert book_keys(read_project_config(root, "smoke")).repository == "https://github.com/sara/hw3"


def test_the_books_repository_is_the_one_pyproject_names():
    """The notebooks install the project from `hw3: repository:`; pip's metadata names the same place."""
    tomllib = pytest.importorskip("tomllib")
    urls = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert book_keys(read_project_config(PROJECT_ROOT, "smoke")).repository == urls["Repository"]


def test_an_installed_copy_keeps_its_data_and_cache_beside_the_notebook(tmp_path, monkeypatch):
    """Outside a checkout (pip install git+..., as in Colab), PROJECT_ROOT is a folder of site-packages."""
    import hw3core.settings as settings

    assert get_settings({}, cwd=tmp_path).data_dir == PROJECT_ROOT / "data", "in the checkout, its own data/"
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path / "site-packages")
    chosen = get_settings({}, cwd=tmp_path / "notebooks")
    assert (chosen.data_dir, chosen.cache_dir) == (tmp_path / "notebooks" / "data", tmp_path / "notebooks" / ".hw3" / "cache")


def test_no_hw3_section_means_no_student_details(tmp_path):
    assert book_keys(read_project_config(book(tmp_path, ""), "smoke")) == BookKeys()


BAD_KEYS = [
    ("hw3:\n  studnet-name: Sara\n", None, "_quarto.yml: hw3: studnet-name is not a key of this project; the known keys are practical-notebooks, profile-note, repository, student-name, student-number"),
    ("hw3:\n  student-name: Sara\n", "hw3:\n  profile-notes: x\n", "_quarto-smoke.yml: hw3: profile-notes is not a key of this project"),
    ("hw3:\n  student-name: [Sara, Ali]\n", None, "_quarto.yml: hw3: student-name must be one line of text, not a list"),
    ("hw3:\n  practical-notebooks: report/p1-x.qmd\n", None, "_quarto.yml: hw3: practical-notebooks must be a list of chapter paths"),
    ("hw3:\n  practical-notebooks:\n    - report/p9.qmd\n", None, "_quarto.yml: hw3: practical-notebooks lists report/p9.qmd, which does not exist under"),
    ("hw3:\n  practical-notebooks:\n    - _quarto.yml\n", None, "_quarto.yml: hw3: practical-notebooks lists _quarto.yml, which is not a chapter of the book"),
    ("hw3:\n  repository: github.com/sara/hw3\n", None, "_quarto.yml: hw3: repository is 'github.com/sara/hw3', not an https URL; write the address of your repository"),
    ("hw3:\n  repository: http://github.com/sara/hw3\n", None, "_quarto.yml: hw3: repository is 'http://github.com/sara/hw3', not an https URL"),
    ("hw3: [a, b]\n", None, "_quarto.yml: hw3: must be a map of keys"),
    ("hw3:\n  student-name: 'Sara\n", None, "_quarto.yml is not valid YAML at line 12: "),
    ('hw3:\n  student-name: "Sara\\nAli"\n', None, "_quarto.yml: hw3: student-name holds the control character U+000A; write it as one line"),
    ('hw3:\n  student-name: "Sara\\u202eilA"\n', None, "_quarto.yml: hw3: student-name holds the control character U+202E"),
    ('hw3:\n  student-number: "0401\\u2066"\n', None, "_quarto.yml: hw3: student-number holds the control character U+2066"),
    ("hw3:\n  student-name: " + "x" * 101 + "\n", None, "_quarto.yml: hw3: student-name is 101 characters long; shorten it to at most 100"),
    ("hw3:\n  student-name: Sara\n", "hw3:\n  profile-note: " + "n" * 401 + "\n", "_quarto-smoke.yml: hw3: profile-note is 401 characters long"),
]


@pytest.mark.parametrize("hw3, smoke, message", BAD_KEYS, ids=[m.split(": ", 2)[-1][:40] for _, _, m in BAD_KEYS])
def test_a_bad_hw3_key_is_one_line_naming_the_file_and_the_key(tmp_path, capsys, hw3, smoke, message):
    root = book(tmp_path, hw3, smoke)
    assert main(["--root", str(root), "submission", "--profile", "smoke"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("hw3: error: ") and message in line, line


def test_a_missing_project_file_is_one_line(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "submission", "--profile", "smoke"]) == 2
    assert one_error_line(capsys) == f"hw3: error: {tmp_path / '_quarto.yml'} not found; run hw3 in the book's folder, or pass --root with the folder that holds _quarto.yml"


def test_the_books_own_keys_are_read_as_written():
    keys = book_keys(read_project_config(PROJECT_ROOT, "smoke"))
    assert keys.student_name == "Name" and keys.student_number == "StudentNumber" and keys.profile_note.startswith("پروفایل smoke")
    assert [p.stem for p in keys.practical_notebooks] == ["p1-cifar10", "p2-losses", "p3-transfer"]


# --- user text as data: the submission's name ------------------------------------------------------

NAMES = [
    ("x/../../../pwned", "x-.-.-.-pwned"),
    ("..", "_"),
    (".hidden", "hidden"),
    ("C:\\Windows\\evil", "C-Windows-evil"),
    ('a<b>c:"d"|e?f*', "a-b-c-d-e-f"),
    ("Sara  Ahmadi", "Sara_Ahmadi"),
    ("سارا\u200cاحمدی", "سارا\u200cاحمدی"),  # the zero-width non-joiner is part of a Persian word
    ("Ali\u202eReza\u2066", "AliReza"),
    ("ＳａｒａⅣ", "SaraIV"),  # NFKC: full-width letters and a roman numeral become plain ones
    ("x\u2215y", "x∕y"),  # a division slash is no path separator
    ("a" * 300, "a" * 100),
    ("😀" * 80, "😀" * 25),
]


@pytest.mark.parametrize("text, part", NAMES)
def test_a_file_name_part_is_one_safe_bounded_name(text, part):
    made = file_name_part(text)
    assert made == part
    assert "/" not in made and "\\" not in made and ".." not in made and len(made.encode()) <= 100
    assert Path(made).name == made and not made.startswith(".")


@pytest.mark.parametrize(
    "name, number, problem",
    [
        (None, "401", "hw3: student-name is not set"),
        ("   ", "401", "hw3: student-name is not set"),
        ("Name", "401", "hw3: student-name is still the placeholder 'Name'"),
        ("Sara", "StudentNumber", "hw3: student-number is still the placeholder 'StudentNumber'"),
        ("Sara", "", "hw3: student-number is not set"),
    ],
)
def test_an_empty_or_placeholder_student_is_refused_naming_the_key(name, number, problem):
    with pytest.raises(SettingError, match=problem) as error:
        BookKeys(name, number).submission_name()
    assert "\n" not in str(error.value) and "_quarto.yml" in str(error.value)


def test_a_submission_name_keeps_the_number_as_written():
    assert BookKeys("Sara Ahmadi", "0401234567").submission_name() == "HW3-Sara_Ahmadi-0401234567.zip"


# --- hw3 render --to ---------------------------------------------------------------------------------

DECLARED = ["html", "hw3-book-typst"]


@pytest.mark.parametrize(
    "asked, formats",
    [("html", ("html",)), ("pdf", ("pdf",)), ("hw3-book-typst", ("pdf",)), ("html,pdf", ("html", "pdf")), ("pdf, html,hw3-book-typst", ("pdf", "html"))],
)
def test_render_formats_are_the_books_formats_as_quarto_names_them(asked, formats):
    assert render_formats(asked.split(","), DECLARED) == formats


@pytest.mark.parametrize(
    "asked, problem",
    [
        ("docx", "--to 'docx' names 'docx', which is not a format of this book; use html, pdf, hw3-book-typst"),
        ("", "--to '' names no format; use html, pdf, hw3-book-typst"),
        ("html,", "--to 'html,' names no format"),
        ("HTML", "names 'HTML', which is not a format"),
        ("typst", "names 'typst', which is not a format"),
        ("html,latex", "names 'latex'"),
    ],
)
def test_a_format_the_book_does_not_declare_is_one_line(asked, problem):
    with pytest.raises(SettingError, match=re.escape(problem)):
        render_formats(asked.split(","), DECLARED)
    with pytest.raises(SettingError, match="declares no format hw3 render writes"):
        render_formats(["html"], ["docx"])
