"""Figures the chapters show; every function takes data and returns a matplotlib Figure.

The functions are generic (a training history, a grid of images, confusion matrices) so
every chapter draws the same kind of result the same way. Figures are made with
`Figure()`, not pyplot, so an executed chapter shows each exactly once; labels are
English because matplotlib does not shape Persian text.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import ConfusionMatrixDisplay

from ..figures import FLOOR_PT, FULL_WIDTH_IN, show_image


def plot_history(history: pd.DataFrame, title: str = "") -> Figure:
    """Loss and accuracy per epoch, train and validation, from a `training.fit` history."""
    fig = Figure(figsize=(FULL_WIDTH_IN, 3.0), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    for split, style in (("train", "-o"), ("val", "-s")):
        label = "train" if split == "train" else "validation"
        loss_ax.plot(history["epoch"], history[f"{split}_loss"], style, markersize=3, label=label)
        acc_ax.plot(history["epoch"], 100 * history[f"{split}_acc"], style, markersize=3, label=label)
    best = history.loc[history["val_acc"].idxmax()]
    acc_ax.axvline(best["epoch"], color="grey", linestyle=":", linewidth=1, label=f"best val (epoch {int(best['epoch'])})")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_histories(histories: Mapping[str, pd.DataFrame], column: str = "val_acc", ylabel: str = "validation accuracy (%)") -> Figure:
    """One column of several histories on one axis, to compare runs epoch by epoch."""
    fig = Figure(figsize=(6.0, 3.4), layout="constrained")
    ax = fig.subplots()
    scale = 100 if column.endswith("_acc") else 1
    for label, history in histories.items():
        ax.plot(history["epoch"], scale * history[column], "-o", markersize=3, label=label)
    ax.set(xlabel="epoch", ylabel=ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    return fig


def plot_image_grid(images: torch.Tensor, titles: Sequence[str], columns: int = 5) -> Figure:
    """uint8 images [N, 3, H, W] in a grid, each titled (e.g. with its label)."""
    rows = -(-len(images) // columns)
    fig = Figure(figsize=(FULL_WIDTH_IN, FULL_WIDTH_IN / columns * 1.15 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles):
        show_image(ax, image.permute(1, 2, 0).numpy(), title, fontsize=8)
    return fig


def plot_confusion_matrices(matrices: Mapping[str, np.ndarray], classes: Sequence[str], columns: int = 2) -> Figure:
    """Confusion matrices (rows: true class, columns: predicted) side by side, one per title,
    on one colour scale (the same test images) shown by one colour bar. The panels share
    their class axes, labelled once at the outer edges, so the cells are wide enough for
    three-digit counts."""
    rows = -(-len(matrices) // columns)
    fig = Figure(figsize=(FULL_WIDTH_IN, 2.95 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    for ax in axes.ravel()[len(matrices) :]:
        ax.axis("off")
    norm = Normalize(0, max(int(np.max(matrix)) for matrix in matrices.values()))
    for ax, (title, matrix) in zip(axes.ravel(), matrices.items()):
        display = ConfusionMatrixDisplay(np.asarray(matrix), display_labels=list(classes))
        display.plot(ax=ax, colorbar=False, xticks_rotation=90, values_format="d", text_kw={"fontsize": FLOOR_PT}, im_kw={"norm": norm})
        ax.grid(False)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("predicted class", fontsize=8)
        ax.set_ylabel("true class", fontsize=8)
        ax.tick_params(labelsize=FLOOR_PT)
        ax.label_outer()
    fig.colorbar(display.im_, ax=axes, shrink=0.5, label="test images")
    return fig
