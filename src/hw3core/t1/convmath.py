"""Convolution arithmetic: shapes, parameters, multiplications and receptive fields.

Each layer spec knows its closed form *and* builds the `nn.Module` it describes, so
every table row can show the formula's value next to what PyTorch measures on the real
module (`parameters()`, a forward pass, `FlopCounterMode`) and the book asserts they agree.

Conventions (stated once, used everywhere):
- shapes are (channels, height, width) per example, or (features,) after Flatten;
- parameters include biases (PyTorch's default `bias=True`); weights and biases are
  also reported apart, so the count without bias is one column away;
- multiplications are the weight-times-activation products (one per multiply-accumulate,
  MAC). Bias additions, ReLU and averaging are not multiplications by weights and are
  not counted. `FlopCounterMode` reports FLOPs = 2 x MACs (a multiply and an add) for
  convolutions and matrix products, so multiplications = FLOPs / 2.

Figures are made with `Figure()`, not pyplot: a chapter cell that returns one then shows
it once (the inline backend would display a pyplot figure a second time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

Shape = tuple[int, ...]


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """floor((size + 2p - k) / s) + 1: how many kernel positions fit along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


class Layer(Protocol):
    """What every layer spec answers about itself, given the shape that enters it."""

    name: str

    def output_shape(self, shape: Shape) -> Shape: ...
    def weights(self, shape: Shape) -> int: ...
    def biases(self, shape: Shape) -> int: ...
    def mults(self, shape: Shape) -> int: ...
    def module(self, shape: Shape) -> nn.Module: ...


@dataclass(frozen=True)
class Conv:
    """Standard K x K convolution M -> N channels, then ReLU.

    Every one of the N filters spans all M input channels: K*K*M*N weights and N biases;
    each output value costs K*K*M multiplications.
    """

    name: str
    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0

    def output_shape(self, shape: Shape) -> Shape:
        _, h, w = shape
        size = [conv_output_size(n, self.kernel, self.stride, self.padding) for n in (h, w)]
        return (self.out_channels, *size)

    def weights(self, shape: Shape) -> int:
        return self.kernel**2 * shape[0] * self.out_channels

    def biases(self, shape: Shape) -> int:
        return self.out_channels

    def mults(self, shape: Shape) -> int:
        n, h, w = self.output_shape(shape)
        return h * w * n * self.kernel**2 * shape[0]

    def module(self, shape: Shape) -> nn.Module:
        conv = nn.Conv2d(shape[0], self.out_channels, self.kernel, self.stride, self.padding)
        return nn.Sequential(conv, nn.ReLU())


@dataclass(frozen=True)
class Depthwise:
    """Depthwise K x K convolution: one filter per input channel (groups = M), then ReLU.

    K*K*M weights and M biases; each output value costs K*K multiplications.
    """

    name: str
    kernel: int
    stride: int = 1
    padding: int = 0

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = shape
        return (c, *[conv_output_size(n, self.kernel, self.stride, self.padding) for n in (h, w)])

    def weights(self, shape: Shape) -> int:
        return self.kernel**2 * shape[0]

    def biases(self, shape: Shape) -> int:
        return shape[0]

    def mults(self, shape: Shape) -> int:
        c, h, w = self.output_shape(shape)
        return h * w * c * self.kernel**2

    def module(self, shape: Shape) -> nn.Module:
        c = shape[0]
        conv = nn.Conv2d(c, c, self.kernel, self.stride, self.padding, groups=c)
        return nn.Sequential(conv, nn.ReLU())


@dataclass(frozen=True)
class SeparableConv:
    """MobileNet's depthwise-separable layer: depthwise K x K, then pointwise 1 x 1 M -> N.

    The spatial filtering and the channel mixing that a standard convolution does at once
    are split in two, which is where the saving of 1/N + 1/K^2 comes from. BatchNorm,
    which MobileNet puts after each part, is left out to keep the comparison with the
    plain layers of part (b) like for like.
    """

    name: str
    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0

    def parts(self) -> tuple[Depthwise, Conv]:
        return (
            Depthwise(f"{self.name} depthwise", self.kernel, self.stride, self.padding),
            Conv(f"{self.name} pointwise", self.out_channels, kernel=1),
        )

    def _through_parts(self, shape: Shape, quantity: str) -> int:
        total = 0
        for part in self.parts():
            total += getattr(part, quantity)(shape)
            shape = part.output_shape(shape)
        return total

    def output_shape(self, shape: Shape) -> Shape:
        for part in self.parts():
            shape = part.output_shape(shape)
        return shape

    def weights(self, shape: Shape) -> int:
        return self._through_parts(shape, "weights")

    def biases(self, shape: Shape) -> int:
        return self._through_parts(shape, "biases")

    def mults(self, shape: Shape) -> int:
        return self._through_parts(shape, "mults")

    def module(self, shape: Shape) -> nn.Module:
        depthwise, pointwise = self.parts()
        return nn.Sequential(depthwise.module(shape), pointwise.module(depthwise.output_shape(shape)))


