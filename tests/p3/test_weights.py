"""P3's pretrained weights: found where torchvision or the data folder keeps them, else a clear MissingWeights."""

import pytest
import torch
from torchvision import models

from hw3core.p3 import weights
from hw3core.settings import get_settings


def test_weights_found_under_the_data_folder_are_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    backbone = weights.BACKBONES["mobilenet_v2"]
    saved = models.mobilenet_v2().state_dict()
    folder = tmp_path / "no-data" / "weights" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(saved, folder / weights.weights_file(backbone))
    model = weights.imagenet_model(backbone, pretrained=True, settings=get_settings())
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())


def test_offline_without_the_file_raises_missing_weights_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    with pytest.raises(weights.MissingWeightsError, match="vgg16-397923af.pth") as raised:
        weights.find_weights(weights.BACKBONES["vgg16"], get_settings())
    assert raised.value.missing.reason == "HW3_OFFLINE is set, no download tried"
    assert str(tmp_path / "no-data" / "weights") in raised.value.missing.searched
