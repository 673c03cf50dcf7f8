"""DenseNet against ResNet (chapter T2): channel growth, counts, gradient flow, drawings.

Every number the chapter states is read from torchvision's own builders, built without
weights on the meta device: parameter counts and tensor shapes are exact there and no
memory or arithmetic is spent. The published ImageNet accuracies come from the weights
enums' metadata (no download). A small dense block written here serves the multi-modal
model of the last question and is checked against torchvision's block in the tests.

Figures are built as matplotlib.figure.Figure, not through pyplot: a chapter cell that
returns one then shows it exactly once (pyplot's inline backend would show it again)
and no figure piles up in pyplot's registry.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import DenseNet, get_model, get_model_weights

from ..diagrams import PALETTE, arrow, box, canvas

DENSENETS = ("densenet121", "densenet169", "densenet201", "densenet161")
RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")


# --- counting on torchvision's models ---------------------------------------------------


def build(name: str, device: str = "meta") -> nn.Module:
    """A torchvision ImageNet classifier without weights, on the meta device by default, in
    eval mode (nothing here trains; eval makes batch norm cheaper to trace)."""
    with torch.device(device):
        return get_model(name, weights=None).eval()


def count_parameters(model: nn.Module) -> int:
    """All parameters, trainable or not (DenseNet and ResNet freeze none)."""
    return sum(p.numel() for p in model.parameters())


def count_flops(model: nn.Module, size: int = 224) -> int:
    """FLOPs of one forward pass on a size×size RGB image (one multiply-add = 2 FLOPs).

    torch's counter covers convolutions and matrix products, which is where all the
    multiplications are; normalisation, activations and pooling are not counted.
    """
    device = next(model.parameters()).device
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size, device=device))
    return counter.get_total_flops()


def published_top1(name: str) -> float:
    """ImageNet top-1 (%) of torchvision's original-recipe weights, from the enum's metadata."""
    return get_model_weights(name).IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]["acc@1"]


def family_table(names: tuple[str, ...] = DENSENETS + RESNETS, size: int = 224) -> pd.DataFrame:
    """Parameters, multiply-adds at size×size and published top-1 for each model."""
    rows = []
    for name in names:
        model = build(name)
        rows.append(
            {
                "model": name,
                "family": "DenseNet" if name.startswith("densenet") else "ResNet",
                "parameters (M)": count_parameters(model) / 1e6,
                "multiply-adds (G)": count_flops(model, size) / 2e9,
                "ImageNet top-1 (%)": published_top1(name),
            }
        )
    return pd.DataFrame(rows)


def family_figure(table: pd.DataFrame) -> Figure:
    """Top-1 against parameters and against multiply-adds, one line per family."""
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, column in zip(axes, ["parameters (M)", "multiply-adds (G)"]):
        for family, rows in table.groupby("family", sort=False):
            rows = rows.sort_values(column)
            ax.plot(rows[column], rows["ImageNet top-1 (%)"], "o-", label=family)
            for _, row in rows.iterrows():
                ax.annotate(
                    row["model"].replace("densenet", "D-").replace("resnet", "R-"),
                    (row[column], row["ImageNet top-1 (%)"]),
                    textcoords="offset points",
                    xytext=(3, -9),
                    fontsize=6.5,
                )
        ax.set_xlabel(column)
    axes[0].set_ylabel("ImageNet top-1 (%)")
    axes[0].legend()
    return fig


# --- channels inside DenseNet-121, read from its modules -----------------------------------


def hyperparameters(model: DenseNet) -> dict[str, float | int | tuple[int, ...]]:
    """Growth rate, bottleneck width, compression and block sizes, asked of the modules."""
    blocks = [m for n, m in model.features.named_children() if n.startswith("denseblock")]
    transition = model.features.transition1
    first = blocks[0].denselayer1
    return {
        "initial features": first.norm1.num_features,
        "growth rate": first.conv2.out_channels,
        "bottleneck width": first.conv1.out_channels // first.conv2.out_channels,
        "compression": transition.conv.out_channels / transition.conv.in_channels,
        "block layers": tuple(len(b) for b in blocks),
    }


def dense_layer_table(model: DenseNet, block: int = 1, size: int = 224) -> pd.DataFrame:
    """Per layer of one dense block: how many maps it receives, what it adds, what follows.

    The channel counts are traced in a forward pass (the list of earlier feature maps a
    layer receives is exactly what torchvision hands it) and set beside k0 + (l-1)·k.
    """
    layers = getattr(model.features, f"denseblock{block}")
    params = hyperparameters(model)
    rows: list[dict[str, int]] = []

    def record(layer: nn.Module, args: tuple) -> None:
        inputs = args[0] if isinstance(args[0], list) else [args[0]]
        rows.append({"inputs": len(inputs), "in channels": sum(t.shape[1] for t in inputs)})

    handles = [layer.register_forward_pre_hook(record) for layer in layers.values()]
    outputs = _trace(model, dict(layers.named_children()), size)
    for handle in handles:
        handle.remove()
    k0 = rows[0]["in channels"]
    growth = int(params["growth rate"])
    frame = pd.DataFrame(rows)
    frame.insert(0, "layer", range(1, len(frame) + 1))
    frame["k0 + (l-1)k"] = [k0 + (i - 1) * growth for i in frame["layer"]]
    frame["new channels"] = [shape[1] for shape in outputs.values()]
    frame["channels after concat"] = frame["in channels"] + frame["new channels"]
    return frame


def dense_block_table(model: DenseNet, size: int = 224) -> pd.DataFrame:
    """Per dense block: size, k0, layers, output channels (traced and by formula), transition."""
    params = hyperparameters(model)
    named = dict(model.features.named_children())
    shapes = _trace(model, named, size)
    rows = []
    for index, layers in enumerate(params["block layers"], start=1):
        block = named[f"denseblock{index}"]
        k0 = block.denselayer1.norm1.num_features
        transition = shapes.get(f"transition{index}")
        rows.append(
            {
                "block": index,
                "grid": f"{shapes[f'denseblock{index}'][2]}×{shapes[f'denseblock{index}'][3]}",
                "layers L": layers,
                "k0": k0,
                "k0 + L·k": k0 + layers * int(params["growth rate"]),
                "out channels (traced)": shapes[f"denseblock{index}"][1],
                "after transition": transition[1] if transition else None,
            }
        )
    frame = pd.DataFrame(rows)
    frame["after transition"] = frame["after transition"].astype("Int64")
    return frame


def _trace(model: nn.Module, modules: dict[str, nn.Module], size: int) -> dict[str, tuple]:
    """Output shapes of the named submodules in one forward pass of a size×size image."""
    shapes: dict[str, tuple] = {}
    hooks = [
        module.register_forward_hook(
            lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape))
        )
        for name, module in modules.items()
    ]
    device = next(model.parameters()).device
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size, device=device))
    for hook in hooks:
        hook.remove()
    return shapes


def dense_connections(layers: int) -> int:
    """Direct connections in an L-layer dense block: layer l receives l inputs, so L(L+1)/2."""
    return layers * (layers + 1) // 2


# --- why gradients survive: one deep stack, three kinds of connection ----------------------

Connection = Literal["plain", "residual", "dense"]


class DepthProbe(nn.Module):
    """A deep stack of ReLU-conv layers joined plainly, by addition, or by concatenation.

    There is deliberately no normalisation and the init is PyTorch's default: that
    exposes what the connections alone do to the backward signal, which batch norm and
    careful initialisation otherwise partly hide.
    """

    def __init__(self, connection: Connection, depth: int, width: int, growth: int) -> None:
        super().__init__()
        self.connection = connection
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        dense = connection == "dense"
        self.layers = nn.ModuleList(
            nn.Sequential(
                nn.ReLU(),
                nn.Conv2d(width + i * growth if dense else width, growth if dense else width, 3, padding=1),
            )
            for i in range(depth)
        )
        self.head = nn.Linear(width + depth * growth if dense else width, 10)
        self.outputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.outputs = []
        features = [self.stem(x)]
        for layer in self.layers:
            if self.connection == "dense":
                out = layer(torch.cat(features, 1))
                features.append(out)
            else:
                out = layer(features[-1])
                features.append(out + features[-1] if self.connection == "residual" else out)
            out.retain_grad()
            self.outputs.append(out)
        final = torch.cat(features, 1) if self.connection == "dense" else features[-1]
        return self.head(final.mean((2, 3)))


def gradient_flow(depth: int = 40, width: int = 32, growth: int = 12, seed: int = 0) -> pd.DataFrame:
    """‖∂loss/∂(output of layer l)‖ at initialisation, divided by the last layer's, per connection.

    One batch of random 8×8 images with random labels is enough: the question is only
    how much of the loss's gradient reaches each depth.
    """
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(16, 3, 8, 8, generator=generator)
    labels = torch.randint(0, 10, (16,), generator=generator)
    frame = pd.DataFrame({"layer": range(1, depth + 1)})
    for connection in ("plain", "residual", "dense"):
        torch.manual_seed(seed)
        model = DepthProbe(connection, depth, width, growth)
        nn.functional.cross_entropy(model(images), labels).backward()
        norms = torch.stack([out.grad.norm() for out in model.outputs])
        frame[connection] = (norms / norms[-1]).numpy()
    return frame


def gradient_flow_figure(frame: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(6.5, 3.2), layout="constrained")
    ax = fig.subplots()
    for connection in ("plain", "residual", "dense"):
        ax.semilogy(frame["layer"], frame[connection], label=connection)
    ax.set_xlabel("layer l (1 = nearest the input)")
    ax.set_ylabel("‖∂L/∂x_l‖ / ‖∂L/∂x_last‖")
    ax.legend()
    return fig


def connectivity_figure(layers: int = 4) -> Figure:
    """Residual (one identity path per layer, added) against dense (every earlier map, concatenated).

    Straight arrows are the layers H_l; arcs are the extra paths each design adds.
    """
    spacing, size = 1.7, 0.6
    width = spacing * layers + 2.2
    fig, ax = canvas(width, 5.4, figsize=(width * 0.95, 5.4 * 0.95))
    rows = [
        ("ResNet: x_l = H_l(x_{l-1}) + x_{l-1}  (addition)", 3.8, PALETTE["image"], "#1f77b4", layers),
        ("DenseNet: x_l = H_l([x_0, x_1, ..., x_{l-1}])  (concatenation)", 1.45, PALETTE["fusion"], "#2ca02c",
         dense_connections(layers)),
    ]
    for row, (title, y, color, line, connections) in enumerate(rows):
        ax.text(0.1, y + 1.2, title, fontsize=8, weight="bold")
        boxes = [box(ax, 0.2 + i * spacing, y, size, size, f"x{i}", color) for i in range(layers + 1)]
        for i in range(1, layers + 1):
            arrow(ax, boxes[i - 1].right, boxes[i].left, label=f"H{i}")
            if row == 0:
                arrow(ax, boxes[i - 1].top, boxes[i].top, curve=-0.45, color=line)
                ax.text(boxes[i].top[0] - 0.12, y + size + 0.05, "+", color=line, fontsize=10, weight="bold")
            for j in range(i - 1) if row == 1 else ():
                arrow(ax, boxes[j].bottom, boxes[i].bottom, curve=0.35, color=line)
        ax.text(spacing * layers + 1.0, y + 0.15, f"{connections} layer\ninputs", fontsize=7.5)
    return fig


# --- a dense block of our own, 1-D or 2-D, and the multi-modal model -----------------------


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
    params = {name: count_parameters(part) for name, part in model.named_children()}

    def dims(shape: tuple[int, ...]) -> str:
        return "×".join(str(v) for v in shape)

    fig, ax = canvas(13.2, 6.4, figsize=(8.6, 4.3))
    image_in = box(ax, 0.1, 4.6, 1.8, 0.9, f"image\n3×{image_size}×{image_size}", PALETTE["image"])
    trunk = box(
        ax, 2.3, 4.45, 3.3, 1.2,
        f"DenseNet-121 stem +\ndense blocks 1–3 + transitions\nout {dims(s['image trunk'])}\n"
        f"{params['image_trunk'] / 1e6:.2f} M params",
        PALETTE["image"],
    )
    text_in = box(ax, 0.1, 1.0, 1.8, 0.9, f"text\n{length} token ids", PALETTE["text"])
    embed = box(ax, 2.5, 1.0, 1.6, 0.9, f"embedding\n{dims(s['embedding'][::-1])}", PALETTE["text"])
    text_block = box(
        ax, 4.5, 0.85, 2.2, 1.2,
        f"1-D dense block\n{len(model.text_block.layers)} layers, k={model.text_block.growth}\n"
        f"out {dims(s['text block'])}",
        PALETTE["text"],
    )
    text_vec = box(ax, 7.1, 0.95, 1.9, 1.0, f"1×1 conv +\nmax over words\n{dims(s['text vector'])}", PALETTE["text"])
    tile = box(ax, 6.2, 2.75, 1.6, 0.9, f"tile to\n{dims(s['text vector'])}×{s['image trunk'][1]}×{s['image trunk'][2]}", PALETTE["text"])
    concat = box(ax, 6.2, 4.6, 1.6, 0.9, f"concat\n{dims(s['fusion input'])}", PALETTE["fusion"])
    fusion = box(
        ax, 8.3, 4.45, 2.3, 1.2,
        f"dense block 4 (fusion)\n{len(model.fusion_block.layers)} layers, k={model.fusion_block.growth}\nout {dims(s['fusion block'])}",
        PALETTE["fusion"],
    )
    late = box(ax, 9.6, 2.6, 1.9, 1.2, f"BN-ReLU-GAP {dims(s['pooled'])}\n+ text vector\n= {model.classifier.in_features}", PALETTE["fusion"])
    head = box(ax, 11.3, 0.95, 1.8, 1.0, f"linear\n{model.classifier.out_features} logits\n(sigmoid/softmax)", PALETTE["head"])
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
    rows = [{"part": name, "parameters": count_parameters(part)} for name, part in model.named_children()]
    rows.append({"part": "total", "parameters": count_parameters(model)})
    return pd.DataFrame(rows)

