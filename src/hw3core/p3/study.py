"""P3's experiments: frozen ImageNet backbones with a new head, and MobileNetV2 from scratch.

A frozen run has two stages, each its own cached experiment: `p3-features-<backbone>`
computes the backbone's features of every split once (features.py), and
`p3-frozen-<backbone>` trains only a new head on them. `p3-scratch` trains a randomly
initialised MobileNetV2 end to end. Under the smoke profile the backbones are randomly
initialised, so the same code runs without any weights file; elsewhere a run that would
need absent weights is not started, and `frozen_outcome` returns a `MissingWeights`
that the chapter turns into one sentence, never a number.

Configs have the book's one shape (`{"seed", "data", "model", "train"}`, see
experiments.Experiment), with a "features" section for the feature-extraction stage.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch
from torch import nn
from torchvision import models

from .. import experiments, predictions
from ..cache import Artifacts
from ..data import channel_stats, tensor_loader
from ..experiments import Experiment, RunContext, by_name
from ..profiles import Profile, per_profile
from ..seeding import seed_everything
from ..settings import Settings, get_settings
from ..training import classification_step, fit_best, on_device, predict, run_epoch
from .features import FeatureViews, run_features
from .flowers import FLOWERS_CLASSES, OFFICIAL_SPLIT_SIZES, SPLITS, FlowerViews, flowers_split
from .network import new_head, parameter_counts
from .weights import BACKBONES, MissingWeights, MissingWeightsError, find_weights


def class_count(data: dict[str, Any]) -> int:
    return data["classes"] if data["source"] == "synthetic" else len(FLOWERS_CLASSES)


# --- configs ------------------------------------------------------------------------------


def features_config(profile: Profile, backbone: str) -> dict[str, Any]:
    """The first stage of a frozen run: which images (stored squares), which backbone, how many copies."""
    return {
        "seed": 0,
        "data": per_profile(
            profile,
            full={"source": "flowers102", "store": 256},
            quick={"source": "flowers102", "store": 256, "per_class": {"test": 10}},
            smoke={"source": "synthetic", "classes": 4, "store": 32, "per_class": {"train": 6, "val": 3, "test": 3}},
        ),
        "model": {"backbone": backbone, "weights": str(BACKBONES[backbone].weights), "pretrained": profile != "smoke"},
        "features": {
            "crop": per_profile(profile, full=None, quick=None, smoke=32),  # None: the weights' own crop (224)
            "augmented_copies": per_profile(profile, full=4, quick=1, smoke=1),
            "batch_size": 128,
        },
    }


def frozen_config(profile: Profile, backbone: str) -> dict[str, Any]:
    """A whole frozen run: its features stage, then the new head and how it is trained.

    Built on `features_config` so the two experiments cannot disagree about the stage
    they share; a change there retrains the head too.
    """
    stage = features_config(profile, backbone)
    return {
        **stage,
        "model": {**stage["model"], "dropout": 0.2},
        "train": {"epochs": per_profile(profile, full=40, quick=40, smoke=3), "batch_size": 64, "lr": 1e-3, "weight_decay": 1e-4},
    }


def features_stage(frozen: dict[str, Any]) -> dict[str, Any]:
    """The config of a frozen run's first stage, read back from the run's own config.

    The inverse of `frozen_config`: without the head's dropout and "train" section. The
    head asks for the features of exactly this config, so a variant of a frozen run
    (another data limit, another batch size) gets features made the same way.
    """
    model = {key: value for key, value in frozen["model"].items() if key != "dropout"}
    return {**{key: value for key, value in frozen.items() if key != "train"}, "model": model}


def scratch_config(profile: Profile) -> dict[str, Any]:
    return {
        "seed": 0,
        "data": per_profile(
            profile,
            full={"source": "flowers102", "store": 256},
            quick={"source": "flowers102", "store": 112, "per_class": {"val": 5, "test": 10}},
            smoke={"source": "synthetic", "classes": 4, "store": 36, "per_class": {"train": 6, "val": 3, "test": 3}},
        ),
        "model": {"input_size": per_profile(profile, full=224, quick=96, smoke=32), "dropout": 0.2},
        "train": {
            # quick: 60 epochs at 96 px reached 41.2 % validation accuracy (30 gave 35.6 % test),
            # 70 with label smoothing 0.1 47.8 %; about 8 s an epoch on 2 cores with
            # channels-last (benchmarks/quick_search.md)
            "epochs": per_profile(profile, full=300, quick=70, smoke=2),
            "warmup_epochs": per_profile(profile, full=5, quick=2, smoke=1),
            "batch_size": per_profile(profile, full=64, quick=64, smoke=8),
            "lr": 0.05,
            "momentum": 0.9,
            "weight_decay": 5e-4,
            # 1,020 training images: at 60 epochs the network fits 99.9 % of them and 41 % of
            # the validation images. Label smoothing 0.1 (Szegedy et al. 2016) is the
            # regulariser of torchvision's own from-scratch classification recipes.
            "label_smoothing": 0.1,
        },
    }


# --- training -----------------------------------------------------------------------------


def warmup_cosine(optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up to the base rate, then a half cosine down to zero (stepped per batch)."""

    def factor(step: int) -> float:
        warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0
        return warm * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def evaluate(model: nn.Module, loaders: dict[str, Any], device: torch.device) -> dict[str, dict[str, float]]:
    """Cross-entropy loss and accuracy of `model` on each named loader."""
    on_device(model, device)
    results = {}
    for split, loader in loaders.items():
        loss, accuracy = run_epoch(model, loader, classification_step, device)
        results[split] = {"loss": loss, "accuracy": accuracy}
    return results


