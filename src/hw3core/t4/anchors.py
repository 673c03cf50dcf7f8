"""The two problems of anchor boxes in YOLOv2 and its fixes: T4 (e).

Problem 1, hand-picked priors: dimension clusters, k-means on box (w, h) with the
distance 1 − IoU. Problem 2, model instability: direct location prediction, which keeps a
predicted box centre inside the cell that predicts it. Boxes here are (w, h) as fractions
of the image side, or grid-unit (x, y, w, h) for the decoded predictions.

Figures are `Figure()`, not pyplot: a chapter cell that returns one shows it once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import memo
from ..figures import FLOOR_PT, FULL_WIDTH_IN

# --- problem 1, hand-picked priors: dimension clusters ------------------------------------

# (width, height) modes as fractions of the image side, and their share of the boxes.
BOX_MODES = {
    "small things": ((0.06, 0.07), 0.30),
    "people": ((0.12, 0.32), 0.25),
    "cars": ((0.30, 0.16), 0.20),
    "mid-size": ((0.30, 0.40), 0.15),
    "close-ups": ((0.70, 0.75), 0.10),
}


def synthetic_box_sizes(n: int = 2000, seed: int = 0, spread: float = 0.3) -> np.ndarray:
    """n ground-truth (w, h) pairs, log-normal around the BOX_MODES, clipped to (0, 1].

    A stand-in for the (w, h) of a real detection training set: no labelled detection
    data are available offline, and only the shape of the distribution matters here.
    """
    rng = np.random.default_rng(seed)
    centres = np.array([wh for wh, _ in BOX_MODES.values()])
    shares = np.array([share for _, share in BOX_MODES.values()])
    mode = rng.choice(len(centres), size=n, p=shares / shares.sum())
    return np.clip(centres[mode] * np.exp(rng.normal(0, spread, size=(n, 2))), 0.005, 1.0)


def wh_iou(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """IoU of boxes and anchors given only (w, h), i.e. with their centres aligned: N×K."""
    intersection = np.minimum(wh[:, None, 0], anchors[None, :, 0]) * np.minimum(wh[:, None, 1], anchors[None, :, 1])
    union = wh[:, 0:1] * wh[:, 1:2] + (anchors[:, 0] * anchors[:, 1])[None, :] - intersection
    return intersection / union


Metric = Literal["iou", "euclidean"]


def kmeans_anchors(
    wh: np.ndarray, k: int, metric: Metric = "iou", seed: int = 0, restarts: int = 5, iterations: int = 200
) -> np.ndarray:
    """k anchor (w, h) by k-means; 'iou' uses the YOLOv2 distance d = 1 − IoU(box, centroid),
    'euclidean' the usual squared distance. Best of `restarts` seeded runs by the run's own
    objective; anchors returned sorted by area."""
    rng = np.random.default_rng(seed)
    best, best_cost = None, np.inf
    for _ in range(restarts):
        centroids = wh[rng.choice(len(wh), size=k, replace=False)]
        assignment = None
        for _ in range(iterations):
            distance = _distance(wh, centroids, metric)
            new_assignment = distance.argmin(axis=1)
            if assignment is not None and np.array_equal(new_assignment, assignment):
                break
            assignment = new_assignment
            centroids = np.array(
                [wh[assignment == j].mean(axis=0) if np.any(assignment == j) else centroids[j] for j in range(k)]
            )
        cost = _distance(wh, centroids, metric).min(axis=1).mean()
        if cost < best_cost:
            best, best_cost = centroids, cost
    return best[np.argsort(best.prod(axis=1))]


def _distance(wh: np.ndarray, centroids: np.ndarray, metric: Metric) -> np.ndarray:
    if metric == "iou":
        return 1 - wh_iou(wh, centroids)
    return ((wh[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)


def mean_best_iou(wh: np.ndarray, anchors: np.ndarray) -> float:
    """Average over boxes of the IoU with the closest anchor: the paper's 'Avg IOU'."""
    return float(wh_iou(wh, anchors).max(axis=1).mean())


def hand_picked_anchors(scales: tuple[float, ...] = (0.1, 0.25, 0.5),
                        ratios: tuple[float, ...] = (0.5, 1.0, 2.0)) -> np.ndarray:
    """Faster R-CNN-style priors: every scale (sqrt of area, image = 1) at every h/w ratio."""
    return np.array([(s / np.sqrt(r), s * np.sqrt(r)) for s in scales for r in ratios])


@memo.on_disk  # seconds of meta-device tracing (or k-means) a render, the same every time
def anchor_curve(wh: np.ndarray, ks: range = range(1, 10), seed: int = 0) -> pd.DataFrame:
    """Average IoU of the k centroids found with each distance, for every k."""
    return pd.DataFrame(
        {
            "k": list(ks),
            "IoU k-means": [mean_best_iou(wh, kmeans_anchors(wh, k, "iou", seed)) for k in ks],
            "Euclidean k-means": [mean_best_iou(wh, kmeans_anchors(wh, k, "euclidean", seed)) for k in ks],
        }
    )


