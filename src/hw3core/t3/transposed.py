"""Transposed convolution from scratch, T3 (c): the scatter definition and the zero-insertion view.

Scatter: every input element multiplies the whole kernel and adds it into the output at
(i*s, j*s); the output is the sum of these partial maps, with `padding` rows/columns then
cut from each border (and `output_padding` extra rows/columns allowed at the bottom/right).
Zero insertion: the same result is an ordinary (cross-correlation) convolution, stride 1,
of the input with s-1 zeros inserted between elements and k-1-p zeros padded around it,
with the kernel flipped in both spatial axes and its in/out channel roles swapped
(Dumoulin & Visin, 2016). Both are checked against `torch.nn.functional.conv_transpose2d`,
whose weight layout (C_in, C_out, kh, kw) they share.

Figures are made with `Figure()`, not pyplot: a chapter cell that returns one then shows
it once (the inline backend would display a pyplot figure a second time).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.lib.stride_tricks import sliding_window_view

from ..figures import FLOOR_PT, FULL_WIDTH_IN, diagram


def _as_channels(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Promote a single-channel (H, W) input and (kh, kw) kernel to the channel layout."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.ndim == 2 and w.ndim == 2:
        return x[None], w[None, None], True
    if x.ndim != 3 or w.ndim != 4 or w.shape[0] != x.shape[0]:
        raise ValueError(
            f"expected x (H, W) with w (kh, kw), or x (C_in, H, W) with w (C_in, C_out, kh, kw); "
            f"got x {x.shape}, w {w.shape}"
        )
    return x, w, False


def _check(stride: int, padding: int, output_padding: int) -> None:
    if stride < 1 or padding < 0 or not 0 <= output_padding < stride:
        raise ValueError(
            f"need stride >= 1, padding >= 0 and 0 <= output_padding < stride (as PyTorch); "
            f"got stride={stride}, padding={padding}, output_padding={output_padding}"
        )


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0) -> int:
    """(n - 1) s - 2p + k + output_padding: the inverse of the convolution size formula."""
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def partial_outputs(x: np.ndarray, w: np.ndarray, stride: int = 1, output_padding: int = 0) -> np.ndarray:
    """One output-sized map per input element: x[:, i, j] times the kernel, placed at (i s, j s).

    Shape (H, W, C_out, full_h, full_w) with full = (n - 1) s + k + output_padding, before
    any padding is cut; for a single-channel input the C_out axis is dropped.
    """
    _check(stride, 0, output_padding)
    x, w, single = _as_channels(x, w)
    _, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    full = (output_size(h, kh, stride, 0, output_padding), output_size(wd, kw, stride, 0, output_padding))
    parts = np.zeros((h, wd, c_out, *full))
    for i in range(h):
        for j in range(wd):
            parts[i, j, :, i * stride:i * stride + kh, j * stride:j * stride + kw] = np.einsum(
                "c,cokl->okl", x[:, i, j], w
            )
    return parts[:, :, 0] if single else parts


def conv_transpose2d(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0,
                     output_padding: int = 0) -> np.ndarray:
    """Transposed convolution by the scatter definition: sum the partial maps, cut the padding."""
    _check(stride, padding, output_padding)
    full = partial_outputs(x, w, stride, output_padding).sum(axis=(0, 1))
    h, wd = np.asarray(x).shape[-2:]
    kh, kw = np.asarray(w).shape[-2:]
    rows = output_size(h, kh, stride, padding, output_padding)
    cols = output_size(wd, kw, stride, padding, output_padding)
    if rows < 1 or cols < 1:
        raise ValueError(f"padding={padding} leaves no output for a {h}x{wd} input and a {kh}x{kw} kernel")
    return full[..., padding:padding + rows, padding:padding + cols]


@dataclass(frozen=True)
class ZeroInsertion:
    """The stages of the zero-insertion view, single-channel arrays kept for display."""

    upsampled: np.ndarray  # input with stride-1 zeros between elements
    padded: np.ndarray  # ... then k-1-p zeros around (plus output_padding at bottom/right)
    flipped: np.ndarray  # kernel rotated by 180 degrees, in/out channels swapped
    output: np.ndarray


def insert_zeros(x: np.ndarray, stride: int) -> np.ndarray:
    """(C, H, W) -> (C, (H-1)s+1, (W-1)s+1) with the input at every s-th position."""
    c, h, w = x.shape
    up = np.zeros((c, (h - 1) * stride + 1, (w - 1) * stride + 1))
    up[:, ::stride, ::stride] = x
    return up


def correlate(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Ordinary stride-1, unpadded convolution as nn.Conv2d computes it (no flip).

    x (C_in, H, W), w (C_out, C_in, kh, kw) -> (C_out, H-kh+1, W-kw+1).
    """
    windows = sliding_window_view(x, w.shape[-2:], axis=(1, 2))  # (C_in, H', W', kh, kw)
    return np.einsum("cyxab,ocab->oyx", windows, w)


