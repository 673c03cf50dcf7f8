"""What a cached result was computed from beyond its config: the data files and the code.

The cache key hashes the config, which is known before a run. Two more things decide
the numbers and are checked beside the key, when an entry is read and before a stopped
run is resumed:

- the data: every loader that reads files calls `record_data(folder)`, which returns a
  fingerprint of the folder (each file's name, size and modification time, through
  links) and, during a run, records it. The run's folder stores what it read as soon as
  it reads it (`recording`); an entry, or a stopped run, whose folders no longer match
  is stale, and a folder that changes between two reads of one run stops that run. A
  run that reads another experiment's result inherits what that result read (`inherit`).
  A folder that cannot be fingerprinted honestly (no files, a name that is not UTF-8, a
  broken link, a link loop) is a one-line DataError, not the fingerprint of what is left.
- the code: a hash of the experiment's run function's module and the project modules
  it imports, as parsed code (comments, docstrings and layout do not count), leaving
  out the bookkeeping modules that cannot change a number (`BOOKKEEPING`).

A stale entry is never served: it is moved aside and the experiment runs again.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.util
import inspect
import os
import subprocess
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any, Callable, Iterator

from .errors import DataError

PACKAGE = "hw3core"
# Modules that store, locate or present results; editing them cannot change a number.
BOOKKEEPING = frozenset(
    f"{PACKAGE}.{name}" for name in ("experiments", "cache", "layout", "atomic", "errors", "settings", "project_config", "profiles", "provenance", "chapter")
)

def files_fingerprint(root: Path) -> str:
    """Hash of the names, sizes and modification times of every file a loader reading `root` sees.

    Cheap (no file is read) and changes whenever a file is added, removed, replaced or
    edited; "missing" when there is nothing at `root`. Links are followed, as the loaders
    follow them (ImageFolder walks with followlinks=True): a class folder that is a link
    counts as the files it points at, so pointing it elsewhere changes the fingerprint.

    Inode numbers and change times are left out on purpose: a copy of the same files on
    another machine (rsync -a, tar, the GPU box of README's "train there, render here")
    keeps names, sizes and modification times but never inodes or change times, and its
    cache must stay current there. What this misses is a file rewritten in place with its
    size kept and its modification time set back (`cp -p` over it, `touch -r`), or two
    same-size writes within one tick of a file system with coarse times (2 s on FAT).

    A folder whose files cannot be fingerprinted honestly is a DataError naming the
    path: no files at all, a name that is not UTF-8, a broken link, a link back to a
    folder above it, or one that cannot be read.
    """
    if not root.exists():
        return "missing"
    check_utf8(root)
    digest = hashlib.sha256()
    if root.is_file():
        files = [(root.name, root.stat())]
    else:
        here = root.stat()
        files = [("/".join(parts), stat) for parts, stat in sorted(_walk(root, (), frozenset({(here.st_dev, here.st_ino)})))]
        if not files:
            raise DataError(f"{root} holds no files; put the data set there, or point HW3_DATA_DIR at the folder that holds it")
    for name, stat in files:
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _walk(folder: Path, parts: tuple[str, ...], above: frozenset[tuple[int, int]]) -> Iterator[tuple[tuple[str, ...], os.stat_result]]:
    """(path parts below the root, stat) of every regular file under `folder`, through links.

    `above` holds the (device, inode) of `folder` and of the folders on the way down to it:
    a link to one of them would be walked forever (ImageFolder would list its files again
    at every level).
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        raise DataError(f"cannot read the folder {shown(folder)} ({error.strerror}); fix its permissions, or move it out of the data folder") from error
    for entry in entries:
        _refuse_non_utf8(folder, entry.name)
        path = Path(entry.path)
        try:
            stat = entry.stat()  # of what a link points at
        except OSError as error:
            if entry.is_symlink() and isinstance(error, FileNotFoundError):
                raise broken_link(path) from error
            raise DataError(f"cannot read {shown(path)} ({error.strerror}); fix it, or move it out of the data folder") from error
        if S_ISDIR(stat.st_mode):
            folder_id = (stat.st_dev, stat.st_ino)
            if folder_id in above:
                raise DataError(f"{shown(path)} leads back to {shown(os.path.realpath(path))}, a folder above it (a loop); remove the link")
            yield from _walk(path, (*parts, entry.name), above | {folder_id})
        elif S_ISREG(stat.st_mode):
            yield (*parts, entry.name), stat


def broken_link(path: Path) -> DataError:
    """The error for a link at `path` that points at nothing."""
    return DataError(f"{shown(path)} is a broken link (to {shown(os.readlink(path))}, which does not exist); point it at the data or remove it")


def shown(path: Path | str) -> str:
    """`path` as printable text: bytes of its name that are not UTF-8 written as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def check_utf8(path: Path) -> None:
    """A DataError naming the first part of `path` that is not UTF-8.

    Such a name cannot be shown in a message, logged or recorded as JSON text, so a
    data folder holding one is refused before it is read, with what to do.
    """
    for depth, part in enumerate(path.parts):
        _refuse_non_utf8(Path(*path.parts[:depth]), part)


def _refuse_non_utf8(folder: Path, name: str) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(
            f"{shown(folder)}: the name {shown(name)} is not valid UTF-8 (its bytes are shown as \\xNN); rename it, e.g. to plain ASCII"
        ) from None


@dataclass
class _Recording:
    """The data folders a run has read, with their fingerprints, and who keeps them on disk."""

    read: dict[str, str]
    save: Callable[[dict[str, str]], None]

    def note(self, found: dict[str, str]) -> None:
        """Add `found`; a folder seen again with other files means the run mixed two versions of it."""
        for folder, fingerprint in found.items():
            if self.read.get(folder, fingerprint) != fingerprint:
                raise DataError(f"{folder} changed during the run (its files differ from when the run first read it); run again once it is settled")
        if any(folder not in self.read for folder in found):
            self.read.update(found)
            self.save(dict(self.read))


_RECORDING: ContextVar[_Recording | None] = ContextVar("hw3_data_read", default=None)


def record_data(root: Path) -> str:
    """Fingerprint `root` and, inside a run, note that the run read it."""
    fingerprint = files_fingerprint(root)
    recording = _RECORDING.get()
    if recording is not None:
        recording.note({str(root): fingerprint})
    return fingerprint


def inherit(data: dict[str, str]) -> None:
    """Inside a run, count what another experiment's result read as read by this run too."""
    recording = _RECORDING.get()
    if recording is not None:
        recording.note(data)


@contextlib.contextmanager
def recording(already: dict[str, str], save: Callable[[dict[str, str]], None]) -> Iterator[None]:
    """Record every data folder read inside the block, with its fingerprint, through `save`.

    `already` is what an earlier, stopped attempt at the same run read (its work is
    resumed, so it counts); `save` is called with all of them whenever a folder is
    added, so that a run killed later still says which data its finished epochs saw.
    """
    token = _RECORDING.set(_Recording(dict(already), save))
    try:
        yield
    finally:
        _RECORDING.reset(token)


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


@functools.lru_cache(maxsize=None)
def _parsed(path: str, size: int, mtime_ns: int) -> tuple[str, tuple[str, ...]]:
    """A module file's code hash and the project modules it imports (absolute names)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    imports = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imports.append("." * node.level + (node.module or ""))
            imports += ["." * node.level + (f"{node.module}." if node.module else "") + alias.name for alias in node.names]
    code = hashlib.sha256(ast.dump(_without_docstrings(tree)).encode()).hexdigest()
    return code, tuple(imports)


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


def code_fingerprint(function: Callable[..., Any]) -> str:
    """Hash of the module that defines `function` and of the project modules it imports."""
    while isinstance(function, functools.partial):
        function = function.func
    start = inspect.getmodule(function).__name__
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or name in BOOKKEEPING or path is None or not name.startswith(PACKAGE):
            continue
        stat = path.stat()
        code, imports = _parsed(str(path), stat.st_size, stat.st_mtime_ns)
        seen[name] = code
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in imports:
            if imported.startswith("."):
                level = len(imported) - len(imported.lstrip("."))
                base = package.rsplit(".", level - 1)[0] if level > 1 else package
                imported = f"{base}.{imported.lstrip('.')}".rstrip(".")
            todo.append(imported)
    digest = hashlib.sha256("".join(f"{name}:{code}\n" for name, code in sorted(seen.items())).encode())
    return digest.hexdigest()[:16]


def stale_reason(recorded: dict[str, Any], code: str) -> str | None:
    """Why an entry with provenance `recorded` no longer describes this code and data, or None."""
    if recorded.get("code") != code:
        return "the code that computes it has changed since it was made"
    for folder, fingerprint in recorded.get("data", {}).items():
        try:
            now = files_fingerprint(Path(folder))
        except DataError as error:
            return f"the data under {folder} has changed since it was made and cannot be used as it is ({error})"
        if now != fingerprint:
            return f"the data under {folder} has changed since it was made"
    return None


def git_commit(root: Path) -> str:
    """The commit checked out at `root`, with "-dirty" when tracked files differ from it;
    "unknown" outside a git checkout (an unpacked submission, no git installed).

    Recorded with each run, so a number in the book can be traced to the code that made it.
    """
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=30).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def library_versions() -> dict[str, str]:
    """The versions of the libraries that compute the numbers, recorded with each run."""
    import torch
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__}
