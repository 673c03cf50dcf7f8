"""What the P1 chapter shows, read from the runs: the split and recipe tables of parts
(a) and (b), the per-epoch histories of (b)-(e), the test tables and confusion matrices
of (f), and the numbers its prose cites (`run_summary`, read by `p1.text`).

Every table and figure of several runs iterates the runs it is given, and names each by
its row in `study.PARTS` / `study.ABLATIONS`: a new part is a new row there, nothing here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ..cache import Artifacts
from ..data import ImageSet, stratified_subset
from ..experiments import result
from ..profiles import Profile
from .study import ABLATIONS, EXPERIMENTS, PARTS, SEED, Splits, part


def results(profile: Profile) -> dict[str, Artifacts]:
    """The cached (or freshly trained) artifacts of every part's run, in the order of `study.PARTS`."""
    return {name: result(EXPERIMENTS[name], profile) for name in PARTS}


def ablation_results(profile: Profile) -> dict[str, Artifacts]:
    """The artifacts of the runs that isolate one change between two parts (`study.ABLATIONS`)."""
    return {name: result(EXPERIMENTS[name], profile) for name in ABLATIONS}


def sample_per_class(data: ImageSet, seed: int = SEED) -> np.ndarray:
    """Index of one randomly chosen image of every class, in class order (part a's figure)."""
    return stratified_subset(data.labels, 1, seed)


def split_table(splits: Splits) -> pd.DataFrame:
    """Part (a): how many images each split holds, and how evenly its classes are spread."""
    rows = []
    for name, part in (("train", splits.train), ("validation", splits.val), ("test", splits.test)):
        counts = torch.bincount(part.labels, minlength=len(part.classes))
        rows.append({"split": name, "images": len(part), "per class (min)": int(counts.min()), "per class (max)": int(counts.max())})
    return pd.DataFrame(rows)


def recipe_table(profile: Profile) -> pd.DataFrame:
    """The training settings of every run (the parts and the ablation), straight from the configs."""
    rows = []
    for name, experiment in EXPERIMENTS.items():
        cfg = experiment.config(profile)
        t = cfg["train"]
        rows.append(
            {
                "part": part(name).letter,
                "batchnorm": cfg["model"].get("batchnorm", False),
                "epochs": t["epochs"],
                "batch": t["batch_size"],
                "peak lr": t["lr"],
                "momentum": t["momentum"],
                "weight decay": t["weight_decay"],
                "label smoothing": t["label_smoothing"],
                "dropout": cfg["model"].get("dropout", 0.0),
                "logit scale": cfg["model"].get("logit_scale", 1.0),
                "flip TTA": cfg["eval"]["flip_tta"],
            }
        )
    return pd.DataFrame(rows)


def history_table(artifacts: Artifacts) -> pd.DataFrame:
    """The per-epoch history, accuracies in percent, as the chapter prints it."""
    h = artifacts.history()
    return pd.DataFrame(
        {
            "epoch": h["epoch"],
            "train loss": h["train_loss"],
            "train acc (%)": 100 * h["train_acc"],
            "val loss": h["val_loss"],
            "val acc (%)": 100 * h["val_acc"],
            "lr (% of peak)": 100 * h["lr"] / artifacts.config["train"]["lr"],
            "seconds": h["seconds"],
        }
    )


def confusion(artifacts: Artifacts) -> pd.DataFrame:
    """The test confusion matrix of a run: rows are true classes, columns predictions."""
    return pd.read_csv(artifacts.path("confusion.csv"), index_col="true class")


def accuracy_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Part (f): one row per model, test accuracy next to what it cost."""
    rows = []
    for name, art in runs.items():
        m = art.metrics
        rows.append(
            {
                "part": part(name).letter,
                "model": part(name).title,
                "parameters": m["parameters"],
                "best epoch": m["best_epoch"],
                "best val acc (%)": 100 * m["best_val_acc"],
                "test acc (%)": 100 * m["test_acc"],
                "train time (s)": m["train_seconds"],
            }
        )
    return pd.DataFrame(rows)


def per_class_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Test accuracy (%) per class (rows) and model (columns)."""
    columns = {f"({part(name).letter})": art.metrics["per_class_acc"] for name, art in runs.items()}
    return (pd.DataFrame(columns) * 100).rename_axis("class").reset_index()


def label(name: str) -> str:
    """A run's name in figures: its part and model, "(b) BaselineModel"."""
    return f"({part(name).letter}) {part(name).title}"


def histories(runs: dict[str, Artifacts]) -> dict[str, pd.DataFrame]:
    """Part (f): each run's per-epoch history under its label, for the curves compared in one plot."""
    return {label(name): art.history() for name, art in runs.items()}


def confusions(runs: dict[str, Artifacts]) -> dict[str, np.ndarray]:
    """Part (f): each run's test confusion matrix under its label."""
    return {label(name): confusion(art).to_numpy() for name, art in runs.items()}


def run_summary(artifacts: Artifacts) -> dict[str, Any]:
    """The numbers the chapter's prose cites for one run (accuracies in percent)."""
    m, h = artifacts.metrics, artifacts.history()
    last = h.iloc[-1]
    return {
        "test": 100 * m["test_acc"],
        "best_val": 100 * m["best_val_acc"],
        "best_epoch": m["best_epoch"],
        "epochs": m["epochs"],
        "train_last": 100 * last["train_acc"],
        "val_last": 100 * last["val_acc"],
        "gap_last": 100 * (last["train_acc"] - last["val_acc"]),
        "val_loss_min_epoch": int(h.loc[h["val_loss"].idxmin(), "epoch"]),
        "seconds": m["train_seconds"],
        "parameters": m["parameters"],
    }


def first_epoch_reaching(artifacts: Artifacts, accuracy: float) -> int | None:
    """The first epoch whose validation accuracy is at least `accuracy` (a fraction), if any."""
    h = artifacts.history()
    reached = h.loc[h["val_acc"] >= accuracy, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None
