"""DenseNet numbers of chapter T2, cross-checked against torchvision's real modules."""

import pytest
import torch
from matplotlib.figure import Figure
from torchvision.models import get_model_weights

from hw3core.t2 import densenet


@pytest.fixture(scope="module")
def densenet121():
    return densenet.build("densenet121")


def test_hyperparameters_match_the_paper(densenet121):
    params = densenet.hyperparameters(densenet121)
    assert params["growth rate"] == 32
    assert params["block layers"] == (6, 12, 24, 16)
    assert params["initial features"] == 64
    assert params["bottleneck width"] == 4
    assert params["compression"] == 0.5


@pytest.mark.parametrize("block", [1, 2, 3, 4])
def test_growth_formula_matches_traced_channels(densenet121, block):
    table = densenet.dense_layer_table(densenet121, block)
    growth = densenet.hyperparameters(densenet121)["growth rate"]
    assert (table["in channels"] == table["k0 + (l-1)k"]).all()
    assert (table["new channels"] == growth).all()
    assert (table["inputs"] == table["layer"]).all()
    assert table["inputs"].sum() == densenet.dense_connections(len(table))


def test_block_one_grows_64_to_256_in_a_real_forward():
    """The meta-device trace agrees with a real forward pass of the real model."""
    model = densenet.build("densenet121", device="cpu")
    seen = {}

    def record(module, args, out):
        seen.update({"in": args[0].shape[1], "out": out.shape[1]})

    model.features.denseblock1.register_forward_hook(record)
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    assert (seen["in"], seen["out"]) == (64, 64 + 6 * 32)
    meta = densenet.dense_block_table(densenet.build("densenet121")).iloc[0]
    assert (meta["k0"], meta["out channels (traced)"]) == (seen["in"], seen["out"])


def test_block_table_formula_and_transitions(densenet121):
    table = densenet.dense_block_table(densenet121)
    assert (table["k0 + L·k"] == table["out channels (traced)"]).all()
    with_transition = table.dropna()
    assert (with_transition["after transition"] == with_transition["out channels (traced)"] // 2).all()
    assert table["k0"].iloc[1:].tolist() == with_transition["after transition"].astype(int).tolist()


@pytest.mark.parametrize("name", ["densenet121", "resnet50"])
def test_parameter_counts_are_those_of_the_real_models(name):
    real = densenet.build(name, device="cpu")
    expected = sum(p.numel() for p in real.parameters())
    assert densenet.count_parameters(densenet.build(name)) == expected
    assert expected == get_model_weights(name).IMAGENET1K_V1.meta["num_params"]


@pytest.mark.parametrize("name", ["densenet121", "resnet50"])
def test_flops_match_torchvision_and_a_real_forward(name):
    meta = densenet.build(name)
    published_gmacs = get_model_weights(name).IMAGENET1K_V1.meta["_ops"]
    assert densenet.count_flops(meta) / 2e9 == pytest.approx(published_gmacs, rel=0.01)
    assert densenet.count_flops(meta, 32) == densenet.count_flops(densenet.build(name, device="cpu"), 32)


def test_densenet121_is_smaller_and_cheaper_than_resnet50():
    table = densenet.family_table(("densenet121", "resnet50"))
    dense, res = table.set_index("model").loc[["densenet121", "resnet50"]].to_dict("records")
    assert dense["parameters (M)"] < res["parameters (M)"] / 3
    assert dense["multiply-adds (G)"] < res["multiply-adds (G)"]
    assert isinstance(densenet.family_figure(table), Figure)


def test_our_dense_block_equals_torchvisions():
    ours = densenet.DenseBlock(64, 6, 32)
    theirs = densenet.build("densenet121", device="cpu").features.denseblock1
    assert densenet.count_parameters(ours) == densenet.count_parameters(theirs)
    assert ours(torch.zeros(2, 64, 8, 8)).shape == (2, ours.out_channels, 8, 8) == (2, 256, 8, 8)
    text = densenet.DenseBlock(16, 3, 8, dims=1)
    assert text(torch.zeros(2, 16, 5)).shape == (2, 16 + 3 * 8, 5)


def test_multimodal_model_trains_both_branches():
    torch.manual_seed(0)
    model = densenet.ImageTextDenseNet(num_classes=3, vocab_size=50)
    logits = model(torch.randn(2, 3, 32, 32), torch.randint(1, 50, (2, 7)))
    assert logits.shape == (2, 3)
    logits.sum().backward()
    assert model.embed.weight.grad.abs().sum() > 0
    assert model.image_trunk.conv0.weight.grad.abs().sum() > 0


def test_multimodal_shapes_and_drawing():
    with torch.device("meta"):
        model = densenet.ImageTextDenseNet(num_classes=14, vocab_size=100)
    shapes = densenet.multimodal_shapes(model)
    image, text = shapes["image trunk"], shapes["text vector"]
    assert image == (512, 7, 7)
    assert shapes["fusion input"] == (image[0] + text[0], 7, 7)
    assert shapes["fusion block"][0] == shapes["fusion input"][0] + 16 * 32
    assert shapes["classifier"] == (14,)
    fig = densenet.multimodal_figure()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert f"{image[0] + text[0]}×7×7" in texts


def test_dense_connections_keep_the_gradient_where_plain_ones_lose_it():
    flow = densenet.gradient_flow(depth=15, width=16, growth=8)
    assert flow["plain"].iloc[0] < 1e-3
    assert 0.1 < flow["dense"].iloc[0] < 10
    assert flow["residual"].iloc[0] >= 1
    assert isinstance(densenet.gradient_flow_figure(flow), Figure)


def test_connectivity_figure_counts_connections():
    fig = densenet.connectivity_figure(layers=5)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert f"{densenet.dense_connections(5)} layer\ninputs" in texts
    assert densenet.dense_connections(5) == 15
