"""Practical P2: cross-entropy, triplet and combined losses on CIFAR-10 airplane/automobile.

All three regimes train the same small CNN from scratch (no pretrained weights exist
offline, and a network trained from scratch shows what each loss itself teaches the
layers): three convolutional stages, global average pooling to a feature vector, and a
linear head for the two classes.

- cross-entropy: the whole network end to end on the class labels;
- triplet: the extractor alone with the triplet loss on unit-norm embeddings (no linear
  layer takes part), then the extractor frozen and the linear head trained with
  cross-entropy;
- combined: L_triplet + L_CE through the whole network at once.

During training, forward hooks record the feature maps of the three stages for the same
fixed training images at the first, middle and last epoch, and the nearest-centroid
accuracy of the embeddings on validation after every epoch (one accuracy that means the
same thing for all three regimes). After training each regime is evaluated once on the
2,000 test images: accuracy, the test embeddings in 2-D (PCA and t-SNE), the silhouette
score and a linear probe of every stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from .. import atomic
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
from ..cache import Artifacts
from ..experiments import Experiment, RunContext, register, result
from ..profiles import Profile, active_profile, per_profile
from ..settings import Settings
from ..stats import standard_error
from ..training import autocast, classification_step, fit, map_batches, run_epoch, seed_everything, to_device
from .triplet import TripletImages, combined_step, embed, step_with_margin, triplet_step

CLASSES = ("airplane", "automobile")
REGIMES = ("cross-entropy", "triplet", "combined")
LAYERS = ("stage1", "stage2", "stage3")
MOMENTUM = 0.9


# ---------------------------------------------------------------- the network

def conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Extractor(nn.Module):
    """Three conv stages (32x32, 16x16, 8x8) and global average pooling to `widths[-1]` features."""

    def __init__(self, widths: list[int], convs_per_stage: int) -> None:
        super().__init__()
        channels = [3, *widths]
        for i, (c_in, c_out) in enumerate(zip(channels, channels[1:]), start=1):
            convs = [conv_bn(c_in, c_out)] + [conv_bn(c_out, c_out) for _ in range(convs_per_stage - 1)]
            self.add_module(f"stage{i}", nn.Sequential(*convs))
        self.pool = nn.MaxPool2d(2)
        self.dim = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.stage1(x))
        x = self.pool(self.stage2(x))
        return self.stage3(x).mean(dim=(2, 3))


class Classifier(nn.Module):
    """Extractor + linear head. A frozen extractor gets no gradient and stays in eval mode
    (its BatchNorm statistics must not drift either), whatever mode the trainer sets."""

    def __init__(self, extractor: Extractor, n_classes: int, frozen: bool = False) -> None:
        super().__init__()
        self.extractor, self.frozen = extractor, frozen
        self.head = nn.Linear(extractor.dim, n_classes)
        extractor.requires_grad_(not frozen)

    def train(self, mode: bool = True) -> "Classifier":
        super().train(mode)
        if self.frozen:
            self.extractor.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.extractor(x))


# ---------------------------------------------------------------- configuration and data

def config(regime: str) -> Callable[[Profile], dict[str, Any]]:
    """Config of one regime; everything but `regime` is shared so the comparison is fair."""

    def make(profile: Profile) -> dict[str, Any]:
        return {
            "regime": regime,
            "data": per_profile(profile, full="cifar10", quick="cifar10", smoke="synthetic"),
            # of the 10,000 training images of the two classes: validation, then (quick) a subset
            "val_size": per_profile(profile, full=1000, quick=400, smoke=20),
            "train_per_class": per_profile(profile, full=None, quick=1000, smoke=None),
            "synthetic_per_class": per_profile(profile, full=None, quick=None, smoke=60),
            "widths": per_profile(profile, full=[64, 128, 256], quick=[16, 32, 64], smoke=[4, 8, 8]),
            "convs_per_stage": per_profile(profile, full=2, quick=1, smoke=1),
            "epochs": per_profile(profile, full=30, quick=8, smoke=4),
            "linear_epochs": per_profile(profile, full=10, quick=3, smoke=2),
            "batch_size": per_profile(profile, full=128, quick=64, smoke=16),
            "lr": 0.05,
            "linear_lr": 0.05,
            "weight_decay": 5e-4,
            "margin": 0.2,
            "feature_map_images": 4,
            "reference_size": per_profile(profile, full=2000, quick=600, smoke=60),
            "target_acc": per_profile(profile, full=0.95, quick=0.85, smoke=0.6),
            "seed": 0,
        }

    return make


@dataclass(frozen=True)
class StudyData:
    train: ImageSet
    val: ImageSet
    test: ImageSet
    mean: list[float]
    std: list[float]


def study_data(cfg: dict[str, Any], settings: Settings) -> StudyData:
    """Seeded train/validation split of the two classes' training images; the test split as is."""
    if cfg["data"] == "synthetic":
        # one draw split in two, so that the stand-in test images share the training colours
        both = synthetic_images(2 * cfg["synthetic_per_class"], CLASSES, seed=cfg["seed"])
        pool_index, test_index = stratified_split(both.labels, 0.5, cfg["seed"])
        pool, test = both.subset(pool_index), both.subset(test_index)
    else:
        pool = load_cifar10("train", settings).only_classes(CLASSES)
        test = load_cifar10("test", settings).only_classes(CLASSES)
    train_index, val_index = stratified_split(pool.labels, cfg["val_size"], cfg["seed"])
    train, val = pool.subset(train_index), pool.subset(val_index)
    if cfg["train_per_class"]:
        train = train.subset(stratified_subset(train.labels, cfg["train_per_class"], cfg["seed"]))
    mean, std = channel_stats(train.images)
    return StudyData(train, val, test, mean, std)


