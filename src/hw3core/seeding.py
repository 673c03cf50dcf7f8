"""Seeds: one for a whole run, one per epoch derived from it, and a run repeated over seeds.

Resuming a killed run must reproduce the uninterrupted one, so nothing random is drawn
from a generator carried across epochs; each epoch reseeds from `epoch_seed`. Where a
profile can afford it, an experiment's config lists several seeds and `over_seeds`
trains it once per seed, so the chapter can report a mean and a spread.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from . import atomic


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch of a run seeded `seed`.

    Everything random within an epoch (shuffling, augmentation, triplet partners,
    dropout) is drawn from this, never from a generator carried across epochs, so a run
    resumed at epoch N draws exactly what the uninterrupted run drew.
    """
    return seed * 1000 + epoch


SEED_METRICS = "seed-metrics.json"


def over_seeds(run_one: Callable[[dict[str, Any], Any], dict[str, Any]], cfg: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Run one experiment once per seed of its config's "seeds" list.

    `run_one(config, ctx)` is the study's run for a single seed: it gets the config with
    "seed" in place of "seeds". The first seed runs in the run's own folder (the run the
    chapter's figures show, its files where a single-seed run keeps them); every other
    seed in `seeds/<seed>/` below it. A seed that finished leaves `SEED_METRICS`, so a
    run stopped in a later seed resumes there instead of training the earlier ones again.
    Returns the first seed's metrics, with every seed's under "seeds" (keyed by the seed).
    """
    first = cfg["seeds"][0]
    per_seed: dict[str, dict[str, Any]] = {}
    for seed in cfg["seeds"]:
        workdir = atomic.make_dir(seed_folder(ctx.workdir, cfg, seed))
        done = workdir / SEED_METRICS
        if done.exists():
            per_seed[str(seed)] = json.loads(done.read_text())
            continue
        metrics = run_one(one_seed(cfg, seed), dataclasses.replace(ctx, workdir=workdir))
        atomic.write_json(done, metrics)
        per_seed[str(seed)] = metrics
    return {**per_seed[str(first)], "seeds": per_seed}


def one_seed(cfg: dict[str, Any], seed: int) -> dict[str, Any]:
    """The config of one run of `cfg`: its "seeds" list replaced by "seed"."""
    return {**{key: value for key, value in cfg.items() if key != "seeds"}, "seed": seed}


def config_seeds(cfg: dict[str, Any]) -> list[int]:
    """The seeds a config trains with: its "seeds" list (`over_seeds`), or its one "seed"."""
    return list(cfg["seeds"]) if "seeds" in cfg else [cfg.get("seed")]


def seed_folder(run_folder: Path, cfg: dict[str, Any], seed: int) -> Path:
    """Where `over_seeds` kept the files of `seed` for a run in `run_folder` with config `cfg`."""
    return run_folder if seed == cfg["seeds"][0] else run_folder / "seeds" / str(seed)
