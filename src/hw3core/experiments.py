"""Named experiments: a config per profile, a run function, and cached results.

An experiment is data: `config(profile)` returns plain JSON values, and
`run(config, ctx)` trains and writes its artifacts into `ctx.workdir`, returning the
final metrics. `result(experiment)` returns the cached artifacts when they exist and are
intact, and runs (or resumes) the experiment otherwise, so a re-render loads instead of
retraining and `hw3 train` can fill the cache ahead of time on another machine. An entry
is made by one version of the code from one version of the data: a stopped run records
both before its first epoch and is resumed only when neither has changed (`_run`).

Each study lists its own experiments as a plain value (`EXPERIMENTS = by_name(...)`) and
hands its `Experiment` objects to `result`; the one list of every study, with lookup by
name and chapter for the commands, is `registry`, which this module does not import
(the studies import this one).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from . import atomic, provenance
from .cache import Artifacts, CorruptEntryError, ExperimentCache, StaleEntryError, config_key, verify
from .errors import UserError
from .layout import is_set_aside
from .profiles import Profile, check_profile
from .settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger("hw3.experiments")

PROVENANCE = "provenance.json"
RUNS = "runs.json"
# Files a run writes before it has done any work; a `.partial` with only these has nothing to resume.
BOOKKEEPING_FILES = frozenset({"config.json", PROVENANCE, RUNS})


@dataclass(frozen=True)
class RunContext:
    """What a run function may use: its scratch folder (kept for resuming), device, profile."""

    workdir: Path
    device: torch.device
    profile: Profile
    settings: Settings


@dataclass(frozen=True)
class Experiment:
    """One trained model of the book.

    `config(profile)` returns one plain JSON dict, the same shape in every study:
    `{"seed": int, "data": {...}, "model": {...}, "train": {...}}`, with one more section
    per extra stage of a multi-stage run (P2's triplet stage, P3's feature extraction),
    named for it; a run repeated over seeds lists them instead (`"seeds": [int, ...]`,
    `seeding.over_seeds`). The cache key hashes exactly this dict (with the profile and the name).

    Keys every run honours wherever they appear, so a variant of a config can be made
    without knowing its study: "epochs" and "*_epochs" (a stage's length), "batch_size"
    (images per optimiser step or per forward pass), and the data section's optional
    "limit": at most that many images in every split the run builds (`ImageSet.at_most`;
    absent or None: all of them, which is what the profiles' own configs say by leaving
    it out, so their cache keys do not carry it).
    """

    name: str
    chapter: str
    summary: str
    config: Callable[[Profile], dict[str, Any]]
    run: Callable[[dict[str, Any], RunContext], dict[str, Any]]


def by_name(*experiments: Experiment) -> dict[str, Experiment]:
    """A study's experiments keyed by name, in the order given (its `EXPERIMENTS`).

    Names key the cache, so two experiments with one name would share entries: refused.
    """
    named: dict[str, Experiment] = {}
    for experiment in experiments:
        if experiment.name in named:
            raise ValueError(f"two experiments are named {experiment.name!r}; names key the cache and must differ")
        named[experiment.name] = experiment
    return named


@dataclass(frozen=True)
class _Entry:
    """Where one (experiment, profile, config) lives in the cache."""

    experiment: Experiment
    profile: Profile
    config: dict[str, Any]
    key: str
    cache: ExperimentCache
    settings: Settings

    @property
    def final(self) -> Path:
        return self.cache.layout.entry(self.experiment.name, self.key)

    @property
    def partial(self) -> Path:
        return self.cache.layout.partial(self.experiment.name, self.key)

    def verify(self) -> Artifacts:
        """The intact, current entry, or CorruptEntryError / StaleEntryError saying why not."""
        artifacts = verify(self.final, self.experiment.name, self.profile, self.config)
        reason = self.stale_reason(self.final)
        if reason:
            raise StaleEntryError(f"{self.final}: stale, {reason}")
        provenance.inherit(_recorded(self.final)["data"])
        return artifacts

    @property
    def code(self) -> str:
        return provenance.code_fingerprint(self.experiment.run)

    def stale_reason(self, folder: Path) -> str | None:
        """Why the work in `folder` (the entry, or its `.partial`) is not of this code and data, or None."""
        recorded = _recorded(folder)
        return provenance.stale_reason(recorded, self.code) if recorded else "it records no code or data version (made by an older version)"

    def resumable(self) -> bool:
        """A `.partial` folder holding finished work (an epoch's checkpoint, a stage's output)."""
        return self.partial.is_dir() and any(
            p.is_file() and p.name not in BOOKKEEPING_FILES and not p.name.startswith(".") and not is_set_aside(p.name)
            for p in self.partial.rglob("*")
        )

    def runs(self) -> list[dict[str, Any]]:
        path = self.partial / RUNS
        try:
            return json.loads(path.read_text()) if path.exists() else []
        except ValueError:
            return []


def _recorded(folder: Path) -> dict[str, Any]:
    """The code and data versions `folder` records ({"code": ..., "data": {folder: fingerprint}}), or {}."""
    try:
        recorded = json.loads((folder / PROVENANCE).read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) and isinstance(recorded.get("data"), dict) else {}


def _entry(experiment: Experiment, profile: str | None, settings: Settings | None, config: dict[str, Any] | None = None) -> _Entry:
    settings = settings or get_settings()
    profile = check_profile(profile or settings.profile)
    config = experiment.config(profile) if config is None else config
    key = config_key(experiment.name, profile, config)
    return _Entry(experiment, profile, config, key, ExperimentCache(settings.cache_dir), settings)


def status(experiment: Experiment, profile: str | None = None, settings: Settings | None = None) -> str:
    """One of: 'cached'; 'stale' (made from other code or data, or a stopped run that was);
    'corrupt'; 'training' (in another process, right now); 'resumable' (a stopped run
    left finished epochs of this code and data); 'missing'."""
    entry = _entry(experiment, profile, settings)
    if entry.final.exists():
        try:
            entry.verify()
            return "cached"
        except StaleEntryError:
            return "stale"
        except CorruptEntryError:
            return "corrupt"
    if entry.cache.busy(experiment.name, entry.key):
        return "training"
    if entry.resumable():
        return "stale" if entry.stale_reason(entry.partial) else "resumable"
    return "missing"


def cached(experiment: Experiment, profile: str | None = None, settings: Settings | None = None) -> Artifacts | None:
    """The intact, current entry of `experiment` under `profile`, or None; never trains.

    For what reports on runs without making them (the book's table of every run it read).
    """
    entry = _entry(experiment, profile, settings)
    if not entry.final.exists():
        return None
    try:
        return entry.verify()
    except CorruptEntryError:
        return None


def entry_key(experiment: Experiment, profile: str | None = None, settings: Settings | None = None) -> str:
    """The cache key (config hash) of `experiment` under `profile`."""
    return _entry(experiment, profile, settings).key


def _current(entry: _Entry) -> Artifacts | None:
    """The entry if it is intact and current; a bad one is moved aside (and said so)."""
    if not entry.final.exists():
        return None
    try:
        return entry.verify()
    except CorruptEntryError as error:
        why = "stale" if isinstance(error, StaleEntryError) else "corrupt"
        moved = entry.cache.quarantine(entry.final, why)
        log.warning("cache entry rejected (%s); moved to %s, recomputing", error, moved)
        return None


def result(
    experiment: Experiment, profile: str | None = None, settings: Settings | None = None, config: dict[str, Any] | None = None
) -> Artifacts:
    """The artifacts of `experiment` under `profile`, training only when needed.

    `config` runs the experiment with that config instead of its profile's own (a
    variant of it, or the config of one stage of a larger run): it is cached under its
    own key like any other. A good entry is read without taking the lock (so a read-only
    cache works); only a run takes it, and then looks again, since another process may
    have just finished.
    """
    entry = _entry(experiment, profile, settings, config)
    if entry.final.exists():
        try:
            return entry.verify()
        except CorruptEntryError:
            pass  # dealt with under the lock, where moving it aside is safe
    with entry.cache.locked(experiment.name, entry.key):
        found = _current(entry)
        if found is not None:
            return found
        return _run(entry)


def _run(entry: _Entry) -> Artifacts:
    """Run (or resume) the experiment in its `.partial` folder, then publish it.

    The folder records the code and the data the run started from (`provenance.json`,
    written before any work and each time a data folder is first read), so a stopped run
    is resumed only by the same code on the same data; otherwise it is set aside whole
    and the run starts again. The entry thus holds one code version and one data version.
    """
    name, partial = entry.experiment.name, entry.partial
    device = entry.settings.device
    already = _resumed_data(entry)
    resuming = entry.resumable()
    atomic.make_dir(partial)
    log.info("%s experiment %s [%s] on %s", "resuming" if resuming else "running", name, entry.profile, device)
    atomic.write_json(partial / "config.json", {"name": name, "profile": entry.profile, "config": entry.config})
    code = entry.code

    def save(read: dict[str, str]) -> None:
        atomic.write_json(partial / PROVENANCE, {"code": code, "data": read})

    save(already)
    # the code and libraries the run starts with (the tree may change while it trains)
    made_with = {"commit": provenance.git_commit(PROJECT_ROOT), **provenance.library_versions()}
    runs, started, outcome = entry.runs(), time.perf_counter(), "failed"
    try:
        with provenance.recording(already, save):
            metrics = entry.experiment.run(entry.config, RunContext(partial, device, entry.profile, entry.settings))
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    finally:
        runs.append(
            {
                "ended": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "seconds": time.perf_counter() - started,
                "device": str(device),
                "outcome": outcome,
                **made_with,
            }
        )
        atomic.write_json(partial / RUNS, runs)
    metrics = {**metrics, "device": str(device), "run_seconds": sum(run["seconds"] for run in runs), "runs": len(runs)}
    atomic.write_json(partial / "metrics.json", metrics)
    kept = entry.cache.publish(name, entry.key)
    if kept is not None:
        log.warning("%s: what the run set aside is kept in %s, not in the entry", name, kept)
    try:
        return entry.verify()
    except StaleEntryError as error:
        raise UserError(f"the code or data of {name} changed while it trained ({error}); run again to train it on what is there now") from None


def _resumed_data(entry: _Entry) -> dict[str, str]:
    """The data folders (with fingerprints) that the stopped run being resumed had read.

    A stopped run made by other code or from other data would mix two versions in one
    entry: its `.partial` is set aside (said in one line) and the run starts afresh.
    """
    if not entry.resumable():
        return {}
    reason = entry.stale_reason(entry.partial)
    if reason is None:
        return _recorded(entry.partial)["data"]
    moved = atomic.set_aside(entry.partial, "stale")
    log.warning("%s: the stopped run cannot be resumed, %s; moved to %s, starting from epoch 1", entry.experiment.name, reason, moved)
    return {}
