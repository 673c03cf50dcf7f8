"""Train, before any chapter executes, the experiments the chosen chapters will load.

Training inside a chapter's kernel would hide its progress from the user (a kernel's
output goes into the notebook), so the book's pre-render step (report/_scripts/train.py,
`hw3 train --quarto`, which Quarto and `hw3 render` both run) calls `train_for` first, in
the foreground, with a progress bar per experiment; the chapters then only load from the
cache.

Which chapter needs which experiment is not a hand-kept list: an experiment names its
chapter (`Experiment.chapter`: p1, p2, p3, index), a chapter file is named for its
question (`report/p1-cifar10.qmd` is p1, `index.qmd` is index), and `registry` finds a
chapter's experiments.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import experiments, registry
from .errors import SettingError
from .experiments import Experiment
from .layout import CacheLayout
from .profiles import Profile
from .settings import MissingDataError, QuartoRun, Settings, get_settings

log = logging.getLogger("hw3.training_plan")

# Rough seconds per training epoch, averaged over the book's experiments, when this machine
# has not run the experiment under the profile yet (`measured_epoch_seconds` reads the cache
# for that). From the measured renders: the smoke book's
# training on a 2-core CPU, and `quick`'s 33 minutes on 2 cores for its 238 epochs (issue 14). `full` on a CPU
# is not meant to be run; on a GPU its epochs take seconds.
EPOCH_SECONDS: dict[tuple[str, str], float] = {
    ("smoke", "cpu"): 1.0,
    ("quick", "cpu"): 8.0,
    ("full", "cpu"): 600.0,
    ("full", "cuda"): 10.0,
    ("quick", "cuda"): 3.0,
    ("smoke", "cuda"): 0.5,
}


def chapter_of(source: Path) -> str:
    """The question a chapter file answers: the part of its name before the first '-'."""
    return Path(source).stem.split("-")[0]


def needed(chapters: Iterable[Path]) -> list[Experiment]:
    """The experiments whose chapter is among `chapters`, in name order."""
    return registry.of_chapters({chapter_of(source) for source in chapters})


def epochs(config: Any) -> int:
    """All epochs a config trains: the sum of every stage's "epochs" entry, at any depth,
    once per seed of its "seeds" list (`seeding.over_seeds`).

    Only that key counts: a "warmup_epochs" (P3's scratch run) is part of its stage's
    epochs, not more of them.
    """
    if isinstance(config, dict):
        stages = sum(v if k == "epochs" and isinstance(v, int) else epochs(v) for k, v in config.items())
        return stages * len(config.get("seeds") or [None])
    return 0


def measured_epoch_seconds(name: str, profile: Profile, layout: CacheLayout) -> float | None:
    """Seconds an epoch of `name` took the last time it ran here under `profile`, from the cache.

    Any earlier config counts (a changed recipe trains at about the old speed), and so does
    an entry moved aside as stale: its timing is still this machine's.
    """
    timed = []
    for folder in layout.finished_folders(name):
        try:
            stored = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            metrics = folder / "metrics.json"
            seconds = json.loads(metrics.read_text(encoding="utf-8"))["run_seconds"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if stored.get("profile") == profile:
            timed.append((metrics.stat().st_mtime, seconds / max(epochs(stored.get("config")), 1)))
    return max(timed)[1] if timed else None


@dataclass(frozen=True)
class Plan:
    """An experiment that a render would train, and roughly how long that takes."""

    experiment: Experiment
    status: str  # 'missing', 'resumable', 'stale' or 'corrupt'
    epochs: int
    seconds: float

    @property
    def name(self) -> str:
        return self.experiment.name


def plan(chosen: Iterable[Experiment], profile: Profile, settings: Settings | None = None) -> list[Plan]:
    """The experiments among `chosen` that are not cached under `profile`, with a rough time each."""
    settings = settings or get_settings()
    try:
        device = settings.device.type
    except SettingError:  # `hw3 list` works under any HW3_DEVICE; training will say what is wrong
        device = "cpu"
    default = EPOCH_SECONDS.get((profile, device), EPOCH_SECONDS[(profile, "cpu")])
    plans = []
    for experiment in chosen:
        status = experiments.status(experiment, profile, settings)
        if status != "cached":
            count = epochs(experiment.config(profile))
            per_epoch = measured_epoch_seconds(experiment.name, profile, settings.layout) or default
            plans.append(Plan(experiment, status, count, max(count, 1) * per_epoch))
    return plans


def rough(seconds: float) -> str:
    """'~40 s', '~12 min', '~3.5 h': a time estimate that does not pretend to precision."""
    if seconds < 90:
        return f"~{seconds:.0f} s"
    if seconds < 5400:
        return f"~{seconds / 60:.0f} min"
    return f"~{seconds / 3600:.1f} h"


def train_for(chapters: Iterable[Path], profile: Profile, settings: Settings | None = None) -> list[str]:
    """Train what `chapters` need and the cache lacks; returns the names trained."""
    return train(needed(chapters), profile, settings)


def train(chosen: Iterable[Experiment], profile: Profile, settings: Settings | None = None) -> list[str]:
    """Train those of `chosen` that the cache lacks; returns the names trained.

    Each experiment shows its own progress bar (epoch of epochs, loss, accuracy, time left)
    on the terminal. One whose pretrained weights cannot be had is left to its chapter,
    which says so in the book; missing data stops the render here, before any chapter runs.
    """
    settings = settings or get_settings()
    todo = plan(chosen, profile, settings)
    if todo:
        log.info("training %d experiment(s) first [%s], %s in all", len(todo), profile, rough(sum(p.seconds for p in todo)))
    trained: list[str] = []
    reasons: dict[str, str] = {}  # why not, and which experiment said it first
    for item in todo:
        try:
            experiments.result(item.experiment, profile, settings)
        except MissingDataError:
            raise
        except FileNotFoundError as error:  # e.g. ImageNet weights offline: the chapter explains it
            reason = str(error).splitlines()[0]
            if reason in reasons:  # a later stage of the same run, stopped by the same missing file
                log.warning("%s not trained either: same reason as %s", item.name, reasons[reason])
            else:
                reasons[reason] = item.name
                log.warning("%s not trained: %s", item.name, reason)
            continue
        trained.append(item.name)
    return trained


def quarto_inputs(root: Path, quarto: QuartoRun) -> list[Path]:
    """The files a Quarto render is about to render (`QuartoRun.inputs`), relative to `root`.

    https://quarto.org/docs/projects/scripts.html#pre-and-post-render; quarto-cli issue
    10828 (its smoke test renders docs/project/prepost/issue-10828) for the file instead.
    """
    return [Path(os.path.relpath(root / line, root)) for line in quarto.inputs()]
