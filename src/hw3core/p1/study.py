"""P1's experiments: the baseline (b), the improved network (c), + BatchNorm (d), + Dropout (e).

Every experiment uses the same data (a stratified, seeded train/validation split of the
CIFAR-10 training set; the test set is only read after training, for part f), the same
tensor data path with random crop and flip, and the same trainer; they differ in the
model and its optimiser settings, which live in their configs. Each run saves its best
model by validation accuracy, then classifies the test set with it and records test
accuracy, per-class accuracy and the confusion matrix.

Profiles: `full` is the assignment at full size (a GPU run); `quick` keeps the model
family but trains narrower networks on a stratified subset for fewer epochs, so it fits
a 2-core CPU; `smoke` uses tiny synthetic images so the chapter runs in seconds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import confusion_matrix
from torch import nn

from .. import atomic
from .models import BaselineModel, ConvNet, check_limits, parameter_count
from ..data import (
    CIFAR10_CLASSES,
    ImageSet,
    TensorImages,
    channel_stats,
    load_cifar10,
    stratified_split,
    stratified_subset,
    synthetic_images,
    tensor_loader,
)
from ..experiments import Experiment, RunContext, register, result
from ..profiles import Profile, per_profile
from ..settings import Settings, get_settings
from ..training import classification_step, fit, predict, seed_everything

SEED = 0
# 500 images per class (5,000 = 10 % of the training set) for validation: the standard
# error of an accuracy near 90 % measured on 5,000 images is about 0.4 points, small
# enough to pick the best epoch, and 45,000 images are left to train on.
VAL_PER_CLASS = 500
EVAL_BATCH = 1000


@dataclass(frozen=True)
class Splits:
    train: ImageSet
    val: ImageSet
    test: ImageSet


def data_config(profile: Profile) -> dict[str, Any]:
    """Which images each profile uses; None means all of them."""
    return per_profile(
        profile,
        full={"source": "cifar10", "train_per_class": None, "val_per_class": VAL_PER_CLASS, "seed": SEED},
        quick={"source": "cifar10", "train_per_class": 1000, "val_per_class": 100, "seed": SEED},
        smoke={"source": "synthetic", "train_per_class": 16, "val_per_class": 6, "test_per_class": 10, "seed": SEED},
    )


def load_splits(cfg: dict[str, Any], settings: Settings | None = None) -> Splits:
    """Train/validation/test ImageSets for a data config.

    The validation split (VAL_PER_CLASS per class) is cut from the training set first and
    the same way in every profile; `quick` then takes stratified subsets of both parts, so
    its validation images are a subset of the full profile's.
    """
    seed = cfg["seed"]
    if cfg["source"] == "synthetic":
        k = len(CIFAR10_CLASSES)
        pool = synthetic_images(cfg["train_per_class"] + cfg["val_per_class"] + cfg["test_per_class"], CIFAR10_CLASSES, seed)
        rest_idx, test_idx = stratified_split(pool.labels, cfg["test_per_class"] * k, seed)
        rest = pool.subset(rest_idx)
        train_idx, val_idx = stratified_split(rest.labels, cfg["val_per_class"] * k, seed)
        return Splits(rest.subset(train_idx), rest.subset(val_idx), pool.subset(test_idx))
    settings = settings or get_settings()
    pool = load_cifar10("train", settings)
    train_idx, val_idx = stratified_split(pool.labels, VAL_PER_CLASS * len(pool.classes), seed)
    train, val = pool.subset(train_idx), pool.subset(val_idx)
    if cfg["train_per_class"] is not None:
        train = train.subset(stratified_subset(train.labels, cfg["train_per_class"], seed))
    if cfg["val_per_class"] != VAL_PER_CLASS:
        val = val.subset(stratified_subset(val.labels, cfg["val_per_class"], seed))
    return Splits(train, val, load_cifar10("test", settings))


def splits_for(profile: Profile) -> Splits:
    return load_splits(data_config(profile))


def sample_per_class(data: ImageSet, seed: int = SEED) -> np.ndarray:
    """Index of one randomly chosen image of every class, in class order (part a's figure)."""
    return stratified_subset(data.labels, 1, seed)


def split_table(splits: Splits) -> pd.DataFrame:
    rows = []
    for name, part in (("train", splits.train), ("validation", splits.val), ("test", splits.test)):
        counts = torch.bincount(part.labels, minlength=len(part.classes))
        rows.append({"split": name, "images": len(part), "per class (min)": int(counts.min()), "per class (max)": int(counts.max())})
    return pd.DataFrame(rows)


# ---- models and their training recipes ---------------------------------------------


def build_model(cfg: dict[str, Any]) -> nn.Module:
    if cfg["family"] == "baseline":
        return BaselineModel()
    if cfg["family"] == "convnet":
        return ConvNet(tuple(cfg["widths"]), cfg["hidden"], cfg["batchnorm"], cfg["dropout"])
    raise ValueError(f"unknown model family {cfg['family']!r} (known: baseline, convnet)")


def _convnet(profile: Profile, batchnorm: bool, dropout: float) -> dict[str, Any]:
    return {
        "family": "convnet",
        "widths": per_profile(profile, full=[64, 128, 256, 512], quick=[16, 32, 64, 128], smoke=[4, 8, 16, 32]),
        "hidden": per_profile(profile, full=512, quick=128, smoke=16),
        "batchnorm": batchnorm,
        "dropout": dropout,
    }


def _recipe(profile: Profile, lr: float, batch_size: int, label_smoothing: float) -> dict[str, Any]:
    """SGD with Nesterov momentum, linear warm-up then linear decay (one cycle), crop+flip."""
    return {
        "epochs": per_profile(profile, full=30, quick=12, smoke=2),
        "batch_size": per_profile(profile, full=batch_size, quick=64, smoke=32),
        "lr": lr,
        "momentum": 0.9,
        "nesterov": True,
        "weight_decay": 5e-4,
        "warmup": 0.2,
        "label_smoothing": label_smoothing,
        "augment": True,
    }


# Part -> (letter, title, model config, training recipe). The plain network of (c) trains
# at a lower peak rate than the BN networks: without normalisation a stack of ReLU layers
# is the more fragile one at high rates, and allowing a higher rate is one of the things
# BatchNorm is for. In `quick` (batch 64, lossy JPEG copy) the plain network's test
# accuracy by peak rate was 57.1 / 53.7 / 41.1 % at 0.05 / 0.1 / 0.2 (400 images a class,
# 10 epochs) and 64.7 / 67.9 % at 0.025 / 0.05 (1,000 a class, 12 epochs): it takes 0.05.
def _parts(profile: Profile) -> dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]]:
    plain_lr = per_profile(profile, full=0.1, quick=0.05, smoke=0.1)
    return {
        "p1-baseline": ("b", "BaselineModel", {"family": "baseline"}, _recipe(profile, 0.02, 128, 0.0)),
        "p1-improved": ("c", "ConvNet", _convnet(profile, False, 0.0), _recipe(profile, plain_lr, 512, 0.2)),
        "p1-bn": ("d", "ConvNet + BatchNorm", _convnet(profile, True, 0.0), _recipe(profile, 0.2, 512, 0.2)),
        "p1-dropout": ("e", "ConvNet + BatchNorm + Dropout", _convnet(profile, True, 0.3), _recipe(profile, 0.2, 512, 0.2)),
    }


