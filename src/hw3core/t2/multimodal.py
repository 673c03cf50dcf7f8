"""A DenseNet for image + text input, its traced shapes and its drawing: T2 question 4.

A small dense block written here (1-D or 2-D) serves the text branch and the fusion
block; the tests hold it against torchvision's block. The image trunk is torchvision's
DenseNet-121, so ImageNet or domain weights load into it unchanged.

Figures are `Figure()`, not pyplot: a chapter cell that returns one shows it once.
"""

from __future__ import annotations

import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torchvision.models import get_model

from ..diagrams import PALETTE, arrow, box, canvas
from ..shapes import hwc
from ..training import parameter_count
from .connectivity import hyperparameters

class DenseLayer(nn.Module):
    """BN-ReLU-Conv1×1 (bottleneck to width·k maps) then BN-ReLU-Conv3 (k new maps): DenseNet-B."""

    def __init__(self, in_channels: int, growth: int, width: int = 4, dims: int = 2) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
        conv = nn.Conv2d if dims == 2 else nn.Conv1d
        self.body = nn.Sequential(
            norm(in_channels),
            nn.ReLU(inplace=True),
            conv(in_channels, width * growth, 1, bias=False),
            norm(width * growth),
            nn.ReLU(inplace=True),
            conv(width * growth, growth, 3, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class DenseBlock(nn.Module):
    """L dense layers; each sees the concatenation of the block input and all earlier outputs."""

    def __init__(self, in_channels: int, layers: int, growth: int, dims: int = 2) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth, growth, dims=dims) for i in range(layers)
        )
        self.growth = growth
        self.out_channels = in_channels + layers * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        return torch.cat(features, 1)


class ImageTextDenseNet(nn.Module):
    """Image + text classifier: DenseNet-121's first three blocks for the image, a 1-D dense
    block over word embeddings for the text, fused by concatenating the (tiled) text vector
    to the image maps at the input of the last dense block, plus a late skip of the text
    vector to the classifier.

    The image trunk is torchvision's DenseNet-121 so ImageNet or domain weights (e.g.
    CheXNet's) can be loaded into it unchanged.
    """

    def __init__(
        self,
        num_classes: int,
        vocab_size: int,
        embed_dim: int = 128,
        text_layers: int = 6,
        text_dim: int = 128,
    ) -> None:
        super().__init__()
        backbone = get_model("densenet121", weights=None)
        params = hyperparameters(backbone)
        growth = int(params["growth rate"])
        names = [n for n, _ in backbone.features.named_children()]
        self.image_trunk = backbone.features[: names.index("denseblock4")]
        image_channels = backbone.features.denseblock4.denselayer1.norm1.num_features

        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.text_block = DenseBlock(embed_dim, text_layers, growth, dims=1)
        self.text_project = nn.Sequential(
            nn.BatchNorm1d(self.text_block.out_channels),
            nn.ReLU(inplace=True),
            nn.Conv1d(self.text_block.out_channels, text_dim, 1),
        )
        self.fusion_block = DenseBlock(image_channels + text_dim, params["block layers"][-1], growth)
        self.norm = nn.BatchNorm2d(self.fusion_block.out_channels)
        self.classifier = nn.Linear(self.fusion_block.out_channels + text_dim, num_classes)

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        """(batch, length) token ids -> (batch, text_dim), max-pooled over the words."""
        words = self.embed(tokens).transpose(1, 2)
        return self.text_project(self.text_block(words)).amax(dim=2)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        image_maps = self.image_trunk(images)
        text = self.encode_text(tokens)
        tiled = text[:, :, None, None].expand(-1, -1, *image_maps.shape[-2:])
        fused = self.fusion_block(torch.cat([image_maps, tiled], 1))
        pooled = torch.relu(self.norm(fused)).mean((2, 3))
        return self.classifier(torch.cat([pooled, text], 1))


def multimodal_shapes(
    model: ImageTextDenseNet, image_size: int = 224, length: int = 32
) -> dict[str, tuple[int, ...]]:
    """Per-sample shapes at every stage, traced on meta tensors (the model may be on meta)."""
    stages = {
        "image trunk": model.image_trunk,
        "embedding": model.embed,
        "text block": model.text_block,
        "fusion block": model.fusion_block,
        "classifier": model.classifier,
    }
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        m.register_forward_hook(lambda _m, _i, out, n=n: shapes.__setitem__(n, tuple(out.shape[1:])))
        for n, m in stages.items()
    ]
    device = next(model.parameters()).device
    with torch.no_grad():
        model(
            torch.zeros(1, 3, image_size, image_size, device=device),
            torch.zeros(1, length, dtype=torch.long, device=device),
        )
    for hook in hooks:
        hook.remove()
    text_dim = model.classifier.in_features - model.fusion_block.out_channels
    shapes["text vector"] = (text_dim,)
    shapes["fusion input"] = (model.fusion_block.layers[0].body[0].num_features, *shapes["image trunk"][1:])
    shapes["pooled"] = (model.fusion_block.out_channels,)
    return shapes


