"""The project's settings: every environment variable and every `hw3:` key, read and checked here.

This module is the only one that reads `os.environ` (tests/test_owners.py checks). It reads
each variable once, into a frozen `Settings` (the user's choices: data, cache, weights,
profile, device, offline, the P3 photo, render workers) holding a `QuartoRun` (what Quarto,
or `hw3 render` standing in for it, told this process). A bad value is a `SettingError`
of one line naming the variable, the value and what it may be. Everything below receives
the dataclass: `hw3`'s entry point reads it once and passes it down; a chapter's kernel,
whose top is the chapter, reads it through `get_settings()` (the chapters' functions do
so when not given one). A child process (a render step, a kernel, the kernels' preloaded parent)
gets the settings back as variables through `child_environment`, so it reads the same.

A relative path means relative to where the command was typed: the current folder, or,
inside a render, the project folder Quarto names (a kernel runs in its chapter's folder).
Children are given the absolute paths.

The `hw3:` keys of `_quarto.yml` (student details, the practical notebooks, the profile's
note, the student's repository) are checked here too, from the text they were written with
(`book_keys`).
"""

from __future__ import annotations

import os
import re
import urllib.parse
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence, TypeVar

from . import layout
from .errors import DataError, SettingError
from .profiles import DEFAULT_PROFILE, PROFILES, Profile, UnknownProfileError
from .project_config import ProjectConfig, chapter_sources

if TYPE_CHECKING:  # torch (2 s to import) is imported where a device is resolved, so that
    import torch  # `hw3 --help` and the start of `hw3 render` do not wait for it

PROJECT_ROOT = Path(__file__).resolve().parents[2]
YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off", "")
T = TypeVar("T")


class MissingDataError(DataError, FileNotFoundError):
    """A data set is not where the settings say; the message says how to fix it."""


def resolve_device(name: str | None) -> torch.device:
    """The device HW3_DEVICE names (default: cuda when there is one), or a SettingError.

    Checked when something is about to train, not when settings are read, so `hw3 list`
    works under any value.
    """
    import torch

    if not name:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SettingError(f"HW3_DEVICE={name!r} is not a device name PyTorch knows; use cpu, cuda, cuda:1 or mps, or unset it") from None
    backend = getattr(torch, device.type, None) if device.type != "mps" else torch.backends.mps
    if device.type != "cpu" and not (backend is not None and hasattr(backend, "is_available") and backend.is_available()):
        raise SettingError(f"HW3_DEVICE={name!r} but this machine has no {device.type} device PyTorch can use; set HW3_DEVICE=cpu or unset it")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise SettingError(f"HW3_DEVICE={name!r} but this machine has {torch.cuda.device_count()} CUDA device(s); use cuda:0 or unset it")
    return device


@dataclass(frozen=True)
class QuartoRun:
    """What Quarto (or `hw3 render`, standing in for it) gave this process; all empty outside a render.

    A pre- or post-render step is given the project folder, the output folder, whether the
    whole book is rendered and the files to render (quarto-cli src/command/render/project.ts,
    `runScripts`); a chapter's kernel, the project folder as QUARTO_PROJECT_ROOT.
    """

    project_dir: Path | None = None  # QUARTO_PROJECT_DIR (a step) or QUARTO_PROJECT_ROOT (a kernel)
    output_dir: Path | None = None  # QUARTO_PROJECT_OUTPUT_DIR
    render_all: bool = False  # QUARTO_PROJECT_RENDER_ALL: the whole book, not some chapters
    input_files: str = ""  # QUARTO_PROJECT_INPUT_FILES: one path a line, relative to the project
    input_files_file: Path | None = None  # QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES: that list in a file instead
    output_files: str = ""  # QUARTO_PROJECT_OUTPUT_FILES: the files a render wrote, the same way
    output_files_file: Path | None = None  # QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES: that list in a file instead
    python: Path | None = None  # QUARTO_PYTHON, as the python binary it names

    def inputs(self) -> list[str]:
        """The files the render is about to render, from the variable or the file Quarto used instead
        (quarto-cli issue 10828: a list too long for the environment)."""
        return _listed(self.input_files, self.input_files_file, "QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES", "the files to render")

    def outputs(self) -> list[str]:
        """The files the render wrote (for a post-render step), read as `inputs` are."""
        return _listed(self.output_files, self.output_files_file, "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES", "the files a render wrote")


