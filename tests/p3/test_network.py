"""P3 (c)/(d): backbone without its 1000-way layer, frozen, and a new head; parameter counts."""

import pytest
import torch
from torchvision import models

from hw3core.data import tensor_loader
from hw3core.p3 import network
from hw3core.p3.features import extract_features
from hw3core.p3.flowers import FlowerViews, synthetic_flowers
from hw3core.p3.weights import BACKBONES
from hw3core.training import fit


@pytest.mark.parametrize("name", list(BACKBONES))
def test_parameter_counts_match_pytorch_and_torchvision(name):
    backbone = BACKBONES[name]
    with torch.device("meta"):
        imagenet = backbone.builder()
        net = network.transfer_net(backbone, 102, 0.2, pretrained=False, settings=None)
    assert network.parameter_counts(imagenet)["total"] == backbone.weights.meta["num_params"]
    counts = network.parameter_counts(net)
    head = sum(p.numel() for p in net.head.parameters())
    assert counts["trainable"] == sum(p.numel() for p in net.parameters() if p.requires_grad) == head
    width = net.head[1].in_features
    assert head == width * 102 + 102
    assert counts["total"] == backbone.weights.meta["num_params"] - (width * 1000 + 1000) + head


def test_frozen_backbone_does_not_change_while_the_head_trains(tmp_path):
    torch.manual_seed(0)
    net = network.transfer_net(BACKBONES["mobilenet_v2"], 3, 0.2, pretrained=False, settings=None)
    before = {k: v.clone() for k, v in net.extractor.state_dict().items()}
    head_before = net.head[1].weight.clone()
    data = synthetic_flowers("train", 3, {"train": 4, "val": 0, "test": 0}, 36)
    loader = tensor_loader(FlowerViews(data, 32, [0.5] * 3, [0.25] * 3, torch.device("cpu"), augment=True), 6, shuffle=True)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.9, weight_decay=0.1)  # sees every parameter
    fit(net, loader, loader, epochs=2, optimizer=optimizer, workdir=tmp_path, device=torch.device("cpu"), seed=0)
    after = net.extractor.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and batch-norm statistics
    assert not torch.equal(head_before, net.head[1].weight)
    x, _ = FlowerViews(data, 32, [0.5] * 3, [0.25] * 3, torch.device("cpu"))[[0, 1, 2]]
    cached = extract_features(net.extractor, data.images[:3], lambda b: x, torch.device("cpu"), 8)
    net.eval()
    assert torch.allclose(net.head(cached), net(x), atol=1e-5)


def test_split_classifier_replaces_the_imagenet_layer_by_the_identity():
    model, width = network.split_classifier(models.resnet18(), BACKBONES["resnet50"])  # same "fc" layout
    assert isinstance(model.fc, torch.nn.Identity) and width == 512
    assert model.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 512)
