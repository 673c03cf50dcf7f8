"""Tables of T1 (b)-(d) (hw3core.t1.costs): measured on real modules, equal to the closed forms."""

import numpy as np
import pytest
import torch
from torch import nn

from hw3core import figures
from hw3core.shapes import hwc
from hw3core.t1 import costs, networks
from hw3core.t1.layers import Conv, SeparableConv


def test_meta_and_cpu_measures_agree_on_the_whole_network():
    layers = [*networks.standard_convs(), *networks.HEADS["Flatten+FC"]]
    meta = costs.measure(lambda: networks.build(layers), networks.INPUT_SHAPE)
    cpu = costs.measure(lambda: networks.build(layers), networks.INPUT_SHAPE, device="cpu")
    assert meta == cpu


@pytest.mark.parametrize("backbone", [networks.standard_convs, networks.separable_convs])
def test_layer_tables_agree_with_pytorch_and_sum_to_the_whole_model(backbone):
    table = costs.layer_table(backbone())
    assert costs.formula_matches_pytorch(table)
    whole = costs.measure(lambda: networks.build(backbone()), networks.INPUT_SHAPE)
    total = table.set_index("layer").loc["total"]
    assert total["params (PyTorch)"] == whole.params
    assert total["mults (PyTorch)"] == whole.mults
    assert table["output (PyTorch)"].iloc[-2] == hwc(whole.shape)


def test_formula_matches_pytorch_notices_a_disagreement():
    table = costs.layer_table(networks.standard_convs())
    table.loc[0, "mults (PyTorch)"] += 1
    assert not costs.formula_matches_pytorch(table)


def test_separable_cost_ratio_is_one_over_n_plus_one_over_k_squared():
    table = costs.separable_ratio_table(kernels=(3, 5), out_channels=(16, 48), in_channels=8, size=12)
    np.testing.assert_allclose(table["measured ratio"], table["1/N + 1/K²"], rtol=1e-12)
    for k, n in zip(table["K"], table["N"]):
        shape = (8, 12, 12)
        standard = Conv("a", n, k, padding=k // 2)
        separable = SeparableConv("b", n, k, padding=k // 2)
        assert separable.weights(shape) / standard.weights(shape) == pytest.approx(1 / n + 1 / k**2)


def test_the_fewest_channels_for_a_saving_are_measured_to_reach_it():
    n = costs.channels_for_speedup(8, kernel=3)
    assert n == 72  # 8 * 9 / (9 - 8): MobileNet's "8 to 9 times" starts here
    table = costs.separable_ratio_table(kernels=(3,), out_channels=(n - 1, n), in_channels=8, size=6)
    below, at = table["speed-up"]
    assert below < 8 <= at
    with pytest.raises(ValueError, match="less than 9 times"):
        costs.channels_for_speedup(9, kernel=3)


def test_head_table_totals_are_the_whole_models_and_the_fc_share_is_consistent():
    heads = costs.head_table()
    assert (heads["total (formula)"] == heads["total (PyTorch)"]).all()
    for _, row in heads.iterrows():
        layers = [*networks.BACKBONES[row["backbone"]](), *networks.HEADS[row["head"]]]
        model = networks.build(layers)
        assert sum(p.numel() for p in model.parameters()) == row["total (PyTorch)"]
        last = model[-1]
        assert isinstance(last, nn.Linear) and last.out_features == networks.CLASSES
    np.testing.assert_allclose(heads["head share (%)"], 100 * heads["head params"] / heads["total (PyTorch)"])
    flatten = heads[heads["head"] == "Flatten+FC"]
    features = int(np.prod(networks.build(networks.standard_convs())(torch.zeros(1, *networks.INPUT_SHAPE)).shape))
    assert (flatten["head params"] == features * networks.CLASSES + networks.CLASSES).all()
    assert (flatten["head mults"] == features * networks.CLASSES).all()
    assert (heads.groupby("backbone")["total (PyTorch)"].idxmin() == heads[heads["head"] == "GAP+FC"].index).all()


def test_heads_figure_is_fit_to_print():
    assert figures.audit(costs.plot_heads(costs.head_table())) == []


def test_compare_backbones_ratios_are_one_over_n_plus_one_over_k_squared_per_separable_layer():
    compare = costs.compare_backbones().set_index("layer")
    assert compare.loc["conv1", "params (c)/(b)"] == compare.loc["conv1", "mults (c)/(b)"] == 1
    for name, layer in zip(["conv2", "conv3"], networks.standard_convs()[1:]):
        assert compare.loc[name, "mults (c)/(b)"] == pytest.approx(1 / layer.out_channels + 1 / layer.kernel**2)
    standard = costs.layer_table(networks.standard_convs()).set_index("layer")
    assert compare.loc["total", "params (b)"] == standard.loc["total", "params (PyTorch)"]
    np.testing.assert_allclose(compare["mults (c)/(b)"], compare["mults (c)"] / compare["mults (b)"])
