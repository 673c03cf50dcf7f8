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
from ..comparisons import compare
from ..data import ImageSet, stratified_subset
from ..experiments import result
from ..profiles import Profile
from ..stats import Comparison, mean_and_spread
from .study import ABLATIONS, EXPERIMENTS, PARTS, SEED, Splits, part


def results(profile: Profile) -> dict[str, Artifacts]:
    """The cached (or freshly trained) artifacts of every part's run, in the order of `study.PARTS`."""
    return {name: result(EXPERIMENTS[name], profile) for name in PARTS}


def ablation_results(profile: Profile) -> dict[str, Artifacts]:
    """The artifacts of the runs that isolate one change between two parts (`study.ABLATIONS`)."""
    return {name: result(EXPERIMENTS[name], profile) for name in ABLATIONS}


def in_book_order(*groups: dict[str, Artifacts]) -> dict[str, Artifacts]:
    """The runs of `groups` (the parts, the ablations) together, in the order of the recipe
    table, (b), (c), (c'), (d), (e): the order in which the comparisons of (f) step."""
    merged = {name: artifacts for group in groups for name, artifacts in group.items()}
    return {name: merged[name] for name in EXPERIMENTS if name in merged}


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
                "flip TTA column": cfg["eval"]["flip_tta"],
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
    """Part (f): one row per model, its plain test accuracy (what (f) asks for) and, in a
    column of its own, the accuracy with flip test-time augmentation, next to what the
    model cost and whether it was still improving at its last epoch. With several seeds
    the accuracies are means (`run_summary`) and a column gives their standard deviation."""
    rows = []
    for name, art in runs.items():
        s = run_summary(art)
        row = {
            "part": part(name).letter,
            "model": part(name).title,
            "parameters": art.metrics["parameters"],
            "best epoch": f"{s['best_epoch']} / {s['epochs']}",
            "still rising": s["best_epoch"] == s["epochs"],
            "best val acc (%)": s["best_val"],
            "test acc (%)": s["test"],
        }
        if s["seeds"] > 1:
            row["test acc sd"] = s["test_sd"]
        if s["test_flip"] is not None:
            row["test acc, flip TTA (%)"] = s["test_flip"]
        rows.append({**row, "train time (s)": s["seconds"]})
    return pd.DataFrame(rows)


# The comparisons of part (f), each changing one thing (or, for (b) -> (c), one package of
# things): (before, after, what changed). (c) -> (c') is the peak rate alone, (c') -> (d)
# BatchNorm alone, (d) -> (e) Dropout alone.
STEPS = (
    ("p1-baseline", "p1-improved", "architecture and recipe"),
    ("p1-improved", "p1-improved-bn-lr", "peak rate (no BatchNorm)"),
    ("p1-improved-bn-lr", "p1-bn", "BatchNorm (same rate)"),
    ("p1-bn", "p1-dropout", "Dropout"),
)


def effects(runs: dict[str, Artifacts], split: str) -> dict[tuple[str, str], Comparison]:
    """Every step of `STEPS` judged on `split` ("val" or "test"), keyed by (before, after)."""
    return {(before, after): compare(runs[before], runs[after], split) for before, after, _ in STEPS}


def effects_table(runs: dict[str, Artifacts], split: str = "test") -> pd.DataFrame:
    """Part (f): each step of `STEPS` on `split`, with the paired test that judges it: the two
    accuracies, their difference and its standard error, the images only one model got
    right (McNemar's discordant pairs), the p-value and the verdict."""
    rows = []
    for (before, after), c in effects(runs, split).items():
        changed = next(what for b, a, what in STEPS if (b, a) == (before, after))
        rows.append(
            {
                "step": f"({part(before).letter}) -> ({part(after).letter})",
                "what changed": changed,
                "before (%)": c.accuracy_a,
                "after (%)": c.accuracy_b,
                "difference": c.difference,
                "se": c.standard_error,
                "only before right": c.a_only,
                "only after right": c.b_only,
                "p": c.p_value,
                "verdict": VERDICT_WORDS[c.verdict],
            }
        )
    return pd.DataFrame(rows)


# How the effects table names each verdict of `stats.compare_paired` (the table is English, as all of P1's).
VERDICT_WORDS = {"b": "after better", "a": "before better", "tie": "equal within noise"}


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
    """The numbers the chapter's prose cites for one run (accuracies in percent).

    Accuracies are means over the run's seeds ("test_sd" and "best_val_sd": their sample
    standard deviations, None for one seed); what comes from the per-epoch history (the
    last epoch's accuracies and gap, the best epoch) is the first seed's, the run the
    figures and history tables show.
    """
    m, h = artifacts.metrics, artifacts.history()
    per_seed = list(m.get("seeds", {"": m}).values())
    test, test_sd = mean_and_spread([100 * r["test_acc"] for r in per_seed])
    best_val, best_val_sd = mean_and_spread([100 * r["best_val_acc"] for r in per_seed])
    flips = [100 * r["test_acc_flip"] for r in per_seed if "test_acc_flip" in r]
    last = h.iloc[-1]
    return {
        "test": test,
        "test_sd": test_sd,
        "test_flip": mean_and_spread(flips)[0] if flips else None,
        "best_val": best_val,
        "best_val_sd": best_val_sd,
        "seeds": len(per_seed),
        "best_epoch": m["best_epoch"],
        "epochs": m["epochs"],
        "train_last": 100 * last["train_acc"],
        "val_last": 100 * last["val_acc"],
        "gap_last": 100 * (last["train_acc"] - last["val_acc"]),
        "val_loss_min_epoch": int(h.loc[h["val_loss"].idxmin(), "epoch"]),
        "seconds": sum(r["train_seconds"] for r in per_seed),
        "parameters": m["parameters"],
    }


def first_epoch_reaching(artifacts: Artifacts, accuracy: float) -> int | None:
    """The first epoch whose validation accuracy is at least `accuracy` (a fraction), if any."""
    h = artifacts.history()
    reached = h.loc[h["val_acc"] >= accuracy, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None
