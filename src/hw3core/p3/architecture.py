"""P3 (a) and (b): MobileNetV2's architecture read from the model, and its top-k for one image.

Nothing here needs a weights file except `imagenet_classifier`: the stage table, the
parameter count and the preprocessing come from torchvision's model definition and its
`weights` object, which ship with torchvision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import skimage.data
import torch
from PIL import Image
from torch import nn
from torchvision import models
from torchvision.models.mobilenetv2 import InvertedResidual

from ..errors import DataError
from ..images import rgb_tensor
from ..profiles import Profile
from ..settings import Settings, get_settings
from ..shapes import hwc
from ..training import parameter_count
from .weights import BACKBONES, Backbone, MissingWeights, MissingWeightsError, imagenet_model


# --- (a) the architecture of MobileNetV2 -------------------------------------------------


def mobilenet_stages(model: models.MobileNetV2, size: int) -> pd.DataFrame:
    """The stage table of Sandler et al. (Table 2), derived from the modules and one forward pass.

    Each InvertedResidual block gives its expansion t (depthwise width / input width),
    output channels c and stride s; consecutive blocks form one stage (n = their count)
    while they keep the shortcut and the same (t, c). Input and output sizes come from
    forward hooks on a `size`×`size` image.
    """
    shapes: dict[nn.Module, tuple[str, str]] = {}

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        shapes[module] = (hwc(inputs[0].shape[1:]), hwc(output.shape[1:]))

    hooks = [m.register_forward_hook(record) for m in (*model.features, model.classifier)]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for hook in hooks:
        hook.remove()
    rows: list[dict[str, Any]] = []
    for layer in model.features:
        given, produced = shapes[layer]
        if not isinstance(layer, InvertedResidual):
            conv = layer[0]
            operator = f"conv2d {conv.kernel_size[0]}×{conv.kernel_size[1]}"
            rows.append({"operator": operator, "input": given, "t": None, "c": conv.out_channels, "n": 1, "s": conv.stride[0], "output": produced})
            continue
        convs = [m for m in layer.conv.modules() if isinstance(m, nn.Conv2d)]
        depthwise = next(c for c in convs if c.groups > 1)
        t, c, s = depthwise.in_channels // convs[0].in_channels, layer.out_channels, depthwise.stride[0]
        stage = rows[-1]
        if layer.use_res_connect and stage["operator"] == "bottleneck" and (stage["t"], stage["c"]) == (t, c):
            stage["n"] += 1
            stage["output"] = produced
        else:
            rows.append({"operator": "bottleneck", "input": given, "t": t, "c": c, "n": 1, "s": s, "output": produced})
    pooled, logits = shapes[model.classifier]
    linear = model.classifier[-1]
    rows.append({"operator": "avgpool (global)", "input": shapes[model.features[-1]][1], "t": None, "c": linear.in_features, "n": 1, "s": None, "output": pooled})
    rows.append({"operator": "linear (dropout before)", "input": pooled, "t": None, "c": linear.out_features, "n": 1, "s": None, "output": logits})
    frame = pd.DataFrame(rows, columns=["operator", "input", "t", "c", "n", "s", "output"])
    return frame.astype({"t": "Int64", "s": "Int64"})


def with_dashes(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells shown as "—" (for tables in the chapter)."""
    return frame.astype(object).where(frame.notna(), "—")


def inverted_residual_setting(stages: pd.DataFrame) -> list[list[int]]:
    """The [t, c, n, s] rows of the bottleneck stages, as torchvision's builder takes them."""
    rows = stages[stages["operator"] == "bottleneck"]
    return [[int(r.t), int(r.c), int(r.n), int(r.s)] for r in rows.itertuples()]