@dataclass(frozen=True)
class Flatten:
    """(C, H, W) -> (C*H*W,): no parameters, no multiplications."""

    name: str = "Flatten"

    def output_shape(self, shape: Shape) -> Shape:
        return (int(np.prod(shape)),)

    def weights(self, shape: Shape) -> int:
        return 0

    biases = mults = weights

    def module(self, shape: Shape) -> nn.Module:
        return nn.Flatten()


@dataclass(frozen=True)
class GlobalAvgPool:
    """(C, H, W) -> (C,): one average per channel (Network in Network); no weights."""

    name: str = "GAP"

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[0],)

    def weights(self, shape: Shape) -> int:
        return 0

    biases = mults = weights

    def module(self, shape: Shape) -> nn.Module:
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())


@dataclass(frozen=True)
class Linear:
    """Fully connected F -> C: F*C weights, C biases, F*C multiplications.

    The SoftMax after it has no parameters; it lives in the loss (CrossEntropyLoss).
    """

    name: str
    out_features: int

    def output_shape(self, shape: Shape) -> Shape:
        return (self.out_features,)

    def weights(self, shape: Shape) -> int:
        return shape[0] * self.out_features

    def biases(self, shape: Shape) -> int:
        return self.out_features

    def mults(self, shape: Shape) -> int:
        return self.weights(shape)

    def module(self, shape: Shape) -> nn.Module:
        return nn.Linear(shape[0], self.out_features)


# --- the networks of question T1 ------------------------------------------------------

INPUT_SHAPE: Shape = (3, 128, 128)
CLASSES = 200
BOTTLENECK_CHANNELS = 16


def standard_convs() -> list[Layer]:
    """Part (b): three 5x5 convolutions, stride 2, padding 2, with 64, 128, 256 filters."""
    return [Conv(f"conv{i}", n, kernel=5, stride=2, padding=2) for i, n in enumerate((64, 128, 256), 1)]


def separable_convs() -> list[Layer]:
    """Part (c): part (b) with layers 2 and 3 made depthwise-separable."""
    first, *rest = standard_convs()
    return [first, *[SeparableConv(c.name, c.out_channels, c.kernel, c.stride, c.padding) for c in rest]]


HEADS: dict[str, list[Layer]] = {
    "Flatten+FC": [Flatten(), Linear("FC", CLASSES)],
    f"1x1({BOTTLENECK_CHANNELS})+Flatten+FC": [
        Conv("1x1 bottleneck", BOTTLENECK_CHANNELS, kernel=1),
        Flatten(),
        Linear("FC", CLASSES),
    ],
    "GAP+FC": [GlobalAvgPool(), Linear("FC", CLASSES)],
}
BACKBONES = {"(b)": standard_convs, "(c)": separable_convs}


def output_shape(layers: list[Layer], input_shape: Shape = INPUT_SHAPE) -> Shape:
    """The shape that leaves the last layer, by the closed forms."""
    for layer in layers:
        input_shape = layer.output_shape(input_shape)
    return input_shape


def build(layers: list[Layer], input_shape: Shape = INPUT_SHAPE) -> nn.Sequential:
    """The nn.Sequential the specs describe, each layer built for the shape that reaches it."""
    modules = []
    shape = input_shape
    for layer in layers:
        modules.append(layer.module(shape))
        shape = layer.output_shape(shape)
    return nn.Sequential(*modules)


@dataclass(frozen=True)
class Measured:
    """What PyTorch says about a module: output shape, parameter count, multiplications."""

    shape: Shape
    params: int
    mults: int


