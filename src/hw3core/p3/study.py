"""Transfer learning for P3: torchvision's ImageNet backbones, frozen or trained from scratch.

Three backbones (MobileNetV2, VGG16, ResNet50) come from torchvision with their weights
enums, which carry the preprocessing, the class names and the download address. A
backbone is the whole ImageNet network with its last, 1000-way layer replaced by
`nn.Identity`; it is frozen, so its features are computed once per split (experiment
`p3-features-<backbone>`) and only a new head is trained on them (`p3-frozen-<backbone>`).
`p3-scratch` trains a randomly initialised MobileNetV2 end to end.

Pretrained weights are looked up where torchvision caches them
($TORCH_HOME/hub/checkpoints/) and under HW3_DATA_DIR/weights/, and downloaded when
online. When they cannot be had, the chapter gets a `MissingWeights` that says so in
one sentence instead of a result, and never a number. Under the smoke profile the
backbones are randomly initialised, so the same code runs without any weights file.
"""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import pandas as pd
import skimage.data
import torch
from IPython.display import Markdown
from PIL import Image
from torch import nn
from torch.utils.data import Dataset
from torchvision import models
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.transforms.v2 import functional as TF
from tqdm import tqdm  # not tqdm.auto: in a kernel it warns that ipywidgets is missing

from .. import atomic, experiments
from ..cache import Artifacts
from ..data import channel_stats, tensor_loader
from ..experiments import Experiment, RunContext, register
from .flowers import FLOWERS_CLASSES, SPLITS, FlowerViews, flowers_split, random_resized_views
from ..profiles import Profile, active_profile, per_profile
from ..settings import Settings, get_settings
from ..training import autocast, classification_step, fit, run_epoch, seed_everything, to_device

DOWNLOAD_TIMEOUT_S = 30
IMAGE_ENV = "HW3_P3_IMAGE"


@dataclass(frozen=True)
class Backbone:
    """A torchvision ImageNet classifier: its builder, its weights, and its 1000-way layer."""

    name: str
    title: str
    builder: Callable[..., nn.Module]
    weights: models.WeightsEnum
    classifier: str  # dotted path of the ImageNet output layer that the new head replaces


# IMAGENET1K_V1 for all three: the original, plainly regularised recipes, whose
# penultimate features transfer best as fixed features (Kornblith et al., 2019), and
# the only weights VGG16 has, so the comparison is like for like.
BACKBONES: dict[str, Backbone] = {
    b.name: b
    for b in (
        Backbone("mobilenet_v2", "MobileNetV2", models.mobilenet_v2, models.MobileNet_V2_Weights.IMAGENET1K_V1, "classifier.1"),
        Backbone("vgg16", "VGG16", models.vgg16, models.VGG16_Weights.IMAGENET1K_V1, "classifier.6"),
        Backbone("resnet50", "ResNet50", models.resnet50, models.ResNet50_Weights.IMAGENET1K_V1, "fc"),
    )
}


# --- pretrained weights: found, downloaded, or clearly missing ---------------------------


@dataclass(frozen=True)
class MissingWeights:
    """Why a pretrained result cannot be shown: which file, where it was looked for."""

    title: str
    file: str
    searched: tuple[str, ...]
    reason: str

    def message(self) -> str:
        return (
            f"ImageNet weights for {self.title} ({self.file}) are not available: not found in "
            f"{', '.join(self.searched)}, and not downloaded ({self.reason}). Put the file in "
            "$TORCH_HOME/hub/checkpoints/ or under HW3_DATA_DIR/weights/, or run once with internet."
        )

    def note(self) -> Markdown:
        """The one sentence the chapter shows where the result would be."""
        return Markdown(
            "::: {.callout-important}\n## وزن‌های ازپیش‌آموزش‌دیده در دسترس نیست\n"
            f"وزن‌های ImageNet برای {self.title} (فایلِ `{self.file}`) در این محیط نیست و بارگیری هم نشد"
            f" (`{self.reason}`)، پس نتیجهٔ این بخش اینجا نمی‌آید و هیچ عددی به جای آن ساخته نشده است؛"
            " با گذاشتنِ فایل در `$TORCH_HOME/hub/checkpoints/` یا `HW3_DATA_DIR/weights/` و ساختنِ دوبارهٔ کتاب، نتیجه همین‌جا ظاهر می‌شود.\n:::\n"
        )


