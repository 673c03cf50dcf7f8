"""Every file the book writes is whole or absent, and a folder it cannot write is one line, early.

The files go through hw3core.atomic (a temporary name in the same folder, renamed into
place), so a full disk or a Ctrl-C mid-write leaves the previous page, figure, PDF,
notebook or zip as it was. Before any chapter executes, `check_folder` tries the output
folder: a read-only or missing-permission folder, or one on a disk with less than
MIN_FREE left, stops the render in one line instead of after minutes of chapters.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from hw3core.errors import StorageError

# Room a render needs at least: the smoke book's output is about 15 MiB, the full one's more.
MIN_FREE = 100 * 2**20
WHAT_TO_DO = {
    errno.ENOSPC: "the disk is full; free some space, or render elsewhere with --out (or project: output-dir: in _quarto.yml)",
    errno.EDQUOT: "the disk quota is used up; free some space, or render elsewhere with --out",
}
READ_ONLY = "it cannot be written; make it writable, or render elsewhere with --out (or project: output-dir: in _quarto.yml)"


@contextlib.contextmanager
def reported(path: Path) -> Iterator[None]:
    """An OSError of the disk or the folder (full, read-only, no permission) as one line naming `path`."""
    try:
        yield
    except StorageError as error:  # hw3core.atomic's, whose advice is about the cache
        cause = error.__cause__ if isinstance(error.__cause__, OSError) else None
        raise _storage_error(cause, path) from cause
    except OSError as error:
        if error.errno not in (*WHAT_TO_DO, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR):
            raise
        raise _storage_error(error, path) from error


def _storage_error(error: OSError | None, path: Path) -> StorageError:
    where = error.filename if error is not None and error.filename else path
    code = error.errno if error is not None else None
    return StorageError(f"cannot write {where}: {WHAT_TO_DO.get(code, READ_ONLY)}")  # type: ignore[arg-type]


def write(path: Path, data: bytes | str) -> Path:
    """Write `path` whole (a temporary name, then a rename) or leave what was there."""
    from hw3core.atomic import write_bytes  # imports torch: only when writing, not at `hw3 --help`

    with reported(path):
        write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def copy(source: Path, target: Path) -> Path:
    return write(target, source.read_bytes())


def check_folder(out: Path) -> None:
    """Fail in one line, before anything runs, if `out` cannot be written or its disk is nearly full."""
    if out.exists() and not out.is_dir():
        raise StorageError(f"cannot write {out}: it is a file, not a folder; render elsewhere with --out, or move the file")
    with reported(out):
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".hw3-probe-"):
            pass
    free = shutil.disk_usage(out).free
    if free < MIN_FREE:
        raise StorageError(f"cannot write {out}: {free / 2**20:.0f} MiB free, and a render needs about {MIN_FREE / 2**20:.0f} MiB; {WHAT_TO_DO[errno.ENOSPC]}")
