"""The three profiles a book can be built with, and which one is active.

`full` is faithful to the assignment (GPU recommended), `quick` uses the real data
reduced to fit a 2-core CPU, `smoke` uses tiny synthetic data so tests and CI can
execute every chapter in minutes. Quarto exports the active profile to the kernel as
QUARTO_PROFILE; outside Quarto, HW3_PROFILE decides.
"""

from __future__ import annotations

import os
from typing import Literal, TypeVar

from .errors import SettingError

Profile = Literal["full", "quick", "smoke"]
PROFILES: tuple[Profile, ...] = ("full", "quick", "smoke")
DEFAULT_PROFILE: Profile = "full"

T = TypeVar("T")


class UnknownProfileError(SettingError, ValueError):
    """A profile name that is none of PROFILES."""


def check_profile(name: str) -> Profile:
    """Return `name` as a Profile, or fail naming the valid ones."""
    if name not in PROFILES:
        raise UnknownProfileError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILES)} "
            "(set HW3_PROFILE, or pass --profile to quarto/hw3)"
        )
    return name  # type: ignore[return-value]


def active_profile() -> Profile:
    """The profile of this run: QUARTO_PROFILE (first known name), else HW3_PROFILE, else full.

    Quarto may activate several profiles at once (`--profile a,b`); the book's own is
    the one among them that this project defines.
    """
    quarto = [p.strip() for p in os.environ.get("QUARTO_PROFILE", "").split(",") if p.strip()]
    ours = [p for p in quarto if p in PROFILES]
    if ours:
        return ours[0]  # type: ignore[return-value]
    if quarto:
        check_profile(quarto[0])
    return check_profile(os.environ.get("HW3_PROFILE", DEFAULT_PROFILE))


def per_profile(profile: str, **choices: T) -> T:
    """Pick the value for `profile` from keyword choices (full=..., quick=..., smoke=...)."""
    check_profile(profile)
    missing = [p for p in PROFILES if p not in choices]
    if missing:
        raise TypeError(f"per_profile needs a value for every profile; missing {missing}")
    return choices[profile]
