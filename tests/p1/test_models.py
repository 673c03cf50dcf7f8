"""P1's networks: the baseline is the given spec, the improved family respects the limits,
and BatchNorm / Dropout sit exactly where parts (d) and (e) put them."""

import pytest
import torch
from torch import nn

from hw3core.p1 import study as cifar_study
from hw3core.p1.models import BaselineModel, ConvNet, architecture_table, check_limits, count_layers
from hw3core.training import parameter_count

PROFILES = ("full", "quick", "smoke")


def test_baseline_matches_the_given_spec():
    model = BaselineModel()
    # conv: 3 in, 32 out, 5x5 kernel, one bias per filter; a 5x5 valid conv maps 32 -> 28, pooling -> 14
    side = (32 - 5 + 1) // 2
    conv = 3 * 32 * 5 * 5 + 32
    fc = 32 * side * side * 10 + 10
    assert side == 14
    assert parameter_count(model) == conv + fc
    assert (model.conv1.in_channels, model.conv1.out_channels, model.conv1.kernel_size) == (3, 32, (5, 5))
    assert (model.fc.in_features, model.fc.out_features) == (32 * 14 * 14, 10)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_architecture_table_reads_the_module():
    model = ConvNet((8, 16, 16, 32), hidden=24, batchnorm=True, dropout=0.5)
    table = architecture_table(model)
    leaves = table[table["layer"] != "total"]
    assert leaves["parameters"].sum() == parameter_count(model) == table["parameters"].iloc[-1]
    by_layer = leaves.set_index("layer")
    assert by_layer.loc["conv2", "parameters"] == 8 * 16 * 9 + 16
    assert by_layer.loc["conv1", "output"] == "32×32×8" and by_layer.loc["pool2", "output"] == "16×16×16"  # H×W×C
    assert by_layer.loc["global_pool", "output"] == "1×1×32"
    assert by_layer.loc["fc2", "output"] == "10"
    assert model.training  # the table's eval-mode pass leaves the mode as it was
    base = architecture_table(BaselineModel()).set_index("layer")
    assert base.loc["conv1", "output"] == "28×28×32" and base.loc["flatten", "output"] == "6272"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", cifar_study.EXPERIMENTS)
def test_every_p1_model_respects_the_limits(name, profile):
    model = cifar_study.build_model(cifar_study.config(name, profile)["model"])
    counts = count_layers(model)
    assert counts["conv"] <= 4 and counts["fc"] <= 3
    check_limits(model)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_limits_are_enforced():
    too_deep = nn.Sequential(*[nn.Conv2d(3, 3, 3) for _ in range(5)])
    with pytest.raises(ValueError, match="5 conv"):
        check_limits(too_deep)
    with pytest.raises(ValueError, match="exactly 4 conv"):
        ConvNet((8, 8, 8))


@pytest.mark.parametrize("profile", PROFILES)
def test_batchnorm_and_dropout_only_where_each_part_adds_them(profile):
    models = {name: cifar_study.build_model(cifar_study.config(name, profile)["model"]) for name in cifar_study.EXPERIMENTS}
    counts = {name: count_layers(m) for name, m in models.items()}
    # the built networks hold what each row of the parts table asks for: BN after all four convs, one Dropout
    assert {n: (counts[n]["batchnorm"], counts[n]["dropout"]) for n in models} == {
        n: (4 * cifar_study.part(n).batchnorm, int(cifar_study.part(n).dropout > 0)) for n in models
    }
    assert counts["p1-bn"]["batchnorm"] == counts["p1-dropout"]["batchnorm"] == 4 and counts["p1-dropout"]["dropout"] == 1
    assert counts["p1-improved"]["batchnorm"] == counts["p1-improved-bn-lr"]["batchnorm"] == counts["p1-bn"]["dropout"] == 0
    # (c') = (c), (d) = (c) + BN and (e) = (d) + Dropout: the conv and FC layers are the same shapes
    shapes = {n: [tuple(p.shape) for m in models[n].modules() if isinstance(m, (nn.Conv2d, nn.Linear)) for p in m.parameters()] for n in models}
    assert shapes["p1-improved"] == shapes["p1-improved-bn-lr"] == shapes["p1-bn"] == shapes["p1-dropout"]

    for name in ("p1-bn", "p1-dropout"):
        names = [n for n, _ in models[name].named_children()]
        kinds = [type(m) for _, m in models[name].named_children()]
        for i, kind in enumerate(kinds):
            if kind is nn.BatchNorm2d:  # right after a conv layer (or its pooling), inside the conv stack
                assert kinds[i - 1] in (nn.Conv2d, nn.MaxPool2d) and i < names.index("global_pool")
            if kind is nn.Dropout:  # between the two FC layers
                assert names.index("fc1") < i < names.index("fc2")


@pytest.mark.parametrize("profile", PROFILES)
def test_each_comparison_changes_one_thing(profile):
    """(c) -> (c') changes the peak rate only, (c') -> (d) BatchNorm only, (d) -> (e) Dropout only."""
    cfg = {name: cifar_study.config(name, profile) for name in cifar_study.EXPERIMENTS}

    def differences(a: str, b: str) -> set[str]:
        return {f"{section}.{key}" for section in ("data", "model", "train") for key in cfg[a][section] if cfg[a][section][key] != cfg[b][section][key]}

    assert differences("p1-improved", "p1-improved-bn-lr") <= {"train.lr"}
    assert cfg["p1-improved-bn-lr"]["train"]["lr"] == cfg["p1-bn"]["train"]["lr"]
    assert differences("p1-improved-bn-lr", "p1-bn") == {"model.batchnorm"}
    assert differences("p1-bn", "p1-dropout") == {"model.dropout"}


def test_logit_scale_multiplies_the_logits_and_adds_no_parameters():
    torch.manual_seed(0)
    plain = ConvNet((4, 8, 8, 8), 8, batchnorm=True)
    torch.manual_seed(0)
    scaled = ConvNet((4, 8, 8, 8), 8, batchnorm=True, logit_scale=0.125)
    x = torch.randn(3, 3, 32, 32)
    plain.eval(), scaled.eval()
    assert torch.allclose(scaled(x), 0.125 * plain(x))
    assert sum(p.numel() for p in scaled.parameters()) == sum(p.numel() for p in plain.parameters())
    assert cifar_study.config("p1-bn", "full")["model"]["logit_scale"] == 0.125
