"""Transfer learning (P3): architecture read from the model, frozen features, weights, top-k."""

import shutil

import pytest
import torch
from PIL import Image
from torch import nn
from torchvision import models

from hw3core import experiments
from hw3core.p3 import study as transfer
from hw3core.data import tensor_loader
from hw3core.p3.flowers import FlowerViews, synthetic_flowers
from hw3core.settings import get_settings
from hw3core.training import fit

# torchvision's default inverted_residual_setting (Sandler et al. 2018, Table 2): [t, c, n, s]
TORCHVISION_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]


def test_stage_table_recovers_torchvision_setting_and_shapes():
    model = models.mobilenet_v2()
    stages = transfer.mobilenet_stages(model, 224)
    assert transfer.inverted_residual_setting(stages) == TORCHVISION_SETTING
    features = model.features(torch.zeros(1, 3, 224, 224))
    assert stages.iloc[-3]["output"] == f"{features.shape[2]}×{features.shape[3]}×{features.shape[1]}"
    assert stages.iloc[-1]["c"] == 1000 and stages.iloc[0]["output"] == "112×112×32"


def test_stage_table_recovers_a_custom_setting():
    setting = [[1, 8, 1, 1], [3, 16, 3, 2], [4, 24, 2, 1], [2, 40, 2, 2]]  # widths are multiples of 8 in torchvision
    stages = transfer.mobilenet_stages(models.MobileNetV2(num_classes=5, inverted_residual_setting=setting), 64)
    assert transfer.inverted_residual_setting(stages) == setting
    assert stages.iloc[-1]["output"] == "5"


@pytest.mark.parametrize("name", list(transfer.BACKBONES))
def test_parameter_counts_match_pytorch_and_torchvision(name):
    backbone = transfer.BACKBONES[name]
    with torch.device("meta"):
        imagenet = backbone.builder()
        net = transfer.transfer_net(backbone, 102, 0.2, pretrained=False, settings=None)
    assert transfer.parameter_counts(imagenet)["total"] == backbone.weights.meta["num_params"]
    counts = transfer.parameter_counts(net)
    head = sum(p.numel() for p in net.head.parameters())
    assert counts["trainable"] == sum(p.numel() for p in net.parameters() if p.requires_grad) == head
    width = net.head[1].in_features
    assert head == width * 102 + 102
    assert counts["total"] == backbone.weights.meta["num_params"] - (width * 1000 + 1000) + head


def test_frozen_backbone_does_not_change_while_the_head_trains(tmp_path):
    torch.manual_seed(0)
    net = transfer.transfer_net(transfer.BACKBONES["mobilenet_v2"], 3, 0.2, pretrained=False, settings=None)
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
    cached = transfer.extract_features(net.extractor, data.images[:3], lambda b: x, torch.device("cpu"), 8, "t")
    net.eval()
    assert torch.allclose(net.head(cached), net(x), atol=1e-5)


def test_features_are_computed_once_and_reused(monkeypatch):
    calls = []
    extract = transfer.extract_features

    def counting(*args, **kwargs):
        calls.append(1)
        return extract(*args, **kwargs)

    monkeypatch.setattr(transfer, "extract_features", counting)
    first = transfer.frozen_outcome("mobilenet_v2")
    assert len(calls) == 3 + transfer.features_config("smoke", "mobilenet_v2")["augmented_copies"]
    experiments.result(transfer.features_name("mobilenet_v2"))
    shutil.rmtree(first.directory)  # the head retrains; the features come from the cache
    again = transfer.frozen_outcome("mobilenet_v2")
    assert len(calls) == 4 and again.metrics["final"].keys() == {"train", "val", "test"}
    assert experiments.result(transfer.features_name("mobilenet_v2")).load("features.pt")["train"]["features"].shape[:2] == (2, 24)


def test_missing_weights_give_the_clear_message_and_no_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    monkeypatch.delenv("HW3_OFFLINE")

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    missing = transfer.frozen_outcome("resnet50", profile="quick")
    assert isinstance(missing, transfer.MissingWeights)
    assert missing.file == "resnet50-0676ba61.pth" and missing.reason == "OSError"
    assert "resnet50-0676ba61.pth" in missing.note().data and "resnet50-0676ba61.pth" in missing.message()
    assert isinstance(transfer.imagenet_classifier("quick"), transfer.MissingWeights)
    table = transfer.comparison_table({"resnet50": missing}, profile="quick")
    assert (table.filter(like="(%)").iloc[0] == "—").all() and table.iloc[0]["extract (s)"] == "—"
    assert table.iloc[0]["parameters"] == f"{transfer.frozen_parameters('resnet50', 'quick')['total']:,}"
    assert not list((tmp_path / "cache").glob("p3-*/*"))  # nothing was run or cached


def test_weights_found_under_the_data_folder_are_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    backbone = transfer.BACKBONES["mobilenet_v2"]
    saved = models.mobilenet_v2().state_dict()
    folder = tmp_path / "no-data" / "weights" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(saved, folder / transfer.weights_file(backbone))
    model = transfer.imagenet_model(backbone, pretrained=True, settings=get_settings())
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())


def test_top_k_is_sorted_named_and_a_probability():
    torch.manual_seed(0)
    model = models.mobilenet_v2().eval()
    nn.init.normal_(model.classifier[1].bias)  # random init alone gives near-equal logits (ties)
    image, source = transfer.example_image()
    table = transfer.top_k(model, image, k=5)
    categories = models.MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"]
    assert source == "skimage.data.chelsea()" and len(table) == 5
    assert table["probability"].is_monotonic_decreasing and 0 < table["probability"].sum() <= 1
    with torch.no_grad():
        best = model(models.MobileNet_V2_Weights.IMAGENET1K_V1.transforms()(image).unsqueeze(0)).argmax().item()
    assert table["class"].iloc[0] == categories[best] and set(table["class"]) <= set(categories)


def test_unreadable_images_raise_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(transfer.ImageReadError, match="no image file"):
        transfer.read_image(tmp_path / "absent.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_text("not a picture")
    monkeypatch.setenv(transfer.IMAGE_ENV, str(broken))
    with pytest.raises(transfer.ImageReadError, match="could not be decoded"):
        transfer.example_image()


def test_image_from_the_environment_is_used(tmp_path, monkeypatch):
    Image.new("RGB", (30, 20), (10, 200, 30)).save(tmp_path / "green.png")
    monkeypatch.setenv(transfer.IMAGE_ENV, str(tmp_path / "green.png"))
    image, source = transfer.example_image()
    assert source == "green.png" and image.shape == (3, 20, 30) and image[1].float().mean() == 200
