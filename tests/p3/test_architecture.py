"""P3 (a)/(b): the stage table read from the model, MobileNetV2's summary, top-k for one image."""

import pytest
import torch
from PIL import Image
from torch import nn
from torchvision import models

from hw3core.p3 import architecture
from hw3core.p3.weights import BACKBONES

# torchvision's default inverted_residual_setting (Sandler et al. 2018, Table 2): [t, c, n, s]
TORCHVISION_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]


def test_stage_table_recovers_torchvision_setting_and_shapes():
    model = models.mobilenet_v2()
    stages = architecture.mobilenet_stages(model, 224)
    assert architecture.inverted_residual_setting(stages) == TORCHVISION_SETTING
    features = model.features(torch.zeros(1, 3, 224, 224))
    assert stages.iloc[-3]["output"] == f"{features.shape[2]}×{features.shape[3]}×{features.shape[1]}"
    assert stages.iloc[-1]["c"] == 1000 and stages.iloc[0]["output"] == "112×112×32"


def test_stage_table_recovers_a_custom_setting():
    setting = [[1, 8, 1, 1], [3, 16, 3, 2], [4, 24, 2, 1], [2, 40, 2, 2]]  # widths are multiples of 8 in torchvision
    stages = architecture.mobilenet_stages(models.MobileNetV2(num_classes=5, inverted_residual_setting=setting), 64)
    assert architecture.inverted_residual_setting(stages) == setting
    assert stages.iloc[-1]["output"] == "5"


def test_mobilenet_summary_reads_the_model_and_its_weights_record():
    summary = architecture.mobilenet_summary()
    meta = models.MobileNet_V2_Weights.IMAGENET1K_V1.meta
    assert summary["parameters"] == sum(p.numel() for p in models.mobilenet_v2().parameters()) == meta["num_params"]
    assert summary["crop"] == 224 and summary["classes"] == 1000 and summary["weights"] == "IMAGENET1K_V1"
    assert architecture.inverted_residual_setting(summary["stages"]) == TORCHVISION_SETTING


def test_top_k_is_sorted_named_and_a_probability():
    torch.manual_seed(0)
    model = models.mobilenet_v2().eval()
    nn.init.normal_(model.classifier[1].bias)  # random init alone gives near-equal logits (ties)
    image, source = architecture.example_image()
    table = architecture.top_k(model, image, k=5)
    categories = models.MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"]
    assert source == "skimage.data.chelsea()" and len(table) == 5
    assert table["probability"].is_monotonic_decreasing and 0 < table["probability"].sum() <= 1
    with torch.no_grad():
        best = model(models.MobileNet_V2_Weights.IMAGENET1K_V1.transforms()(image).unsqueeze(0)).argmax().item()
    assert table["class"].iloc[0] == categories[best] and set(table["class"]) <= set(categories)


def test_unreadable_images_raise_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(architecture.ImageReadError, match="no image file"):
        architecture.read_image(tmp_path / "absent.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_text("not a picture")
    monkeypatch.setenv("HW3_P3_IMAGE", str(broken))
    with pytest.raises(architecture.ImageReadError, match="could not be decoded"):
        architecture.example_image()


def test_image_from_the_environment_is_used(tmp_path, monkeypatch):
    Image.new("RGB", (30, 20), (10, 200, 30)).save(tmp_path / "green.png")
    monkeypatch.setenv("HW3_P3_IMAGE", str(tmp_path / "green.png"))
    image, source = architecture.example_image()
    assert source == "green.png" and image.shape == (3, 20, 30) and image[1].float().mean() == 200


def test_the_preprocessed_input_needs_no_weights_and_is_what_top_k_feeds_the_network():
    image, _ = architecture.example_image()
    x = architecture.preprocessed(image)
    crop = BACKBONES["mobilenet_v2"].weights.transforms().crop_size[0]
    assert x.shape == (3, crop, crop) and x.dtype == torch.float32
    assert x.min() < 0 < x.max()  # normalised around ImageNet's mean, no longer in [0, 1]
    fed = []
    model = BACKBONES["mobilenet_v2"].builder().eval()
    model.register_forward_pre_hook(lambda module, inputs: fed.append(inputs[0]))
    architecture.top_k(model, image, k=3)
    assert torch.equal(fed[0][0], x)