def anchor_figure(wh: np.ndarray, curve: pd.DataFrame, k: int = 5, seed: int = 0) -> Figure:
    """The boxes with k centroids from each distance, and average IoU against k."""
    fig = Figure(figsize=(FULL_WIDTH_IN, 3.0), layout="constrained")
    axes = fig.subplots(1, 3)
    cluster_colours = np.array(colormaps["tab10"].colors)
    for ax, metric, title in [(axes[0], "iou", "d = 1 − IoU"), (axes[1], "euclidean", "Euclidean")]:
        anchors = kmeans_anchors(wh, k, metric, seed)
        assignment = _distance(wh, anchors, metric).argmin(axis=1)
        ax.scatter(wh[:, 0], wh[:, 1], color=cluster_colours[assignment % len(cluster_colours)], s=3, alpha=0.5)
        ax.scatter(anchors[:, 0], anchors[:, 1], c="black", marker="x", s=50)
        for w, h in anchors:
            ax.add_patch(Rectangle((0, 0), w, h, fill=False, lw=0.8, edgecolor="black", alpha=0.6))
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="box width", ylabel="box height", aspect="equal",
               title=f"k-means, {title}, k = {k}\navg IoU {mean_best_iou(wh, anchors):.3f}")
        ax.title.set_fontsize(8)
    axes[2].plot(curve["k"], curve["IoU k-means"], "o-", label="k-means, 1 − IoU")
    axes[2].plot(curve["k"], curve["Euclidean k-means"], "s--", label="k-means, Euclidean")
    hand = hand_picked_anchors()
    axes[2].plot([len(hand)], [mean_best_iou(wh, hand)], "r^", label="hand-picked (3 scales × 3 ratios)")
    axes[2].set(xlabel="number of anchors k", ylabel="average IoU")
    fig.legend(*axes[2].get_legend_handles_labels(), loc="outside lower right", ncols=3, fontsize=FLOOR_PT)
    for ax in axes:
        ax.tick_params(labelsize=FLOOR_PT)
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
    return fig


# --- problem 2, instability: where a predicted box centre can land ------------------------


def decode_direct(t: torch.Tensor, cell: tuple[int, int], prior: tuple[float, float]) -> torch.Tensor:
    """YOLOv2/v3: b_x = σ(t_x) + c_x, b_y = σ(t_y) + c_y, b_w = p_w e^{t_w}, b_h = p_h e^{t_h}
    (grid units); the centre cannot leave the cell that predicts it."""
    centre = torch.sigmoid(t[:, :2]) + torch.tensor(cell, dtype=t.dtype)
    size = torch.tensor(prior, dtype=t.dtype) * torch.exp(t[:, 2:])
    return torch.cat([centre, size], 1)


def decode_offset(t: torch.Tensor, cell: tuple[int, int], prior: tuple[float, float]) -> torch.Tensor:
    """Region-proposal style (what YOLOv2 first tried): x = x_a + t_x·w_a, unbounded, so an
    anchor in one cell can put its box centre anywhere in the image."""
    anchor_centre = torch.tensor(cell, dtype=t.dtype) + 0.5
    prior_t = torch.tensor(prior, dtype=t.dtype)
    return torch.cat([anchor_centre + t[:, :2] * prior_t, prior_t * torch.exp(t[:, 2:])], 1)


def centre_spread(n: int = 2000, seed: int = 0, cell: tuple[int, int] = (6, 6),
                  prior: tuple[float, float] = (3.0, 4.0)) -> dict[str, torch.Tensor]:
    """Box centres from n random raw outputs t ~ N(0, 1) (a net early in training), both ways."""
    t = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))
    return {"direct": decode_direct(t, cell, prior), "offset": decode_offset(t, cell, prior)}


def outside_cell(centres: torch.Tensor, cell: tuple[int, int]) -> float:
    """Fraction of box centres that fall outside the responsible cell."""
    inside = (centres[:, 0].floor() == cell[0]) & (centres[:, 1].floor() == cell[1])
    return float(1 - inside.float().mean())


def centre_figure(spread: dict[str, torch.Tensor], cell: tuple[int, int] = (6, 6), grid: int = 13) -> Figure:
    fig = Figure(figsize=(FULL_WIDTH_IN, 3.4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    titles = {"offset": "unconstrained offsets $x = x_a + t_x w_a$", "direct": r"direct: $b_x = \sigma(t_x) + c_x$"}
    for ax, name in zip(axes, ("offset", "direct")):
        centres = spread[name]
        ax.scatter(centres[:, 0], centres[:, 1], s=2, alpha=0.4)
        ax.add_patch(Rectangle(cell, 1, 1, fill=False, edgecolor="red", lw=1.5))
        ax.set(xlim=(0, grid), ylim=(grid, 0), aspect="equal", xticks=range(0, grid + 1, 1),
               yticks=range(0, grid + 1, 1), xticklabels=[], yticklabels=[])
        ax.grid(True, alpha=0.5)
        ax.set_title(f"{titles[name]}\noutside the cell: {100 * outside_cell(centres, cell):.0f}%", fontsize=8.5)
        ax.set_xlabel(f"x (cells of the {grid}×{grid} grid)")
    axes[0].set_ylabel(f"y (cells of the {grid}×{grid} grid)")
    return fig
