"""Practical P2: cross-entropy, triplet and combined losses on CIFAR-10 airplane/automobile.

All three regimes train the same small CNN from scratch (`p2.models`; no pretrained
weights exist offline, and a network trained from scratch shows what each loss itself
teaches the layers): three convolutional stages, global average pooling to a feature
vector, and a linear head for the two classes.

- cross-entropy: the whole network end to end on the class labels;
- triplet: the extractor alone with the triplet loss on unit-norm embeddings (no linear
  layer takes part), then the extractor frozen and the linear head trained with
  cross-entropy (the config's "head" stage);
- combined: L_triplet + L_CE through the whole network at once.

During training (`p2.recording`), forward hooks record the feature maps of the three stages for the same
fixed training images at the first, middle and last epoch, and the nearest-centroid
accuracy of the embeddings on validation after every epoch (one accuracy that means the
same thing for all three regimes). After training each regime is evaluated once on the
2,000 test images: accuracy, the test embeddings in 2-D (PCA and t-SNE), the silhouette
score and a linear probe of every stage (`p2.features`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, NamedTuple

import pandas as pd
import torch
from sklearn.metrics import silhouette_score
from torch import nn

from .. import atomic, predictions
from ..data import (
    ImageSet,
    TensorImages,
    channel_stats,
    load_cifar10,
    stratified_split,
    stratified_subset,
    synthetic_images,
    tensor_loader,
)
from ..experiments import Experiment, RunContext, by_name
from ..profiles import Profile, per_profile
from ..seeding import over_seeds, seed_everything
from ..settings import Settings
from ..training import classification_step, fit, fit_best, predict, run_epoch
from .features import BATCH, embeddings, linear_probe, pooled_layers, project_2d
from .models import LAYERS, Classifier, Extractor
from .recording import EpochRecorder, fixed_indices, map_epochs
from .triplet import TripletImages, combined_step, step_with_margin, triplet_step

CLASSES = ("airplane", "automobile")


class Regime(NamedTuple):
    """A regime's name in figures (English: matplotlib does not shape Persian) and in `hw3 list`."""

    label: str
    summary: str


# The regimes, one experiment each (`p2-<regime>`); the chapter's tables and figures show every
# row, in this order. How each trains is `train_regime`; its Persian name is `text.NAMES`.
REGIMES = {
    "cross-entropy": Regime("cross-entropy", "airplane/automobile, small CNN trained end to end with cross-entropy"),
    "triplet": Regime(
        "triplet (+ linear head)",
        "airplane/automobile, extractor trained with semi-hard triplet loss, then a frozen-extractor linear head",
    ),
    "combined": Regime("triplet + CE", "airplane/automobile, L_triplet + L_CE through the whole network at once"),
}


# ---------------------------------------------------------------- configuration and data

