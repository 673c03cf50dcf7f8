"""P2's figures: training curves per stage, feature maps across epochs and regimes,
2-D views of the test embeddings, and convergence against time.

Labels are English: matplotlib does not shape right-to-left Persian text.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..cache import Artifacts
from ..figures import FLOOR_PT, FULL_WIDTH_IN, image_axes
from .models import LAYERS
from .recording import feature_map_path, map_epochs
from .study import CLASSES, REGIMES

CHANNELS = 4  # channels of each stage shown per regime in `feature_maps_over_epochs`


def training_curves(history: pd.DataFrame, accuracy: str, centroid: pd.DataFrame | None = None, title: str = "") -> Figure:
    """Loss and an accuracy per epoch, train and validation, from a `fit` history.

    `accuracy` names what the history's accuracy counts; `centroid` adds the validation
    nearest-centroid accuracy of the embeddings recorded after every epoch.
    """
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(FULL_WIDTH_IN, 3.0), layout="constrained")
    for split, style, label in (("train", "-o", "train"), ("val", "-s", "validation")):
        loss_ax.plot(history["epoch"], history[f"{split}_loss"], style, markersize=3, label=label)
        acc_ax.plot(history["epoch"], 100 * history[f"{split}_acc"], style, markersize=3, label=f"{label}: {accuracy}")
    if centroid is not None:
        acc_ax.plot(centroid["epoch"], 100 * centroid["centroid_val_acc"], "-^", markersize=3, label="validation: nearest centroid")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="%", title="accuracy")
    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_ax.legend(fontsize=8)
    acc_ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def _inputs(artifacts: Artifacts) -> dict[str, torch.Tensor]:
    return artifacts.load("feature-maps/inputs.pt")


def _maps(artifacts: Artifacts, epoch: int) -> dict[str, torch.Tensor]:
    return artifacts.load(str(feature_map_path(artifacts.directory, epoch).relative_to(artifacts.directory)))


def _show(ax: plt.Axes, image: np.ndarray, cmap: str = "viridis", norm: Normalize | None = None) -> None:
    """An image without ticks (the axes stay on for a row label); a 2-D map is scaled to its
    own min..max and drawn with `norm`, the 0..1 scale of the figure's colour bar."""
    if image.ndim == 2:
        low, high = image.min(), image.max()
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    ax.imshow(image, cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    image_axes(ax)


SCALED = "activation, scaled to\neach map's min–max"


def feature_maps_over_epochs(artifacts: Artifacts, images: int | None = None, channels: int = CHANNELS, title: str = "") -> Figure:
    """The same training images' maps at the recorded epochs: one block of rows per image
    (the first `images` of those recorded, all by default; they alternate the classes),
    one row per epoch. For every stage the `channels` channels most active at the last
    epoch over all shown images are drawn, so each column is one filter, over time and
    across images."""
    epochs = map_epochs(artifacts.config["train"]["epochs"])
    maps = {epoch: _maps(artifacts, epoch) for epoch in epochs}
    inputs = _inputs(artifacts)
    shown = list(range(len(inputs["images"]) if images is None else images))
    strongest = {
        layer: maps[epochs[-1]][layer][shown].float().mean(dim=(0, 2, 3)).argsort(descending=True)[:channels].tolist() for layer in LAYERS
    }
    columns = 1 + channels * len(LAYERS)
    rows = len(shown) * len(epochs)
    side = (FULL_WIDTH_IN - 0.8) / columns  # what the colour bar leaves for one map
    fig, axes = plt.subplots(rows, columns, figsize=(FULL_WIDTH_IN, side * rows + 0.5), layout="constrained", squeeze=False)
    norm = Normalize(0, 1)
    for block, image in enumerate(shown):
        for step, epoch in enumerate(epochs):
            row = block * len(epochs) + step
            _show(axes[row, 0], inputs["images"][image].permute(1, 2, 0).numpy())
            label = f"epoch {epoch}" if step else f"{CLASSES[int(inputs['labels'][image])]}\nepoch {epoch}"
            axes[row, 0].set_ylabel(label, fontsize=FLOOR_PT)
            for k, layer in enumerate(LAYERS):
                for j, channel in enumerate(strongest[layer]):
                    ax = axes[row, 1 + k * channels + j]
                    _show(ax, maps[epoch][layer][image, channel].float().numpy(), norm=norm)
                    if row == 0:
                        ax.set_title(f"{layer}\n#{channel}", fontsize=FLOOR_PT)
    bar = fig.colorbar(axes[0, 1].images[0], ax=axes, shrink=0.5, label=SCALED)
    bar.ax.tick_params(labelsize=FLOOR_PT)
    bar.ax.yaxis.label.set_fontsize(FLOOR_PT)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def feature_maps_across_regimes(runs: dict[str, Artifacts], image: int = 0) -> Figure:
    """Channel-averaged maps of one training image: rows are regimes, columns (stage, epoch).

    Channels of different networks do not correspond, so the average over channels (where
    the stage responds at all) is what can be set side by side.
    """
    epochs = map_epochs(next(iter(runs.values())).config["train"]["epochs"])
    columns = 1 + len(LAYERS) * len(epochs)
    side = (FULL_WIDTH_IN - 1.6) / columns  # what the row labels and the colour bar leave
    fig, axes = plt.subplots(len(runs), columns, figsize=(FULL_WIDTH_IN, side * len(runs) + 0.6), layout="constrained", squeeze=False)
    norm = Normalize(0, 1)
    for row, (regime, artifacts) in enumerate(runs.items()):
        _show(axes[row, 0], _inputs(artifacts)["images"][image].permute(1, 2, 0).numpy())
        axes[row, 0].set_ylabel(REGIMES[regime].label.replace(" (", "\n("), fontsize=FLOOR_PT, rotation=0, ha="right", va="center")
        for j, epoch in enumerate(epochs):
            maps = _maps(artifacts, epoch)
            for k, layer in enumerate(LAYERS):
                ax = axes[row, 1 + k * len(epochs) + j]
                _show(ax, maps[layer][image].float().mean(0).numpy(), cmap="magma", norm=norm)
                if row == 0:
                    ax.set_title(f"{layer}\nepoch {epoch}", fontsize=FLOOR_PT)
    bar = fig.colorbar(axes[0, 1].images[0], ax=axes, shrink=0.8, label=SCALED.replace("activation", "mean activation"))
    bar.ax.tick_params(labelsize=FLOOR_PT)
    bar.ax.yaxis.label.set_fontsize(FLOOR_PT)
    return fig


def embedding_views(runs: dict[str, Artifacts]) -> Figure:
    """The test embeddings of every regime (columns) in 2-D: PCA (top) and t-SNE (bottom)."""
    fig, axes = plt.subplots(2, len(runs), figsize=(FULL_WIDTH_IN, 4.6), layout="constrained", squeeze=False)
    for col, (regime, artifacts) in enumerate(runs.items()):
        views = artifacts.load("test-embeddings.pt")
        labels = views["labels"].numpy()
        for row, method in enumerate(("pca", "tsne")):
            ax = axes[row, col]
            for c, name in enumerate(CLASSES):
                points = views[method][labels == c].numpy()
                ax.scatter(points[:, 0], points[:, 1], s=3, alpha=0.5, label=name)
            ax.set_xticks([])
            ax.set_yticks([])
            name = "PC" if method == "pca" else "t-SNE"
            ax.set(xlabel=f"{name} 1", ylabel=f"{name} 2")
            ax.set_title(f"{REGIMES[regime].label}: {'PCA' if method == 'pca' else 't-SNE'}", fontsize=8)
    axes[0, 0].legend(fontsize=7, markerscale=3)
    return fig


def convergence_curves(runs: dict[str, Artifacts]) -> Figure:
    """Validation accuracy against cumulative training seconds: the embedding's nearest-centroid
    accuracy (solid) and the classifier's (dashed; for triplet, stage 2 after stage 1)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    for regime, artifacts in runs.items():
        history = artifacts.history()
        seconds = history["seconds"].cumsum()
        centroid = artifacts.history("embedding-history.csv")["centroid_val_acc"]
        (line,) = ax.plot(seconds, 100 * centroid, "-o", markersize=3, label=f"{REGIMES[regime].label}: nearest centroid")
        if artifacts.path("history-linear.csv").exists():
            linear = artifacts.history("history-linear.csv")
            x, y = seconds.iloc[-1] + linear["seconds"].cumsum(), linear["val_acc"]
        else:
            x, y = seconds, history["val_acc"]
        ax.plot(x, 100 * y, "--s", markersize=3, color=line.get_color(), label=f"{REGIMES[regime].label}: classifier")
    target = 100 * next(iter(runs.values())).config["train"]["target_acc"]
    ax.axhline(target, color="grey", linestyle=":", linewidth=1, label=f"target {target:.0f}%")
    ax.set(xlabel="training seconds", ylabel="validation accuracy (%)")
    ax.legend(fontsize=7)
    return fig


def triplet_examples(images: torch.Tensor, labels: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor, anchors: list[int]) -> Figure:
    """(anchor, positive, negative) images as a `TripletImages` epoch drew them: one triplet per column."""
    roles = ("anchor", "positive", "negative")
    fig, axes = plt.subplots(3, len(anchors), figsize=(1.3 * len(anchors), 4.3), layout="constrained", squeeze=False)
    for col, i in enumerate(anchors):
        for row, j in enumerate((i, int(positives[i]), int(negatives[i]))):
            _show(axes[row, col], images[j].permute(1, 2, 0).numpy())
            axes[row, col].set_title(CLASSES[int(labels[j])], fontsize=7)
            if col == 0:
                axes[row, col].set_ylabel(roles[row], fontsize=8)
    return fig