def fixed_indices(labels: torch.Tensor, n: int, seed: int) -> np.ndarray:
    """`n` seeded training indices, alternating the classes, whose maps are recorded every epoch."""
    picks = stratified_subset(labels, n // len(labels.unique()), seed)
    return picks[np.argsort(labels[picks].numpy(), kind="stable").reshape(len(labels.unique()), -1).T.ravel()]


# ---------------------------------------------------------------- what is recorded while training

@torch.no_grad()
def capture_feature_maps(
    extractor: Extractor,
    x: torch.Tensor,
    layers: tuple[str, ...] = LAYERS,
    reduce: Callable[[torch.Tensor], torch.Tensor] = lambda out: out,
) -> dict[str, torch.Tensor]:
    """Outputs of the named stages for the batch `x` (through `reduce`), caught by forward hooks, on the CPU."""
    maps: dict[str, torch.Tensor] = {}
    hooks = [
        getattr(extractor, name).register_forward_hook(
            lambda _m, _i, out, name=name: maps.__setitem__(name, reduce(out).float().cpu())
        )
        for name in layers
    ]
    was_training = extractor.training
    extractor.eval()
    try:
        with autocast(x.device):
            extractor(x)
    finally:
        for hook in hooks:
            hook.remove()
        extractor.train(was_training)
    return maps


@torch.no_grad()
def embeddings(extractor: Extractor, images: TensorImages, device: torch.device, batch_size: int = 500) -> torch.Tensor:
    """Unit-norm embeddings of a whole split (no augmentation), on the CPU."""
    extractor.eval()

    def embedded(part: slice) -> torch.Tensor:
        x, _ = images[list(range(part.start, part.stop))]
        with autocast(device):
            return embed(extractor, to_device(x, device)).cpu()

    return map_batches(embedded, len(images), batch_size)


def nearest_centroid_accuracy(reference: torch.Tensor, reference_labels: torch.Tensor, query: torch.Tensor, query_labels: torch.Tensor) -> float:
    """Accuracy of labelling each query by the closest class mean of the reference embeddings."""
    classes = reference_labels.unique()
    centroids = torch.stack([reference[reference_labels == c].mean(0) for c in classes])
    predicted = classes[torch.cdist(query, centroids).argmin(1)]
    return float((predicted == query_labels.cpu()).float().mean())


class EpochRecorder:
    """fit's `on_epoch_end`: feature maps at the chosen epochs, nearest-centroid accuracy every epoch.

    Rows already on disk are kept, so a resumed run continues the same table.
    """

    def __init__(self, workdir: Path, fixed: torch.Tensor, reference: TensorImages, val: TensorImages, map_epochs: list[int], device: torch.device) -> None:
        self.workdir, self.fixed, self.reference, self.val = workdir, fixed, reference, val
        self.map_epochs, self.device = map_epochs, device
        self.path = workdir / "embedding-history.csv"
        self.rows = pd.read_csv(self.path).to_dict("records") if self.path.exists() else []

    def __call__(self, epoch: int, model: nn.Module) -> None:
        extractor = model.extractor if isinstance(model, Classifier) else model
        if epoch + 1 in self.map_epochs:
            maps = capture_feature_maps(extractor, to_device(self.fixed, self.device))
            atomic.torch_save({name: m.half() for name, m in maps.items()}, feature_map_path(self.workdir, epoch + 1))
        accuracy = nearest_centroid_accuracy(
            embeddings(extractor, self.reference, self.device),
            self.reference.labels,
            embeddings(extractor, self.val, self.device),
            self.val.labels,
        )
        self.rows = [row for row in self.rows if row["epoch"] < epoch + 1] + [{"epoch": epoch + 1, "centroid_val_acc": accuracy}]
        atomic.write_csv(self.path, pd.DataFrame(self.rows))


def feature_map_path(directory: Path, epoch: int) -> Path:
    return directory / "feature-maps" / f"epoch-{epoch:03d}.pt"


def map_epochs(epochs: int) -> list[int]:
    """First, middle and last epoch (1-based), without repeats."""
    return sorted({1, (epochs + 1) // 2, epochs})


# ---------------------------------------------------------------- training the regimes

def _schedule(model: nn.Module, lr: float, cfg: dict[str, Any], steps: int, epochs: int | None = None) -> dict[str, Any]:
    """SGD with Nesterov momentum and a one-cycle schedule stepped per batch, over the trainable
    parameters: the same recipe for every regime and stage (fit's optimizer/scheduler arguments)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=lr, momentum=MOMENTUM, nesterov=True, weight_decay=cfg["weight_decay"])
    total = (epochs or cfg["epochs"]) * steps
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total)
    return {"optimizer": optimizer, "scheduler": scheduler, "scheduler_per_batch": True}


def train_regime(cfg: dict[str, Any], data: StudyData, ctx: RunContext) -> Classifier:
    """Train one regime into `ctx.workdir` and return its classifier.

    Cross-entropy and combined keep their best validation weights (by classification
    accuracy). The triplet stage keeps its last epoch: its validation score counts
    triplets that meet the margin, the loss's own goal rather than classification, so
    choosing by it would mislead; its linear head is then chosen by validation accuracy.
    """
    regime, device, seed = cfg["regime"], ctx.device, cfg["seed"]
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; choose one of {', '.join(REGIMES)}")
    seed_everything(seed)
    tensors = partial(TensorImages, mean=data.mean, std=data.std, device=device, seed=seed)
    chosen = fixed_indices(data.train.labels, cfg["feature_map_images"], seed)
    atomic.torch_save({"images": data.train.images[chosen], "labels": data.train.labels[chosen]}, ctx.workdir / "feature-maps" / "inputs.pt")
    reference = data.train.subset(stratified_subset(data.train.labels, cfg["reference_size"] // len(CLASSES), seed))
    recorder = EpochRecorder(
        ctx.workdir, tensors(data.train)[chosen.tolist()][0], tensors(reference), tensors(data.val), map_epochs(cfg["epochs"]), device
    )
    common = {"epochs": cfg["epochs"], "workdir": ctx.workdir, "device": device, "seed": seed, "on_epoch_end": recorder, "desc": regime}
    train_images, val_images = tensors(data.train, augment=True), tensors(data.val)
    torch.manual_seed(seed)  # every regime starts from the same initial weights
    extractor = Extractor(cfg["widths"], cfg["convs_per_stage"])
    if regime == "cross-entropy":
        model = Classifier(extractor, len(CLASSES))
        train = tensor_loader(train_images, cfg["batch_size"], shuffle=True, seed=seed)
        fit(model, train, tensor_loader(val_images, 500, shuffle=False), **_schedule(model, cfg["lr"], cfg, len(train)), **common)
        model.load_state_dict(atomic.torch_load(ctx.workdir / "best.pt"))
        return model
    train = tensor_loader(TripletImages(train_images, seed), cfg["batch_size"], shuffle=True, seed=seed)
    val = tensor_loader(TripletImages(val_images, seed + 1), 500, shuffle=False)
    if regime == "combined":
        model = Classifier(extractor, len(CLASSES))
        step = step_with_margin(combined_step, cfg["margin"])
        fit(model, train, val, step=step, **_schedule(model, cfg["lr"], cfg, len(train)), **common)
        model.load_state_dict(atomic.torch_load(ctx.workdir / "best.pt"))
        return model
    stage_one = ctx.workdir / "extractor.pt"  # a run killed in stage 2 resumes there, not from scratch
    if stage_one.exists():
        extractor.load_state_dict(atomic.torch_load(stage_one))
    else:
        step = step_with_margin(triplet_step, cfg["margin"])
        fit(extractor, train, val, step=step, **_schedule(extractor, cfg["lr"], cfg, len(train)), **common)
        atomic.torch_save(extractor.state_dict(), stage_one)
    return train_linear_head(extractor, cfg, data, ctx)


def train_linear_head(extractor: Extractor, cfg: dict[str, Any], data: StudyData, ctx: RunContext) -> Classifier:
    """Stage 2 of the triplet regime: the extractor frozen, a linear head trained with cross-entropy."""
    seed_everything(cfg["seed"])
    model = Classifier(extractor, len(CLASSES), frozen=True)
    train_images = TensorImages(data.train, data.mean, data.std, ctx.device, augment=True, seed=cfg["seed"])
    train = tensor_loader(train_images, cfg["batch_size"], shuffle=True, seed=cfg["seed"])
    val = tensor_loader(TensorImages(data.val, data.mean, data.std, ctx.device), 500, shuffle=False)
    fit(
        model, train, val, epochs=cfg["linear_epochs"], workdir=ctx.workdir, device=ctx.device, seed=cfg["seed"],
        desc="triplet: linear head", best_name="best-linear.pt", history_name="history-linear.csv",
        **_schedule(model, cfg["linear_lr"], cfg, len(train), epochs=cfg["linear_epochs"]),
    )
    model.load_state_dict(atomic.torch_load(ctx.workdir / "best-linear.pt"))
    return model


# ---------------------------------------------------------------- evaluation on the test split

def pooled_layers(extractor: Extractor, images: TensorImages, device: torch.device, batch_size: int = 500) -> dict[str, np.ndarray]:
    """Every stage's feature maps averaged over space (one vector per image), for a whole split."""

    def pooled(part: slice) -> dict[str, torch.Tensor]:
        x, _ = images[list(range(part.start, part.stop))]
        return capture_feature_maps(extractor, to_device(x, device), reduce=lambda out: out.mean(dim=(2, 3)))

    return {name: maps.numpy() for name, maps in map_batches(pooled, len(images), batch_size).items()}


def linear_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    """Test accuracy of a logistic regression on standardised features: how linearly separable they are."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(probe.fit(train_x, train_y).score(test_x, test_y))


def project_2d(points: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """PCA and t-SNE views of the embeddings.

    t-SNE runs on one thread: its OpenMP loop, contending with PyTorch's threads on a
    small machine, ran many times slower than serial. Its perplexity stays below a third
    of the points, and 500 iterations settle two classes of 2,000 points.
    """
    perplexity = min(30.0, (len(points) - 1) / 3)
    with threadpool_limits(1):
        tsne = TSNE(2, init="pca", perplexity=perplexity, max_iter=500, random_state=seed).fit_transform(points)
    return {"pca": PCA(2, random_state=seed).fit_transform(points), "tsne": tsne}


def evaluate(model: Classifier, cfg: dict[str, Any], data: StudyData, ctx: RunContext) -> dict[str, Any]:
    """Test accuracy and loss, test embeddings in 2-D, silhouette, and a linear probe of each stage."""
    device, seed = ctx.device, cfg["seed"]
    tensors = partial(TensorImages, mean=data.mean, std=data.std, device=device)
    test = tensors(data.test)
    test_loss, test_acc = run_epoch(model, tensor_loader(test, 500, shuffle=False), classification_step, device)
    points = embeddings(model.extractor, test, device).numpy()
    labels = data.test.labels.numpy()
    atomic.torch_save(
        {"labels": data.test.labels, **{k: torch.from_numpy(v) for k, v in project_2d(points, seed).items()}},
        ctx.workdir / "test-embeddings.pt",
    )
    reference = data.train.subset(stratified_subset(data.train.labels, cfg["reference_size"] // len(CLASSES), seed))
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
    data = study_data(cfg, ctx.settings)
    model = train_regime(cfg, data, ctx)
    return evaluate(model, cfg, data, ctx)



# ---------------------------------------------------------------- what the chapter reads

NAMES = {"cross-entropy": "آنتروپی متقاطع", "triplet": "triplet و سپس FC", "combined": "ترکیبی (triplet + CE)"}


def results(profile: Profile | None = None) -> dict[str, Artifacts]:
    """The cached artifacts of the three regimes (trained first if missing)."""
    profile = profile or active_profile()
    return {regime: result(f"p2-{regime}", profile) for regime in REGIMES}


def first_reach(accuracy: pd.Series, seconds: pd.Series, target: float) -> tuple[int | None, float | None]:
    """(epochs, cumulative training seconds) until `accuracy` first reaches `target`; None if never."""
    hits = np.flatnonzero(accuracy.to_numpy() >= target)
    if len(hits) == 0:
        return None, None
    return int(hits[0]) + 1, float(seconds.cumsum().iloc[hits[0]])


def training_seconds(artifacts: Artifacts) -> float:
    """Seconds spent in training epochs (the triplet regime's two stages together)."""
    seconds = artifacts.history()["seconds"].sum()
    if artifacts.path("history-linear.csv").exists():
        seconds += artifacts.history("history-linear.csv")["seconds"].sum()
    return float(seconds)


def convergence(artifacts: Artifacts) -> dict[str, Any]:
    """When the embedding (nearest-centroid) and the classifier first reach the target on validation.

    For the triplet regime the classifier exists only in stage 2, so its epochs are
    'stage-1 epochs + stage-2 epochs' and its seconds include all of stage 1.
    """
    target = artifacts.config["target_acc"]
    history = artifacts.history()
    centroid = artifacts.history("embedding-history.csv")["centroid_val_acc"]
    centroid_epochs, centroid_seconds = first_reach(centroid, history["seconds"], target)
    if artifacts.path("history-linear.csv").exists():
        linear = artifacts.history("history-linear.csv")
        epochs, seconds = first_reach(linear["val_acc"], linear["seconds"], target)
        classifier_epochs = None if epochs is None else f"{len(history)} + {epochs}"
        classifier_seconds = None if seconds is None else seconds + float(history["seconds"].sum())
    else:
        epochs, classifier_seconds = first_reach(history["val_acc"], history["seconds"], target)
        classifier_epochs = None if epochs is None else str(epochs)
    return {
        "centroid_epochs": centroid_epochs,
        "centroid_seconds": centroid_seconds,
        "classifier_epochs": classifier_epochs,
        "classifier_seconds": classifier_seconds,
    }


def or_never(value: Any, digits: int = 1) -> str:
    """A convergence entry for a table or the prose: the value, or 'never reached' (نرسید)."""
    if value is None:
        return "نرسید"
    return value if isinstance(value, str) else f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


def split_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """How many images each split holds (the same for every regime)."""
    sizes = next(iter(runs.values())).metrics["sizes"]
    return pd.DataFrame({"بخش": ["آموزش", "اعتبارسنجی", "آزمون"], "تعداد تصویر": [sizes["train"], sizes["val"], sizes["test"]]})


def summary_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Test accuracy and loss, separability of the test embeddings, and training time, per regime."""
    rows = []
    for regime, artifacts in runs.items():
        m = artifacts.metrics
        rows.append(
            {
                "رژیم": NAMES[regime],
                "دقت آزمون (%)": 100 * m["test_acc"],
                "هزینهٔ CE آزمون": m["test_loss"],
                "silhouette": m["silhouette"],
                "linear probe روی embedding (%)": 100 * m["embedding_probe_acc"],
                "زمان آموزش (s)": training_seconds(artifacts),
            }
        )
    return pd.DataFrame(rows)


def convergence_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Epochs and seconds until validation accuracy first reaches the profile's target."""
    rows = []
    for regime, artifacts in runs.items():
        c = convergence(artifacts)
        rows.append(
            {
                "رژیم": NAMES[regime],
                "nearest-centroid: epoch": or_never(c["centroid_epochs"]),
                "nearest-centroid: ثانیه": or_never(c["centroid_seconds"]),
                "طبقه‌بند: epoch": or_never(c["classifier_epochs"]),
                "طبقه‌بند: ثانیه": or_never(c["classifier_seconds"]),
                "ثانیه در هر epoch": float(artifacts.history()["seconds"].mean()),
            }
        )
    return pd.DataFrame(rows)


def layer_probe_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Linear-probe test accuracy (%) of each stage's spatially averaged feature maps, per regime."""
    frame = pd.DataFrame({"لایه": list(LAYERS)})
    for regime, artifacts in runs.items():
        frame[NAMES[regime]] = [100 * artifacts.metrics["layer_probe"][layer] for layer in LAYERS]
    return frame


def facts(runs: dict[str, Artifacts]) -> dict[str, Any]:
    """The numbers the chapter's prose quotes, per regime, read from the artifacts."""
    def per(get: Callable[[Artifacts], Any]) -> dict[str, Any]:
        return {regime: get(artifacts) for regime, artifacts in runs.items()}

    n_test = next(iter(runs.values())).metrics["sizes"]["test"]
    return {
        "acc": per(lambda a: 100 * a.metrics["test_acc"]),
        "loss": per(lambda a: a.metrics["test_loss"]),
        "silhouette": per(lambda a: a.metrics["silhouette"]),
        "embedding_probe": per(lambda a: 100 * a.metrics["embedding_probe_acc"]),
        "probe": per(lambda a: {layer: 100 * a.metrics["layer_probe"][layer] for layer in LAYERS}),
        "seconds": per(training_seconds),
        "epoch_seconds": per(lambda a: float(a.history()["seconds"].mean())),
        "convergence": per(convergence),
        "final_centroid": per(lambda a: 100 * float(a.history("embedding-history.csv")["centroid_val_acc"].iloc[-1])),
        "best_val": per(lambda a: 100 * float(a.history("history-linear.csv" if a.path("history-linear.csv").exists() else "history.csv")["val_acc"].max())),
        "standard_error": standard_error(np.mean([a.metrics["test_acc"] for a in runs.values()]), n_test),
        "run_seconds": sum(a.metrics["run_seconds"] for a in runs.values()),
    }


def winner(values: dict[str, float], highest: bool = True) -> str:
    """The Persian name of the regime with the highest (or lowest) value."""
    pick = max(values, key=values.get) if highest else min(values, key=values.get)
    return NAMES[pick]


def fastest(convergence_of: dict[str, dict[str, Any]], key: str) -> str:
    """The Persian name of the regime that reached the target in the fewest seconds (`key`), if any did."""
    reached = {regime: c[key] for regime, c in convergence_of.items() if c[key] is not None}
    return winner(reached, highest=False) if reached else "هیچ رژیمی"


def compare(a: float, b: float, tolerance: float = 0.0, more: str = "بیشتر", less: str = "کمتر", same: str = "هم‌اندازه") -> str:
    """A Persian word for how `a` stands to `b` (within `tolerance` counts as the same)."""
    if abs(a - b) <= tolerance:
        return same
    return more if a > b else less

SUMMARIES = {
    "cross-entropy": "airplane/automobile, small CNN trained end to end with cross-entropy",
    "triplet": "airplane/automobile, extractor trained with semi-hard triplet loss, then a frozen-extractor linear head",
    "combined": "airplane/automobile, L_triplet + L_CE through the whole network at once",
}
EXPERIMENTS = {regime: register(Experiment(f"p2-{regime}", "p2", SUMMARIES[regime], config(regime), run)) for regime in REGIMES}
