"""P2's network: one small CNN for all three regimes, so the losses are compared on the same
layers. Three convolutional stages (32x32, 16x16, 8x8) and global average pooling give the
feature vector f(x); `Classifier` puts the linear head of the two classes on top of it.
"""

from __future__ import annotations

import torch
from torch import nn

LAYERS = ("stage1", "stage2", "stage3")
DEEPEST = LAYERS[-1]


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