class MissingWeightsError(FileNotFoundError):
    """Pretrained weights are neither on disk nor downloadable; `.missing` says which."""

    def __init__(self, missing: MissingWeights) -> None:
        super().__init__(missing.message())
        self.missing = missing


def weights_file(backbone: Backbone) -> str:
    """The file name torchvision caches the weights under (the last part of `weights.url`)."""
    return Path(urlparse(backbone.weights.url).path).name


def hub_checkpoint(backbone: Backbone) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / weights_file(backbone)


def find_weights(backbone: Backbone, settings: Settings) -> Path:
    """The weights file on disk, downloading it into torchvision's cache if needed and possible."""
    name = weights_file(backbone)
    target = hub_checkpoint(backbone)
    local = [target, *sorted((settings.data_dir / "weights").rglob(name))]
    for path in local:
        if path.is_file():
            return path
    searched = (str(target.parent), str(settings.data_dir / "weights"))
    if settings.offline:
        raise MissingWeightsError(MissingWeights(backbone.title, name, searched, "HW3_OFFLINE is set, no download tried"))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        match = torch.hub.HASH_REGEX.search(name)
        torch.hub.download_url_to_file(backbone.weights.url, str(target), match.group(1) if match else None, progress=False)
        return target
    except Exception as error:  # offline or blocked: every failure means "not available"
        raise MissingWeightsError(MissingWeights(backbone.title, name, searched, error.__class__.__name__)) from error
    finally:
        socket.setdefaulttimeout(previous)


def imagenet_model(backbone: Backbone, pretrained: bool, settings: Settings) -> nn.Module:
    """The ImageNet classifier, with its pretrained weights or randomly initialised.

    With weights, the model is built on the meta device and the tensors are assigned
    from the file, so no time is spent on a random initialisation that is overwritten.
    """
    if not pretrained:
        return backbone.builder(weights=None)
    path = find_weights(backbone, settings)
    with torch.device("meta"):
        model = backbone.builder(weights=None)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), assign=True)
    return model


# --- the network: frozen extractor + new head --------------------------------------------


def split_classifier(model: nn.Module, backbone: Backbone) -> tuple[nn.Module, int]:
    """Replace the 1000-way output layer by the identity; return the extractor and its width."""
    parent_path, _, attribute = backbone.classifier.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    layer = getattr(parent, attribute)
    setattr(parent, attribute, nn.Identity())
    return model, layer.in_features


def new_head(in_features: int, classes: int, dropout: float) -> nn.Sequential:
    """Dropout and a linear layer, initialised like torchvision's own classifiers: N(0, 0.01²), bias 0."""
    linear = nn.Linear(in_features, classes)
    nn.init.normal_(linear.weight, 0.0, 0.01)
    nn.init.zeros_(linear.bias)
    return nn.Sequential(nn.Dropout(dropout), linear)


class TransferNet(nn.Module):
    """A frozen feature extractor (always in eval mode) followed by a trainable head."""

    def __init__(self, extractor: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.extractor = extractor.requires_grad_(False).eval()
        self.head = head

    def train(self, mode: bool = True) -> "TransferNet":
        super().train(mode)
        self.extractor.eval()  # frozen means its batch-norm statistics and dropout stay fixed too
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.extractor(x))


def transfer_net(backbone: Backbone, classes: int, dropout: float, pretrained: bool, settings: Settings) -> TransferNet:
    extractor, width = split_classifier(imagenet_model(backbone, pretrained, settings), backbone)
    return TransferNet(extractor, new_head(width, classes, dropout))


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """Total parameters and those that train (`requires_grad`), as PyTorch holds them."""
    return {
        "total": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
    }


