"""Figures for the transfer-learning chapter (P3): curves, a prediction, accuracy against size.

Each function takes results (histories, tables) and returns one matplotlib Figure (not
managed by pyplot, so it is shown exactly once), so a chapter cell is a single call. Labels are English: matplotlib does not shape Persian.
"""

from __future__ import annotations

import pandas as pd
import torch
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..figures import FLOOR_PT, FULL_WIDTH_IN, image_axes, show_image


def training_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Loss and accuracy per epoch: one colour per model, train solid, validation dashed."""
    fig = Figure(figsize=(FULL_WIDTH_IN, 3.0), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    for i, (label, history) in enumerate(histories.items()):
        colour = f"C{i}"
        for split, style in (("train", "-"), ("val", "--")):
            loss_ax.plot(history["epoch"], history[f"{split}_loss"], style, color=colour)
            acc_ax.plot(history["epoch"], 100 * history[f"{split}_acc"], style, color=colour)
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    handles = [Line2D([], [], color=f"C{i}", label=label) for i, label in enumerate(histories)]
    handles += [Line2D([], [], color="gray", ls="-", label="train"), Line2D([], [], color="gray", ls="--", label="validation")]
    acc_ax.legend(handles=handles, fontsize="small", loc="best")
    return fig


def prediction_figure(image: torch.Tensor, table: pd.DataFrame, source: str) -> Figure:
    """The image beside a bar chart of its most probable classes."""
    fig = Figure(figsize=(FULL_WIDTH_IN, 2.6), layout="constrained")
    image_ax, bar_ax = fig.subplots(1, 2, width_ratios=[1, 1.3])
    show_image(image_ax, image.permute(1, 2, 0).numpy(), source, fontsize=8)
    bar_ax.barh(table["class"][::-1], 100 * table["probability"][::-1], color="C0")
    for y, p in enumerate(100 * table["probability"][::-1]):
        bar_ax.text(p, y, f" {p:.1f}%", va="center", fontsize="small")
    bar_ax.set(xlabel="probability (%)", ylabel="ImageNet class", xlim=(0, max(100 * table["probability"].max() * 1.25, 1)))
    bar_ax.grid(axis="y", visible=False)
    return fig


def preprocessing_figure(image: torch.Tensor, tensor: torch.Tensor, source: str) -> Figure:
    """The photo, and the tensor the network receives: its three normalised channels on one
    colour scale, with the scale's bar (the values are what the first convolution sees)."""
    fig = Figure(figsize=(FULL_WIDTH_IN, 2.3), layout="constrained")
    axes = fig.subplots(1, 4, width_ratios=[1.3, 1, 1, 1])
    show_image(axes[0], image.permute(1, 2, 0).numpy(), f"{source}: {image.shape[1]}×{image.shape[2]} px", FLOOR_PT + 0.5)
    norm = Normalize(-float(tensor.abs().max()), float(tensor.abs().max()))  # one scale for the three channels
    for ax, channel, name in zip(axes[1:], tensor, ("R", "G", "B")):
        shown = ax.imshow(channel.numpy(), cmap="RdBu_r", norm=norm)
        ax.set_title(f"input {name}: {channel.shape[0]}×{channel.shape[1]}", fontsize=FLOOR_PT + 0.5)
        ax.axis("off")
        image_axes(ax)
    fig.colorbar(shown, ax=axes[1:], shrink=0.85, label="normalised value")
    return fig


def accuracy_vs_parameters(rows: pd.DataFrame) -> Figure | None:
    """Test accuracy against total parameters (log scale), one labelled point per model;
    None when fewer than two models have a result, since one point compares nothing.

    `rows` has columns model, parameters, test accuracy (%), trainable parameters.
    """
    if len(rows) < 2:
        return None
    fig = Figure(figsize=(FULL_WIDTH_IN, 3.2), layout="constrained")
    ax = fig.subplots()
    for i, row in enumerate(rows.itertuples(index=False)):
        # Models of one architecture share a parameter count: alternate marker and label side.
        ax.scatter(row.parameters, row.accuracy, s=60, color=f"C{i}", marker="osD^"[i % 4])
        ax.annotate(f"{row.model}\n({row.trainable:,} trainable)", (row.parameters, row.accuracy), xytext=(7, 4 - 8 * (i % 2)),
                    textcoords="offset points", va="top" if i % 2 else "bottom", fontsize="small")
    ax.set_xscale("log")
    ax.set(xlabel="total parameters (log scale)", ylabel="test accuracy (%)")
    ax.margins(x=0.35, y=0.2)
    return fig