EXPERIMENTS = ("p1-baseline", "p1-improved", "p1-bn", "p1-dropout")


def config(name: str, profile: Profile) -> dict[str, Any]:
    part, title, model, train = _parts(profile)[name]
    return {"part": part, "title": title, "data": data_config(profile), "model": model, "train": train, "seed": SEED}


# ---- running and evaluating --------------------------------------------------------


def evaluate(model: nn.Module, data: ImageSet, mean: list[float], std: list[float], device: torch.device) -> dict[str, Any]:
    """Accuracy, per-class accuracy and the confusion matrix (rows: true class) on `data`."""
    loader = tensor_loader(TensorImages(data, mean, std, device), EVAL_BATCH, shuffle=False)
    labels, predictions = predict(model, loader, device)
    matrix = confusion_matrix(labels, predictions, labels=list(range(len(data.classes))))
    per_class = matrix.diagonal() / matrix.sum(axis=1).clip(min=1)
    return {
        "accuracy": float((labels == predictions).mean()),
        "per_class_accuracy": dict(zip(data.classes, per_class.tolist())),
        "confusion": matrix,
    }


def run(cfg: dict[str, Any], ctx: RunContext, *, name: str = "p1", on_epoch_end=None) -> dict[str, Any]:
    seed, recipe = cfg["seed"], cfg["train"]
    seed_everything(seed)
    splits = load_splits(cfg["data"], ctx.settings)
    mean, std = channel_stats(splits.train.images)
    train = TensorImages(splits.train, mean, std, ctx.device, augment=recipe["augment"], seed=seed)
    val = TensorImages(splits.val, mean, std, ctx.device)
    train_loader = tensor_loader(train, recipe["batch_size"], shuffle=True, seed=seed, drop_last=True)
    val_loader = tensor_loader(val, EVAL_BATCH, shuffle=False)
    model = build_model(cfg["model"])
    check_limits(model)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=recipe["lr"],
        momentum=recipe["momentum"],
        nesterov=recipe["nesterov"],
        weight_decay=recipe["weight_decay"],
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=recipe["lr"],
        total_steps=recipe["epochs"] * len(train_loader),
        pct_start=recipe["warmup"],
        anneal_strategy="linear",
        cycle_momentum=False,
        div_factor=25.0,
        final_div_factor=1e3,
    )
    history = fit(
        model,
        train_loader,
        val_loader,
        epochs=recipe["epochs"],
        optimizer=optimizer,
        scheduler=scheduler,
        scheduler_per_batch=True,
        step=functools.partial(classification_step, label_smoothing=recipe["label_smoothing"]),
        workdir=ctx.workdir,
        device=ctx.device,
        seed=seed,
        desc=name,
        on_epoch_end=on_epoch_end,
    )
    model.load_state_dict(atomic.torch_load(ctx.workdir / "best.pt"))
    test = evaluate(model, splits.test, mean, std, ctx.device)
    matrix = pd.DataFrame(test["confusion"], columns=splits.test.classes)
    matrix.insert(0, "true class", splits.test.classes)
    atomic.write_csv(ctx.workdir / "confusion.csv", matrix)
    best = history.loc[history["val_acc"].idxmax()]
    return {
        "data_source": splits.train.source,
        "sizes": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
        "normalisation": {"mean": mean, "std": std},
        "parameters": parameter_count(model),
        "epochs": len(history),
        "best_epoch": int(best["epoch"]),
        "best_val_acc": float(best["val_acc"]),
        "train_seconds": float(history["seconds"].sum()),
        "test_acc": test["accuracy"],
        "per_class_acc": test["per_class_accuracy"],
    }