def config(regime: str) -> Callable[[Profile], dict[str, Any]]:
    """Config of one regime; everything but the regime (and the triplet regime's second
    stage, "head") is shared, so the comparison is fair.

    `full` (a GPU run; target >= 97 % test) is built for the target, not yet measured (no
    GPU was available while it was written): all 9,000 training images left after
    validation, a VGG-style extractor of two 3x3 conv-BN-ReLU layers per stage at widths
    64-128-256 (Simonyan & Zisserman 2015; BatchNorm after every conv, Ioffe & Szegedy
    2015), 30 epochs of one-cycle SGD with Nesterov momentum and weight decay 5e-4
    (Smith 2019; the CIFAR-10 recipe of Page's DAWNBench ResNet), crop and flip. A
    two-class problem needs no more capacity than this: small CNNs on airplane vs
    automobile usually reach 95-97 % (a common figure for this pair, not measured here).
    `target_acc` is the validation accuracy that counts as converged; it sits just below
    the accuracies the regimes end at, so that epochs to it tell the regimes apart.

    `quick` (this CPU): all 8,000 training images left after its 2,000 validation images,
    one conv layer per stage at widths 32-64-128, 10 epochs, 5 for the triplet regime's
    head; picked on validation accuracy, see benchmarks/quick_search.md.

    Validation holds 2,000 images in both profiles: the standard error of an accuracy
    near 96 % on them is about 0.44 points, below the one-point differences between
    regimes the chapter discusses (400 images gave 1 point). Every profile trains each
    regime with three seeds (two under smoke, to run that path), which the chapter
    reports as a mean and a spread; the three regimes take about 6 to 7 minutes a seed on
    this CPU when it is quiet (benchmarks/quick_search.md).
    """

    def make(profile: Profile) -> dict[str, Any]:
        pick = partial(per_profile, profile)
        cfg = {
            # one run per seed (`seeding.over_seeds`); the data split and the images the
            # figures show keep the data section's seed
            "seeds": pick(full=[0, 1, 2], quick=[0, 1, 2], smoke=[0, 1]),
            "data": {
                "source": pick(full="cifar10", quick="cifar10", smoke="synthetic"),
                "seed": 0,
                # of the 10,000 training images of the two classes: validation, then (if set) a subset per class
                "val_size": pick(full=2000, quick=2000, smoke=20),
                "train_per_class": pick(full=None, quick=None, smoke=None),
                "synthetic_per_class": pick(full=None, quick=None, smoke=60),
                # training images whose class means label the embeddings, and on which the probes are fitted
                "reference_size": pick(full=2000, quick=600, smoke=60),
            },
            "model": {
                "widths": pick(full=[64, 128, 256], quick=[32, 64, 128], smoke=[4, 8, 8]),
                "convs_per_stage": pick(full=2, quick=1, smoke=1),
            },
            # SGD with Nesterov momentum, one-cycle schedule stepped per batch, crop+flip
            "train": {
                "regime": regime,
                "epochs": pick(full=30, quick=10, smoke=4),
                "batch_size": pick(full=128, quick=64, smoke=16),  # images, or triplets in the triplet regimes
                "lr": 0.05,
                "momentum": 0.9,
                "weight_decay": 5e-4,
                "margin": 0.2,  # FaceNet's number (on squared distances; here on plain ones, see p2-losses.qmd)
                "feature_map_images": 4,  # fixed training images whose maps are recorded
                "target_acc": pick(full=0.95, quick=0.9, smoke=0.6),  # validation accuracy that counts as converged
            },
        }
        if regime == "triplet":  # stage 2: the frozen extractor's linear head, with cross-entropy
            cfg["head"] = {"epochs": pick(full=10, quick=5, smoke=2), "lr": 0.05}
        return cfg

    return make


@dataclass(frozen=True)
class StudyData:
    train: ImageSet
    val: ImageSet
    test: ImageSet
    mean: list[float]
    std: list[float]

    def reference(self, size: int, seed: int) -> ImageSet:
        """The seeded, stratified `size` training images the embeddings and probes are fitted on
        (all of them when a data limit left fewer)."""
        per_class = min(size, len(self.train)) // len(CLASSES)
        return self.train.subset(stratified_subset(self.train.labels, per_class, seed))


def study_data(cfg: dict[str, Any], settings: Settings) -> StudyData:
    """Seeded train/validation split of the two classes' training images; the test split as is.

    The data config's "limit", if any, caps each split before anything is computed from it.
    """
    data = cfg["data"]
    seed = data["seed"]
    if data["source"] == "synthetic":
        # one draw split in two, so that the stand-in test images share the training colours
        both = synthetic_images(2 * data["synthetic_per_class"], CLASSES, seed=seed)
        pool_index, test_index = stratified_split(both.labels, 0.5, seed)
        pool, test = both.subset(pool_index), both.subset(test_index)
    else:
        pool = load_cifar10("train", settings).only_classes(CLASSES)
        test = load_cifar10("test", settings).only_classes(CLASSES)
    train_index, val_index = stratified_split(pool.labels, data["val_size"], seed)
    train, val = pool.subset(train_index), pool.subset(val_index)
    if data["train_per_class"]:
        train = train.subset(stratified_subset(train.labels, data["train_per_class"], seed))
    train, val, test = (split.at_most(data.get("limit"), seed) for split in (train, val, test))
    mean, std = channel_stats(train.images)
    return StudyData(train, val, test, mean, std)


