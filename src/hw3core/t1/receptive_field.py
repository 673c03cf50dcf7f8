"""The receptive field of the last conv layer of T1 (b): theoretical, and effective.

The theoretical field comes from the recursion over the layers' windows; the tests hold
it against the non-zero gradient of a network with positive weights. The effective field
(Luo et al., 2016) is the gradient magnitude of a randomly initialised network.

Figures are made with `Figure()`, not pyplot: a chapter cell that returns one then shows
it once (the inline backend would display a pyplot figure a second time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn

from .. import figures
from .layers import Conv, Depthwise, Layer, SeparableConv, Shape
from .networks import INPUT_SHAPE, build, output_shape

@dataclass(frozen=True)
class Window:
    """A sliding window: kernel, stride, padding. Pointwise (1x1) layers add nothing."""

    name: str
    kernel: int
    stride: int
    padding: int


def windows(layers: list[Layer]) -> list[Window]:
    """The spatial windows of conv layers, a separable layer counted as its depthwise part."""
    found = []
    for layer in layers:
        spatial = layer.parts()[0] if isinstance(layer, SeparableConv) else layer
        if isinstance(spatial, (Conv, Depthwise)):
            found.append(Window(layer.name, spatial.kernel, spatial.stride, spatial.padding))
    return found


def receptive_field_table(layers: list[Layer]) -> pd.DataFrame:
    """The recursion r_l = r_{l-1} + (k_l - 1) j_{l-1}, j_l = j_{l-1} s_l, per layer.

    `first center` is the input coordinate (pixel index) on which neuron 0 of the layer
    is centred: c_l = c_{l-1} + ((k_l - 1)/2 - p_l) j_{l-1}; neuron i sits at c_l + i j_l.
    """
    rows = [{"layer": "input", "kernel": 1, "stride": 1, "padding": 0, "jump": 1, "receptive field": 1,
             "first center": 0.0}]
    for w in windows(layers):
        prev = rows[-1]
        rows.append(
            {
                "layer": w.name,
                "kernel": w.kernel,
                "stride": w.stride,
                "padding": w.padding,
                "jump": prev["jump"] * w.stride,
                "receptive field": prev["receptive field"] + (w.kernel - 1) * prev["jump"],
                "first center": prev["first center"] + ((w.kernel - 1) / 2 - w.padding) * prev["jump"],
            }
        )
    return pd.DataFrame(rows)


def input_span(layers: list[Layer], index: int, input_size: int) -> tuple[int, int, int, int]:
    """Input pixels one neuron (at `index` along an axis) sees: (lo, hi) unclipped, then clipped.

    Unclipped bounds may fall in the zero padding (outside 0..input_size-1); the clipped
    ones are the real pixels. Both inclusive.
    """
    last = receptive_field_table(layers).iloc[-1]
    center = last["first center"] + index * last["jump"]
    half = (last["receptive field"] - 1) / 2
    lo, hi = int(center - half), int(center + half)
    return lo, hi, max(lo, 0), min(hi, input_size - 1)


def interior_neurons(layers: list[Layer], input_shape: Shape = INPUT_SHAPE) -> list[int]:
    """Indices (along one axis) of last-layer neurons whose whole window lies on real pixels."""
    spans = [input_span(layers, i, input_shape[-1]) for i in range(output_shape(layers, input_shape)[-1])]
    return [i for i, (lo, hi, clipped_lo, clipped_hi) in enumerate(spans) if (lo, hi) == (clipped_lo, clipped_hi)]


def gradient_footprint(model: nn.Module, input_shape: Shape, neuron: tuple[int, int],
                       inputs: torch.Tensor | None = None) -> np.ndarray:
    """|d y / d x| summed over input channels, y = the outputs of all channels at `neuron`.

    With all-positive weights and inputs every path is active, so the non-zero pixels are
    exactly the theoretical receptive field; with random weights and inputs the magnitude
    shows the *effective* receptive field of Luo et al. (2016). `inputs` is a batch; the
    gradient magnitudes are averaged over it.
    """
    x = (inputs if inputs is not None else torch.ones(1, *input_shape)).clone().requires_grad_(True)
    out = model(x)
    out[:, :, neuron[0], neuron[1]].sum().backward()
    return x.grad.abs().sum(dim=1).mean(dim=0).numpy()


def positive_model(layers: list[Layer], input_shape: Shape = INPUT_SHAPE) -> nn.Sequential:
    """The network with every weight set to a small positive constant (so no ReLU is ever off)."""
    model = build(layers, input_shape)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.01)
    return model


def effective_receptive_field(layers: list[Layer], neuron: tuple[int, int], size: int = 128,
                              seed: int = 0, samples: int = 32) -> np.ndarray:
    """|dy/dx| of `neuron` in a randomly initialised network, averaged over random inputs."""
    torch.manual_seed(seed)
    model = build(layers, (3, size, size))
    inputs = torch.randn(samples, 3, size, size, generator=torch.Generator().manual_seed(seed))
    return gradient_footprint(model, (3, size, size), neuron, inputs)


def central_share(footprint: np.ndarray, layers: list[Layer], neuron: tuple[int, int], side: int) -> float:
    """Fraction of the gradient mass in the centred side x side square of the receptive field."""
    size = footprint.shape[0]
    (r_lo, r_hi, *_), (c_lo, c_hi, *_) = (input_span(layers, i, size) for i in neuron)
    r0, c0 = (r_lo + r_hi - side + 1) // 2, (c_lo + c_hi - side + 1) // 2
    return float(footprint[r0:r0 + side, c0:c0 + side].sum() / footprint.sum())


def plot_receptive_field(image: np.ndarray, layers: list[Layer], neurons: list[tuple[int, int]],
                         footprint: np.ndarray) -> Figure:
    """Left: the input with the theoretical receptive fields of `neurons` (padding hatched).

    Right: `footprint` (the effective receptive field of the first neuron, from
    `effective_receptive_field`) around that neuron's theoretical field.
    """
    size = image.shape[0]
    fig = Figure(figsize=(figures.FULL_WIDTH_IN, 3.4))
    left, right = fig.subplots(1, 2)
    pad = int((receptive_field_table(layers).iloc[-1]["receptive field"] - 1) / 2)
    left.imshow(figures.rgb(image), extent=(-0.5, size - 0.5, size - 0.5, -0.5), zorder=1)
    left.add_patch(Rectangle((-pad - 0.5, -pad - 0.5), size + 2 * pad, size + 2 * pad, fill=False,
                             hatch="///", edgecolor="0.6", linewidth=0, zorder=0, label="zero padding"))
    for (row, col), color in zip(neurons, ["tab:red", "tab:cyan", "tab:orange"]):
        (r_lo, r_hi, *_), (c_lo, c_hi, *_) = input_span(layers, row, size), input_span(layers, col, size)
        left.add_patch(Rectangle((c_lo - 0.5, r_lo - 0.5), c_hi - c_lo + 1, r_hi - r_lo + 1, fill=False,
                                 edgecolor=color, linewidth=2, label=f"neuron ({row}, {col})", zorder=2))
    left.set_xlim(-pad - 1, size + pad)
    left.set_ylim(size + pad, -pad - 1)
    left.legend(loc="lower right", fontsize=7)
    left.set_title("theoretical receptive field", fontsize=9)
    (r_lo, r_hi, *_), (c_lo, c_hi, *_) = (input_span(layers, i, size) for i in neurons[0])
    margin = 4
    crop = footprint[r_lo - margin:r_hi + margin + 1, c_lo - margin:c_hi + margin + 1]
    shown = right.imshow(crop / crop.max(), cmap="magma",
                         extent=(c_lo - margin - 0.5, c_hi + margin + 0.5, r_hi + margin + 0.5, r_lo - margin - 0.5))
    right.add_patch(Rectangle((c_lo - 0.5, r_lo - 0.5), c_hi - c_lo + 1, r_hi - r_lo + 1, fill=False,
                              edgecolor="tab:red", linewidth=2))
    right.set_title(f"$|\\partial y/\\partial x|$ of neuron {neurons[0]}, random weights", fontsize=9)
    for ax in (left, right):
        ax.grid(False)
        ax.set(xlabel="input column (pixel)", ylabel="input row (pixel)")
    fig.colorbar(shown, ax=right, fraction=0.046, label="$|\\partial y/\\partial x|$ / its maximum")
    fig.tight_layout()
    return fig
