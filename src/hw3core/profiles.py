"""The three profiles a book can be built with.

`full` is faithful to the assignment (GPU recommended), `quick` uses the real data
reduced to fit a 2-core CPU, `smoke` uses tiny synthetic data so tests and CI can
execute every chapter in minutes. Which one is active is a setting (`Settings.profile`:
QUARTO_PROFILE, which Quarto exports to the kernel, else HW3_PROFILE, else `full`).
"""

from __future__ import annotations

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


def per_profile(profile: str, **choices: T) -> T:
    """Pick the value for `profile` from keyword choices (full=..., quick=..., smoke=...)."""
    check_profile(profile)
    missing = [p for p in PROFILES if p not in choices]
    if missing:
        raise TypeError(f"per_profile needs a value for every profile; missing {missing}")
    return choices[profile]
