"""P3 (c)/(d), first stage: the frozen backbone's features of every split, computed once.

A frozen extractor gives the same output for the same image, so instead of passing
every batch through the whole network each epoch, the features of each split are
computed once (experiment `p3-features-<backbone>`) and the new head trains on them.
Augmentation cannot then be fresh every epoch; the training split is also stored as a
few fixed augmented copies, and `FeatureViews` serves copy e mod V in epoch e.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.data import Dataset
from torchvision.transforms.v2 import functional as TF
from tqdm import tqdm  # not tqdm.auto: in a kernel it warns that ipywidgets is missing

from .. import atomic
from ..experiments import RunContext
from ..training import autocast, map_batches, on_device, to_device
from .flowers import SPLITS, flowers_split, random_resized_views
from .network import split_classifier
from .weights import BACKBONES, Backbone, imagenet_model


@torch.no_grad()
def extract_features(
    extractor: nn.Module, images: torch.Tensor, view: Callable[[torch.Tensor], torch.Tensor], device: torch.device, batch_size: int
) -> torch.Tensor:
    """Features [N, D] (float32, on the CPU) of uint8 images, `view` turning a batch into inputs."""
    on_device(extractor, device).eval()

    def features(part: slice) -> torch.Tensor:
        x = to_device(view(images[part].to(device)), device)
        with autocast(device):
            return extractor(x).float().cpu()

    return map_batches(features, len(images), batch_size)


def preprocessing(backbone: Backbone, crop: int | None) -> nn.Module:
    """The weights' own `transforms()`; with `crop` set (smoke), the same preset at that size."""
    return backbone.weights.transforms() if crop is None else backbone.weights.transforms(crop_size=crop, resize_size=crop)


def run_features(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Features of every split (train also as a few fixed augmented copies), computed once."""
    backbone, stage = BACKBONES[cfg["model"]["backbone"]], cfg["features"]
    extractor, width = split_classifier(imagenet_model(backbone, cfg["model"]["pretrained"], ctx.settings), backbone)
    extractor.requires_grad_(False)
    preprocess = preprocessing(backbone, stage["crop"])
    crop = preprocess.crop_size[0]
    generator = torch.Generator().manual_seed(cfg["seed"])

    def augmented(batch: torch.Tensor) -> torch.Tensor:
        return TF.normalize(random_resized_views(batch, crop, generator), preprocess.mean, preprocess.std)

    stored, seconds, counts = {}, {}, {}
    for split in SPLITS:
        data = flowers_split(split, cfg["data"], ctx.settings)
        views = [preprocess] + ([augmented] * stage["augmented_copies"] if split == "train" else [])
        started = _synchronised_clock(ctx.device)
        copies = [extract_features(extractor, data.images, v, ctx.device, stage["batch_size"]) for v in views]
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
