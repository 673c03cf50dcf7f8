"""Benchmark (not a test): one trial of the quick-profile recipe search.

Trains one P1 or P2 config (the study's own `run`, on the real data) with a few settings
overridden, and prints one line: the overrides, the best *validation* accuracy, the
training seconds (with each epoch's, which vary with the load) and the load average at
start and end. The test accuracy the run also computes is never printed: the search picks
on validation only. The results are written
up in benchmarks/quick_search.md.

    HW3_DATA_DIR=... HW3_CACHE_DIR=/tmp/x OMP_NUM_THREADS=2 PYTHONPATH=src \
        python benchmarks/quick_search.py p1-bn '{"train": {"epochs": 6}, "data": {"train_per_class": null}}'
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import torch

from hw3core import registry
from hw3core.experiments import RunContext
from hw3core.settings import get_settings


def merged(base: dict, overrides: dict) -> dict:
    """`base` with `overrides` applied section by section (one level of nesting)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment")
    parser.add_argument("overrides", nargs="?", default="{}", help="JSON: config sections to override")
    args = parser.parse_args()
    experiment = registry.get(args.experiment)
    cfg = merged(experiment.config("quick"), json.loads(args.overrides))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as workdir:
        experiment.run(cfg, RunContext(Path(workdir), torch.device("cpu"), "quick", get_settings()))
        # the classifier's history: the triplet regime's second stage, else the only one
        histories = [Path(workdir) / name for name in ("history-linear.csv", "history.csv")]
        history = pd.read_csv(next(path for path in histories if path.exists()))
        seconds = sum(pd.read_csv(path)["seconds"].sum() for path in histories if path.exists())
    best = history.loc[history["val_acc"].idxmax()]
    print(json.dumps({
        "experiment": args.experiment,
        "overrides": json.loads(args.overrides),
        "best_val_acc": round(float(best["val_acc"]), 4),
        "best_epoch": int(best["epoch"]),
        "val_acc_by_epoch": [round(v, 4) for v in history["val_acc"]],
        "train_seconds": round(float(seconds), 1),
        "epoch_seconds": [round(v, 1) for v in history["seconds"]],
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }), flush=True)


if __name__ == "__main__":
    main()
