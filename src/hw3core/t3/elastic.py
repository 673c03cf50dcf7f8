"""The elastic deformation augmentation of U-Net, after the paper's description: T3 (b).

Ronneberger et al. (2015), section 3.1, says only this: random displacement vectors on a
coarse 3 x 3 grid, drawn from a Gaussian with 10 px standard deviation, turned into
per-pixel displacements by bicubic interpolation. The rest is ours: the 3 x 3 control
points sit on the image's corners, edge midpoints and centre; a cubic spline
(`scipy.ndimage.zoom`, order 3) passes through them and fills in every pixel; the image is
then resampled at the displaced positions (`map_coordinates`, cubic for images, nearest
for label maps so that labels stay labels). Everything is driven by one seed.

Figures are made with `Figure()`, not pyplot: a chapter cell that returns one then shows
it once (the inline backend would display a pyplot figure a second time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from scipy.ndimage import map_coordinates, zoom

from ..figures import FULL_WIDTH_IN, image_axes, rgb

GRID = 3
SIGMA = 10.0


def coarse_displacements(rng: np.random.Generator, grid: int = GRID, sigma: float = SIGMA) -> np.ndarray:
    """(2, grid, grid): row and column displacement, in pixels, at each control point."""
    return rng.normal(0.0, sigma, size=(2, grid, grid))


def dense_displacements(coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(2, H, W): the coarse field interpolated by a cubic spline to every pixel.

    `grid_mode=False` maps the first and last control points onto the first and last
    pixels, so the spline passes exactly through the sampled corner displacements.
    """
    factors = (shape[0] / coarse.shape[1], shape[1] / coarse.shape[2])
    return np.stack([zoom(c, factors, order=3, mode="mirror", grid_mode=False) for c in coarse])


def warp(image: np.ndarray, field: np.ndarray, order: int = 3) -> np.ndarray:
    """out(p) = image(p + d(p)); reflecting at the borders. (H, W) or (H, W, C) images."""
    rows, cols = np.meshgrid(np.arange(field.shape[1]), np.arange(field.shape[2]), indexing="ij")
    coords = np.stack([rows + field[0], cols + field[1]])
    if image.ndim == 3:
        return np.stack([warp(image[..., c], field, order) for c in range(image.shape[-1])], axis=-1)
    return map_coordinates(image, coords, order=order, mode="reflect")


@dataclass(frozen=True)
class Deformation:
    """One random elastic deformation: the coarse draws, the dense field, the result."""

    coarse: np.ndarray
    field: np.ndarray
    image: np.ndarray


def elastic_deform(image: np.ndarray, seed: int, grid: int = GRID, sigma: float = SIGMA,
                   order: int = 3) -> Deformation:
    """Deform `image` with a fresh field drawn from `seed`; apply `.field` to its labels with order 0."""
    coarse = coarse_displacements(np.random.default_rng(seed), grid, sigma)
    field = dense_displacements(coarse, image.shape[:2])
    return Deformation(coarse, field, warp(image, field, order))


def plot_elastic(image: np.ndarray, deformation: Deformation, spacing: int = 32, arrow_scale: float = 1.5) -> Figure:
    """Original with its grid and the control-point displacements; the deformed image with the
    same grid carried along; and the per-pixel displacement magnitude.

    A grid line x = c of the input appears in the output where col + d_col(p) = c, so the
    deformed grid is drawn exactly as contours of the sampling coordinates.
    """
    h, w = image.shape[:2]
    field = deformation.field
    lines_r, lines_c = np.arange(0, h, spacing), np.arange(0, w, spacing)
    fig = Figure(figsize=(FULL_WIDTH_IN, 2.7))
    orig, warped, magnitude = (image_axes(ax) for ax in fig.subplots(1, 3))
    orig.imshow(rgb(image))
    orig.hlines(lines_r, -0.5, w - 0.5, color="yellow", linewidth=0.5)
    orig.vlines(lines_c, -0.5, h - 0.5, color="yellow", linewidth=0.5)
    grid = deformation.coarse.shape[1]
    points = np.linspace(0, h - 1, grid), np.linspace(0, w - 1, grid)
    pr, pc = np.meshgrid(*points, indexing="ij")
    orig.quiver(pc, pr, deformation.coarse[1] * arrow_scale, deformation.coarse[0] * arrow_scale,
                color="red", angles="xy", scale_units="xy", scale=1, width=0.012)
    orig.scatter(pc, pr, color="red", s=12)
    orig.set_title(f"original, {grid}×{grid} control-point\ndisplacements (×{arrow_scale:g})", fontsize=8)
    warped.imshow(rgb(deformation.image))
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    warped.contour(rows + field[0], levels=lines_r, colors="yellow", linewidths=0.5)
    warped.contour(cols + field[1], levels=lines_c, colors="yellow", linewidths=0.5)
    warped.set_title("deformed, with the\ndeformed grid", fontsize=8)
    shown = magnitude.imshow(np.hypot(field[0], field[1]), cmap="viridis")
    magnitude.set_title("displacement of\neach pixel", fontsize=8)
    bar = fig.colorbar(shown, ax=magnitude, fraction=0.046, label="|displacement| (pixels)")
    bar.ax.tick_params(labelsize=8)
    reach = float(np.abs(deformation.coarse).max() * arrow_scale) + 4  # room for the corner arrows
    for ax in (orig, warped, magnitude):
        margin = reach if ax is orig else 0.0
        ax.set_xlim(-0.5 - margin, w - 0.5 + margin)
        ax.set_ylim(h - 0.5 + margin, -0.5 - margin)
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig
