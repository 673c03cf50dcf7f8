"""Parameters and FLOPs of T2 questions 1-2 (hw3core.t2.families) against torchvision's real models and metadata."""

import pytest
from torchvision.models import get_model_weights

from hw3core import figures
from hw3core.t2 import families
from hw3core.training import parameter_count


@pytest.mark.parametrize("name", ["densenet121", "resnet50"])
def test_parameter_counts_are_those_of_the_real_models(name):
    real = families.build(name, device="cpu")
    expected = sum(p.numel() for p in real.parameters())
    assert parameter_count(families.build(name)) == expected
    assert expected == get_model_weights(name).IMAGENET1K_V1.meta["num_params"]


@pytest.mark.parametrize("name", ["densenet121", "resnet50"])
def test_flops_match_torchvision_and_a_real_forward(name):
    meta = families.build(name)
    published_gmacs = get_model_weights(name).IMAGENET1K_V1.meta["_ops"]
    assert families.count_flops(meta) / 2e9 == pytest.approx(published_gmacs, rel=0.01)
    assert families.count_flops(meta, 32) == families.count_flops(families.build(name, device="cpu"), 32)


def test_densenet121_is_smaller_and_cheaper_than_resnet50():
    table = families.family_table(("densenet121", "resnet50"))
    dense, res = table.set_index("model").loc[["densenet121", "resnet50"]].to_dict("records")
    assert dense["parameters (M)"] < res["parameters (M)"] / 3
    assert dense["multiply-adds (G)"] < res["multiply-adds (G)"]
    assert figures.audit(families.family_figure(table)) == []
