"""Parameters and multiplications measured on the real modules: the tables of T1 (b), (c), (d).

`measure` is the check the question asks for: `parameters()`, a forward pass for the
shape, and `FlopCounterMode` for the multiplications. The counter reports FLOPs =
2 x MACs (a multiply and an add) for convolutions and matrix products, so
multiplications = FLOPs / 2 (the bias convention is in `layers`).

Figures are made with `Figure()`, not pyplot: a chapter cell that returns one then shows
it once (the inline backend would display a pyplot figure a second time).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .. import figures
from ..shapes import hwc
from ..training import parameter_count
from .layers import Conv, Layer, SeparableConv, Shape
from .networks import BACKBONES, HEADS, INPUT_SHAPE, build, separable_convs, standard_convs

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
    params = parameter_count(module)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(torch.zeros(1, *input_shape, device=device))
    flops = counter.get_total_flops()
    assert flops % 2 == 0, f"FlopCounterMode reported an odd FLOP count {flops}: not 2 x MACs"
    return Measured(tuple(out.shape[1:]), params, flops // 2)


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
                "output (formula)": hwc(out),
                "output (PyTorch)": hwc(measured.shape),
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


def channels_for_speedup(speedup: float, kernel: int) -> int:
    """The fewest output channels N at which a separable K x K layer saves `speedup` times the
    multiplications: K²N / (N + K²) >= speedup, i.e. N >= speedup K² / (K² - speedup).

    The saving only approaches K² as N grows, so MobileNet's "8 to 9 times" for 3 x 3
    kernels holds from N = 72 on, not at every width.
    """
    if not 0 < speedup < kernel**2:
        raise ValueError(f"a separable {kernel}x{kernel} layer saves less than {kernel**2} times, not {speedup}")
    return math.ceil(speedup * kernel**2 / (kernel**2 - speedup))


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
    """Bar charts (log scale) of total parameters and multiplications per architecture,
    one colour per backbone: (b) standard convolutions, (c) depthwise-separable ones."""
    fig = Figure(figsize=(figures.FULL_WIDTH_IN, 3.0))
    axes = fig.subplots(1, 2, sharey=True)
    backbones = {"(b)": "(b) standard convs", "(c)": "(c) separable convs"}
    for ax, column, quantity in zip(axes, ["total (PyTorch)", "total mults"], ["parameters", "multiplications"]):
        for (backbone, rows), colour in zip(heads.groupby("backbone", sort=False), ["tab:blue", "tab:orange"]):
            labels = [f"{backbone} {head}" for head in rows["head"]]
            ax.barh(labels, rows[column], color=colour, label=backbones.get(backbone, backbone))
        for y, value in enumerate(heads[column]):
            ax.text(value, y, f" {value / 1e6:.2f}M", va="center", fontsize=figures.FLOOR_PT)
        ax.set_xscale("log")
        ax.set_xlim(right=heads[column].max() * 8)
        ax.set_xlabel(f"{quantity} (log scale)")
        ax.tick_params(labelsize=8)
    axes[0].invert_yaxis()
    axes[0].set_ylabel("backbone and head")
    axes[1].tick_params(labelleft=False)
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