# ---------------------------------------------------------------- training the regimes

def _schedule(model: nn.Module, recipe: dict[str, Any], lr: float, epochs: int, steps: int) -> dict[str, Any]:
    """SGD with Nesterov momentum and a one-cycle schedule stepped per batch, over the trainable
    parameters: the same recipe for every regime and stage (fit's optimizer/scheduler arguments)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=lr, momentum=recipe["momentum"], nesterov=True, weight_decay=recipe["weight_decay"])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps)
    return {"optimizer": optimizer, "scheduler": scheduler, "scheduler_per_batch": True}


def train_regime(cfg: dict[str, Any], data: StudyData, ctx: RunContext) -> Classifier:
    """Train one regime into `ctx.workdir` and return its classifier.

    Cross-entropy and combined keep their best validation weights (by classification
    accuracy). The triplet stage keeps its last epoch: its validation score counts
    triplets that meet the margin, the loss's own goal rather than classification, so
    choosing by it would mislead; its linear head is then chosen by validation accuracy.
    The training seed draws the initial weights, batches, augmentation and triplet
    partners; the images whose maps are recorded, the reference images and the
    validation triplets come from the data's seed, so they are the same for every seed.
    """
    recipe, device, seed, data_seed = cfg["train"], ctx.device, cfg["seed"], cfg["data"]["seed"]
    regime = recipe["regime"]
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; choose one of {', '.join(REGIMES)}")
    seed_everything(seed)
    tensors = partial(TensorImages, mean=data.mean, std=data.std, device=device, seed=seed)
    chosen = fixed_indices(data.train.labels, recipe["feature_map_images"], data_seed)
    atomic.torch_save({"images": data.train.images[chosen], "labels": data.train.labels[chosen]}, ctx.workdir / "feature-maps" / "inputs.pt")
    reference = data.reference(cfg["data"]["reference_size"], data_seed)
    recorder = EpochRecorder(
        ctx.workdir, tensors(data.train)[chosen.tolist()][0], tensors(reference), tensors(data.val), map_epochs(recipe["epochs"]), device
    )
    common = {"epochs": recipe["epochs"], "workdir": ctx.workdir, "device": device, "seed": seed, "on_epoch_end": recorder, "desc": regime}
    schedule = partial(_schedule, recipe=recipe, lr=recipe["lr"], epochs=recipe["epochs"])
    train_images, val_images = tensors(data.train, augment=True), tensors(data.val)
    torch.manual_seed(seed)  # every regime starts from the same initial weights
    extractor = Extractor(cfg["model"]["widths"], cfg["model"]["convs_per_stage"])
    if regime == "cross-entropy":
        model = Classifier(extractor, len(CLASSES))
        train = tensor_loader(train_images, recipe["batch_size"], shuffle=True, seed=seed)
        fit_best(model, train, tensor_loader(val_images, BATCH, shuffle=False), **schedule(model, steps=len(train)), **common)
        return model
    train = tensor_loader(TripletImages(train_images, seed), recipe["batch_size"], shuffle=True, seed=seed)
    val = tensor_loader(TripletImages(val_images, data_seed + 1), BATCH, shuffle=False)
    if regime == "combined":
        model = Classifier(extractor, len(CLASSES))
        step = step_with_margin(combined_step, recipe["margin"])
        fit_best(model, train, val, step=step, **schedule(model, steps=len(train)), **common)
        return model
    stage_one = ctx.workdir / "extractor.pt"  # a run killed in stage 2 resumes there, not from scratch
    if stage_one.exists():
        extractor.load_state_dict(atomic.torch_load(stage_one))
    else:
        step = step_with_margin(triplet_step, recipe["margin"])
        fit(extractor, train, val, step=step, **schedule(extractor, steps=len(train)), **common)
        atomic.torch_save(extractor.state_dict(), stage_one)
    return train_linear_head(extractor, cfg, data, ctx)


def train_linear_head(extractor: Extractor, cfg: dict[str, Any], data: StudyData, ctx: RunContext) -> Classifier:
    """Stage 2 of the triplet regime ("head"): the extractor frozen, a linear head trained with cross-entropy."""
    seed, head = cfg["seed"], cfg["head"]
    seed_everything(seed)
    model = Classifier(extractor, len(CLASSES), frozen=True)
    train_images = TensorImages(data.train, data.mean, data.std, ctx.device, augment=True, seed=seed)
    train = tensor_loader(train_images, cfg["train"]["batch_size"], shuffle=True, seed=seed)
    val = tensor_loader(TensorImages(data.val, data.mean, data.std, ctx.device), BATCH, shuffle=False)
    fit_best(
        model, train, val, epochs=head["epochs"], workdir=ctx.workdir, device=ctx.device, seed=seed,
        desc="triplet: linear head", best_name="best-linear.pt", history_name="history-linear.csv",
        **_schedule(model, cfg["train"], head["lr"], head["epochs"], len(train)),
    )
    return model


# ---------------------------------------------------------------- evaluation on the test split

def evaluate(model: Classifier, cfg: dict[str, Any], data: StudyData, ctx: RunContext) -> dict[str, Any]:
    """Test accuracy and loss, the predictions on validation and test, test embeddings in 2-D,
    silhouette, and a linear probe of each stage.

    Accuracy and loss come from the trainer's own evaluation pass (`run_epoch` without an
    optimizer): `training.predict` returns classes only, and the test loss needs the logits.
    """
    device, seed = ctx.device, cfg["seed"]
    tensors = partial(TensorImages, mean=data.mean, std=data.std, device=device)
    test = tensors(data.test)
    test_loss, test_acc = run_epoch(model, tensor_loader(test, BATCH, shuffle=False), classification_step, device)
    for split, images in (("val", tensors(data.val)), ("test", test)):
        predictions.save(ctx.workdir, split, *predict(model, tensor_loader(images, BATCH, shuffle=False), device))
    points = embeddings(model.extractor, test, device).numpy()
    labels = data.test.labels.numpy()
    atomic.torch_save(
        {"labels": data.test.labels, **{k: torch.from_numpy(v) for k, v in project_2d(points, seed).items()}},
        ctx.workdir / "test-embeddings.pt",
    )
    reference = data.reference(cfg["data"]["reference_size"], cfg["data"]["seed"])
    train_layers = pooled_layers(model.extractor, tensors(reference), device)
    test_layers = pooled_layers(model.extractor, test, device)
    probes = {name: linear_probe(train_layers[name], reference.labels.numpy(), test_layers[name], labels) for name in LAYERS}
    atomic.write_csv(ctx.workdir / "layer-probe.csv", pd.DataFrame({"layer": list(probes), "probe_acc": list(probes.values())}))
    return {
        "test_acc": test_acc,
        "test_loss": test_loss,
        "silhouette": float(silhouette_score(points, labels)),
        "embedding_probe_acc": linear_probe(
            embeddings(model.extractor, tensors(reference), device).numpy(), reference.labels.numpy(), points, labels
        ),
        "layer_probe": probes,
        "sizes": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
        "source": data.train.source,
    }


def run(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Train and evaluate one regime once per seed of its config (`seeding.over_seeds`)."""
    return over_seeds(run_seed, cfg, ctx)


def run_seed(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    data = study_data(cfg, ctx.settings)
    model = train_regime(cfg, data, ctx)
    return evaluate(model, cfg, data, ctx)


def experiment_name(regime: str) -> str:
    return f"p2-{regime}"


EXPERIMENTS = by_name(*(Experiment(experiment_name(regime), "p2", row.summary, config(regime), run) for regime, row in REGIMES.items()))
