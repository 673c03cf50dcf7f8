"""Figures for the transfer-learning chapter (P3): curves, a prediction, accuracy against size.

Each function takes results (histories, tables) and returns one matplotlib Figure (not
managed by pyplot, so it is shown exactly once), so a chapter cell is a single call. Labels are English: matplotlib does not shape Persian.
"""

from __future__ import annotations

import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D


def training_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Loss and accuracy per epoch: one colour per model, train solid, validation dashed."""
    fig = Figure(figsize=(8.0, 3.4), layout="constrained")
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
    fig = Figure(figsize=(8.0, 3.0), layout="constrained")
    image_ax, bar_ax = fig.subplots(1, 2, width_ratios=[1, 1.3])
    image_ax.imshow(image.permute(1, 2, 0).numpy())
    image_ax.set_title(source, fontsize="small")
    image_ax.axis("off")
    bar_ax.barh(table["class"][::-1], 100 * table["probability"][::-1], color="C0")
    for y, p in enumerate(100 * table["probability"][::-1]):
        bar_ax.text(p, y, f" {p:.1f}%", va="center", fontsize="small")
    bar_ax.set(xlabel="probability (%)", xlim=(0, max(100 * table["probability"].max() * 1.25, 1)))
    bar_ax.grid(axis="y", visible=False)
    return fig


def preprocessing_figure(image: torch.Tensor, tensor: torch.Tensor, source: str) -> Figure:
    """The photo, and the tensor the network receives: its three normalised channels on one
    colour scale, with the scale's bar (the values are what the first convolution sees)."""
    fig = Figure(figsize=(8.0, 2.6), layout="constrained")
    axes = fig.subplots(1, 4, width_ratios=[1.3, 1, 1, 1])
    axes[0].imshow(image.permute(1, 2, 0).numpy())
    axes[0].set_title(f"{source}: {image.shape[1]}×{image.shape[2]} px", fontsize="small")
    limit = float(tensor.abs().max())
    for ax, channel, name in zip(axes[1:], tensor, ("R", "G", "B")):
        shown = ax.imshow(channel.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"input {name}: {channel.shape[0]}×{channel.shape[1]}", fontsize="small")
    for ax in axes:
        ax.axis("off")
    fig.colorbar(shown, ax=axes[1:], shrink=0.85, label="normalised value")
    return fig


def accuracy_vs_parameters(rows: pd.DataFrame) -> Figure:
    """Test accuracy against total parameters (log scale), one labelled point per model.

    `rows` has columns model, parameters, test accuracy (%), trainable parameters.
    """
    fig = Figure(figsize=(6.0, 3.4), layout="constrained")
    ax = fig.subplots()
    for i, row in enumerate(rows.itertuples(index=False)):
        ax.scatter(row.parameters, row.accuracy, s=60, color=f"C{i}")
        ax.annotate(f"{row.model}\n({row.trainable:,} trainable)", (row.parameters, row.accuracy), xytext=(6, -4 - 14 * (i % 2)), textcoords="offset points", fontsize="small")
    ax.set_xscale("log")
    ax.set(xlabel="total parameters (log scale)", ylabel="test accuracy (%)")
    ax.margins(x=0.35, y=0.2)
    return fig
