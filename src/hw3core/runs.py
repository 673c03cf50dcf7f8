"""Every experiment the book read, with what it takes to trace a number back to its run.

`runs_table` lists, for one profile and optionally one chapter, each experiment the
chapters load: its config hash (the cache key), seeds, the device and library versions
it trained with, a fingerprint of the data it read, its training time and the commit it
was run at, all read from the cache entry (config.json, metrics.json, provenance.json,
runs.json; `experiments._run` records them). A reader reruns any row with
`hw3 train NAME --profile PROFILE`. The book shows the table as an appendix, and each
practical notebook ends with its chapter's rows; it trains nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd

from . import experiments, registry
from .cache import Artifacts
from .experiments import PROVENANCE, RUNS
from .profiles import Profile
from .seeding import config_seeds
from .settings import Settings, get_settings

# The chapters whose experiments the book reads, in the book's order.
CHAPTERS = ("index", "p1", "p2", "p3")
UNKNOWN = "unknown"  # what an entry made before a field was recorded shows in its place


def data_fingerprint(recorded: dict[str, str]) -> str:
    """One short hash of every data folder a run read (provenance.json's "data"); "none" for synthetic data."""
    if not recorded:
        return "none"
    return hashlib.sha256(json.dumps(recorded, sort_keys=True).encode()).hexdigest()[:12]


def seeds_of(config: dict[str, Any]) -> str:
    """The seeds a config trains with, as the table writes them."""
    return ", ".join(str(seed) for seed in config_seeds(config))


def _last_run(artifacts: Artifacts) -> dict[str, Any]:
    """The run that finished the entry (runs.json's last record)."""
    path = artifacts.path(RUNS)
    records = json.loads(path.read_text()) if path.exists() else []
    return records[-1] if records else {}


NOT_RUN = "—"


def row(experiment: experiments.Experiment, profile: Profile, settings: Settings) -> dict[str, Any]:
    """One experiment's line: how to find and rerun the run its numbers came from (under
    `profile`, which the table's reader is told once); "not run" in the device column and
    dashes elsewhere when the cache has no current entry."""
    artifacts = experiments.cached(experiment, profile, settings)
    line = {"experiment": experiment.name, "chapter": experiment.chapter, "config hash": experiments.entry_key(experiment, profile, settings)}
    if artifacts is None:
        blank = dict.fromkeys(("torch", "torchvision", "data", "train time (s)", "commit"), NOT_RUN)
        return {**line, "seeds": seeds_of(experiment.config(profile)), "device": "not run", **blank}
    last = _last_run(artifacts)
    commit = last.get("commit", UNKNOWN)
    return {
        **line,
        "seeds": seeds_of(artifacts.config),
        "device": last.get("device", artifacts.metrics.get("device", UNKNOWN)),
        "torch": last.get("torch", UNKNOWN),
        "torchvision": last.get("torchvision", UNKNOWN),
        "data": data_fingerprint(artifacts.json(PROVENANCE).get("data", {})),
        "train time (s)": f"{artifacts.metrics['run_seconds']:,.0f}",
        "commit": commit if commit == UNKNOWN else commit[:10] + ("-dirty" if commit.endswith("-dirty") else ""),
    }


def runs_table(profile: Profile | None = None, chapter: str | None = None, settings: Settings | None = None) -> pd.DataFrame:
    """Every experiment of the book's chapters (or of `chapter` only: index, p1, p2, p3) under
    `profile`, one row each, read from the cache; an experiment not in it says "not run"."""
    settings = settings or get_settings()
    profile = profile or settings.profile
    chosen = [chapter] if chapter else list(CHAPTERS)
    rows = [row(experiment, profile, settings) for name in chosen for experiment in registry.of_chapters({name})]
    return pd.DataFrame(rows)
