"""Each layer spec's closed forms (hw3core.t1.layers, T1 (a)) against the real PyTorch module."""

import pytest
import torch
from torch import nn

from hw3core.t1 import costs, layers

SPEC_CASES = [
    (layers.Conv("c", 7, kernel=3, stride=1, padding=1), (4, 11, 13)),
    (layers.Conv("c", 5, kernel=5, stride=2, padding=2), (3, 16, 9)),
    (layers.Conv("c", 2, kernel=4, stride=3, padding=0), (6, 20, 17)),
    (layers.Depthwise("d", kernel=3, stride=2, padding=1), (5, 12, 15)),
    (layers.SeparableConv("s", 8, kernel=5, stride=2, padding=2), (6, 16, 16)),
    (layers.SeparableConv("s", 3, kernel=3, stride=1, padding=0), (4, 9, 10)),
    (layers.Flatten(), (3, 4, 5)),
    (layers.GlobalAvgPool(), (6, 5, 7)),
    (layers.Linear("fc", 9), (37,)),
]


@pytest.mark.parametrize("size,kernel,stride,padding", [(128, 5, 2, 2), (64, 3, 1, 1), (31, 4, 3, 0), (7, 7, 1, 3)])
def test_output_size_formula_matches_a_real_convolution(size, kernel, stride, padding):
    out = nn.Conv2d(1, 1, kernel, stride, padding)(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == layers.conv_output_size(size, kernel, stride, padding)


@pytest.mark.parametrize("layer,shape", SPEC_CASES, ids=[f"{type(l).__name__}-{s}" for l, s in SPEC_CASES])
def test_every_closed_form_matches_pytorch_on_cpu(layer, shape):
    module = layer.module(shape)
    measured = costs.measure(lambda: module, shape, device="cpu")
    assert measured.shape == layer.output_shape(shape)
    assert measured.params == layer.weights(shape) + layer.biases(shape)
    assert measured.mults == layer.mults(shape)
    weights = sum(p.numel() for n, p in module.named_parameters() if n.endswith("weight"))
    assert weights == layer.weights(shape)
