"""The receptive field of T1 (b) (hw3core.t1.receptive_field) against the gradient of real networks."""

import numpy as np
import pytest

from hw3core import figures
from hw3core.t1 import costs, networks, receptive_field
from hw3core.t1.layers import Conv


@pytest.mark.parametrize(
    "layers",
    [
        networks.standard_convs(),
        networks.separable_convs(),
        [Conv("a", 2, 3, 1, 1), Conv("b", 2, 2, 2, 0), Conv("c", 2, 3, 1, 0), Conv("d", 2, 5, 3, 1)],
    ],
    ids=["part-b", "part-c", "mixed"],
)
def test_receptive_field_is_the_gradient_footprint_of_a_positive_network(layers):
    size = 64
    shape = (3, size, size)
    model = receptive_field.positive_model(layers, shape)
    out_size = costs.measure(lambda: networks.build(layers, shape), shape).shape[-1]
    for neuron in [(0, 0), (out_size // 2, out_size // 2), (out_size - 1, 1)]:
        footprint = receptive_field.gradient_footprint(model, shape, neuron)
        rows, cols = np.nonzero(footprint.sum(axis=1))[0], np.nonzero(footprint.sum(axis=0))[0]
        *_, r_lo, r_hi = receptive_field.input_span(layers, neuron[0], size)
        *_, c_lo, c_hi = receptive_field.input_span(layers, neuron[1], size)
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == (r_lo, r_hi, c_lo, c_hi)
        assert np.count_nonzero(footprint) == (r_hi - r_lo + 1) * (c_hi - c_lo + 1)


def test_unclipped_span_has_the_receptive_field_size():
    layers = networks.standard_convs()
    r = receptive_field.receptive_field_table(layers).iloc[-1]["receptive field"]
    for index in range(16):
        lo, hi, clipped_lo, clipped_hi = receptive_field.input_span(layers, index, 128)
        assert hi - lo + 1 == r
        assert 0 <= clipped_lo <= clipped_hi <= 127


def test_effective_receptive_field_concentrates_in_the_centre():
    layers = networks.standard_convs()
    footprint = receptive_field.effective_receptive_field(layers, (4, 4), size=64, samples=8)
    assert receptive_field.central_share(footprint, layers, (4, 4), side=29) == pytest.approx(1.0)
    share = receptive_field.central_share(footprint, layers, (4, 4), side=15)
    assert share > (15 / 29) ** 2


def test_receptive_field_figure_is_fit_to_print():
    layers = networks.standard_convs()
    footprint = receptive_field.effective_receptive_field(layers, (4, 4), size=64, samples=2)
    image = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    assert figures.audit(receptive_field.plot_receptive_field(image, layers, [(4, 4), (0, 0)], footprint)) == []


def test_interior_neurons_see_only_real_pixels_and_the_rest_touch_padding():
    layers = networks.standard_convs()
    interior = receptive_field.interior_neurons(layers)
    for i in range(16):
        lo, hi, clipped_lo, clipped_hi = receptive_field.input_span(layers, i, 128)
        assert (i in interior) == (lo >= 0 and hi <= 127)
    assert interior == list(range(interior[0], interior[-1] + 1))
