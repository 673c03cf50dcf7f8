"""hw3core.shapes: one way to write a shape, channels last (H×W×C, as the assignment does)."""

import torch
from torch import nn

from hw3core.shapes import hwc


def test_channels_move_last_whatever_the_rank():
    assert hwc((64, 32, 16)) == "32×16×64"
    assert hwc((320, 32)) == "32×320"
    assert hwc((128,)) == "128"


def test_a_traced_feature_map_reads_height_width_channels():
    out = nn.Conv2d(3, 8, 3, stride=2, padding=1)(torch.zeros(1, 3, 10, 6))
    assert hwc(out.shape[1:]) == "5×3×8"
