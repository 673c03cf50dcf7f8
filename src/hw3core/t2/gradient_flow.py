"""Why gradients survive in DenseNet: one deep stack, three kinds of connection. T2 question 2.

Figures are `Figure()`, not pyplot: a chapter cell that returns one shows it once.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

Connection = Literal["plain", "residual", "dense"]


class DepthProbe(nn.Module):
    """A deep stack of ReLU-conv layers joined plainly, by addition, or by concatenation.

    There is deliberately no normalisation and the init is PyTorch's default: that
    exposes what the connections alone do to the backward signal, which batch norm and
    careful initialisation otherwise partly hide.
    """

    def __init__(self, connection: Connection, depth: int, width: int, growth: int) -> None:
        super().__init__()
        self.connection = connection
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        dense = connection == "dense"
        self.layers = nn.ModuleList(
            nn.Sequential(
                nn.ReLU(),
                nn.Conv2d(width + i * growth if dense else width, growth if dense else width, 3, padding=1),
            )
            for i in range(depth)
        )
        self.head = nn.Linear(width + depth * growth if dense else width, 10)
        self.outputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.outputs = []
        features = [self.stem(x)]
        for layer in self.layers:
            if self.connection == "dense":
                out = layer(torch.cat(features, 1))
                features.append(out)
            else:
                out = layer(features[-1])
                features.append(out + features[-1] if self.connection == "residual" else out)
            out.retain_grad()
            self.outputs.append(out)
        final = torch.cat(features, 1) if self.connection == "dense" else features[-1]
        return self.head(final.mean((2, 3)))


def gradient_flow(depth: int = 40, width: int = 32, growth: int = 12, seed: int = 0) -> pd.DataFrame:
    """‖∂loss/∂(output of layer l)‖ at initialisation, divided by the last layer's, per connection.

    One batch of random 8×8 images with random labels is enough: the question is only
    how much of the loss's gradient reaches each depth.
    """
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(16, 3, 8, 8, generator=generator)
    labels = torch.randint(0, 10, (16,), generator=generator)
    frame = pd.DataFrame({"layer": range(1, depth + 1)})
    for connection in ("plain", "residual", "dense"):
        torch.manual_seed(seed)
        model = DepthProbe(connection, depth, width, growth)
        nn.functional.cross_entropy(model(images), labels).backward()
        norms = torch.stack([out.grad.norm() for out in model.outputs])
        frame[connection] = (norms / norms[-1]).numpy()
    return frame


def gradient_flow_figure(frame: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(6.5, 3.2), layout="constrained")
    ax = fig.subplots()
    for connection in ("plain", "residual", "dense"):
        ax.semilogy(frame["layer"], frame[connection], label=connection)
    ax.set_xlabel(r"layer $\ell$ (1 = nearest the input)")
    ax.set_ylabel(r"$\Vert\partial L/\partial x_\ell\Vert \;/\; \Vert\partial L/\partial x_{\mathrm{last}}\Vert$")
    ax.legend()
    return fig
