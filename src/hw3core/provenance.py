"""What a cached result was computed from beyond its config: the data files and the code.

The cache key hashes the config, which is known before a run. Two more things decide
the numbers and are checked beside the key, when an entry is read:

- the data: every loader that reads files calls `record_data(folder)`, which returns a
  fingerprint of the folder (each file's name, size and modification time) and, during
  a run, records it. The entry stores what it read; an entry whose folders no longer
  match is stale. A run that reads another experiment's result inherits what that
  result read (`inherit`).
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
import subprocess
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Callable, Iterator

PACKAGE = "hw3core"
# Modules that store, locate or present results; editing them cannot change a number.
BOOKKEEPING = frozenset(
    f"{PACKAGE}.{name}" for name in ("experiments", "cache", "layout", "atomic", "errors", "settings", "project_config", "profiles", "provenance", "chapter")
)

_READ: ContextVar[dict[str, str] | None] = ContextVar("hw3_data_read", default=None)


def files_fingerprint(root: Path) -> str:
    """Hash of the names, sizes and modification times of every file under `root`.

    Cheap (no file is read) and changes whenever a file is added, removed, replaced or
    edited; "missing" when there is nothing at `root`.
    """
    if not root.exists():
        return "missing"
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(root) if path != root else path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def record_data(root: Path) -> str:
    """Fingerprint `root` and, inside a run, note that the run read it."""
    fingerprint = files_fingerprint(root)
    read = _READ.get()
    if read is not None:
        read[str(root)] = fingerprint
    return fingerprint


def inherit(data: dict[str, str]) -> None:
    """Inside a run, count what another experiment's result read as read by this run too."""
    read = _READ.get()
    if read is not None:
        read.update(data)


@contextlib.contextmanager
def recording() -> Iterator[dict[str, str]]:
    """Collect, into the dict yielded, every data folder read inside the block."""
    read: dict[str, str] = {}
    token = _READ.set(read)
    try:
        yield read
    finally:
        _READ.reset(token)


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
        if files_fingerprint(Path(folder)) != fingerprint:
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