def preprocessing_table(backbone: Backbone) -> pd.DataFrame:
    """The preprocessing the weights expect, read from `weights.transforms()`."""
    transform = backbone.weights.transforms()
    return pd.DataFrame(
        [
            ("resize (shorter side)", f"{transform.resize_size[0]} px, {transform.interpolation.value}, antialias"),
            ("centre crop", f"{transform.crop_size[0]}×{transform.crop_size[0]}"),
            ("scale", "uint8 [0, 255] → float [0, 1]"),
            ("normalise: mean (R, G, B)", ", ".join(f"{m:.3f}" for m in transform.mean)),
            ("normalise: std (R, G, B)", ", ".join(f"{s:.3f}" for s in transform.std)),
        ],
        columns=["step", "value"],
    )


def mobilenet_summary() -> dict[str, Any]:
    """What (a) reports about MobileNetV2: its stage table, input size, parameters, cost, accuracy.

    The parameter count is PyTorch's, checked against torchvision's record of it, so the
    chapter can say the two agree.
    """
    backbone = BACKBONES["mobilenet_v2"]
    meta = backbone.weights.meta
    crop = backbone.weights.transforms().crop_size[0]
    model = backbone.builder()  # the architecture does not depend on the weights
    parameters = parameter_count(model)
    if parameters != meta["num_params"]:
        raise AssertionError(f"PyTorch counts {parameters:,} parameters, torchvision records {meta['num_params']:,}")
    return {
        "stages": mobilenet_stages(model, crop),
        "crop": crop,
        "parameters": parameters,
        "gflops": meta["_ops"],
        "top1": meta["_metrics"]["ImageNet-1K"]["acc@1"],
        "weights": str(backbone.weights).split(".")[-1],
        "classes": len(meta["categories"]),
    }


# --- (b) top-k predictions for one image ------------------------------------------------


class ImageReadError(DataError, ValueError):
    """An image path that does not exist or is not a decodable image."""


def read_image(path: str | Path) -> torch.Tensor:
    """A uint8 RGB image [3, H, W] from any file Pillow can decode, or a clear error."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ImageReadError(f"no image file at {path}; set HW3_P3_IMAGE to the path of a JPEG or PNG photo")
    try:
        with Image.open(path) as image:
            return rgb_tensor(image)
    except (OSError, ValueError) as error:  # UnidentifiedImageError is an OSError
        raise ImageReadError(f"{path} could not be decoded as an image (JPEG, PNG, ...): {error}") from error


def example_image(settings: Settings | None = None) -> tuple[torch.Tensor, str]:
    """The image for (b): the settings' HW3_P3_IMAGE, else scikit-image's `chelsea` (a tabby cat)."""
    chosen = (settings or get_settings()).p3_image
    if chosen is not None:
        return read_image(chosen), chosen.name
    return torch.from_numpy(skimage.data.chelsea()).permute(2, 0, 1).contiguous(), "skimage.data.chelsea()"


def imagenet_classifier(profile: Profile | None = None, settings: Settings | None = None) -> nn.Module | MissingWeights:
    """Pretrained MobileNetV2 (randomly initialised under smoke), or why it is missing."""
    settings = settings or get_settings()
    profile = profile or settings.profile
    try:
        return imagenet_model(BACKBONES["mobilenet_v2"], profile != "smoke", settings).eval()
    except MissingWeightsError as error:
        return error.missing


def preprocessed(image: torch.Tensor, backbone: Backbone = BACKBONES["mobilenet_v2"]) -> torch.Tensor:
    """The network's input for `image`: `weights.transforms()` (resize, centre crop,
    normalise), which needs no weights file, so (b) can show it without them."""
    return backbone.weights.transforms()(image)


@torch.no_grad()
def top_k(model: nn.Module, image: torch.Tensor, k: int = 5, backbone: Backbone = BACKBONES["mobilenet_v2"]) -> pd.DataFrame:
    """The k most probable ImageNet classes (names from `weights.meta`) with softmax probabilities."""
    x = preprocessed(image, backbone).unsqueeze(0)
    probabilities = model.eval()(x).softmax(dim=1)[0]
    values, indices = probabilities.topk(k)
    categories = backbone.weights.meta["categories"]
    return pd.DataFrame({"rank": range(1, k + 1), "class": [categories[i] for i in indices.tolist()], "probability": values.tolist()})