def best_epoch(history: Any) -> int:
    return int(history.loc[history["val_acc"].idxmax(), "epoch"])


def run_head(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Train the new head on the cached features; evaluate its best epoch (by validation)."""
    seed, recipe, backbone = cfg["seed"], cfg["train"], cfg["model"]["backbone"]
    stage = experiments.result(EXPERIMENTS[features_name(backbone)], ctx.profile, ctx.settings, config=features_stage(cfg))
    features = stage.load("features.pt")
    seed_everything(seed)
    width = features["train"]["features"].shape[-1]
    head = new_head(width, class_count(cfg["data"]), cfg["model"]["dropout"])

    def loader(split: str, augmented: bool) -> Any:
        part = features[split]
        copies = part["features"] if augmented else part["features"][:1]
        return tensor_loader(FeatureViews(copies, part["labels"], ctx.device), recipe["batch_size"] if augmented else 1024, augmented, seed)

    train = loader("train", augmented=True)
    optimizer = torch.optim.AdamW(head.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    history = fit_best(
        head,
        train,
        loader("val", augmented=False),
        epochs=recipe["epochs"],
        optimizer=optimizer,
        scheduler=warmup_cosine(optimizer, recipe["epochs"] * len(train), 0),
        scheduler_per_batch=True,
        workdir=ctx.workdir,
        device=ctx.device,
        seed=seed,
        desc=f"head {backbone}",
    )
    final = evaluate(head, {split: loader(split, augmented=False) for split in SPLITS}, ctx.device)
    predictions.save(ctx.workdir, "test", *predict(head, loader("test", augmented=False), ctx.device))
    return {"final": final, "best_epoch": best_epoch(history), "epochs": len(history)}


def run_scratch(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Randomly initialised MobileNetV2 trained end to end with random resized crops and flips.

    It trains with label smoothing but is scored on validation (and at the end on every
    split) with plain cross-entropy, so its losses are on the frozen runs' scale.
    """
    seed, recipe, size = cfg["seed"], cfg["train"], cfg["model"]["input_size"]
    seed_everything(seed)
    data = {split: flowers_split(split, cfg["data"], ctx.settings) for split in SPLITS}
    mean, std = channel_stats(data["train"].images)
    model = models.mobilenet_v2(weights=None, num_classes=class_count(cfg["data"]), dropout=cfg["model"]["dropout"])

    def loader(split: str, augment: bool) -> Any:
        views = FlowerViews(data[split], size, mean, std, ctx.device, augment=augment, seed=seed)
        return tensor_loader(views, recipe["batch_size"] if augment else 256, shuffle=augment, seed=seed, drop_last=augment)

    train = loader("train", augment=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe["lr"], momentum=recipe["momentum"], nesterov=True, weight_decay=recipe["weight_decay"])
    history = fit_best(
        model,
        train,
        loader("val", augment=False),
        epochs=recipe["epochs"],
        optimizer=optimizer,
        scheduler=warmup_cosine(optimizer, recipe["epochs"] * len(train), recipe["warmup_epochs"] * len(train)),
        scheduler_per_batch=True,
        step=partial(classification_step, label_smoothing=recipe["label_smoothing"]),
        val_step=classification_step,
        workdir=ctx.workdir,
        device=ctx.device,
        seed=seed,
        desc="mobilenet_v2 scratch",
    )
    final = evaluate(model, {split: loader(split, augment=False) for split in SPLITS}, ctx.device)
    predictions.save(ctx.workdir, "test", *predict(model, loader("test", augment=False), ctx.device))
    return {
        "final": final,
        "best_epoch": best_epoch(history),
        "epochs": len(history),
        "train_seconds": float(history["seconds"].sum()),
        "images": {split: len(d) for split, d in data.items()},
        "parameters": parameter_counts(model),
    }


# --- results for the chapter --------------------------------------------------------------


def features_name(backbone: str) -> str:
    return f"p3-features-{backbone}"


def frozen_name(backbone: str) -> str:
    return f"p3-frozen-{backbone}"


def frozen_outcome(backbone: str, profile: Profile | None = None, settings: Settings | None = None) -> Artifacts | MissingWeights:
    """The head experiment's artifacts, or `MissingWeights` when they would need absent weights.

    A cached result (features or head, made where the weights were) is used without them.
    """
    settings = settings or get_settings()
    profile = profile or settings.profile
    head = EXPERIMENTS[frozen_name(backbone)]
    cached = any(experiments.status(e, profile, settings) == "cached" for e in (head, EXPERIMENTS[features_name(backbone)]))
    if head.config(profile)["model"]["pretrained"] and not cached:
        try:
            find_weights(BACKBONES[backbone], settings)
        except MissingWeightsError as error:
            return error.missing
    try:
        return experiments.result(head, profile, settings)
    except MissingWeightsError as error:  # found, but unreadable
        return error.missing


def frozen_outcomes(profile: Profile | None = None) -> dict[str, Artifacts | MissingWeights]:
    """`frozen_outcome` of every backbone, in the order of `BACKBONES`."""
    return {name: frozen_outcome(name, profile) for name in BACKBONES}


def scratch_result(profile: Profile | None = None) -> Artifacts:
    """The scratch run; under the full profile it must have seen the whole official split."""
    profile = profile or get_settings().profile
    scratch = experiments.result(EXPERIMENTS["p3-scratch"], profile)
    if profile == "full" and scratch.metrics["images"] != OFFICIAL_SPLIT_SIZES:
        raise AssertionError(f"p3-scratch [full] saw {scratch.metrics['images']} images, not the official split {OFFICIAL_SPLIT_SIZES}")
    return scratch


EXPERIMENTS = by_name(
    *(
        experiment
        for name in BACKBONES
        for experiment in (
            Experiment(features_name(name), "p3", f"{name} frozen ImageNet features of Flowers102", partial(features_config, backbone=name), run_features),
            Experiment(frozen_name(name), "p3", f"new head on frozen {name} features", partial(frozen_config, backbone=name), run_head),
        )
    ),
    Experiment("p3-scratch", "p3", "MobileNetV2 trained from scratch on Flowers102", scratch_config, run_scratch),
)
