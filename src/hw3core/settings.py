"""Where the project reads data, writes its cache, and which device it trains on.

Every location is an environment variable with a sensible default, so a user with a
local copy of the data (or a GPU box) points the project at it without editing code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

import torch

PROJECT_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


class MissingDataError(FileNotFoundError):
    """A data set is not where the settings say; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    cache_dir: Path
    device: torch.device
    offline: bool = False

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


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def get_settings() -> Settings:
    """Read the settings from the environment (HW3_DATA_DIR, HW3_CACHE_DIR, HW3_DEVICE, HW3_OFFLINE)."""
    data_dir = Path(os.environ.get("HW3_DATA_DIR", PROJECT_ROOT / "data")).expanduser()
    cache_dir = Path(os.environ.get("HW3_CACHE_DIR", PROJECT_ROOT / ".hw3" / "cache")).expanduser()
    device_name = os.environ.get("HW3_DEVICE")
    device = torch.device(device_name) if device_name else _default_device()
    offline = os.environ.get("HW3_OFFLINE", "") not in ("", "0")
    return Settings(data_dir=data_dir.resolve(), cache_dir=cache_dir.resolve(), device=device, offline=offline)
