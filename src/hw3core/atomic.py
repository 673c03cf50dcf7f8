"""Writes that never leave a half-written file behind.

Each writer puts the bytes in a temporary file in the same folder and renames it over
the target: a rename within one file system is atomic, so a reader (or a resumed run)
sees the old file or the new one, never a torn one. A write that fails for a reason
outside the program (a full disk, a read-only or missing folder) becomes a
`StorageError` naming the path, and leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import torch

from .errors import StorageError
from .layout import set_aside_name

_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space (or point HW3_CACHE_DIR at another disk) and run again",
    errno.EDQUOT: "the disk quota is used up; free some space (or point HW3_CACHE_DIR at another disk) and run again",
    errno.EROFS: "the file system is read-only; point HW3_CACHE_DIR at a writable folder",
    errno.EACCES: "permission denied; point HW3_CACHE_DIR at a folder you can write",
    errno.EPERM: "permission denied; point HW3_CACHE_DIR at a folder you can write",
    errno.ENOTDIR: "a file stands where a folder is needed; point HW3_CACHE_DIR at a folder (or move the file)",
    errno.EEXIST: "a file stands where a folder is needed; point HW3_CACHE_DIR at a folder (or move the file)",
}


@contextlib.contextmanager
def storage(path: Path) -> Iterator[None]:
    """Turn an OSError that the user can fix (see _ADVICE) into a one-line StorageError."""
    try:
        yield
    except OSError as error:
        if error.errno not in _ADVICE:
            raise
        where = error.filename or path
        raise StorageError(f"cannot write {where}: {_ADVICE[error.errno]}") from error


def make_dir(path: Path) -> Path:
    with storage(path):
        path.mkdir(parents=True, exist_ok=True)
    if not path.is_dir():
        raise StorageError(f"cannot write {path}: {_ADVICE[errno.ENOTDIR]}")
    return path


def write_bytes(path: Path, data: bytes) -> None:
    make_dir(path.parent)
    with storage(path):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def write_json(path: Path, obj: Any) -> None:
    write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False).encode())


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    write_bytes(path, frame.to_csv(index=False).encode())


def torch_save(obj: Any, path: Path) -> None:
    """`torch.save` through an in-memory buffer, then an atomic write."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes(path, buffer.getvalue())


def torch_load(path: Path) -> Any:
    """Load tensors and plain containers only (`weights_only=True`): no pickled code runs."""
    return torch.load(path, map_location="cpu", weights_only=True)


# What torch.load raises on a truncated, overwritten or foreign file.
UNREADABLE = (RuntimeError, EOFError, ValueError, KeyError, IndexError, OSError, pickle.UnpicklingError)


def why_unreadable(error: BaseException) -> str:
    """One plain line saying why `torch_load` refused a file.

    torch's own message for a file that holds more than tensors spans lines, carries
    terminal colour codes and explains how to load it with weights_only=False, which is
    the one thing a file found in the cache must never get.
    """
    if isinstance(error, pickle.UnpicklingError):
        return "it holds more than tensors, which loading with weights_only=True refuses"
    line = next((text for text in str(error).splitlines() if text.strip()), type(error).__name__)
    return re.sub(r"\x1b\[[0-9;]*m", "", line)


def set_aside(path: Path, why: str = "corrupt") -> Path:
    """Rename a damaged file (or folder) to `<name>.<why>-<time>`: kept to inspect, out of the way."""
    target = set_aside_name(path, why)
    with storage(path):
        path.rename(target)
    return target
