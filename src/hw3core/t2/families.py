"""DenseNet against ResNet as whole families: parameters, multiply-adds and ImageNet top-1.

T2 question 1 (parameter efficiency) and question 2 (the computational advantage). Every
model is torchvision's own builder, built without weights on the meta device: parameter
counts and tensor shapes are exact there and no memory or arithmetic is spent. The
published accuracies come from the weights enums' metadata (no download).

Figures are `Figure()`, not pyplot: a chapter cell that returns one shows it once and
nothing piles up in pyplot's registry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import get_model, get_model_weights

from .. import memo
from ..figures import FLOOR_PT, FULL_WIDTH_IN
from ..training import parameter_count

DENSENETS = ("densenet121", "densenet169", "densenet201", "densenet161")
RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
TOP1 = "ImageNet top-1 (%)"


def build(name: str, device: str = "meta") -> nn.Module:
    """A torchvision ImageNet classifier without weights, on the meta device by default, in
    eval mode (nothing here trains; eval makes batch norm cheaper to trace)."""
    with torch.device(device):
        return get_model(name, weights=None).eval()


def count_flops(model: nn.Module, size: int = 224) -> int:
    """FLOPs of one forward pass on a size×size RGB image (one multiply-add = 2 FLOPs).

    torch's counter covers convolutions and matrix products, which is where all the
    multiplications are; normalisation, activations and pooling are not counted.
    """
    device = next(model.parameters()).device
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size, device=device))
    return counter.get_total_flops()


def published_top1(name: str) -> float:
    """ImageNet top-1 (%) of torchvision's original-recipe weights, from the enum's metadata."""
    return get_model_weights(name).IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]["acc@1"]


@memo.on_disk  # seconds of meta-device tracing (or k-means) a render, the same every time
def family_table(names: tuple[str, ...] = DENSENETS + RESNETS, size: int = 224) -> pd.DataFrame:
    """Parameters, multiply-adds at size×size and published top-1 for each model."""
    rows = []
    for name in names:
        model = build(name)
        rows.append(
            {
                "model": name,
                "family": "DenseNet" if name.startswith("densenet") else "ResNet",
                "parameters (M)": parameter_count(model) / 1e6,
                "multiply-adds (G)": count_flops(model, size) / 2e9,
                TOP1: published_top1(name),
            }
        )
    return pd.DataFrame(rows)


def cost_at_accuracy(table: pd.DataFrame, family: str, accuracy: float, column: str) -> float | None:
    """What `family` needs of `column` (parameters, multiply-adds) to reach `accuracy`: linear
    between its two models on either side by top-1, the line of the family figure; None
    outside the family's range of accuracies, where the line says nothing."""
    rows = table[table["family"] == family].sort_values(TOP1)
    accuracies = rows[TOP1].to_numpy()
    if not accuracies[0] <= accuracy <= accuracies[-1]:
        return None
    return float(np.interp(accuracy, accuracies, rows[column].to_numpy()))


def family_figure(table: pd.DataFrame) -> Figure:
    """Top-1 against parameters and against multiply-adds, one line per family."""
    fig = Figure(figsize=(FULL_WIDTH_IN, 3.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, column in zip(axes, ["parameters (M)", "multiply-adds (G)"]):
        for family, rows in table.groupby("family", sort=False):
            rows = rows.sort_values(column)
            ax.plot(rows[column], rows[TOP1], "o-", label=family)
            for _, row in rows.iterrows():
                ax.annotate(
                    row["model"].replace("densenet", "D-").replace("resnet", "R-"),
                    (row[column], row[TOP1]),
                    textcoords="offset points",
                    xytext=(3, -9),
                    fontsize=FLOOR_PT,
                )
        ax.set_xlabel(column)
    axes[0].set_ylabel(TOP1)
    axes[0].legend()
    return fig
