"""The experiment cache: one folder of artifacts per (experiment, profile, config).

A finished entry is a folder (`layout.CacheLayout.entry`) with a `manifest.json` that lists
every file with its size and SHA-256; it is written last, inside a `.partial` folder
that is then renamed into place, so an entry either exists whole or not at all. The
`.partial` folder survives a killed run and is where training resumes. Nothing set
aside during the run (`layout.is_set_aside`: an unreadable resume file, say) is
published: it is moved out of the `.partial` first, and an entry whose manifest lists
one (an older version published them) is refused as corrupt. A lock file
serialises two renders that want the same entry: the second waits, then loads. Reading
a finished entry takes no lock, so a read-only cache (a shared folder, a copied
`.hw3/cache`) serves what it holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from . import atomic
from .layout import CacheLayout, is_set_aside

MANIFEST = "manifest.json"


class CorruptEntryError(RuntimeError):
    """A cache entry whose files do not match its manifest (or that has none)."""


class StaleEntryError(CorruptEntryError):
    """An intact entry made from other data or other code than what is here now."""


def config_key(name: str, profile: str, config: dict[str, Any]) -> str:
    """Stable short hash of everything that determines an experiment's result."""
    canonical = json.dumps({"name": name, "profile": profile, "config": config}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Artifacts:
    """A finished, verified cache entry: read-only access to what a run produced."""

    directory: Path
    config: dict[str, Any]
    metrics: dict[str, Any]

    def path(self, name: str) -> Path:
        return self.directory / name

    def history(self, name: str = "history.csv") -> pd.DataFrame:
        return pd.read_csv(self.path(name))

    def state_dict(self, name: str = "best.pt") -> dict[str, Any]:
        return atomic.torch_load(self.path(name))

    def load(self, name: str) -> Any:
        """Any tensor-only `.pt` artifact (feature maps, embeddings, ...)."""
        return atomic.torch_load(self.path(name))

    def json(self, name: str) -> Any:
        return json.loads(self.path(name).read_text())


def write_manifest(directory: Path) -> None:
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST and not p.name.startswith("."))
    entries = {str(p.relative_to(directory)): {"bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files}
    atomic.write_json(directory / MANIFEST, {"files": entries, "written": time.strftime("%Y-%m-%dT%H:%M:%S")})


def verify(directory: Path, name: str, profile: str, config: dict[str, Any]) -> Artifacts:
    """Check an entry against its manifest and its config; raise CorruptEntryError if off."""
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise CorruptEntryError(f"{directory}: no {MANIFEST}")
    try:
        manifest = json.loads(manifest_path.read_text())
        foreign = [relative for relative in manifest["files"] if is_set_aside(Path(relative).name)]
        if foreign:
            raise CorruptEntryError(f"{directory}: its manifest lists {foreign[0]}, a file set aside during its run, not a result")
        for relative, expected in manifest["files"].items():
            path = directory / relative
            if not path.exists():
                raise CorruptEntryError(f"{path}: missing")
            if path.stat().st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
                raise CorruptEntryError(f"{path}: contents differ from the manifest")
        stored = json.loads((directory / "config.json").read_text())
        metrics = json.loads((directory / "metrics.json").read_text())
    except (OSError, KeyError, ValueError) as error:
        raise CorruptEntryError(f"{directory}: unreadable ({error})") from error
    if stored != {"name": name, "profile": profile, "config": config}:
        raise CorruptEntryError(f"{directory}: config.json is for another configuration (stale entry)")
    return Artifacts(directory=directory, config=config, metrics=metrics)


class ExperimentCache:
    """Locate, lock, verify and publish the entries of one cache root."""

    def __init__(self, root: Path) -> None:
        self.layout = CacheLayout(root)

    @contextlib.contextmanager
    def locked(self, name: str, key: str) -> Iterator[None]:
        lock_path = self.layout.lock(name, key)
        atomic.make_dir(self.layout.root)
        atomic.make_dir(lock_path.parent)
        with atomic.storage(lock_path), lock_path.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def busy(self, name: str, key: str) -> bool:
        """Whether another process holds the entry's lock (is training it right now)."""
        try:
            with self.layout.lock(name, key).open("r") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle, fcntl.LOCK_UN)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def quarantine(self, directory: Path, why: str = "corrupt") -> Path:
        """Move a bad entry aside (never delete what a person may want to inspect)."""
        return atomic.set_aside(directory, why)

    def publish(self, name: str, key: str) -> Path | None:
        """Make the `.partial` of (name, key) its finished entry, and return where what the
        run set aside inside it went (None when nothing was)."""
        partial, final = self.layout.partial(name, key), self.layout.entry(name, key)
        kept = _move_set_asides(partial, self.layout.set_aside_by_run(name, key))
        write_manifest(partial)
        with atomic.storage(final):
            if final.exists():
                shutil.rmtree(final)
            partial.rename(final)
        return kept


def _move_set_asides(folder: Path, to: Path) -> Path | None:
    """Move everything set aside under `folder` to the same place under `to`; `to`, or None if nothing was."""
    found = [path for path in sorted(folder.rglob("*")) if is_set_aside(path.name)]
    outermost = [path for path in found if not any(other in path.parents for other in found)]
    for path in outermost:
        target = to / path.relative_to(folder)
        atomic.make_dir(target.parent)
        with atomic.storage(target):
            path.rename(target)
    return to if outermost else None
