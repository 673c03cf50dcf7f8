"""Dense connectivity of T2 question 1 (hw3core.t2.connectivity), traced on torchvision's DenseNet-121."""

import pytest
import torch

from hw3core import figures
from hw3core.t2 import connectivity, families


@pytest.fixture(scope="module")
def densenet121():
    return families.build("densenet121")


def test_hyperparameters_match_the_paper(densenet121):
    params = connectivity.hyperparameters(densenet121)
    assert params["growth rate"] == 32
    assert params["block layers"] == (6, 12, 24, 16)
    assert params["initial features"] == 64
    assert params["bottleneck width"] == 4
    assert params["compression"] == 0.5


@pytest.mark.parametrize("block", [1, 2, 3, 4])
def test_growth_formula_matches_traced_channels(densenet121, block):
    table = connectivity.dense_layer_table(densenet121, block)
    growth = connectivity.hyperparameters(densenet121)["growth rate"]
    assert (table["in channels"] == table["k0 + (l-1)k"]).all()
    assert (table["new channels"] == growth).all()
    assert (table["inputs"] == table["layer"]).all()
    assert table["inputs"].sum() == connectivity.dense_connections(len(table))


def test_block_one_grows_64_to_256_in_a_real_forward():
    """The meta-device trace agrees with a real forward pass of the real model."""
    model = families.build("densenet121", device="cpu")
    seen = {}

    def record(module, args, out):
        seen.update({"in": args[0].shape[1], "out": out.shape[1]})

    model.features.denseblock1.register_forward_hook(record)
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    assert (seen["in"], seen["out"]) == (64, 64 + 6 * 32)
    meta = connectivity.dense_block_table(families.build("densenet121")).iloc[0]
    assert (meta["k0"], meta["out channels (traced)"]) == (seen["in"], seen["out"])


def test_block_table_formula_and_transitions(densenet121):
    table = connectivity.dense_block_table(densenet121)
    assert (table["k0 + L·k"] == table["out channels (traced)"]).all()
    with_transition = table.dropna()
    assert (with_transition["after transition"] == with_transition["out channels (traced)"] // 2).all()
    assert table["k0"].iloc[1:].tolist() == with_transition["after transition"].astype(int).tolist()


def test_connectivity_figure_counts_connections():
    fig = connectivity.connectivity_figure(layers=5)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert f"{connectivity.dense_connections(5)} layer\ninputs" in texts
    assert connectivity.dense_connections(5) == 15
    assert figures.audit(fig) == []
