"""Where the project reads data, writes its cache, and which device it trains on; the `hw3:` keys.

Every location is an environment variable with a sensible default, so a user with a
local copy of the data (or a GPU box) points the project at it without editing code.
The project's own keys under `hw3:` in `_quarto.yml` (student details, the practical
notebooks, the profile's note) are checked here too, from the text they were written
with (`book_keys`).

A relative path in a setting means relative to where the user typed the command. The
kernels of a render run in `report/`, not there, so `hw3`'s entry point makes the
path settings absolute once (`pin_paths`) before any other process starts; in a kernel
started by Quarto itself, `book.chapter_setup` pins them against the project root, where
`quarto render` is typed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from . import layout
from .errors import DataError, SettingError
from .project_config import ProjectConfig, chapter_sources

if TYPE_CHECKING:  # torch (2 s to import) is imported where a device is resolved, so that
    import torch  # `hw3 --help` and the start of `hw3 render` do not wait for it

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PATH_SETTINGS = ("HW3_DATA_DIR", "HW3_CACHE_DIR", "HW3_P3_IMAGE", "TORCH_HOME")
T = TypeVar("T")


class MissingDataError(DataError, FileNotFoundError):
    """A data set is not where the settings say; the message says how to fix it."""


def pin_paths(base: Path | None = None) -> None:
    """Rewrite every relative path setting in os.environ as an absolute one, against `base`.

    Called once by `hw3`'s entry point with the directory the command was typed in, so
    the training process and every kernel it starts agree on the same folders.
    """
    base = base or Path.cwd()
    for name in PATH_SETTINGS:
        value = os.environ.get(name)
        if value:
            os.environ[name] = str((base / Path(value).expanduser()).resolve())


def _setting_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


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
class Settings:
    data_dir: Path
    cache_dir: Path
    device_name: str | None = None
    offline: bool = False

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


def get_settings() -> Settings:
    """Read the settings from the environment (HW3_DATA_DIR, HW3_CACHE_DIR, HW3_DEVICE, HW3_OFFLINE)."""
    return Settings(
        data_dir=_setting_path("HW3_DATA_DIR", PROJECT_ROOT / "data"),
        cache_dir=_setting_path("HW3_CACHE_DIR", layout.default_cache(PROJECT_ROOT)),
        device_name=os.environ.get("HW3_DEVICE") or None,
        offline=os.environ.get("HW3_OFFLINE", "") not in ("", "0"),
    )


# --- the hw3: keys of _quarto.yml ------------------------------------------------------------


@dataclass(frozen=True)
class BookKeys:
    """The project's own keys under `hw3:` in `_quarto.yml` (and the profile's file), as written."""

    student_name: str | None = None  # student-name: on the cover and in the submission's name
    student_number: str | None = None  # student-number: the same; its digits kept as typed
    practical_notebooks: tuple[Path, ...] = ()  # practical-notebooks: chapters exported as notebooks
    profile_note: str | None = None  # profile-note: the profile's line on the cover and the site


TEXT_KEYS = {"student-name": "student_name", "student-number": "student_number", "profile-note": "profile_note"}
KNOWN_KEYS = sorted([*TEXT_KEYS, "practical-notebooks"])


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
        if not isinstance(hw3.get(key), (str, type(None))):
            raise fail(key, f"must be one line of text, not a {'list' if isinstance(hw3[key], list) else 'map'}")
        texts[name] = hw3.get(key)
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
