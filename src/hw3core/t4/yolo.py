"""YOLO v1, v2 and v3 as PyTorch modules, to read their numbers off them: the output depth
of T4 (a), the multi-scale training of (d) and the architectural differences of (f).

The three networks follow the papers' layer tables (v3: the released yolov3.cfg) and are
built on the meta device, so output shapes, layer counts and parameter counts come
from real modules in milliseconds, at any input size, with no weights. They are for
counting and shape-checking, not for training: the detection losses are not here.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import memo
from ..shapes import hwc
from ..training import parameter_count

COCO_CLASSES = 80
VOC_CLASSES = 20  # PASCAL VOC, on which the YOLOv1 paper evaluates (S = 7, B = 2: 7×7×30)
MULTISCALE_SIZES = tuple(range(320, 608 + 1, 32))
MULTISCALE_EVERY = 10  # batches between two size changes in YOLOv2's training


def conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1, batch_norm: bool = True) -> nn.Sequential:
    """Darknet's unit: conv, batch norm (from v2 on), leaky ReLU with slope 0.1; 'same' padding."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel, stride, padding=kernel // 2, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.1))
    return nn.Sequential(*layers)


def v1_depth(boxes: int = 2, classes: int = COCO_CLASSES) -> int:
    """Values per cell in YOLOv1: B boxes × (x, y, w, h, confidence) + one class distribution."""
    return boxes * 5 + classes


def v3_depth(anchors: int = 3, classes: int = COCO_CLASSES) -> int:
    """Channels per scale in YOLOv3: every anchor has its own box, objectness and class scores."""
    return anchors * (5 + classes)


class YOLOv1(nn.Module):
    """24 convolutions + 2 fully connected layers (Redmon et al. 2016, Fig. 3), no batch norm.

    The first fully connected layer expects exactly 7×7×1024 inputs, which pins the input
    to 448×448.
    """

    def __init__(self, classes: int = COCO_CLASSES, cells: int = 7, boxes: int = 2) -> None:
        super().__init__()
        self.cells, self.depth = cells, v1_depth(boxes, classes)
        pool = nn.MaxPool2d(2, 2)
        c = partial(conv, batch_norm=False)
        self.features = nn.Sequential(
            c(3, 64, 7, 2), pool,
            c(64, 192, 3), pool,
            c(192, 128, 1), c(128, 256, 3), c(256, 256, 1), c(256, 512, 3), pool,
            *[m for _ in range(4) for m in (c(512, 256, 1), c(256, 512, 3))],
            c(512, 512, 1), c(512, 1024, 3), pool,
            *[m for _ in range(2) for m in (c(1024, 512, 1), c(512, 1024, 3))],
            c(1024, 1024, 3), c(1024, 1024, 3, 2),
            c(1024, 1024, 3), c(1024, 1024, 3),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(cells * cells * 1024, 4096),
            nn.LeakyReLU(0.1),
            nn.Dropout(0.5),
            nn.Linear(4096, cells * cells * self.depth),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).view(-1, self.cells, self.cells, self.depth)