def _listed(text: str, file: Path | None, variable: str, what: str) -> list[str]:
    """The non-empty lines of `text`, or of `file` when Quarto named one in `variable`."""
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as error:
            raise SettingError(
                f"{variable}={str(file)!r} cannot be read ({error.strerror or error});"
                f" it is Quarto's list of {what}: run the step from a render, or unset it"
            ) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Settings:
    """The user's settings and what Quarto gave the process; `get_settings` reads them."""

    data_dir: Path  # HW3_DATA_DIR: the data sets (and weights/), default <project>/data
    cache_dir: Path  # HW3_CACHE_DIR: the experiment cache, default <project>/.hw3/cache
    torch_home: Path  # TORCH_HOME: torchvision's weights under hub/checkpoints/, default torch's own
    profile: Profile = DEFAULT_PROFILE  # QUARTO_PROFILE (its first name of ours), else HW3_PROFILE
    device_name: str | None = None  # HW3_DEVICE; None: cuda when there is one (`device`)
    offline: bool = False  # HW3_OFFLINE: never try to download data or weights
    p3_image: Path | None = None  # HW3_P3_IMAGE: the photo P3(b) classifies; None: scikit-image's cat
    render_workers: int | None = None  # HW3_RENDER_WORKERS: chapters at once; None: the CPUs + 1
    quarto: QuartoRun = field(default_factory=QuartoRun)

    @property
    def device(self) -> torch.device:
        return resolve_device(self.device_name)

    @property
    def layout(self) -> layout.CacheLayout:
        """Where everything under the cache root goes."""
        return layout.CacheLayout(self.cache_dir)

    def download(self, what: str, layout: str, fetch: Callable[[], T]) -> T:
        """Run `fetch` (a torchvision download into `data_dir`) unless offline.

        Whatever stops it (HW3_OFFLINE, no network, a refused server) ends in the same
        MissingDataError, which names the setting and the layout a local copy needs:
        to someone offline the download failing is just the data being missing.
        """
        missing = MissingDataError(
            f"{what} not found under {self.data_dir}"
            + (" (HW3_OFFLINE is set, so no download was tried)" if self.offline else " and could not be downloaded")
            + f".\nSet HW3_DATA_DIR to a folder laid out like this:\n{layout}"
        )
        if self.offline:
            raise missing
        try:
            return fetch()
        except Exception as error:  # noqa: BLE001 - any failure to download means the data is missing
            raise missing from error


# --- reading the environment -----------------------------------------------------------------


