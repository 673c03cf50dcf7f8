"""The CIFAR-10 networks of P1: the given baseline and one family for its improvements.

`BaselineModel` is the assignment's network, line for line. `ConvNet` is the improved
network of part (c); parts (d) and (e) are the same network with BatchNorm after each
conv layer and Dropout between the two FC layers, so a comparison of (c), (d) and (e)
changes one thing at a time. The design follows the backbone of Page's DAWNBench
ResNet and airbench (wide 3x3 conv layers with max-pooling, a global max-pool): the
limits of the assignment (at most 4 conv and 3 FC layers) rule out their residual and
doubled conv blocks, but not their widths or their training recipe.
"""

from __future__ import annotations

from collections import OrderedDict

import pandas as pd
import torch
from torch import nn

from ..shapes import hwc
from ..training import parameter_count

MAX_CONV_LAYERS = 4
MAX_FC_LAYERS = 3


class BaselineModel(nn.Module):
    """The network given in P1(b), unchanged: one 5x5 conv, ReLU, 2x2 max-pool, one FC."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=32, kernel_size=5)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(32 * 14 * 14, 10)

    def forward(self, x):
        return self.fc(self.flatten(self.maxpool(self.relu(self.conv1(x)))))


class Scale(nn.Module):
    """Multiplies its input by a fixed constant (no parameters)."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class ConvNet(nn.Sequential):
    """Four 3x3 conv layers (the last three followed by 2x2 max-pooling), a global max-pool,
    and two FC layers.

    `batchnorm` puts a BatchNorm2d after every conv layer (part d); `dropout` > 0 puts a
    Dropout between the two FC layers (part e). Spatial size: 32 -> 32 -> 16 -> 8 -> 4 -> 1.
    `logit_scale` != 1 multiplies the logits by a constant (a `Scale` layer after fc2), as
    the final `Mul(0.125)` of Page's DAWNBench ResNet-9 does: with label smoothing it keeps
    the softmax from saturating early in training, which let that net train at a high rate.
    Layers followed by a ReLU start from He initialisation, which keeps the signal's scale
    through a stack of ReLU layers (He et al. 2015); PyTorch's default (Kaiming-uniform
    with a = sqrt(5)) shrinks it at every layer, which a network without BatchNorm has
    nothing to undo. That is the reason for the choice; no run here measures the network
    without it, so the chapter claims no size for the effect.
    """

    def __init__(
        self,
        widths: tuple[int, int, int, int] = (64, 128, 256, 512),
        hidden: int = 512,
        batchnorm: bool = False,
        dropout: float = 0.0,
        classes: int = 10,
        logit_scale: float = 1.0,
    ) -> None:
        if len(widths) != MAX_CONV_LAYERS:
            raise ValueError(f"ConvNet has exactly {MAX_CONV_LAYERS} conv layers; got widths {widths}")
        layers: list[tuple[str, nn.Module]] = []
        channels = 3
        for i, width in enumerate(widths, start=1):
            layers.append((f"conv{i}", nn.Conv2d(channels, width, kernel_size=3, padding=1)))
            if i > 1:
                layers.append((f"pool{i}", nn.MaxPool2d(2)))
            if batchnorm:
                layers.append((f"bn{i}", nn.BatchNorm2d(width)))
            layers.append((f"relu{i}", nn.ReLU(inplace=True)))
            channels = width
        layers += [("global_pool", nn.AdaptiveMaxPool2d(1)), ("flatten", nn.Flatten())]
        layers += [("fc1", nn.Linear(channels, hidden)), ("relu_fc1", nn.ReLU(inplace=True))]
        if dropout > 0:
            layers.append(("dropout", nn.Dropout(dropout)))
        layers.append(("fc2", nn.Linear(hidden, classes)))
        if logit_scale != 1.0:
            layers.append(("logit_scale", Scale(logit_scale)))
        super().__init__(OrderedDict(layers))
        for module in self.modules():
            if isinstance(module, nn.Conv2d) or module is self.fc1:
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)


def count_layers(model: nn.Module) -> dict[str, int]:
    """How many modules of each limited or ablated kind the model holds."""
    kinds = {"conv": nn.Conv2d, "fc": nn.Linear, "batchnorm": nn.BatchNorm2d, "dropout": nn.Dropout}
    return {name: sum(isinstance(m, kind) for m in model.modules()) for name, kind in kinds.items()}


def check_limits(model: nn.Module) -> None:
    """Fail if the model breaks P1(c)'s limits (at most 4 conv and 3 FC layers)."""
    counts = count_layers(model)
    if counts["conv"] > MAX_CONV_LAYERS or counts["fc"] > MAX_FC_LAYERS:
        raise ValueError(
            f"{type(model).__name__} has {counts['conv']} conv and {counts['fc']} FC layers; "
            f"P1 allows at most {MAX_CONV_LAYERS} and {MAX_FC_LAYERS}"
        )


@torch.no_grad()
def architecture_table(model: nn.Module, input_shape: tuple[int, ...] = (1, 3, 32, 32)) -> pd.DataFrame:
    """Layer, type, output shape and parameter count of every leaf module, read from a
    forward pass with hooks (so the table is the module, not a description of it)."""
    rows: list[dict[str, object]] = []

    def record(name: str):
        def hook(module: nn.Module, _inputs, output: torch.Tensor) -> None:
            rows.append(
                {
                    "layer": name,
                    "type": type(module).__name__,
                    "output": hwc(output.shape[1:]),
                    "parameters": parameter_count(module),  # a leaf: its own parameters only
                }
            )

        return hook

    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    handles = [m.register_forward_hook(record(name)) for name, m in leaves]
    was_training = model.training
    try:
        model.eval()
        model(torch.zeros(input_shape, device=next(model.parameters()).device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    table = pd.DataFrame(rows, columns=["layer", "type", "output", "parameters"])
    total = pd.DataFrame([{"layer": "total", "type": "", "output": "", "parameters": parameter_count(model)}])
    return pd.concat([table, total], ignore_index=True)
