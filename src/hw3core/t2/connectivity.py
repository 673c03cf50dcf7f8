"""Dense connectivity inside DenseNet-121, read from its modules: T2 question 1.

Growth rate, bottleneck width, compression and the channels each dense layer receives
are asked of torchvision's modules and traced in one forward pass, then set beside the
paper's formulas; `connectivity_figure` draws residual against dense connections.
"""

from __future__ import annotations

import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torchvision.models import DenseNet

from ..diagrams import PALETTE, arrow, box, canvas

def hyperparameters(model: DenseNet) -> dict[str, float | int | tuple[int, ...]]:
    """Growth rate, bottleneck width, compression and block sizes, asked of the modules."""
    blocks = [m for n, m in model.features.named_children() if n.startswith("denseblock")]
    transition = model.features.transition1
    first = blocks[0].denselayer1
    return {
        "initial features": first.norm1.num_features,
        "growth rate": first.conv2.out_channels,
        "bottleneck width": first.conv1.out_channels // first.conv2.out_channels,
        "compression": transition.conv.out_channels / transition.conv.in_channels,
        "block layers": tuple(len(b) for b in blocks),
    }


def dense_layer_table(model: DenseNet, block: int = 1, size: int = 224) -> pd.DataFrame:
    """Per layer of one dense block: how many maps it receives, what it adds, what follows.

    The channel counts are traced in a forward pass (the list of earlier feature maps a
    layer receives is exactly what torchvision hands it) and set beside k0 + (l-1)·k.
    """
    layers = getattr(model.features, f"denseblock{block}")
    params = hyperparameters(model)
    rows: list[dict[str, int]] = []

    def record(layer: nn.Module, args: tuple) -> None:
        inputs = args[0] if isinstance(args[0], list) else [args[0]]
        rows.append({"inputs": len(inputs), "in channels": sum(t.shape[1] for t in inputs)})

    handles = [layer.register_forward_pre_hook(record) for layer in layers.values()]
    outputs = _trace(model, dict(layers.named_children()), size)
    for handle in handles:
        handle.remove()
    k0 = rows[0]["in channels"]
    growth = int(params["growth rate"])
    frame = pd.DataFrame(rows)
    frame.insert(0, "layer", range(1, len(frame) + 1))
    frame["k0 + (l-1)k"] = [k0 + (i - 1) * growth for i in frame["layer"]]
    frame["new channels"] = [shape[1] for shape in outputs.values()]
    frame["channels after concat"] = frame["in channels"] + frame["new channels"]
    return frame


def dense_block_table(model: DenseNet, size: int = 224) -> pd.DataFrame:
    """Per dense block: size, k0, layers, output channels (traced and by formula), transition."""
    params = hyperparameters(model)
    named = dict(model.features.named_children())
    shapes = _trace(model, named, size)
    rows = []
    for index, layers in enumerate(params["block layers"], start=1):
        block = named[f"denseblock{index}"]
        k0 = block.denselayer1.norm1.num_features
        transition = shapes.get(f"transition{index}")
        rows.append(
            {
                "block": index,
                "grid": f"{shapes[f'denseblock{index}'][2]}×{shapes[f'denseblock{index}'][3]}",
                "layers L": layers,
                "k0": k0,
                "k0 + L·k": k0 + layers * int(params["growth rate"]),
                "out channels (traced)": shapes[f"denseblock{index}"][1],
                "after transition": transition[1] if transition else None,
            }
        )
    frame = pd.DataFrame(rows)
    frame["after transition"] = frame["after transition"].astype("Int64")
    return frame


def _trace(model: nn.Module, modules: dict[str, nn.Module], size: int) -> dict[str, tuple]:
    """Output shapes of the named submodules in one forward pass of a size×size image."""
    shapes: dict[str, tuple] = {}
    hooks = [
        module.register_forward_hook(
            lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape))
        )
        for name, module in modules.items()
    ]
    device = next(model.parameters()).device
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size, device=device))
    for hook in hooks:
        hook.remove()
    return shapes


def dense_connections(layers: int) -> int:
    """Direct connections in an L-layer dense block: layer l receives l inputs, so L(L+1)/2."""
    return layers * (layers + 1) // 2


def connectivity_figure(layers: int = 4) -> Figure:
    """Residual (one identity path per layer, added) against dense (every earlier map, concatenated).

    Straight arrows are the layers H_l; arcs are the extra paths each design adds.
    """
    spacing, size = 1.7, 0.6
    width = spacing * layers + 2.2
    fig, ax = canvas(width, 5.4)
    rows = [
        (r"ResNet: $x_\ell = H_\ell(x_{\ell-1}) + x_{\ell-1}$  (addition)", 3.8, PALETTE["image"], "#1f77b4", layers),
        (r"DenseNet: $x_\ell = H_\ell([x_0, x_1, \ldots, x_{\ell-1}])$  (concatenation)", 1.45, PALETTE["fusion"], "#2ca02c",
         dense_connections(layers)),
    ]
    for row, (title, y, color, line, connections) in enumerate(rows):
        ax.text(0.1, y + 1.2, title, fontsize=8, weight="bold")
        boxes = [box(ax, 0.2 + i * spacing, y, size, size, f"$x_{i}$", color) for i in range(layers + 1)]
        for i in range(1, layers + 1):
            arrow(ax, boxes[i - 1].right, boxes[i].left, label=f"$H_{i}$")
            if row == 0:
                arrow(ax, boxes[i - 1].top, boxes[i].top, curve=-0.45, color=line)
                ax.text(boxes[i].top[0] - 0.12, y + size + 0.05, "+", color=line, fontsize=10, weight="bold")
            for j in range(i - 1) if row == 1 else ():
                arrow(ax, boxes[j].bottom, boxes[i].bottom, curve=0.35, color=line)
        ax.text(spacing * layers + 1.0, y + 0.15, f"{connections} layer\ninputs", fontsize=7.5)
    return fig
