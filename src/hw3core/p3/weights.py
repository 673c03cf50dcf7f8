"""The three ImageNet backbones of P3 and their pretrained weights: found, downloaded, or missing.

MobileNetV2, VGG16 and ResNet50 come from torchvision with their weights enums, which
carry the preprocessing, the class names and the download address. Pretrained weights
are looked up where torchvision caches them ($TORCH_HOME/hub/checkpoints/, the folder
`Settings.torch_home` names, passed down rather than read by torch from the environment)
and under HW3_DATA_DIR/weights/, and downloaded when online. When they cannot be had, the caller
gets a `MissingWeights` that says which file and where it was looked for, so the
chapter can say so in one sentence instead of showing a number.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision import models

from .. import atomic
from ..errors import DataError
from ..settings import Settings

DOWNLOAD_TIMEOUT_S = 30


@dataclass(frozen=True)
class Backbone:
    """A torchvision ImageNet classifier: its builder, its weights, and its 1000-way layer."""

    name: str
    title: str
    builder: Callable[..., nn.Module]
    weights: models.WeightsEnum
    classifier: str  # dotted path of the ImageNet output layer that the new head replaces


# IMAGENET1K_V1 for all three: the original, plainly regularised recipes. The V2 weights
# of MobileNetV2 and ResNet50 use label smoothing and mixup, regularisers that Kornblith
# et al. (2019) find to hurt penultimate features used frozen; VGG16's other weights,
# IMAGENET1K_FEATURES, have no valid `classifier`, which our extractor uses up to fc7.
BACKBONES: dict[str, Backbone] = {
    b.name: b
    for b in (
        Backbone("mobilenet_v2", "MobileNetV2", models.mobilenet_v2, models.MobileNet_V2_Weights.IMAGENET1K_V1, "classifier.1"),
        Backbone("vgg16", "VGG16", models.vgg16, models.VGG16_Weights.IMAGENET1K_V1, "classifier.6"),
        Backbone("resnet50", "ResNet50", models.resnet50, models.ResNet50_Weights.IMAGENET1K_V1, "fc"),
    )
}


@dataclass(frozen=True)
class MissingWeights:
    """Why a pretrained result cannot be shown: which file, where it was looked for.

    The chapter's Persian note for them is `text.missing_note`.
    """

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


class MissingWeightsError(DataError, FileNotFoundError):
    """Pretrained weights are neither on disk nor downloadable; `.missing` says which."""

    def __init__(self, missing: MissingWeights) -> None:
        super().__init__(missing.message())
        self.missing = missing


def weights_file(backbone: Backbone) -> str:
    """The file name torchvision caches the weights under (the last part of `weights.url`)."""
    return Path(urlparse(backbone.weights.url).path).name


def hub_checkpoint(backbone: Backbone, settings: Settings) -> Path:
    """Where torchvision keeps the weights file: `torch.hub.get_dir()/checkpoints/`, torch's hub under TORCH_HOME."""
    return settings.torch_home / "hub" / "checkpoints" / weights_file(backbone)


def find_weights(backbone: Backbone, settings: Settings) -> Path:
    """The weights file on disk, downloading it into torchvision's cache if needed and possible."""
    name = weights_file(backbone)
    target = hub_checkpoint(backbone, settings)
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
    try:
        model.load_state_dict(atomic.torch_load(path), assign=True)
    except atomic.UNREADABLE as error:  # torn download, another file under the name, wrong architecture
        reason = f"corrupt file at {path}: delete it and run again ({type(error).__name__})"
        raise MissingWeightsError(MissingWeights(backbone.title, path.name, (str(path.parent),), reason)) from None
    return model


def save_stand_in(backbone: Backbone, settings: Settings, seed: int = 0) -> Path:
    """A randomly initialised state dict saved where torchvision looks for the real weights.

    For rehearsals and tests only: `find_weights` and `imagenet_model` then load it
    through exactly the book's path (the file under its official name in
    $TORCH_HOME/hub/checkpoints/, `weights_only=True`, a strict `load_state_dict`).
    torchvision checks the name's hash prefix only when it downloads
    (`torch.hub.download_url_to_file`), never for a file already there, and neither does
    this module, so no check is skipped; a random file could never pass that check,
    which is why the stand-in must only ever live in a throw-away TORCH_HOME.
    """
    torch.manual_seed(seed)
    target = hub_checkpoint(backbone, settings)
    atomic.torch_save(backbone.builder(weights=None).state_dict(), target)
    return target
