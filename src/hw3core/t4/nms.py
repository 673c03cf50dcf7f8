"""IoU and non-maximum suppression, the answer to duplicate detections: T4 (c).

Written from scratch in a few lines of tensor code so the chapter can show it; the tests
hold it against torchvision.ops (box_iou, nms, batched_nms). Boxes are (x1, y1, x2, y2).

Figures are `Figure()`, not pyplot: a chapter cell that returns one shows it once and
nothing piles up in pyplot's registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..figures import FULL_WIDTH_IN


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of every box in a (N×4) with every box in b (M×4): N×M."""
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    intersection = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    return intersection / (box_area(a)[:, None] + box_area(b)[None, :] - intersection)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression: keep the best-scoring box, drop every remaining box
    that overlaps it by IoU > threshold, repeat. Returns kept indices, best first."""
    order = torch.argsort(scores, descending=True, stable=True)
    keep = []
    while order.numel() > 0:
        best, rest = order[0], order[1:]
        keep.append(best)
        overlap = box_iou(boxes[best].unsqueeze(0), boxes[rest])[0]
        order = rest[overlap <= iou_threshold]
    return torch.stack(keep) if keep else torch.empty(0, dtype=torch.long)


def batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """NMS separately within each class (a person never suppresses a car), merged best first."""
    kept = [torch.empty(0, dtype=torch.long)]
    for c in torch.unique(classes):
        members = torch.nonzero(classes == c).flatten()
        kept.append(members[nms(boxes[members], scores[members], iou_threshold)])
    keep = torch.cat(kept)
    return keep[torch.argsort(scores[keep], descending=True, stable=True)]


@dataclass
class Scene:
    """A synthetic image: true objects, and many overlapping scored detections of them."""

    size: int
    class_names: tuple[str, ...]
    truth: torch.Tensor
    truth_classes: torch.Tensor
    boxes: torch.Tensor
    scores: torch.Tensor
    classes: torch.Tensor


def synthetic_scene(seed: int = 0, per_object: int = 6, size: int = 100) -> Scene:
    """Two people side by side (overlapping a little), a car partly behind one of them and
    a dog; each is 'detected' per_object times with jittered boxes and random scores, the
    way a detector's neighbouring cells and anchors fire on one object."""
    generator = torch.Generator().manual_seed(seed)
    truth = torch.tensor(
        [[12.0, 20, 32, 80], [27, 18, 47, 78], [40, 45, 90, 80], [62, 10, 88, 36]]
    )
    truth_classes = torch.tensor([0, 0, 1, 2])
    wh = (truth[:, 2:] - truth[:, :2]).repeat_interleave(per_object, 0)
    jitter = torch.randn(len(truth) * per_object, 4, generator=generator) * 0.08 * wh.repeat(1, 2)
    boxes = truth.repeat_interleave(per_object, 0) + jitter
    scores = 0.35 + 0.6 * torch.rand(len(boxes), generator=generator)
    return Scene(size, ("person", "car", "dog"), truth, truth_classes, boxes, scores,
                 truth_classes.repeat_interleave(per_object))


def nms_figure(scene: Scene, iou_threshold: float = 0.5) -> Figure:
    """All detections (left, coloured by class, with a key) and what per-class NMS keeps
    (right, each box labelled with its class and score)."""
    keep = batched_nms(scene.boxes, scene.scores, scene.classes, iou_threshold)
    colors = colormaps["tab10"].colors
    fig = Figure(figsize=(FULL_WIDTH_IN, 3.4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    panels = [(axes[0], torch.arange(len(scene.boxes)), f"before NMS: {len(scene.boxes)} boxes"),
              (axes[1], keep, f"after per-class NMS (IoU > {iou_threshold}): {len(keep)} boxes")]
    for ax, indices, title in panels:
        for i in indices.tolist():
            x1, y1, x2, y2 = scene.boxes[i].tolist()
            color = colors[int(scene.classes[i])]
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=1.2,
                                   edgecolor=color, alpha=float(scene.scores[i])))
            if len(indices) < len(scene.boxes):
                ax.text(x1 + 1, y1 + 1, f"{scene.class_names[int(scene.classes[i])]} {scene.scores[i]:.2f}",
                        fontsize=8, color=color, va="top", bbox={"facecolor": "white", "alpha": 0.8, "pad": 1, "lw": 0})
        ax.set_xlim(0, scene.size)
        ax.set_ylim(scene.size, 0)
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=8.5)
        ax.set_xlabel("x (pixels)")
        ax.grid(False)
    axes[0].set_ylabel("y (pixels)")
    # The left panel's boxes carry no labels (there are too many): the colours need a key,
    # below both panels so that it hides no box
    key = [Patch(fill=False, lw=1.2, edgecolor=colors[c], label=name) for c, name in enumerate(scene.class_names)]
    fig.legend(handles=key, loc="outside lower center", ncols=len(key), fontsize=8)
    return fig