def get_settings(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """The settings in `environ` (default: this process's environment), each checked.

    Relative paths are taken against the project folder a render names, else `cwd`
    (default: the current folder). Raises a SettingError of one line on a bad value.
    """
    env = os.environ if environ is None else environ
    here = (cwd or Path.cwd()).resolve()
    quarto = _quarto_run(env, here)
    base = quarto.project_dir or here
    home = project_home(base)
    return Settings(
        data_dir=_folder(env, "HW3_DATA_DIR", base) or home / "data",
        cache_dir=_folder(env, "HW3_CACHE_DIR", base) or layout.default_cache(home),
        torch_home=_folder(env, "TORCH_HOME", base) or _torch_default_home(env),
        profile=_profile(env),
        device_name=_device_name(env),
        offline=_yes_no(env, "HW3_OFFLINE"),
        p3_image=_file(env, "HW3_P3_IMAGE", base, "a JPEG or PNG photo"),
        render_workers=_positive_int(env, "HW3_RENDER_WORKERS", "how many chapters may execute at once"),
        quarto=quarto,
    )


def project_home(here: Path) -> Path:
    """The folder the default data and cache folders go in: the project checkout hw3core runs
    from (an editable install, as `make setup` makes), else `here`.

    An installed copy (`pip install git+<repository>`, as an exported notebook's setup cell
    does in Colab) has no project around it: its PROJECT_ROOT is a folder of site-packages,
    so its data and cache go beside the notebook instead.
    """
    return PROJECT_ROOT if (PROJECT_ROOT / "_quarto.yml").is_file() else here


def _quarto_run(env: Mapping[str, str], here: Path) -> QuartoRun:
    project = _folder(env, "QUARTO_PROJECT_DIR", here) or _folder(env, "QUARTO_PROJECT_ROOT", here)
    return QuartoRun(
        project_dir=project,
        output_dir=_folder(env, "QUARTO_PROJECT_OUTPUT_DIR", project or here),
        render_all=_yes_no(env, "QUARTO_PROJECT_RENDER_ALL"),
        input_files=_word(env, "QUARTO_PROJECT_INPUT_FILES"),
        input_files_file=_path(env, "QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES", project or here),
        output_files=_word(env, "QUARTO_PROJECT_OUTPUT_FILES"),
        output_files_file=_path(env, "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES", project or here),
        python=_quarto_python(env, here),
    )


def _shown(name: str, value: str) -> str:
    return f"{name}={value!r}"


def _path(env: Mapping[str, str], name: str, base: Path) -> Path | None:
    """The variable as an absolute path (None when unset, empty or only spaces, as every variable)."""
    value = env.get(name, "")
    return (base / Path(value).expanduser()).resolve() if value.strip() else None


def _folder(env: Mapping[str, str], name: str, base: Path) -> Path | None:
    """A folder's path: it may not exist yet (it is made when needed), but it must not be a file."""
    path = _path(env, name, base)
    if path is not None and path.exists() and not path.is_dir():
        raise SettingError(f"{_shown(name, env[name])} is a file, not a folder: {path}; point {name} at a folder (or move the file)")
    return path


def _file(env: Mapping[str, str], name: str, base: Path, what: str) -> Path | None:
    """A file's path, which must exist."""
    path = _path(env, name, base)
    if path is not None and not path.is_file():
        problem = "is a folder, not a file" if path.is_dir() else "names no file"
        raise SettingError(f"{_shown(name, env[name])} {problem} ({path}); point {name} at {what}, or unset it")
    return path


def _word(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _yes_no(env: Mapping[str, str], name: str) -> bool:
    word = _word(env, name).lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise SettingError(f"{_shown(name, env[name])} is neither yes nor no; use {', '.join(YES)} for yes, or {', '.join(NO[:-1])} or nothing for no")


def _positive_int(env: Mapping[str, str], name: str, what: str) -> int | None:
    word = _word(env, name)
    if not word:
        return None
    if not re.fullmatch(r"[0-9]+", word) or int(word) < 1:  # not str.isdigit: it takes '²', which int() refuses
        raise SettingError(f"{_shown(name, env[name])} is not a positive whole number; set it to {what} (1, 2, ...), or unset it")
    return int(word)


def _device_name(env: Mapping[str, str]) -> str | None:
    """HW3_DEVICE as PyTorch spells a device (type, optionally :index); whether the machine has it is `resolve_device`'s question."""
    word = _word(env, "HW3_DEVICE")
    if word and not re.fullmatch(r"[a-z_]+(:[0-9]+)?", word):
        raise SettingError(f"{_shown('HW3_DEVICE', env['HW3_DEVICE'])} is not a device name PyTorch knows; use cpu, cuda, cuda:1 or mps, or unset it")
    return word or None


def _profile(env: Mapping[str, str]) -> Profile:
    """QUARTO_PROFILE's first name that is a profile of this book, else HW3_PROFILE, else full.

    Quarto may activate several profiles at once (`--profile a,b`) and exports them to the
    kernel as QUARTO_PROFILE; the book's own is the one among them that it defines.
    """
    allowed = f"use {', '.join(PROFILES[:-1])} or {PROFILES[-1]}"
    quarto = [name.strip() for name in env.get("QUARTO_PROFILE", "").split(",") if name.strip()]
    ours = [name for name in quarto if name in PROFILES]
    if ours:
        return ours[0]  # type: ignore[return-value]
    if quarto:
        raise UnknownProfileError(f"{_shown('QUARTO_PROFILE', env['QUARTO_PROFILE'])} names no profile of this book; {allowed} (quarto render --profile ...)")
    name = _word(env, "HW3_PROFILE")
    if name and name not in PROFILES:
        raise UnknownProfileError(f"{_shown('HW3_PROFILE', env['HW3_PROFILE'])} is not a profile of this book; {allowed}, or unset it")
    return name or DEFAULT_PROFILE  # type: ignore[return-value]


def _torch_default_home(env: Mapping[str, str]) -> Path:
    """Where torch keeps its files when TORCH_HOME is unset: $XDG_CACHE_HOME/torch, else ~/.cache/torch
    (torch/hub.py, `_get_torch_home`)."""
    return (Path(env.get("XDG_CACHE_HOME") or "~/.cache") / "torch").expanduser()


def _quarto_python(env: Mapping[str, str], here: Path) -> Path | None:
    """The python binary QUARTO_PYTHON names: the binary itself, or a folder holding python3 or python
    (quarto-cli src/core/jupyter/exec.ts, `pythonExec`)."""
    path = _path(env, "QUARTO_PYTHON", here)
    if path is None:
        return None
    if path.is_dir():
        found = next((path / name for name in ("python3", "python") if (path / name).is_file()), None)
        if found is None:
            raise SettingError(f"{_shown('QUARTO_PYTHON', env['QUARTO_PYTHON'])} is a folder without a python3 or python binary; point it at one, or unset it")
        return found
    if not path.is_file():
        raise SettingError(f"{_shown('QUARTO_PYTHON', env['QUARTO_PYTHON'])} names no file; point it at a python binary (e.g. .venv/bin/python), or unset it")
    return path


# --- values typed on hw3's command line -------------------------------------------------------


def render_formats(names: Sequence[str], declared: Iterable[str]) -> tuple[str, ...]:
    """`hw3 render --to`: "html" and "pdf", each once, in the order asked, from the formats as
    Quarto names them, or a SettingError before anything runs.

    Allowed are the formats `_quarto.yml` declares under `format:` that this renderer writes:
    `html`, and the book's Typst format (`<name>-typst`, e.g. hw3-book-typst, what
    `quarto render --to` takes), which `pdf`, the file it makes, names too.
    """
    declared = list(declared)
    typst = next((key for key in declared if key == "typst" or key.endswith("-typst")), None)
    aliases = ({"html": "html"} if "html" in declared else {}) | ({"pdf": "pdf", typst: "pdf"} if typst else {})
    if not aliases:
        raise SettingError("_quarto.yml declares no format hw3 render writes; add format: html: or format: hw3-book-typst: to it")
    wanted = [name.strip() for name in names]
    bad = next((name for name in wanted if name not in aliases), None)
    if bad is not None or not wanted:
        what = f"names {bad!r}, which is not a format of this book" if bad else "names no format"
        raise SettingError(f"--to {','.join(names)!r} {what}; use {', '.join(aliases)}, or several joined by commas (--to html,pdf)")
    return tuple(dict.fromkeys(aliases[name] for name in wanted))


# --- writing it for a child ------------------------------------------------------------------


def as_variables(settings: Settings) -> dict[str, str]:
    """`settings` as the variables they are read from, so that `get_settings` reads them back unchanged."""
    return {
        "HW3_DATA_DIR": str(settings.data_dir),
        "HW3_CACHE_DIR": str(settings.cache_dir),
        "TORCH_HOME": str(settings.torch_home),
        "HW3_PROFILE": settings.profile,
        "HW3_DEVICE": settings.device_name or "",
        "HW3_OFFLINE": "1" if settings.offline else "0",
        "HW3_P3_IMAGE": str(settings.p3_image or ""),
        "HW3_RENDER_WORKERS": str(settings.render_workers or ""),
    }


def child_environment(settings: Settings, variables: Mapping[str, str | None] | None = None, defaults: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a child process starts with: this process's, `settings` written back
    (`as_variables`), then `variables` over them (None removes one).

    `defaults` apply only where this process has no value of its own (a render gives its
    kernels a share of the CPUs in OMP_NUM_THREADS unless the user set it). QUARTO_PROFILE,
    which a child would read before HW3_PROFILE, is removed unless `variables` sets it, as
    a render does for its steps and kernels.
    """
    env = {**(defaults or {}), **os.environ, **as_variables(settings)}
    env.pop("QUARTO_PROFILE", None)
    for name, value in (variables or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def enter_environment(variables: Mapping[str, str]) -> None:
    """Make `variables` the whole environment of this process: a kernel forked from the render's
    preloaded parent takes the one `child_environment` made for it."""
    os.environ.clear()
    os.environ.update(variables)


# --- the hw3: keys of _quarto.yml ------------------------------------------------------------


@dataclass(frozen=True)
class BookKeys:
    """The project's own keys under `hw3:` in `_quarto.yml` (and the profile's file), as written."""

    student_name: str | None = None  # student-name: on the cover and in the submission's name
    student_number: str | None = None  # student-number: the same; its digits kept as typed
    practical_notebooks: tuple[Path, ...] = ()  # practical-notebooks: chapters exported as notebooks
    profile_note: str | None = None  # profile-note: the profile's line on the cover and the site
    repository: str | None = None  # repository: the student's repository (an https URL), for the cover, the site and the notebooks

    def submission_name(self) -> str:
        """`HW3-<Name>-<StudentNumber>.zip`, each part in its file-name form (`file_name_part`),
        or a SettingError naming the key that is still empty or the template's placeholder."""
        for key, value in (("student-name", self.student_name), ("student-number", self.student_number)):
            if value is None or not value.strip() or value.strip().casefold() in PLACEHOLDERS:
                shown = "is not set" if value is None or not value.strip() else f"is still the placeholder {value!r}"
                raise SettingError(f"_quarto.yml: hw3: {key} {shown}; write your own under hw3: in _quarto.yml before making the submission")
        return f"HW3-{file_name_part(self.student_name)}-{file_name_part(self.student_number)}.zip"  # type: ignore[arg-type]


TEXT_KEYS = {"student-name": "student_name", "student-number": "student_number", "profile-note": "profile_note", "repository": "repository"}
# The longest each text key may be: a name and a number fit a cover's line; a note, a few.
TEXT_LIMITS = {"student-name": 100, "student-number": 40, "profile-note": 400, "repository": 200}
# What the book's template has in the student's keys until the student writes their own.
PLACEHOLDERS = {"name", "studentnumber", "student-number", "نام دانشجو"}
# Characters that are no text of their own: C0/C1 controls (a line break among them), and the
# bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder what
# follows them on the cover, in the site and in a file name.
INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FILE_NAME_BYTES = 100


def file_name_part(text: str) -> str:
    """`text` as one safe part of a file name: NFKC-normalised (so look-alike forms such as
    full-width letters or a fraction slash become plain ones), without controls or bidi
    marks, path separators and the characters Windows refuses turned into "-", spaces into
    "_", no run of dots ("..") and none leading (no hidden file), at most FILE_NAME_BYTES bytes
    of UTF-8, so that two parts and "HW3-" fit any file system's 255."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = re.sub(r'[/\\:*?"<>|]+', "-", text)
    text = re.sub(r"\.{2,}", ".", re.sub(r"\s+", "_", text.strip()))
    while len(text.encode()) > FILE_NAME_BYTES:  # a file system counts bytes: 255 for the whole name
        text = text[:-1]
    return text.strip(".-_") or "_"
KNOWN_KEYS = sorted([*TEXT_KEYS, "practical-notebooks"])


def https_url(text: str) -> bool:
    """Whether `text` is an https URL with a host (what a reader can open, and pip can install from)."""
    parts = urllib.parse.urlsplit(text)
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in text)


def book_keys(config: ProjectConfig) -> BookKeys:
    """The `hw3:` keys checked: known names only, text where text is meant, chapters that exist.

    Each value is the text it was written with (project_config), so `student-number:
    0401234567` keeps its leading zero instead of becoming YAML's octal number.
    """
    hw3 = config.hw3_text

    def fail(key: str, problem: str) -> SettingError:
        return SettingError(f"{config.hw3_origin.get(key, '_quarto.yml')}: hw3: {key} {problem}")

    unknown = sorted(set(hw3) - set(KNOWN_KEYS))
    if unknown:
        raise fail(unknown[0], f"is not a key of this project; the known keys are {', '.join(KNOWN_KEYS)}")
    texts = {}
    for key, name in TEXT_KEYS.items():
        value = hw3.get(key)
        if not isinstance(value, (str, type(None))):
            raise fail(key, f"must be one line of text, not a {'list' if isinstance(value, list) else 'map'}")
        if value is not None and (bad := INVISIBLE.search(value)):
            raise fail(key, f"holds the control character U+{ord(bad.group()):04X}; write it as one line of plain text")
        if value is not None and len(value) > TEXT_LIMITS[key]:
            raise fail(key, f"is {len(value)} characters long; shorten it to at most {TEXT_LIMITS[key]}")
        texts[name] = value
    if texts["repository"] is not None and not https_url(texts["repository"]):
        raise fail("repository", f"is {texts['repository']!r}, not an https URL; write the address of your repository, e.g. https://github.com/<you>/hw3")
    listed = hw3.get("practical-notebooks") or []
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise fail("practical-notebooks", "must be a list of chapter paths (- report/p1-cifar10.qmd)")
    chapters = {source for source, _ in chapter_sources(config.raw)}
    for item in listed:
        if not (config.root / item).is_file():
            raise fail("practical-notebooks", f"lists {item}, which does not exist under {config.root}; list chapter files")
        if Path(item) not in chapters:
            raise fail("practical-notebooks", f"lists {item}, which is not a chapter of the book; add it to book: chapters: or remove it")
    return BookKeys(**texts, practical_notebooks=tuple(Path(item) for item in listed))