class YOLOv2(nn.Module):
    """Darknet-19 without its classifier, three 3×3×1024 convolutions, the passthrough layer
    (26×26×512 -> 13×13×2048 by space-to-depth, concatenated), and a 1×1 prediction layer
    of anchors × (5 + classes) channels (Redmon & Farhadi 2017)."""

    def __init__(self, classes: int = COCO_CLASSES, anchors: int = 5) -> None:
        super().__init__()
        pool = nn.MaxPool2d(2, 2)
        self.early = nn.Sequential(  # stride 16: the 26×26×512 map the passthrough takes
            conv(3, 32, 3), pool, conv(32, 64, 3), pool,
            conv(64, 128, 3), conv(128, 64, 1), conv(64, 128, 3), pool,
            conv(128, 256, 3), conv(256, 128, 1), conv(128, 256, 3), pool,
            conv(256, 512, 3), conv(512, 256, 1), conv(256, 512, 3), conv(512, 256, 1), conv(256, 512, 3),
        )
        self.late = nn.Sequential(  # stride 32
            pool, conv(512, 1024, 3), conv(1024, 512, 1), conv(512, 1024, 3), conv(1024, 512, 1),
            conv(512, 1024, 3), conv(1024, 1024, 3), conv(1024, 1024, 3),
        )
        self.passthrough = nn.PixelUnshuffle(2)
        self.predict = nn.Sequential(conv(1024 + 4 * 512, 1024, 3), nn.Conv2d(1024, anchors * (5 + classes), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fine = self.early(x)
        return self.predict(torch.cat([self.passthrough(fine), self.late(fine)], 1))


class Residual(nn.Module):
    """Darknet-53's block: 1×1 halving the channels, 3×3 restoring them, plus the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv(channels, channels // 2, 1), conv(channels // 2, channels, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def darknet53_stage(in_channels: int, blocks: int) -> nn.Sequential:
    """A stride-2 3×3 convolution doubling the channels (instead of pooling), then residual blocks."""
    out = in_channels * 2
    return nn.Sequential(conv(in_channels, out, 3, 2), *[Residual(out) for _ in range(blocks)])


DARKNET53_BLOCKS = (1, 2, 8, 8, 4)


class YOLOv3(nn.Module):
    """Darknet-53 (no pooling; downsampling by stride-2 convolutions) and three detection
    heads at strides 32, 16 and 8; each coarser head's features are upsampled ×2 and
    concatenated with the backbone's finer map (as in a feature pyramid network)."""

    def __init__(self, classes: int = COCO_CLASSES, anchors_per_scale: int = 3) -> None:
        super().__init__()
        stages = [conv(3, 32, 3)]
        channels = 32
        for blocks in DARKNET53_BLOCKS:
            stages.append(darknet53_stage(channels, blocks))
            channels *= 2
        self.stem, self.s2, self.s4, self.s8, self.s16, self.s32 = stages
        depth = v3_depth(anchors_per_scale, classes)
        self.neck32, self.out32 = self._head(1024, 512, depth)
        self.lateral32 = nn.Sequential(conv(512, 256, 1), nn.Upsample(scale_factor=2, mode="nearest"))
        self.neck16, self.out16 = self._head(512 + 256, 256, depth)
        self.lateral16 = nn.Sequential(conv(256, 128, 1), nn.Upsample(scale_factor=2, mode="nearest"))
        self.neck8, self.out8 = self._head(256 + 128, 128, depth)

    @staticmethod
    def _head(in_channels: int, width: int, depth: int) -> tuple[nn.Sequential, nn.Sequential]:
        """Five alternating 1×1/3×3 convolutions (the branch point), then 3×3 and the 1×1 predictor."""
        neck = nn.Sequential(conv(in_channels, width, 1), conv(width, 2 * width, 3), conv(2 * width, width, 1),
                             conv(width, 2 * width, 3), conv(2 * width, width, 1))
        out = nn.Sequential(conv(width, 2 * width, 3), nn.Conv2d(2 * width, depth, 1))
        return neck, out

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        c8 = self.s8(self.s4(self.s2(self.stem(x))))
        c16 = self.s16(c8)
        c32 = self.s32(c16)
        p32 = self.neck32(c32)
        p16 = self.neck16(torch.cat([self.lateral32(p32), c16], 1))
        p8 = self.neck8(torch.cat([self.lateral16(p16), c8], 1))
        return [self.out32(p32), self.out16(p16), self.out8(p8)]


VERSIONS = {"YOLOv1": (YOLOv1, 448), "YOLOv2": (YOLOv2, 416), "YOLOv3": (YOLOv3, 416)}


def build(version: str, classes: int = COCO_CLASSES) -> nn.Module:
    """One of VERSIONS on the meta device, in eval mode: exact shapes and counts, no memory,
    no weights (eval only makes batch norm cheaper to trace)."""
    with torch.device("meta"):
        return VERSIONS[version][0](classes).eval()


def output_shapes(model: nn.Module, size: int) -> list[tuple[int, ...]]:
    """Per-image output shape(s) for a size×size input; raises if the network cannot take it."""
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model(torch.zeros(1, 3, size, size, device=device))
    return [tuple(t.shape[1:]) for t in (out if isinstance(out, list) else [out])]


def channels_first(version: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """An output shape with the depth first: YOLOv1's head reshapes its vector to
    (S, S, depth), as the paper writes it; v2 and v3 are convolutions, (depth, grid, grid)."""
    return (shape[-1], *shape[:-1]) if version == "YOLOv1" else shape


def predicted_boxes(version: str, shapes: list[tuple[int, ...]], classes: int = COCO_CLASSES) -> int:
    """Boxes per image read from output shapes, depth first (`channels_first`): v1 has B
    per cell, v2/v3 one per anchor."""
    if version == "YOLOv1":
        depth, cells, _ = shapes[0]
        return cells * cells * (depth - classes) // 5
    return sum(int(np.prod(s[1:])) * s[0] // (5 + classes) for s in shapes)


def output_table(classes: int = COCO_CLASSES) -> pd.DataFrame:
    """Output tensor(s) of each version at its paper's input size, traced from the modules."""
    rows = []
    for version, (_, size) in VERSIONS.items():
        shapes = [channels_first(version, s) for s in output_shapes(build(version, classes), size)]
        rows.append(
            {
                "version": version,
                "input": f"{size}×{size}",
                "output tensor(s)": ", ".join(hwc(s) for s in shapes),
                "depth per scale": shapes[0][0],
                "boxes per image": predicted_boxes(version, shapes, classes),
            }
        )
    return pd.DataFrame(rows)


@memo.on_disk  # seconds of meta-device tracing (or k-means) a render, the same every time
def multiscale_table(sizes: tuple[int, ...] = MULTISCALE_SIZES, classes: int = COCO_CLASSES) -> pd.DataFrame:
    """For every training size of the multi-scale schedule: the output grids and box counts
    of v2 and v3 traced from the modules, and what YOLOv1's fully connected layer makes of it."""
    models = {version: build(version, classes) for version in VERSIONS}
    rows = []
    for size in sizes:
        v2 = output_shapes(models["YOLOv2"], size)
        v3 = output_shapes(models["YOLOv3"], size)
        rows.append(
            {
                "input": size,
                "v2 grid": f"{v2[0][1]}×{v2[0][2]}",
                "v2 boxes": predicted_boxes("YOLOv2", v2, classes),
                "v3 grids": " / ".join(str(s[1]) for s in v3),
                "v3 boxes": predicted_boxes("YOLOv3", v3, classes),
                "YOLOv1": _v1_fit(models["YOLOv1"], size),
            }
        )
    return pd.DataFrame(rows)


def _v1_fit(model: YOLOv1, size: int) -> str:
    """YOLOv1's last convolutional map at this size, and whether its first FC layer accepts it."""
    grid = output_shapes(model.features, size)[0][1]
    try:
        output_shapes(model, size)
    except RuntimeError:
        return f"{grid}×{grid} map: FC shape error"
    return f"{grid}×{grid} map: runs"


def multiscale_schedule(batches: int, every: int = MULTISCALE_EVERY, sizes: tuple[int, ...] = MULTISCALE_SIZES,
                        seed: int = 0) -> list[int]:
    """YOLOv2's training sizes: every `every` batches draw a new input size from `sizes`."""
    rng = np.random.default_rng(seed)
    draws = rng.choice(sizes, size=-(-batches // every))
    return [int(draws[b // every]) for b in range(batches)]


def architecture_table(classes: int = COCO_CLASSES) -> pd.DataFrame:
    """Counted from the modules: convolutions, pooling layers, fully connected layers,
    residual blocks, upsampling layers, strided convolutions, parameters. A layer used
    twice (one MaxPool2d object at several places) counts at every place."""
    rows = []
    for version in VERSIONS:
        model = build(version, classes)
        modules = [m for _, m in model.named_modules(remove_duplicate=False)]
        count = lambda kind: sum(isinstance(m, kind) for m in modules)
        convs = [m for m in modules if isinstance(m, nn.Conv2d)]
        rows.append(
            {
                "version": version,
                "conv": len(convs),
                "stride-2 conv": sum(m.stride == (2, 2) for m in convs),
                "max-pool": count(nn.MaxPool2d),
                "FC": count(nn.Linear),
                "residual": count(Residual),
                "upsample": count(nn.Upsample),
                "BN": "yes" if count(nn.BatchNorm2d) else "no",
                "parameters (M)": parameter_count(model) / 1e6,
            }
        )
    return pd.DataFrame(rows)
