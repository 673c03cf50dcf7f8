"""Layer specs with their closed forms: T1 (a), and the bricks of (b)–(d).

Each spec knows its closed form *and* builds the `nn.Module` it describes, so every
table of the chapter can set the formula's value beside what PyTorch measures on the
real module (`costs.measure`) and the book asserts they agree.

Conventions (stated once, used everywhere in t1):
- shapes are (channels, height, width) per example, or (features,) after Flatten;
- parameters include biases (PyTorch's default `bias=True`); weights and biases are
  also reported apart, so the count without bias is one column away;
- multiplications are the weight-times-activation products (one per multiply-accumulate,
  MAC). Bias additions, ReLU and averaging are not multiplications by weights and are
  not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from torch import nn

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

