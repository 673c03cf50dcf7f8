"""The paper's U-Net: closed-form sizes against forward passes of the real module."""

import pytest
import torch

from hw3core.t3 import unet


@pytest.mark.parametrize("input_size,depth", [(572, 4), (252, 4), (188, 3), (92, 2)])
def test_closed_form_sizes_match_the_modules_forward_pass(input_size, depth):
    closed = unet.size_table(input_size, depth, base=8)
    measured = unet.measured_size_table(input_size, depth, base=8)
    assert closed.equals(measured)
    assert (closed["cropped per side"] >= 0).all()


def test_a_real_forward_pass_gives_the_papers_output_tile():
    model = unet.UNet(in_channels=1, classes=2, base=2)
    out = model(torch.zeros(1, 1, 572, 572))
    assert tuple(out.shape) == (1, 2, 388, 388)
    assert unet.size_table()["decoder output"].iloc[0] == 388


def test_the_paper_network_has_23_convolutional_layers():
    facts = unet.paper_unet_facts()
    assert facts["conv layers"] == 23
    assert facts["output size"] == unet.size_table()["decoder output"].iloc[0]
    model = unet.UNet(base=4)
    assert sum(p.numel() for p in model.parameters()) < facts["parameters"]


def test_center_crop_takes_the_middle():
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    crop = unet.center_crop(x, 2)
    assert crop.flatten().tolist() == [14.0, 15.0, 20.0, 21.0]
