"""The networks of T1 (b), (c) and (d), as lists of layer specs, and what a list builds.

A network is a plain list of `layers` specs: its output shape follows from the closed
forms alone (`output_shape`), and `build` makes the nn.Sequential it describes, each
layer built for the shape that reaches it.
"""

from __future__ import annotations

from torch import nn

from .layers import Conv, Flatten, GlobalAvgPool, Layer, Linear, SeparableConv, Shape

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


# Part (d): the classifier heads put after either backbone, the FC of the question first.
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

