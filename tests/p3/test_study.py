"""P3's experiments: one config shape, features computed once, and no run (nor number) without weights."""

import shutil

import pytest
import torch

from hw3core import experiments
from hw3core.p3 import architecture, features, study, tables, text
from hw3core.p3.weights import BACKBONES, MissingWeights
from hw3core.profiles import PROFILES


@pytest.mark.parametrize("profile", PROFILES)
def test_configs_have_the_book_shape_and_the_frozen_run_contains_its_features_stage(profile):
    for name in BACKBONES:
        stage, frozen = study.features_config(profile, name), study.frozen_config(profile, name)
        assert set(stage) == {"seed", "data", "model", "features"}
        assert set(frozen) == {"seed", "data", "model", "features", "train"}
        assert {k: frozen[k] for k in ("seed", "data", "features")} == {k: stage[k] for k in ("seed", "data", "features")}
        assert frozen["model"] == {**stage["model"], "dropout": 0.2}
        assert study.features_stage(frozen) == stage  # the head asks for the features of this config
    assert set(study.scratch_config(profile)) == {"seed", "data", "model", "train"}
    assert set(study.EXPERIMENTS) == {f"p3-{kind}-{name}" for kind in ("features", "frozen") for name in BACKBONES} | {"p3-scratch"}


def test_features_are_computed_once_and_reused(monkeypatch):
    calls = []
    extract = features.extract_features

    def counting(*args, **kwargs):
        calls.append(1)
        return extract(*args, **kwargs)

    monkeypatch.setattr(features, "extract_features", counting)
    first = study.frozen_outcome("mobilenet_v2")
    assert len(calls) == 3 + study.features_config("smoke", "mobilenet_v2")["features"]["augmented_copies"]
    experiments.result(study.EXPERIMENTS[study.features_name("mobilenet_v2")])
    shutil.rmtree(first.directory)  # the head retrains; the features come from the cache
    again = study.frozen_outcome("mobilenet_v2")
    assert len(calls) == 4 and again.metrics["final"].keys() == {"train", "val", "test"}
    assert experiments.result(study.EXPERIMENTS[study.features_name("mobilenet_v2")]).load("features.pt")["train"]["features"].shape[:2] == (2, 24)


def test_the_head_is_evaluated_at_its_best_epoch():
    outcome = study.frozen_outcome("mobilenet_v2")
    history = outcome.history()
    assert outcome.metrics["best_epoch"] == int(history.loc[history["val_acc"].idxmax(), "epoch"])
    assert outcome.metrics["final"]["val"]["accuracy"] == pytest.approx(history["val_acc"].max())


def test_missing_weights_give_the_clear_message_and_no_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    monkeypatch.delenv("HW3_OFFLINE")

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    missing = study.frozen_outcome("resnet50", profile="quick")
    assert isinstance(missing, MissingWeights)
    assert missing.file == "resnet50-0676ba61.pth" and missing.reason == "OSError"
    assert "resnet50-0676ba61.pth" in text.missing_note([missing]) and "resnet50-0676ba61.pth" in missing.message()
    assert isinstance(architecture.imagenet_classifier("quick"), MissingWeights)
    table = tables.comparison_table({"resnet50": missing}, profile="quick")
    assert (table.filter(like="(%)").iloc[0] == "—").all() and table.iloc[0]["extract (s)"] == "—"
    assert table.iloc[0]["parameters"] == f"{tables.frozen_parameters('resnet50', 'quick')['total']:,}"
    assert table.iloc[0]["width"] == "2,048"  # the feature width needs the architecture only
    assert not list((tmp_path / "cache").glob("p3-*/*"))  # nothing was run or cached