for _name, (_part, _title, *_) in _parts("smoke").items():
    register(Experiment(_name, "p1", f"P1({_part}): {_title} on CIFAR-10", functools.partial(config, _name), functools.partial(run, name=_name)))


# ---- what the chapter shows --------------------------------------------------------


def results(profile: Profile) -> dict[str, Any]:
    """The cached (or freshly trained) artifacts of the four experiments, in part order."""
    return {name: result(name, profile) for name in EXPERIMENTS}


def confusion(artifacts) -> pd.DataFrame:
    """The test confusion matrix of a run: rows are true classes, columns predictions."""
    return pd.read_csv(artifacts.path("confusion.csv"), index_col="true class")


def accuracy_table(runs: dict[str, Any]) -> pd.DataFrame:
    """Part (f): one row per model, test accuracy next to what it cost."""
    rows = []
    for name, art in runs.items():
        m = art.metrics
        rows.append(
            {
                "part": art.config["part"],
                "model": art.config["title"],
                "parameters": m["parameters"],
                "best epoch": m["best_epoch"],
                "best val acc (%)": 100 * m["best_val_acc"],
                "test acc (%)": 100 * m["test_acc"],
                "train time (s)": m["train_seconds"],
            }
        )
    return pd.DataFrame(rows)


def per_class_table(runs: dict[str, Any]) -> pd.DataFrame:
    """Test accuracy (%) per class (rows) and model (columns)."""
    columns = {f"({art.config['part']})": art.metrics["per_class_acc"] for art in runs.values()}
    return (pd.DataFrame(columns) * 100).rename_axis("class").reset_index()


def history_table(artifacts) -> pd.DataFrame:
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


def run_summary(artifacts) -> dict[str, float]:
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


def recipe_table(profile: Profile) -> pd.DataFrame:
    """The training settings of every part, straight from the configs."""
    rows = []
    for name in EXPERIMENTS:
        cfg = config(name, profile)
        t = cfg["train"]
        rows.append(
            {
                "part": cfg["part"],
                "epochs": t["epochs"],
                "batch": t["batch_size"],
                "peak lr": t["lr"],
                "momentum": t["momentum"],
                "weight decay": t["weight_decay"],
                "label smoothing": t["label_smoothing"],
                "dropout": cfg["model"].get("dropout", 0.0),
            }
        )
    return pd.DataFrame(rows)


def first_epoch_reaching(artifacts, accuracy: float) -> int | None:
    """The first epoch whose validation accuracy is at least `accuracy` (a fraction), if any."""
    h = artifacts.history()
    reached = h.loc[h["val_acc"] >= accuracy, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None
