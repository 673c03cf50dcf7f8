"""Named experiments: a config per profile, a run function, and cached results.

An experiment is data: `config(profile)` returns plain JSON values, and
`run(config, ctx)` trains and writes its artifacts into `ctx.workdir`, returning the
final metrics. `result(name)` returns the cached artifacts when they exist and are
intact, and runs (or resumes) the experiment otherwise, so a re-render loads instead of
retraining and `hw3 train` can fill the cache ahead of time on another machine.
"""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from . import atomic
from .cache import Artifacts, CorruptEntryError, ExperimentCache, config_key, verify
from .profiles import Profile, active_profile, check_profile
from .settings import Settings, get_settings

# Modules that register experiments when imported; each chapter's module adds itself.
EXPERIMENT_MODULES = ("hw3core.toy", "hw3core.loss_study")


@dataclass(frozen=True)
class RunContext:
    """What a run function may use: its scratch folder (kept for resuming), device, profile."""

    workdir: Path
    device: torch.device
    profile: Profile
    settings: Settings


@dataclass(frozen=True)
class Experiment:
    name: str
    chapter: str
    summary: str
    config: Callable[[Profile], dict[str, Any]]
    run: Callable[[dict[str, Any], RunContext], dict[str, Any]]


_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    if experiment.name in _REGISTRY and _REGISTRY[experiment.name] is not experiment:
        raise ValueError(f"experiment {experiment.name!r} is registered twice")
    _REGISTRY[experiment.name] = experiment
    return experiment


def all_experiments() -> dict[str, Experiment]:
    for module in EXPERIMENT_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


def get(name: str) -> Experiment:
    experiments = all_experiments()
    if name not in experiments:
        raise KeyError(f"unknown experiment {name!r}; known: {', '.join(sorted(experiments))}")
    return experiments[name]


def _cache(settings: Settings) -> ExperimentCache:
    return ExperimentCache(settings.cache_dir)


def status(name: str, profile: str | None = None, settings: Settings | None = None) -> str:
    """'cached', 'resumable' (a killed run left a partial folder), 'corrupt' or 'missing'."""
    settings = settings or get_settings()
    profile = check_profile(profile or active_profile())
    experiment = get(name)
    config = experiment.config(profile)
    key = config_key(name, profile, config)
    cache = _cache(settings)
    if cache.entry(name, key).exists():
        try:
            verify(cache.entry(name, key), name, profile, config)
            return "cached"
        except CorruptEntryError:
            return "corrupt"
    return "resumable" if cache.partial(name, key).exists() else "missing"


def result(name: str, profile: str | None = None, settings: Settings | None = None) -> Artifacts:
    """The artifacts of experiment `name` under `profile`, training only when needed."""
    settings = settings or get_settings()
    profile = check_profile(profile or active_profile())
    experiment = get(name)
    config = experiment.config(profile)
    key = config_key(name, profile, config)
    cache = _cache(settings)
    final = cache.entry(name, key)
    with cache.locked(name, key):
        if final.exists():
            try:
                return verify(final, name, profile, config)
            except CorruptEntryError as error:
                moved = cache.quarantine(final)
                print(f"hw3: cache entry rejected ({error}); moved to {moved}, recomputing", file=sys.stderr)
        partial = cache.partial(name, key)
        resuming = partial.exists()
        partial.mkdir(parents=True, exist_ok=True)
        print(
            f"hw3: {'resuming' if resuming else 'running'} experiment {name} [{profile}] on {settings.device}",
            file=sys.stderr,
        )
        atomic.write_json(partial / "config.json", {"name": name, "profile": profile, "config": config})
        started = time.perf_counter()
        metrics = experiment.run(config, RunContext(partial, settings.device, profile, settings))
        metrics = {**metrics, "device": str(settings.device), "run_seconds": time.perf_counter() - started}
        atomic.write_json(partial / "metrics.json", metrics)
        cache.publish(partial, final)
        return verify(final, name, profile, config)
