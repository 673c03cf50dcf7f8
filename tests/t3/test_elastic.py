"""The U-Net elastic deformation: Gaussian coarse grid, interpolating cubic field, resampling."""

import numpy as np
import pytest

from hw3core import figures, images
from hw3core.t3 import elastic


def test_coarse_displacements_are_gaussian_with_the_papers_deviation():
    draws = elastic.coarse_displacements(np.random.default_rng(0), grid=3, sigma=10.0)
    assert draws.shape == (2, 3, 3)
    many = np.concatenate([elastic.coarse_displacements(np.random.default_rng(s)).ravel() for s in range(400)])
    assert many.std() == pytest.approx(elastic.SIGMA, rel=0.05)
    assert abs(many.mean()) < 0.5


@pytest.mark.parametrize("shape", [(65, 65), (64, 80), (303, 303)])
def test_dense_field_passes_through_the_corner_control_points(shape):
    coarse = elastic.coarse_displacements(np.random.default_rng(1))
    field = elastic.dense_displacements(coarse, shape)
    assert field.shape == (2, *shape)
    np.testing.assert_allclose(field[:, [0, 0, -1, -1], [0, -1, 0, -1]], coarse[:, [0, 0, -1, -1], [0, -1, 0, -1]],
                               atol=1e-6)
    if shape[0] % 2 and shape[1] % 2:
        np.testing.assert_allclose(field[:, shape[0] // 2, shape[1] // 2], coarse[:, 1, 1], atol=1e-6)


def test_dense_field_is_smooth_and_reproduces_a_constant_shift():
    coarse = elastic.coarse_displacements(np.random.default_rng(2))
    field = elastic.dense_displacements(coarse, (128, 128))
    step = np.abs(np.diff(field, axis=1)).max()
    assert step < 4 * np.abs(coarse).max() / 128 * 3  # no pixel-to-pixel jumps: a smooth field
    constant = elastic.dense_displacements(np.full((2, 3, 3), 4.0), (50, 60))
    np.testing.assert_allclose(constant, 4.0, atol=1e-9)


def test_warp_with_no_displacement_is_the_identity_and_an_integer_shift_moves_pixels():
    image = images.sample_image("camera", 64)
    np.testing.assert_allclose(elastic.warp(image, np.zeros((2, 64, 64))), image, atol=1e-9)
    shift = np.zeros((2, 64, 64))
    shift[1] = 5.0
    moved = elastic.warp(image, shift)
    np.testing.assert_allclose(moved[:, :-5], image[:, 5:], atol=1e-9)


def test_order_zero_keeps_labels_and_colour_images_warp_per_channel():
    labels = (np.arange(40 * 40).reshape(40, 40) // 300 % 3).astype(float)
    deformation = elastic.elastic_deform(labels, seed=3, order=0)
    assert set(np.unique(deformation.image)) <= {0.0, 1.0, 2.0}
    assert not np.array_equal(deformation.image, labels)
    rgb = np.stack([labels, labels * 2, labels * 3], axis=-1)
    warped = elastic.warp(rgb, deformation.field, order=0)
    np.testing.assert_array_equal(warped[..., 2], 3 * deformation.image)


def test_deformations_are_seeded():
    image = images.sample_image("coins", 48)
    a, b, c = (elastic.elastic_deform(image, seed) for seed in (5, 5, 6))
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.allclose(a.field, c.field)


def test_sample_images_load_offline_and_unknown_names_fail_clearly():
    for name in ("coins", "cell", "astronaut"):
        image = images.sample_image(name, 32)
        assert image.shape == (32, 32) and 0.0 <= image.min() <= image.max() <= 1.0
    with pytest.raises(ValueError, match="bundled"):
        images.sample_image("cells3d")


def test_plot_is_fit_to_print():
    image = images.sample_image("coins", 64)
    assert figures.audit(elastic.plot_elastic(image, elastic.elastic_deform(image, seed=0), spacing=16)) == []
