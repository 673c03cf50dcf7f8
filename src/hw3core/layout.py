"""Where the project keeps what it makes: every path under the cache root and under `.hw3/`.

The cache (`HW3_CACHE_DIR`, by default `<project>/.hw3/cache`) holds

    <experiment>/<key>/                 a finished entry (experiments.py, cache.py)
    <experiment>/<key>.partial/         the entry being written; where a stopped run resumes
    <experiment>/<key>.lock             held while the entry is trained
    <experiment>/<key>.stale-<time>/    an entry set aside (also .corrupt-<time>), kept to inspect
    <experiment>/<key>.partial.stale-<time>/
                                        a stopped run made by other code or from other data
    <experiment>/<key>.set-aside-<time>/
                                        what a run set aside inside its .partial (an unreadable
                                        resume file), moved out before the entry is published
    datasets/<name>.pt                  decoded image folders (data.py, p3/flowers.py)
    datasets/<name>.pt.corrupt-<time>   a decoded copy that could not be read, set aside
    memo/<module.function>/<key>.json   slow pure results of the chapters (memo.on_disk)

and a rehearsal's throw-away namespace goes beside it, never inside it:
`<cache>/../rehearsal-<stamp>-<pid>/`, holding its own `cache/` and `torch/` (a TORCH_HOME).
The project's `.hw3/logs/` holds what a render writes about itself: each failed chapter's
traceback and the chapters' last timings (hw3render/execute.py).

Nothing else joins a path onto the cache root or `.hw3` (tests/test_owners.py checks), so
this docstring is the whole map. Editing this module cannot change a number, so it is
bookkeeping (provenance.BOOKKEEPING): moving a folder does not make results stale.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

STATE = ".hw3"  # the project's own folder of what it makes
DATASETS = "datasets"
MEMO = "memo"


def default_cache(project: Path) -> Path:
    """The cache when HW3_CACHE_DIR is not set: `<project>/.hw3/cache`."""
    return project / STATE / "cache"


def chapter_log(project: Path, source: Path) -> Path:
    """Where a failed chapter's whole traceback is written: `.hw3/logs/<stem>.log`."""
    return project / STATE / "logs" / f"{source.stem}.log"


def chapter_timings(project: Path, profile: str) -> Path:
    """Each chapter's seconds in the profile's last renders: `.hw3/logs/chapter-seconds-<profile>.json`."""
    return project / STATE / "logs" / f"chapter-seconds-{profile}.json"


# What `set_aside_name` appends: `.<why>-<YYYYmmdd-HHMMSS>`, then `-2`, `-3`, ... when taken.
SET_ASIDE = re.compile(r"\.[a-z][a-z-]*-\d{8}-\d{6}(-\d+)?$")


def set_aside_name(path: Path, why: str) -> Path:
    """A free name for moving `path` out of the way: `<name>.<why>-<time>` (then `-2`, `-3`, ...)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    for n in range(2, 1000):
        if not target.exists():
            break
        target = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
    return target


def is_set_aside(name: str) -> bool:
    """Whether `name` is one that `set_aside_name` gives: a thing moved out of the way, never a result."""
    return SET_ASIDE.search(name) is not None


@dataclass(frozen=True)
class CacheLayout:
    """The folders and files under one cache root."""

    root: Path

    def entry(self, name: str, key: str) -> Path:
        return self.root / name / key

    def partial(self, name: str, key: str) -> Path:
        return self.root / name / f"{key}.partial"

    def lock(self, name: str, key: str) -> Path:
        return self.root / name / f"{key}.lock"

    def set_aside_by_run(self, name: str, key: str) -> Path:
        """A new folder for what the run of an entry set aside in its `.partial`, beside the entry."""
        return set_aside_name(self.entry(name, key), "set-aside")

    def finished_folders(self, name: str) -> list[Path]:
        """Every folder of experiment `name` that a finished run wrote: its entries, current,
        of other configs, or set aside (a run's timing stays this machine's either way)."""
        return sorted(metrics.parent for metrics in (self.root / name).glob("*/metrics.json"))

    def dataset(self, name: str) -> Path:
        """A decoded data set, `name` already carrying the fingerprint of the folder it came from."""
        return self.root / DATASETS / f"{name}.pt"

    def memo_result(self, function: str, key: str) -> Path:
        """The stored result of `function` (its qualified name) for the arguments hashed in `key`."""
        return self.root / MEMO / function / f"{key}.json"

    def rehearsal_namespace(self) -> RehearsalNamespace:
        """A new namespace beside the cache, named for this moment and this process."""
        return RehearsalNamespace(self.root.parent / f"rehearsal-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")


@dataclass(frozen=True)
class RehearsalNamespace:
    """A rehearsal's throw-away folder: its own cache and its own TORCH_HOME."""

    folder: Path

    @property
    def cache(self) -> Path:
        return self.folder / "cache"

    @property
    def torch_home(self) -> Path:
        return self.folder / "torch"