def multimodal_figure(
    num_classes: int = 14, vocab_size: int = 10_000, image_size: int = 224, length: int = 32
) -> Figure:
    """The proposed image + text DenseNet, every shape traced from ImageTextDenseNet."""
    with torch.device("meta"):
        model = ImageTextDenseNet(num_classes, vocab_size)
    s = multimodal_shapes(model, image_size, length)
    params = {name: parameter_count(part) for name, part in model.named_children()}

    fig, ax = canvas(13.2, 6.4)
    image_in = box(ax, 0.1, 4.6, 1.8, 0.9, f"image\n{hwc((3, image_size, image_size))}", PALETTE["image"])
    trunk = box(
        ax, 2.3, 4.45, 3.3, 1.2,
        f"DenseNet-121 stem +\ndense blocks 1–3 + transitions\nout {hwc(s['image trunk'])}\n"
        f"{params['image_trunk'] / 1e6:.2f} M params",
        PALETTE["image"],
    )
    text_in = box(ax, 0.1, 1.0, 1.8, 0.9, f"text\n{length} token ids", PALETTE["text"])
    # nn.Embedding gives (length, dim), channels already last; hwc takes them first
    embed = box(ax, 2.5, 1.0, 1.6, 0.9, f"embedding\n{hwc(s['embedding'][::-1])}", PALETTE["text"])
    text_block = box(
        ax, 4.5, 0.85, 2.2, 1.2,
        f"1-D dense block\n{len(model.text_block.layers)} layers, k={model.text_block.growth}\n"
        f"out {hwc(s['text block'])}",
        PALETTE["text"],
    )
    text_vec = box(ax, 7.1, 0.95, 1.9, 1.0, f"1×1 conv +\nmax over words\n{hwc(s['text vector'])}", PALETTE["text"])
    tile = box(ax, 6.2, 2.75, 1.6, 0.9, f"tile to\n{hwc((*s['text vector'], *s['image trunk'][1:]))}", PALETTE["text"])
    concat = box(ax, 6.2, 4.6, 1.6, 0.9, f"concat\n{hwc(s['fusion input'])}", PALETTE["fusion"])
    fusion = box(
        ax, 8.25, 4.45, 2.5, 1.2,
        f"dense block 4 (fusion)\n{len(model.fusion_block.layers)} layers, k={model.fusion_block.growth}\nout {hwc(s['fusion block'])}",
        PALETTE["fusion"],
    )
    late = box(ax, 9.45, 2.6, 2.25, 1.2, f"BN-ReLU-GAP {hwc(s['pooled'])}\n+ text vector\n= {model.classifier.in_features}", PALETTE["fusion"])
    head = box(ax, 11.15, 0.95, 2.0, 1.0, f"linear\n{model.classifier.out_features} logits\n(sigmoid/softmax)", PALETTE["head"])
    for a, b in [(image_in, trunk), (text_in, embed), (embed, text_block), (text_block, text_vec)]:
        arrow(ax, a.right, b.left)
    arrow(ax, trunk.right, concat.left)
    arrow(ax, text_vec.top, tile.bottom, curve=0.2)
    arrow(ax, tile.top, concat.bottom)
    arrow(ax, concat.right, fusion.left)
    arrow(ax, fusion.bottom, late.top)
    arrow(ax, text_vec.right, late.bottom, curve=0.3, color="#b45f06", label="late skip")
    arrow(ax, late.right, head.top, curve=-0.3)
    ax.text(0.1, 6.05, "Proposed image + text DenseNet (shapes traced from the PyTorch model)", fontsize=8.5, weight="bold")
    return fig


def multimodal_parameters(num_classes: int = 14, vocab_size: int = 10_000) -> pd.DataFrame:
    """Parameters of each part of the multi-modal model."""
    with torch.device("meta"):
        model = ImageTextDenseNet(num_classes, vocab_size)
    rows = [{"part": name, "parameters": parameter_count(part)} for name, part in model.named_children()]
    rows.append({"part": "total", "parameters": parameter_count(model)})
    return pd.DataFrame(rows)