def measure(make: Callable[[], nn.Module], input_shape: Shape, device: str = "meta") -> Measured:
    """Build the module, count `parameters()`, run one forward pass under FlopCounterMode.

    Multiplications are half the FLOPs it reports. The default `meta` device runs
    PyTorch's real shape and FLOP logic without allocating or initialising the
    13-million-weight FC layers; "cpu" gives the same counts with real tensors.
    """
    with torch.device(device):
        module = make()
    params = sum(p.numel() for p in module.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(torch.zeros(1, *input_shape, device=device))
    flops = counter.get_total_flops()
    assert flops % 2 == 0, f"FlopCounterMode reported an odd FLOP count {flops}: not 2 x MACs"
    return Measured(tuple(out.shape[1:]), params, flops // 2)


def _shape_text(shape: Shape) -> str:
    return "×".join(str(n) for n in (shape[1:] + shape[:1] if len(shape) == 3 else shape))


def layer_table(layers: list[Layer], input_shape: Shape = INPUT_SHAPE) -> pd.DataFrame:
    """One row per layer: closed-form shape/weights/biases/mults next to PyTorch's measures.

    Shapes are written H×W×C, as the assignment writes them. A last row sums the layers.
    """
    rows = []
    shape = input_shape
    for layer in layers:
        measured = measure(lambda: layer.module(shape), shape)
        out = layer.output_shape(shape)
        rows.append(
            {
                "layer": layer.name,
                "output (formula)": _shape_text(out),
                "output (PyTorch)": _shape_text(measured.shape),
                "weights": layer.weights(shape),
                "biases": layer.biases(shape),
                "params (formula)": layer.weights(shape) + layer.biases(shape),
                "params (PyTorch)": measured.params,
                "mults (formula)": layer.mults(shape),
                "mults (PyTorch)": measured.mults,
            }
        )
        shape = out
    table = pd.DataFrame(rows)
    total = table.select_dtypes("number").sum()
    return pd.concat([table, pd.DataFrame([{"layer": "total", **total.to_dict()}])], ignore_index=True).fillna("")


def formula_matches_pytorch(table: pd.DataFrame) -> bool:
    """True when every closed-form column of a layer_table equals its PyTorch column."""
    pairs = [("output (formula)", "output (PyTorch)"), ("params (formula)", "params (PyTorch)"),
             ("mults (formula)", "mults (PyTorch)")]
    return all((table[a] == table[b]).all() for a, b in pairs)


def compare_backbones(input_shape: Shape = INPUT_SHAPE) -> pd.DataFrame:
    """Part (c) vs (b), layer by layer: parameters and multiplications, and their ratios."""
    standard = layer_table(standard_convs(), input_shape).set_index("layer")
    separable = layer_table(separable_convs(), input_shape).set_index("layer")
    frame = pd.DataFrame(
        {
            "params (b)": standard["params (PyTorch)"],
            "params (c)": separable["params (PyTorch)"],
            "mults (b)": standard["mults (PyTorch)"],
            "mults (c)": separable["mults (PyTorch)"],
        }
    ).astype(int)
    frame["params (c)/(b)"] = frame["params (c)"] / frame["params (b)"]
    frame["mults (c)/(b)"] = frame["mults (c)"] / frame["mults (b)"]
    return frame.reset_index()


def separable_ratio_table(
    kernels: tuple[int, ...] = (3, 5, 7),
    out_channels: tuple[int, ...] = (64, 256),
    in_channels: int = 64,
    size: int = 32,
) -> pd.DataFrame:
    """Part (a) vs (c) in general: stride 1, same padding; measured cost ratio vs 1/N + 1/K^2.

    Weight-only parameter counts have exactly the same ratio; with biases it is a hair larger.
    """
    rows = []
    shape = (in_channels, size, size)
    for k in kernels:
        for n in out_channels:
            standard = measure(lambda: Conv("standard", n, k, padding=k // 2).module(shape), shape)
            separable = measure(lambda: SeparableConv("separable", n, k, padding=k // 2).module(shape), shape)
            rows.append(
                {
                    "K": k,
                    "M": in_channels,
                    "N": n,
                    "mults standard": standard.mults,
                    "mults separable": separable.mults,
                    "measured ratio": separable.mults / standard.mults,
                    "1/N + 1/K²": 1 / n + 1 / k**2,
                    "speed-up": standard.mults / separable.mults,
                }
            )
    return pd.DataFrame(rows)


def head_table(input_shape: Shape = INPUT_SHAPE) -> pd.DataFrame:
    """Part (d): every backbone with every classifier head, totals measured on the whole model.

    `head` columns count what comes after the backbone's last conv; `head share (%)` is the
    head's percentage of all parameters.
    """
    rows = []
    for backbone_name, backbone in BACKBONES.items():
        convs = backbone()
        body = measure(lambda: build(convs, input_shape), input_shape)
        for head_name, head in HEADS.items():
            layers = [*convs, *head]
            whole = measure(lambda: build(layers, input_shape), input_shape)
            rows.append(
                {
                    "backbone": backbone_name,
                    "head": head_name,
                    "head params": whole.params - body.params,
                    "total (formula)": sum(_layer_params(layers, input_shape)),
                    "total (PyTorch)": whole.params,
                    "head share (%)": 100 * (whole.params - body.params) / whole.params,
                    "head mults": whole.mults - body.mults,
                    "total mults": whole.mults,
                }
            )
    return pd.DataFrame(rows)


def _layer_params(layers: list[Layer], shape: Shape) -> list[int]:
    counts = []
    for layer in layers:
        counts.append(layer.weights(shape) + layer.biases(shape))
        shape = layer.output_shape(shape)
    return counts


def plot_heads(heads: pd.DataFrame) -> Figure:
    """Bar charts (log scale) of total parameters and multiplications per architecture."""
    fig = Figure(figsize=(8.0, 3.4))
    axes = fig.subplots(1, 2)
    labels = [f"{b} {h}" for b, h in zip(heads["backbone"], heads["head"])]
    colors = ["tab:blue" if b.startswith("(b)") else "tab:orange" for b in heads["backbone"]]
    for ax, column, title in zip(axes, ["total (PyTorch)", "total mults"], ["parameters", "multiplications"]):
        ax.barh(labels, heads[column], color=colors)
        ax.set_xscale("log")
        ax.set_title(title)
        ax.invert_yaxis()
        for y, value in enumerate(heads[column]):
            ax.text(value, y, f" {value / 1e6:.2f}M", va="center", fontsize=7)
        ax.set_xlim(right=heads[column].max() * 8)
    axes[1].set_yticklabels([])
    fig.tight_layout()
    return fig


# --- receptive field ------------------------------------------------------------------


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
    fig = Figure(figsize=(8.0, 4.0))
    left, right = fig.subplots(1, 2)
    pad = int((receptive_field_table(layers).iloc[-1]["receptive field"] - 1) / 2)
    left.imshow(image, cmap="gray", extent=(-0.5, size - 0.5, size - 0.5, -0.5), zorder=1)
    left.add_patch(Rectangle((-pad - 0.5, -pad - 0.5), size + 2 * pad, size + 2 * pad, fill=False,
                             hatch="///", edgecolor="0.6", linewidth=0, zorder=0, label="zero padding"))
    for (row, col), color in zip(neurons, ["tab:red", "tab:cyan", "tab:orange"]):
        (r_lo, r_hi, *_), (c_lo, c_hi, *_) = input_span(layers, row, size), input_span(layers, col, size)
        left.add_patch(Rectangle((c_lo - 0.5, r_lo - 0.5), c_hi - c_lo + 1, r_hi - r_lo + 1, fill=False,
                                 edgecolor=color, linewidth=2, label=f"neuron ({row}, {col})", zorder=2))
    left.set_xlim(-pad - 1, size + pad)
    left.set_ylim(size + pad, -pad - 1)
    left.legend(loc="lower right", fontsize=7)
    left.set_title("theoretical receptive field")
    (r_lo, r_hi, *_), (c_lo, c_hi, *_) = (input_span(layers, i, size) for i in neurons[0])
    margin = 4
    crop = footprint[r_lo - margin:r_hi + margin + 1, c_lo - margin:c_hi + margin + 1]
    shown = right.imshow(crop / crop.max(), cmap="magma",
                         extent=(c_lo - margin - 0.5, c_hi + margin + 0.5, r_hi + margin + 0.5, r_lo - margin - 0.5))
    right.add_patch(Rectangle((c_lo - 0.5, r_lo - 0.5), c_hi - c_lo + 1, r_hi - r_lo + 1, fill=False,
                              edgecolor="tab:red", linewidth=2))
    right.set_title(f"|dy/dx| of neuron {neurons[0]}, random weights")
    for ax in (left, right):
        ax.grid(False)
    fig.colorbar(shown, ax=right, fraction=0.046)
    fig.tight_layout()
    return fig