# --- (a) the architecture of MobileNetV2, read from the model ----------------------------


def _shape(t: torch.Tensor) -> str:
    return f"{t.shape[-2]}×{t.shape[-1]}×{t.shape[1]}" if t.dim() == 4 else f"{t.shape[-1]}"


def mobilenet_stages(model: models.MobileNetV2, size: int) -> pd.DataFrame:
    """The stage table of Sandler et al. (Table 2), derived from the modules and one forward pass.

    Each InvertedResidual block gives its expansion t (depthwise width / input width),
    output channels c and stride s; consecutive blocks form one stage (n = their count)
    while they keep the shortcut and the same (t, c). Input and output sizes come from
    forward hooks on a `size`×`size` image.
    """
    shapes: dict[nn.Module, tuple[str, str]] = {}

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        shapes[module] = (_shape(inputs[0]), _shape(output))

    hooks = [m.register_forward_hook(record) for m in (*model.features, model.classifier)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for hook in hooks:
        hook.remove()
    rows: list[dict[str, Any]] = []
    for layer in model.features:
        given, produced = shapes[layer]
        if not isinstance(layer, InvertedResidual):
            conv = layer[0]
            operator = f"conv2d {conv.kernel_size[0]}×{conv.kernel_size[1]}"
            rows.append({"operator": operator, "input": given, "t": None, "c": conv.out_channels, "n": 1, "s": conv.stride[0], "output": produced})
            continue
        convs = [m for m in layer.conv.modules() if isinstance(m, nn.Conv2d)]
        depthwise = next(c for c in convs if c.groups > 1)
        t, c, s = depthwise.in_channels // convs[0].in_channels, layer.out_channels, depthwise.stride[0]
        stage = rows[-1]
        if layer.use_res_connect and stage["operator"] == "bottleneck" and (stage["t"], stage["c"]) == (t, c):
            stage["n"] += 1
            stage["output"] = produced
        else:
            rows.append({"operator": "bottleneck", "input": given, "t": t, "c": c, "n": 1, "s": s, "output": produced})
    pooled, logits = shapes[model.classifier]
    linear = model.classifier[-1]
    rows.append({"operator": "avgpool (global)", "input": shapes[model.features[-1]][1], "t": None, "c": linear.in_features, "n": 1, "s": None, "output": pooled})
    rows.append({"operator": "linear (dropout before)", "input": pooled, "t": None, "c": linear.out_features, "n": 1, "s": None, "output": logits})
    frame = pd.DataFrame(rows, columns=["operator", "input", "t", "c", "n", "s", "output"])
    return frame.astype({"t": "Int64", "s": "Int64"})


def with_dashes(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells shown as "—" (for tables in the chapter)."""
    return frame.astype(object).where(frame.notna(), "—")


def inverted_residual_setting(stages: pd.DataFrame) -> list[list[int]]:
    """The [t, c, n, s] rows of the bottleneck stages, as torchvision's builder takes them."""
    rows = stages[stages["operator"] == "bottleneck"]
    return [[int(r.t), int(r.c), int(r.n), int(r.s)] for r in rows.itertuples()]


def preprocessing_table(backbone: Backbone) -> pd.DataFrame:
    """The preprocessing the weights expect, read from `weights.transforms()`."""
    transform = backbone.weights.transforms()
    return pd.DataFrame(
        [
            ("resize (shorter side)", f"{transform.resize_size[0]} px, {transform.interpolation.value}, antialias"),
            ("centre crop", f"{transform.crop_size[0]}×{transform.crop_size[0]}"),
            ("scale", "uint8 [0, 255] → float [0, 1]"),
            ("normalise: mean (R, G, B)", ", ".join(f"{m:.3f}" for m in transform.mean)),
            ("normalise: std (R, G, B)", ", ".join(f"{s:.3f}" for s in transform.std)),
        ],
        columns=["step", "value"],
    )


# --- (b) top-k predictions for one image ------------------------------------------------


class ImageReadError(ValueError):
    """An image path that does not exist or is not a decodable image."""


def read_image(path: str | Path) -> torch.Tensor:
    """A uint8 RGB image [3, H, W] from any file Pillow can decode, or a clear error."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ImageReadError(f"no image file at {path}; set {IMAGE_ENV} to the path of a JPEG or PNG photo")
    try:
        with Image.open(path) as image:
            return TF.pil_to_tensor(image.convert("RGB"))
    except (OSError, ValueError) as error:  # UnidentifiedImageError is an OSError
        raise ImageReadError(f"{path} could not be decoded as an image (JPEG, PNG, ...): {error}") from error


def example_image(path: str | Path | None = None) -> tuple[torch.Tensor, str]:
    """The image for (b): `path`, else $HW3_P3_IMAGE, else scikit-image's `chelsea` (a tabby cat)."""
    chosen = path or os.environ.get(IMAGE_ENV)
    if chosen:
        return read_image(chosen), Path(chosen).name
    return torch.from_numpy(skimage.data.chelsea()).permute(2, 0, 1).contiguous(), "skimage.data.chelsea()"


def imagenet_classifier(profile: Profile | None = None, settings: Settings | None = None) -> nn.Module | MissingWeights:
    """Pretrained MobileNetV2 (randomly initialised under smoke), or why it is missing."""
    profile = profile or active_profile()
    try:
        return imagenet_model(BACKBONES["mobilenet_v2"], profile != "smoke", settings or get_settings()).eval()
    except MissingWeightsError as error:
        return error.missing


@torch.no_grad()
def top_k(model: nn.Module, image: torch.Tensor, k: int = 5, backbone: Backbone = BACKBONES["mobilenet_v2"]) -> pd.DataFrame:
    """The k most probable ImageNet classes (names from `weights.meta`) with softmax probabilities."""
    x = backbone.weights.transforms()(image).unsqueeze(0)
    probabilities = model.eval()(x).softmax(dim=1)[0]
    values, indices = probabilities.topk(k)
    categories = backbone.weights.meta["categories"]
    return pd.DataFrame({"rank": range(1, k + 1), "class": [categories[i] for i in indices.tolist()], "probability": values.tolist()})


# --- (c, d) frozen features and the new head ---------------------------------------------


def class_count(data: dict[str, Any]) -> int:
    return data["classes"] if data["source"] == "synthetic" else len(FLOWERS_CLASSES)


def data_config(profile: Profile) -> dict[str, Any]:
    """Which images the frozen backbones see (stored squares; the crop is the weights')."""
    return per_profile(
        profile,
        full={"source": "flowers102", "store": 256},
        quick={"source": "flowers102", "store": 256, "per_class": {"test": 10}},
        smoke={"source": "synthetic", "classes": 4, "store": 32, "per_class": {"train": 6, "val": 3, "test": 3}},
    )


def features_config(profile: Profile, backbone: str) -> dict[str, Any]:
    return {
        "backbone": backbone,
        "weights": str(BACKBONES[backbone].weights),
        "pretrained": profile != "smoke",
        "data": data_config(profile),
        "crop": per_profile(profile, full=None, quick=None, smoke=32),  # None: the weights' own crop (224)
        "augmented_copies": per_profile(profile, full=4, quick=1, smoke=1),
        "batch_size": 128,
        "seed": 0,
    }


@torch.no_grad()
def extract_features(
    extractor: nn.Module, images: torch.Tensor, view: Callable[[torch.Tensor], torch.Tensor], device: torch.device, batch_size: int, desc: str
) -> torch.Tensor:
    """Features [N, D] (float32, on the CPU) of uint8 images, `view` turning a batch into inputs."""
    extractor.to(device).eval()
    out = []
    for start in tqdm(range(0, len(images), batch_size), desc=desc, disable=None, leave=False):
        x = to_device(view(images[start : start + batch_size].to(device)), device)
        with autocast(device):
            out.append(extractor(x).float().cpu())
    return torch.cat(out)


def preprocessing(backbone: Backbone, crop: int | None) -> nn.Module:
    """The weights' own `transforms()`; with `crop` set (smoke), the same preset at that size."""
    return backbone.weights.transforms() if crop is None else backbone.weights.transforms(crop_size=crop, resize_size=crop)


def run_features(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Features of every split (train also as a few fixed augmented copies), computed once."""
    backbone = BACKBONES[cfg["backbone"]]
    extractor, width = split_classifier(imagenet_model(backbone, cfg["pretrained"], ctx.settings), backbone)
    extractor.requires_grad_(False)
    if ctx.device.type == "cuda":
        extractor.to(memory_format=torch.channels_last)
    preprocess = preprocessing(backbone, cfg["crop"])
    crop = preprocess.crop_size[0]
    generator = torch.Generator().manual_seed(cfg["seed"])

    def augmented(batch: torch.Tensor) -> torch.Tensor:
        return TF.normalize(random_resized_views(batch, crop, generator), preprocess.mean, preprocess.std)

    stored, seconds, counts = {}, {}, {}
    for split in SPLITS:
        data = flowers_split(split, cfg["data"], ctx.settings)
        views = [preprocess] + ([augmented] * cfg["augmented_copies"] if split == "train" else [])
        started = _synchronised_clock(ctx.device)
        copies = [extract_features(extractor, data.images, v, ctx.device, cfg["batch_size"], f"{backbone.title} {split}") for v in views]
        seconds[split] = _synchronised_clock(ctx.device) - started
        counts[split] = len(views) * len(data)
        stored[split] = {"features": torch.stack(copies), "labels": data.labels}
    atomic.torch_save(stored, ctx.workdir / "features.pt")
    total = sum(seconds.values())
    return {
        "feature_dim": width,
        "crop": crop,
        "seconds": seconds,
        "images": counts,
        "extraction_seconds": total,
        "images_per_second": sum(counts.values()) / total,
    }


def _synchronised_clock(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


class FeatureViews(Dataset):
    """Cached features [V, N, D] on the device; epoch e trains on copy e mod V."""

    def __init__(self, features: torch.Tensor, labels: torch.Tensor, device: torch.device) -> None:
        self.features, self.labels = features.to(device), labels.to(device)
        self.copy = 0

    def __len__(self) -> int:
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        self.copy = epoch % len(self.features)

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.as_tensor(indices, device=self.labels.device)
        return self.features[self.copy][index], self.labels[index]


def head_config(profile: Profile, backbone: str) -> dict[str, Any]:
    return {
        "features": features_config(profile, backbone),
        "dropout": 0.2,
        "epochs": per_profile(profile, full=40, quick=40, smoke=3),
        "batch_size": 64,
        "lr": 1e-3,
        "weight_decay": 1e-4,
        "seed": 0,
    }


def warmup_cosine(optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up to the base rate, then a half cosine down to zero (stepped per batch)."""

    def factor(step: int) -> float:
        warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0
        return warm * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def evaluate(model: nn.Module, loaders: dict[str, Any], device: torch.device) -> dict[str, dict[str, float]]:
    """Cross-entropy loss and accuracy of `model` on each named loader."""
    model.to(device)
    results = {}
    for split, loader in loaders.items():
        loss, accuracy = run_epoch(model, loader, classification_step, device)
        results[split] = {"loss": loss, "accuracy": accuracy}
    return results


def run_head(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Train the new head on the cached features; evaluate its best epoch (by validation)."""
    features = experiments.result(features_name(cfg["features"]["backbone"]), ctx.profile, ctx.settings).load("features.pt")
    seed_everything(cfg["seed"])
    width = features["train"]["features"].shape[-1]
    head = new_head(width, class_count(cfg["features"]["data"]), cfg["dropout"])

    def loader(split: str, augmented: bool) -> Any:
        part = features[split]
        copies = part["features"] if augmented else part["features"][:1]
        return tensor_loader(FeatureViews(copies, part["labels"], ctx.device), cfg["batch_size"] if augmented else 1024, augmented, cfg["seed"])

    train = loader("train", augmented=True)
    optimizer = torch.optim.AdamW(head.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    history = fit(
        head,
        train,
        loader("val", augmented=False),
        epochs=cfg["epochs"],
        optimizer=optimizer,
        scheduler=warmup_cosine(optimizer, cfg["epochs"] * len(train), 0),
        scheduler_per_batch=True,
        workdir=ctx.workdir,
        device=ctx.device,
        seed=cfg["seed"],
        desc=f"head {cfg['features']['backbone']}",
    )
    head.load_state_dict(atomic.torch_load(ctx.workdir / "best.pt"))
    final = evaluate(head, {split: loader(split, augmented=False) for split in SPLITS}, ctx.device)
    return {"final": final, "best_epoch": int(history.loc[history["val_acc"].idxmax(), "epoch"]), "epochs": len(history)}


def features_name(backbone: str) -> str:
    return f"p3-features-{backbone}"


def frozen_name(backbone: str) -> str:
    return f"p3-frozen-{backbone}"


def frozen_outcome(backbone: str, profile: Profile | None = None, settings: Settings | None = None) -> Artifacts | MissingWeights:
    """The head experiment's artifacts, or `MissingWeights` when they would need absent weights.

    A cached result (features or head, made where the weights were) is used without them.
    """
    profile, settings = profile or active_profile(), settings or get_settings()
    name = frozen_name(backbone)
    cached = any(experiments.status(n, profile, settings) == "cached" for n in (name, features_name(backbone)))
    if experiments.get(name).config(profile)["features"]["pretrained"] and not cached:
        try:
            find_weights(BACKBONES[backbone], settings)
        except MissingWeightsError as error:
            return error.missing
    return experiments.result(name, profile, settings)


# --- (e) MobileNetV2 from scratch ---------------------------------------------------------


def scratch_config(profile: Profile) -> dict[str, Any]:
    return {
        "data": per_profile(
            profile,
            full={"source": "flowers102", "store": 256},
            quick={"source": "flowers102", "store": 112, "per_class": {"val": 5, "test": 10}},
            smoke={"source": "synthetic", "classes": 4, "store": 36, "per_class": {"train": 6, "val": 3, "test": 3}},
        ),
        "size": per_profile(profile, full=224, quick=96, smoke=32),
        "epochs": per_profile(profile, full=300, quick=30, smoke=2),
        "warmup_epochs": per_profile(profile, full=5, quick=2, smoke=1),
        "batch_size": per_profile(profile, full=64, quick=64, smoke=8),
        "lr": 0.05,
        "momentum": 0.9,
        "weight_decay": 5e-4,
        "dropout": 0.2,
        "seed": 0,
    }


def run_scratch(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Randomly initialised MobileNetV2 trained end to end with random resized crops and flips."""
    seed_everything(cfg["seed"])
    data = {split: flowers_split(split, cfg["data"], ctx.settings) for split in SPLITS}
    mean, std = channel_stats(data["train"].images)
    model = models.mobilenet_v2(weights=None, num_classes=class_count(cfg["data"]), dropout=cfg["dropout"])

    def loader(split: str, augment: bool) -> Any:
        views = FlowerViews(data[split], cfg["size"], mean, std, ctx.device, augment=augment, seed=cfg["seed"])
        return tensor_loader(views, cfg["batch_size"] if augment else 256, shuffle=augment, seed=cfg["seed"], drop_last=augment)

    train = loader("train", augment=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], nesterov=True, weight_decay=cfg["weight_decay"])
    history = fit(
        model,
        train,
        loader("val", augment=False),
        epochs=cfg["epochs"],
        optimizer=optimizer,
        scheduler=warmup_cosine(optimizer, cfg["epochs"] * len(train), cfg["warmup_epochs"] * len(train)),
        scheduler_per_batch=True,
        workdir=ctx.workdir,
        device=ctx.device,
        seed=cfg["seed"],
        desc="mobilenet_v2 scratch",
    )
    model.load_state_dict(atomic.torch_load(ctx.workdir / "best.pt"))
    final = evaluate(model, {split: loader(split, augment=False) for split in SPLITS}, ctx.device)
    return {
        "final": final,
        "best_epoch": int(history.loc[history["val_acc"].idxmax(), "epoch"]),
        "epochs": len(history),
        "train_seconds": float(history["seconds"].sum()),
        "images": {split: len(d) for split, d in data.items()},
        "parameters": parameter_counts(model),
    }


# --- tables for the chapter ---------------------------------------------------------------


def final_table(results: dict[str, Artifacts]) -> pd.DataFrame:
    """Loss and accuracy (%) on train, validation and test for each finished model."""
    rows = []
    for label, artifacts in results.items():
        for split in SPLITS:
            final = artifacts.metrics["final"][split]
            rows.append({"model": label, "split": split, "loss": final["loss"], "accuracy (%)": 100 * final["accuracy"]})
    return pd.DataFrame(rows)


def meta_transfer_net(name: str, profile: Profile) -> TransferNet:
    """Backbone + new head built on the meta device: its shapes and counts, no memory, no weights."""
    with torch.device("meta"):
        return transfer_net(BACKBONES[name], class_count(data_config(profile)), 0.2, False, get_settings())


def frozen_parameters(name: str, profile: Profile) -> dict[str, int]:
    """Total and trainable parameters of backbone + new head, as PyTorch counts them."""
    return parameter_counts(meta_transfer_net(name, profile))


def feature_width(name: str) -> int:
    """Width of the features the frozen backbone hands to the head."""
    return meta_transfer_net(name, "full").head[1].in_features


def comparison_table(outcomes: dict[str, Artifacts | MissingWeights], profile: Profile | None = None) -> pd.DataFrame:
    """(d): parameters read from PyTorch, feature-extraction time, accuracies.

    Cells that would need missing weights are shown as "—", never as a number.
    """
    profile = profile or active_profile()
    rows = []
    for name, outcome in outcomes.items():
        counts = frozen_parameters(name, profile)
        row = {"backbone": BACKBONES[name].title, "parameters": f"{counts['total']:,}", "trainable": f"{counts['trainable']:,}"}
        if isinstance(outcome, MissingWeights):
            row |= {"width": "—", "extract (s)": "—", **{f"{split} (%)": "—" for split in SPLITS}}
        else:
            extraction = experiments.result(features_name(name), profile).metrics
            final = outcome.metrics["final"]
            row |= {
                "width": str(extraction["feature_dim"]),
                "extract (s)": f"{extraction['extraction_seconds']:.1f}",
                **{f"{split} (%)": f"{100 * final[split]['accuracy']:.1f}" for split in SPLITS},
            }
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy_rows(outcomes: dict[str, Artifacts | MissingWeights], scratch: Artifacts, profile: Profile | None = None) -> pd.DataFrame:
    """Every finished model of P3 with its parameters and test accuracy (for the size plot)."""
    profile = profile or active_profile()
    rows = []
    for name, outcome in outcomes.items():
        if isinstance(outcome, Artifacts):
            counts = frozen_parameters(name, profile)
            accuracy = 100 * outcome.metrics["final"]["test"]["accuracy"]
            rows.append({"model": f"{BACKBONES[name].title} (frozen)", "parameters": counts["total"], "trainable": counts["trainable"], "accuracy": accuracy})
    counts = scratch.metrics["parameters"]
    accuracy = 100 * scratch.metrics["final"]["test"]["accuracy"]
    rows.append({"model": "MobileNetV2 (scratch)", "parameters": counts["total"], "trainable": counts["trainable"], "accuracy": accuracy})
    return pd.DataFrame(rows)


def _register() -> None:
    for name in BACKBONES:
        register(Experiment(features_name(name), "p3", f"{name} frozen ImageNet features of Flowers102", partial(features_config, backbone=name), run_features))
        register(Experiment(frozen_name(name), "p3", f"new head on frozen {name} features", partial(head_config, backbone=name), run_head))
    register(Experiment("p3-scratch", "p3", "MobileNetV2 trained from scratch on Flowers102", scratch_config, run_scratch))


_register()
