"""The network of P3 (c)/(d): an ImageNet backbone, its 1000-way layer removed and frozen, and a new head."""

from __future__ import annotations

import torch
from torch import nn

from ..settings import Settings
from ..training import parameter_count
from .weights import Backbone, imagenet_model


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
    """Total parameters and those that train (`requires_grad`): the pair every table of P3 shows."""
    return {"total": parameter_count(model), "trainable": parameter_count(model, trainable=True)}
