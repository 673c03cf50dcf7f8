"""The errors a user can cause and fix: one family, each a single actionable line.

Everything a careful but unlucky user can do wrong (a missing or damaged data file, a
device that is not there, a cache folder that cannot be written, Ctrl-C) raises a
`UserError` whose message says what is wrong, which file or setting, and what to do.
`hw3`'s entry point prints that line and exits with `exit_code`; any other exception
is a bug in the project and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A foreseeable failure caused by input or environment; `str()` is the one line to show."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class DataError(UserError):
    """A data set is missing, incomplete, or holds a file that cannot be used as it is."""


class SettingError(UserError):
    """An environment setting (HW3_DEVICE, HW3_CACHE_DIR, ...) names something unusable."""


class StorageError(UserError):
    """A write failed for a reason outside the program: a full disk, a read-only folder."""


class Interrupted(UserError, KeyboardInterrupt):
    """Ctrl-C during training; still a KeyboardInterrupt, so nothing swallows it by accident."""

    exit_code = 130