def zero_insertion(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0,
                   output_padding: int = 0) -> ZeroInsertion:
    """Transposed convolution as zero insertion + padding + convolution with the flipped kernel."""
    _check(stride, padding, output_padding)
    x, w, single = _as_channels(x, w)
    kh, kw = w.shape[-2:]
    if padding > min(kh, kw) - 1:
        raise ValueError(f"the zero-insertion view needs padding <= kernel - 1 (= {min(kh, kw) - 1}); got {padding}")
    up = insert_zeros(x, stride)
    ph, pw = kh - 1 - padding, kw - 1 - padding
    padded = np.pad(up, ((0, 0), (ph, ph + output_padding), (pw, pw + output_padding)))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    out = correlate(padded, flipped)
    if single:
        return ZeroInsertion(up[0], padded[0], flipped[0, 0], out[0])
    return ZeroInsertion(up, padded, flipped, out)


def conv_matrix(w: np.ndarray, input_shape: tuple[int, int], stride: int = 1, padding: int = 0) -> np.ndarray:
    """The matrix C of the ordinary single-channel convolution: vec(conv(y)) = C vec(y).

    Column k is the convolution of the k-th basis image. The transposed convolution with
    the same kernel, stride and padding is multiplication by C transposed (hence its name):
    it maps the convolution's output shape back to its input shape.
    """
    w = np.asarray(w, dtype=float)
    columns = []
    for k in range(input_shape[0] * input_shape[1]):
        basis = np.zeros(input_shape)
        basis.flat[k] = 1.0
        padded = np.pad(basis, padding)[None]
        columns.append(correlate(padded, w[None, None])[0, ::stride, ::stride].ravel())
    return np.stack(columns, axis=1)


def pytorch_conv_transpose2d(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0,
                             output_padding: int = 0) -> np.ndarray:
    """The reference: torch.nn.functional.conv_transpose2d on the same arrays (float64)."""
    x3, w4, single = _as_channels(x, w)
    out = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x3)[None], torch.from_numpy(np.ascontiguousarray(w4)),
        stride=stride, padding=padding, output_padding=output_padding,
    )[0].numpy()
    return out[0] if single else out


