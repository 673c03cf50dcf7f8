"""The closed forms of hw3core.t1.convmath against what real PyTorch modules do."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from hw3core.t1 import convmath as cm

SPEC_CASES = [
    (cm.Conv("c", 7, kernel=3, stride=1, padding=1), (4, 11, 13)),
    (cm.Conv("c", 5, kernel=5, stride=2, padding=2), (3, 16, 9)),
    (cm.Conv("c", 2, kernel=4, stride=3, padding=0), (6, 20, 17)),
    (cm.Depthwise("d", kernel=3, stride=2, padding=1), (5, 12, 15)),
    (cm.SeparableConv("s", 8, kernel=5, stride=2, padding=2), (6, 16, 16)),
    (cm.SeparableConv("s", 3, kernel=3, stride=1, padding=0), (4, 9, 10)),
    (cm.Flatten(), (3, 4, 5)),
    (cm.GlobalAvgPool(), (6, 5, 7)),
    (cm.Linear("fc", 9), (37,)),
]


@pytest.mark.parametrize("size,kernel,stride,padding", [(128, 5, 2, 2), (64, 3, 1, 1), (31, 4, 3, 0), (7, 7, 1, 3)])
def test_output_size_formula_matches_a_real_convolution(size, kernel, stride, padding):
    out = nn.Conv2d(1, 1, kernel, stride, padding)(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == cm.conv_output_size(size, kernel, stride, padding)


@pytest.mark.parametrize("layer,shape", SPEC_CASES, ids=[f"{type(l).__name__}-{s}" for l, s in SPEC_CASES])
def test_every_closed_form_matches_pytorch_on_cpu(layer, shape):
    module = layer.module(shape)
    measured = cm.measure(lambda: module, shape, device="cpu")
    assert measured.shape == layer.output_shape(shape)
    assert measured.params == layer.weights(shape) + layer.biases(shape)
    assert measured.mults == layer.mults(shape)
    weights = sum(p.numel() for n, p in module.named_parameters() if n.endswith("weight"))
    assert weights == layer.weights(shape)


def test_meta_and_cpu_measures_agree_on_the_whole_network():
    layers = [*cm.standard_convs(), *cm.HEADS["Flatten+FC"]]
    meta = cm.measure(lambda: cm.build(layers), cm.INPUT_SHAPE)
    cpu = cm.measure(lambda: cm.build(layers), cm.INPUT_SHAPE, device="cpu")
    assert meta == cpu


@pytest.mark.parametrize("backbone", [cm.standard_convs, cm.separable_convs])
def test_layer_tables_agree_with_pytorch_and_sum_to_the_whole_model(backbone):
    table = cm.layer_table(backbone())
    assert cm.formula_matches_pytorch(table)
    whole = cm.measure(lambda: cm.build(backbone()), cm.INPUT_SHAPE)
    total = table.set_index("layer").loc["total"]
    assert total["params (PyTorch)"] == whole.params
    assert total["mults (PyTorch)"] == whole.mults
    assert table["output (PyTorch)"].iloc[-2] == cm._shape_text(whole.shape)


def test_formula_matches_pytorch_notices_a_disagreement():
    table = cm.layer_table(cm.standard_convs())
    table.loc[0, "mults (PyTorch)"] += 1
    assert not cm.formula_matches_pytorch(table)


def test_separable_layers_of_part_c_keep_the_shapes_of_part_b():
    standard, separable = cm.standard_convs(), cm.separable_convs()
    assert [type(x) for x in separable] == [cm.Conv, cm.SeparableConv, cm.SeparableConv]
    shape_b = shape_c = cm.INPUT_SHAPE
    for b, c in zip(standard, separable):
        shape_b, shape_c = b.output_shape(shape_b), c.output_shape(shape_c)
        assert shape_b == shape_c


def test_separable_cost_ratio_is_one_over_n_plus_one_over_k_squared():
    table = cm.separable_ratio_table(kernels=(3, 5), out_channels=(16, 48), in_channels=8, size=12)
    np.testing.assert_allclose(table["measured ratio"], table["1/N + 1/K²"], rtol=1e-12)
    for k, n in zip(table["K"], table["N"]):
        shape = (8, 12, 12)
        standard = cm.Conv("a", n, k, padding=k // 2)
        separable = cm.SeparableConv("b", n, k, padding=k // 2)
        assert separable.weights(shape) / standard.weights(shape) == pytest.approx(1 / n + 1 / k**2)


def test_head_table_totals_are_the_whole_models_and_the_fc_share_is_consistent():
    heads = cm.head_table()
    assert (heads["total (formula)"] == heads["total (PyTorch)"]).all()
    for _, row in heads.iterrows():
        layers = [*cm.BACKBONES[row["backbone"]](), *cm.HEADS[row["head"]]]
        model = cm.build(layers)
        assert sum(p.numel() for p in model.parameters()) == row["total (PyTorch)"]
        last = model[-1]
        assert isinstance(last, nn.Linear) and last.out_features == cm.CLASSES
    np.testing.assert_allclose(heads["head share (%)"], 100 * heads["head params"] / heads["total (PyTorch)"])
    flatten = heads[heads["head"] == "Flatten+FC"]
    features = int(np.prod(cm.build(cm.standard_convs())(torch.zeros(1, *cm.INPUT_SHAPE)).shape))
    assert (flatten["head params"] == features * cm.CLASSES + cm.CLASSES).all()
    assert (flatten["head mults"] == features * cm.CLASSES).all()
    assert (heads.groupby("backbone")["total (PyTorch)"].idxmin() == heads[heads["head"] == "GAP+FC"].index).all()


@pytest.mark.parametrize(
    "layers",
    [
        cm.standard_convs(),
        cm.separable_convs(),
        [cm.Conv("a", 2, 3, 1, 1), cm.Conv("b", 2, 2, 2, 0), cm.Conv("c", 2, 3, 1, 0), cm.Conv("d", 2, 5, 3, 1)],
    ],
    ids=["part-b", "part-c", "mixed"],
)
def test_receptive_field_is_the_gradient_footprint_of_a_positive_network(layers):
    size = 64
    shape = (3, size, size)
    model = cm.positive_model(layers, shape)
    out_size = cm.measure(lambda: cm.build(layers, shape), shape).shape[-1]
    for neuron in [(0, 0), (out_size // 2, out_size // 2), (out_size - 1, 1)]:
        footprint = cm.gradient_footprint(model, shape, neuron)
        rows, cols = np.nonzero(footprint.sum(axis=1))[0], np.nonzero(footprint.sum(axis=0))[0]
        *_, r_lo, r_hi = cm.input_span(layers, neuron[0], size)
        *_, c_lo, c_hi = cm.input_span(layers, neuron[1], size)
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == (r_lo, r_hi, c_lo, c_hi)
        assert np.count_nonzero(footprint) == (r_hi - r_lo + 1) * (c_hi - c_lo + 1)


def test_unclipped_span_has_the_receptive_field_size():
    layers = cm.standard_convs()
    r = cm.receptive_field_table(layers).iloc[-1]["receptive field"]
    for index in range(16):
        lo, hi, clipped_lo, clipped_hi = cm.input_span(layers, index, 128)
        assert hi - lo + 1 == r
        assert 0 <= clipped_lo <= clipped_hi <= 127


def test_effective_receptive_field_concentrates_in_the_centre():
    layers = cm.standard_convs()
    footprint = cm.effective_receptive_field(layers, (4, 4), size=64, samples=8)
    assert cm.central_share(footprint, layers, (4, 4), side=29) == pytest.approx(1.0)
    share = cm.central_share(footprint, layers, (4, 4), side=15)
    assert share > (15 / 29) ** 2


def test_figures_are_figures():
    layers = cm.standard_convs()
    footprint = cm.effective_receptive_field(layers, (4, 4), size=64, samples=2)
    image = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    assert isinstance(cm.plot_receptive_field(image, layers, [(4, 4), (0, 0)], footprint), Figure)
    assert isinstance(cm.plot_heads(cm.head_table()), Figure)


def test_interior_neurons_see_only_real_pixels_and_the_rest_touch_padding():
    layers = cm.standard_convs()
    interior = cm.interior_neurons(layers)
    for i in range(16):
        lo, hi, clipped_lo, clipped_hi = cm.input_span(layers, i, 128)
        assert (i in interior) == (lo >= 0 and hi <= 127)
    assert interior == list(range(interior[0], interior[-1] + 1))
