"""The CUDA-only branches (bf16 autocast, data kept on the device) executed on the CPU, so a typo
there is caught before a GPU is rented: autocast is switched on for "cpu", and the data path is driven on the `meta` device, where a tensor left behind on the CPU
would fail to combine with the others."""

import pytest
import torch
from torch import nn

from hw3core import training
from hw3core.data import TensorImages, synthetic_images, tensor_loader
from hw3core.p3.features import FeatureViews
from hw3core.p3.flowers import FlowerViews
from hw3core.rehearsal import rehearse
from hw3core.settings import get_settings

CPU, META = torch.device("cpu"), torch.device("meta")


@pytest.fixture
def fast_cpu(monkeypatch):
    monkeypatch.setattr(training, "AUTOCAST_DEVICES", {"cuda", "cpu"})


def test_fit_on_the_fast_path_trains_channels_last_in_bf16_autocast(fast_cpu, tmp_path):
    seen = []
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    model[0].register_forward_hook(lambda m, inputs, out: seen.append((inputs[0].is_contiguous(memory_format=torch.channels_last), out.dtype, torch.is_autocast_enabled("cpu"))))
    data = synthetic_images(8, ("a", "b"), seed=0)
    loader = tensor_loader(TensorImages(data, [0.5] * 3, [0.25] * 3, CPU), 8, shuffle=True)
    history = training.fit(model, loader, loader, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), workdir=tmp_path, device=CPU, seed=0)
    assert len(history) == 1 and set(seen) == {(True, torch.bfloat16, True)}
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_the_cpu_trains_channels_last_in_float32(tmp_path):
    """Channels-last is the CPU's layout too (faster convs), but autocast stays CUDA's."""
    seen = []
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    model[0].register_forward_hook(lambda m, inputs, out: seen.append((inputs[0].is_contiguous(memory_format=torch.channels_last), out.dtype)))
    data = synthetic_images(8, ("a", "b"), seed=0)
    loader = tensor_loader(TensorImages(data, [0.5] * 3, [0.25] * 3, CPU), 8, shuffle=True)
    training.fit(model, loader, loader, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), workdir=tmp_path, device=CPU, seed=0)
    assert set(seen) == {(True, torch.float32)}
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not training.channels_last(META)


@pytest.mark.slow
def test_the_studies_run_on_the_fast_path(fast_cpu, capsys):
    """P2 (feature maps, embeddings, triplets) and P3 (extraction, head, scratch) under autocast, cut short."""
    assert rehearse(["p2", "p3-frozen-mobilenet_v2", "p3-scratch"], get_settings(), "smoke") == 0, capsys.readouterr().out


def test_the_meta_device_catches_a_tensor_left_on_the_cpu():
    with pytest.raises((RuntimeError, NotImplementedError)):
        torch.ones(2, device=META) + torch.ones(2)


@pytest.mark.parametrize("augment", [False, True])
def test_the_data_path_keeps_every_batch_on_the_device(augment):
    data = synthetic_images(4, ("a", "b"), seed=0)
    x, y = tensor_loader(TensorImages(data, [0.5] * 3, [0.25] * 3, META, augment=augment), 4, shuffle=True).__iter__().__next__()
    assert (x.device, y.device, x.shape, x.dtype) == (META, META, (4, 3, 32, 32), torch.float32)
    views = FlowerViews(data, 24, [0.5] * 3, [0.25] * 3, META, augment=augment)
    views.set_epoch(1)
    x, y = views[[0, 3, 5]]
    assert (x.device, y.device, x.shape) == (META, META, (3, 3, 24, 24))
    assert training.to_device(x, META).device == META


def test_cached_features_are_served_from_the_device():
    features = FeatureViews(torch.zeros(2, 6, 5), torch.arange(6), META)
    features.set_epoch(3)
    x, y = features[[1, 2]]
    assert (x.device, y.device, x.shape, features.copy) == (META, META, (2, 5), 1)
