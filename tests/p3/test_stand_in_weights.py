"""Pretrained weights without a download: random stand-ins saved under torchvision's own file
names load through the book's path (strict), and P3's pretrained branch (b)-(d) runs on them,
its output headed as not real."""

import dataclasses

import pytest
import torch

from hw3core import chapter, comparisons
from hw3core.cache import Artifacts
from hw3core.p3 import architecture, plots, study, tables, text
from hw3core.p3.flowers import FLOWERS_CLASSES
from hw3core.p3.weights import BACKBONES, MissingWeightsError, find_weights, hub_checkpoint, imagenet_model, save_stand_in
from hw3core.settings import get_settings


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """A throw-away TORCH_HOME: stand-ins must never land in the user's."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    return tmp_path / "torch-home"


def test_a_stand_in_is_found_under_the_official_name_and_loaded_strictly(torch_home):
    backbone = BACKBONES["mobilenet_v2"]
    path = save_stand_in(backbone, get_settings())
    assert path == torch_home / "hub" / "checkpoints" / "mobilenet_v2-b0353104.pth" == hub_checkpoint(backbone, get_settings())
    assert find_weights(backbone, get_settings()) == path
    saved = torch.load(path, weights_only=True)
    loaded = imagenet_model(backbone, pretrained=True, settings=get_settings()).state_dict()
    assert saved.keys() == loaded.keys() and all(torch.equal(saved[k], loaded[k]) for k in saved)
    del saved["classifier.1.weight"]
    torch.save(saved, path)
    # The book's strict load is what checks the file; a file that fails it is reported as
    # unusable weights (the chapter's missing-weights note), never loaded half-way.
    with pytest.raises(MissingWeightsError, match=f"corrupt file at {path}"):
        imagenet_model(backbone, pretrained=True, settings=get_settings())


def pretrained_under_smoke(name: str, monkeypatch) -> None:
    """The smoke config of a P3 experiment, but with `pretrained` on (smoke normally builds random nets)."""
    experiment = study.EXPERIMENTS[name]

    def config(profile):
        cfg = experiment.config(profile)
        return {**cfg, "model": {**cfg["model"], "pretrained": True}}

    monkeypatch.setitem(study.EXPERIMENTS, name, dataclasses.replace(experiment, config=config))


@pytest.mark.slow
def test_the_pretrained_branch_runs_on_stand_ins_and_is_marked_not_real(torch_home, tmp_path, monkeypatch):
    for name in BACKBONES:
        save_stand_in(BACKBONES[name], get_settings())
        for experiment in (study.features_name(name), study.frozen_name(name)):
            pretrained_under_smoke(experiment, monkeypatch)
    classifier = architecture.imagenet_classifier("full")  # (b): loads the stand-in, as the full book would
    prediction = architecture.top_k(classifier, architecture.example_image()[0])
    outcomes = study.frozen_outcomes("smoke")
    assert all(isinstance(o, Artifacts) for o in outcomes.values())
    assert all(study.EXPERIMENTS[study.features_name(n)].config("smoke")["model"]["pretrained"] for n in BACKBONES)
    summaries = tables.frozen_summaries(outcomes, "smoke")
    totals = {n: c["total"] for n, c in tables.parameter_summary("smoke")["counts"].items()}
    scratch = study.scratch_result("smoke")
    parts = [
        text.stand_in_warning(),
        text.prediction_summary("full", prediction, 1000),
        text.frozen_final(outcomes["mobilenet_v2"]),
        chapter.table(tables.comparison_table(outcomes, "smoke")).data,
        text.accuracy_analysis("full", summaries, totals, "2", tables.against_best(outcomes)),
        text.scratch_comparison(
            "full",
            scratch.metrics,
            outcomes["mobilenet_v2"].metrics,
            "24",
            len(FLOWERS_CLASSES),
            comparisons.compare(outcomes["mobilenet_v2"], scratch, "test"),
            (scratch.config["model"]["input_size"], tables.frozen_input_size(study.EXPERIMENTS[study.frozen_name("mobilenet_v2")].config("smoke"))),
        ),
    ]
    figure = plots.training_curves({BACKBONES[n].title: o.history() for n, o in outcomes.items()})
    figure.savefig(tmp_path / "curves.png")
    document = tmp_path / "p3-stand-in.md"
    document.write_text("\n\n".join(parts))
    written = document.read_text()
    assert written.startswith("::: {.callout-warning}\n## STAND-IN WEIGHTS — NOT REAL RESULTS")
    assert all(part for part in parts)  # every pretrained-branch piece said something
    assert f"«{prediction.iloc[0]['class']}»" in written
    assert f"{summaries['vgg16']['test']:.1f}" in written and "نرسید" not in written
    assert "—" not in tables.comparison_table(outcomes, "smoke").filter(like="(%)").to_string()
    assert (tmp_path / "curves.png").stat().st_size > 0