def contribution_table(x: np.ndarray, w: np.ndarray, stride: int = 1) -> pd.DataFrame:
    """For each output cell of a single-channel example: which x[i,j] * W[a,b] products land there.

    A cell (r, c) collects x[i, j] W[a, b] for every i s + a = r and j s + b = c.
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    full = conv_transpose2d(x, w, stride)
    products: dict[tuple[int, int], list[str]] = {cell: [] for cell in np.ndindex(*full.shape)}
    for (i, j), (a, b) in itertools.product(np.ndindex(*x.shape), np.ndindex(*w.shape)):
        products[(i * stride + a, j * stride + b)].append(f"{x[i, j]:g}·{w[a, b]:g}")
    return pd.DataFrame(
        {
            "output cell": [f"({r}, {c})" for r, c in products],
            "products x[i,j]·W[a,b]": [" + ".join(terms) for terms in products.values()],
            "value": [full[cell] for cell in products],
        }
    )


# --- display ----------------------------------------------------------------------------


def latex_matrix(a: np.ndarray) -> str:
    """A 2-D array as a LaTeX bmatrix; integral values without decimals."""
    a = np.asarray(a)
    cell = (lambda v: f"{v:.0f}") if np.allclose(a, np.round(a)) else (lambda v: f"{v:.3g}")
    rows = [" & ".join(cell(v) for v in row) for row in a]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def steps_latex(x: np.ndarray, w: np.ndarray, stride: int = 1) -> str:
    """Markdown display math for every scatter step of a single-channel example, then the sum.

    P_ij = x_ij * W placed at (i s, j s); two partial maps per line, then Y = sum P_ij.
    """
    x = np.asarray(x)
    parts = partial_outputs(x, w, stride)
    terms = [
        rf"P_{{{i}{j}}} = {x[i][j]:g}\cdot W = {latex_matrix(parts[i, j])}"
        for i in range(parts.shape[0])
        for j in range(parts.shape[1])
    ]
    lines = [r" \qquad ".join(terms[k:k + 2]) for k in range(0, len(terms), 2)]
    names = " + ".join(rf"P_{{{i}{j}}}" for i in range(parts.shape[0]) for j in range(parts.shape[1]))
    lines.append(rf"Y = {names} = {latex_matrix(parts.sum(axis=(0, 1)))}")
    return "\n\n".join(f"$${line}$$" for line in lines)


_PALETTE = ["#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec", "#f2f2f2"]


def _draw_matrix(ax: Axes, a: np.ndarray, colors: np.ndarray | None = None, title: str = "") -> None:
    """Draw a small matrix as a grid of annotated cells; `colors` gives each cell a fill."""
    rows, cols = a.shape
    for r in range(rows):
        for c in range(cols):
            fill = "white" if colors is None or colors[r][c] is None else colors[r][c]
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=fill, edgecolor="0.4", linewidth=0.8))
            ax.text(c + 0.5, r + 0.5, f"{a[r, c]:g}", ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.05, cols + 0.05)
    ax.set_ylim(rows + 0.05, -0.05)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=FLOOR_PT + 0.5)
    diagram(ax)


def plot_scatter_steps(x: np.ndarray, w: np.ndarray, strides: tuple[int, ...] = (1, 2)) -> Figure:
    """One row per stride: input, kernel, the partial map of each input element, their sum.

    Each input element has a colour; its partial map shows the kernel-sized block it
    writes in that colour, so overlaps (summed cells) are visible in the total.
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    n = x.size
    fig = Figure(figsize=(FULL_WIDTH_IN, 1.5 * len(strides)))
    axes = fig.subplots(len(strides), n + 3, gridspec_kw={"width_ratios": [2, 2] + [4] * (n + 1)}, squeeze=False)
    element_colors = np.array(_PALETTE[:n], dtype=object).reshape(x.shape)
    for row, stride in zip(axes, strides):
        parts = partial_outputs(x, w, stride)
        _draw_matrix(row[0], x, element_colors, "input x")
        _draw_matrix(row[1], w, None, "kernel W")
        for k, (i, j) in enumerate(np.ndindex(*x.shape)):
            block = np.full(parts.shape[2:], None, dtype=object)
            block[i * stride:i * stride + w.shape[0], j * stride:j * stride + w.shape[1]] = element_colors[i, j]
            _draw_matrix(row[2 + k], parts[i, j], block, f"{x[i, j]:g}·W at ({i * stride},{j * stride})")
        _draw_matrix(row[-1], parts.sum(axis=(0, 1)), None, f"sum, stride {stride}")
    fig.tight_layout()
    return fig


def _prepared_title(stride: int, pad: int) -> str:
    """What was done to the input: at stride 1 nothing is inserted, only the border padded."""
    inserted = "no zeros inserted" if stride == 1 else f"{stride - 1} zero{'s' * (stride > 2)} inserted between elements"
    return f"stride {stride}: {inserted}, padded by {pad}"


def plot_zero_insertion(x: np.ndarray, w: np.ndarray, strides: tuple[int, ...] = (1, 2),
                        padding: int = 0) -> Figure:
    """One row per stride: zero-inserted and padded input, flipped kernel, ordinary conv result.

    Input values are coloured, inserted zeros white, border padding grey; the first window
    of the convolution (the kernel over the top-left corner) is outlined.
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    fig = Figure(figsize=(FULL_WIDTH_IN, 2.1 * len(strides)))
    axes = fig.subplots(len(strides), 3, gridspec_kw={"width_ratios": [6, 2, 4]}, squeeze=False)
    for row, stride in zip(axes, strides):
        view = zero_insertion(x, w, stride, padding)
        pad = w.shape[0] - 1 - padding
        colors = np.full(view.padded.shape, "#dddddd", dtype=object)
        colors[pad:pad + view.upsampled.shape[0], pad:pad + view.upsampled.shape[1]] = "white"
        colors[pad:pad + view.upsampled.shape[0]:stride, pad:pad + view.upsampled.shape[1]:stride] = "#b3cde3"
        _draw_matrix(row[0], view.padded, colors, _prepared_title(stride, pad))
        row[0].add_patch(Rectangle((0, 0), w.shape[1], w.shape[0], fill=False, edgecolor="tab:red", linewidth=2))
        _draw_matrix(row[1], view.flipped, None, "flipped W")
        _draw_matrix(row[2], view.output, None, "ordinary convolution")
    fig.tight_layout()
    return fig
