"""P2's configs and experiments: the regimes share everything but their loss, the split is
seeded and disjoint, the frozen extractor stays frozen, the artifacts are where the chapter
looks, and a smoke run caches and reloads. (conftest gives every test the smoke profile and
its own cache.)"""

import pandas as pd
import pytest
import torch

from hw3core import experiments
from hw3core.atomic import torch_load
from hw3core.experiments import RunContext
from hw3core.p2 import recording
from hw3core.p2 import study as loss_study
from hw3core.p2.models import Classifier, Extractor
from hw3core.seeding import one_seed, seed_everything
from hw3core.settings import get_settings

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


def smoke_setup(tmp_path, regime: str = "triplet"):
    cfg = one_seed(loss_study.config(regime)("smoke"), 0)
    settings = get_settings()
    ctx = RunContext(tmp_path / "work", torch.device("cpu"), "smoke", settings)
    ctx.workdir.mkdir(parents=True)
    return cfg, loss_study.study_data(cfg, settings), ctx


@pytest.mark.parametrize("profile", ["full", "quick", "smoke"])
def test_configs_have_the_shared_shape_and_differ_only_in_the_regime(profile):
    configs = {regime: loss_study.config(regime)(profile) for regime in loss_study.REGIMES}
    assert {regime: set(cfg) for regime, cfg in configs.items()} == {
        "cross-entropy": {"seeds", "data", "model", "train"},
        "triplet": {"seeds", "data", "model", "train", "head"},
        "combined": {"seeds", "data", "model", "train"},
    }
    assert [cfg["train"].pop("regime") for cfg in configs.values()] == list(loss_study.REGIMES)
    configs["triplet"].pop("head")
    assert configs["cross-entropy"] == configs["triplet"] == configs["combined"]


def test_unknown_regime_is_refused(tmp_path):
    cfg, data, ctx = smoke_setup(tmp_path, "cross-entropy")
    cfg["train"]["regime"] = "contrastive"
    with pytest.raises(ValueError, match="unknown regime 'contrastive'"):
        loss_study.train_regime(cfg, data, ctx)


def test_split_is_seeded_stratified_and_disjoint(tmp_path):
    cfg, data, _ = smoke_setup(tmp_path)
    again = loss_study.study_data(cfg, get_settings())
    assert torch.equal(data.train.images, again.train.images) and torch.equal(data.val.images, again.val.images)
    assert len(data.val) == cfg["data"]["val_size"]
    assert data.val.labels.bincount().tolist() == [cfg["data"]["val_size"] // 2] * 2
    train_rows = {row.numpy().tobytes() for row in data.train.images}
    assert not any(row.numpy().tobytes() in train_rows for row in data.val.images)
    reference = data.reference(cfg["data"]["reference_size"], cfg["data"]["seed"])
    assert reference.labels.bincount().tolist() == [cfg["data"]["reference_size"] // 2] * 2


def test_frozen_extractor_does_not_change_while_the_head_trains(tmp_path):
    cfg, data, ctx = smoke_setup(tmp_path)
    extractor = Extractor(cfg["model"]["widths"], cfg["model"]["convs_per_stage"])
    before = {k: v.clone() for k, v in extractor.state_dict().items()}  # BatchNorm statistics included
    seed_everything(cfg["seed"])  # train_linear_head draws its head the same way
    initial_head = Classifier(extractor, 2, frozen=True).head.weight.detach().clone()
    model = loss_study.train_linear_head(extractor, cfg, data, ctx)
    after = model.extractor.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in model.extractor.parameters())
    assert not torch.equal(model.head.weight, initial_head)
    assert len(pd.read_csv(ctx.workdir / "history-linear.csv")) == cfg["head"]["epochs"]
    best = torch_load(ctx.workdir / "best-linear.pt")  # the head returned is the best epoch's (fit_best)
    assert all(torch.equal(best[k], v) for k, v in model.state_dict().items())
    model.train()
    assert model.head.training and not model.extractor.training


def test_smoke_experiment_records_feature_maps_then_reloads_from_cache(monkeypatch):
    artifacts = experiments.result(loss_study.EXPERIMENTS["p2-cross-entropy"])
    cfg = artifacts.config
    images, epochs = cfg["train"]["feature_map_images"], cfg["train"]["epochs"]
    shapes = {"stage1": 32, "stage2": 16, "stage3": 8}
    for epoch in recording.map_epochs(epochs):
        maps = torch_load(recording.feature_map_path(artifacts.directory, epoch))
        for (name, size), width in zip(shapes.items(), cfg["model"]["widths"]):
            assert maps[name].shape == (images, width, size, size)
    assert len(list((artifacts.directory / "feature-maps").glob("epoch-*.pt"))) == len(recording.map_epochs(epochs))
    embedded = artifacts.load("test-embeddings.pt")
    assert embedded["tsne"].shape == embedded["pca"].shape == (artifacts.metrics["sizes"]["test"], 2)
    assert len(artifacts.history("embedding-history.csv")) == epochs
    assert 0 <= artifacts.metrics["test_acc"] <= 1

    def must_not_train(*args, **kwargs):
        raise AssertionError("a cached experiment was trained again")

    monkeypatch.setattr(loss_study, "train_regime", must_not_train)
    again = experiments.result(loss_study.EXPERIMENTS["p2-cross-entropy"])
    assert again.directory == artifacts.directory and again.metrics == artifacts.metrics


def test_triplet_regime_classifies_with_the_extractor_stage_one_left():
    artifacts = experiments.result(loss_study.EXPERIMENTS["p2-triplet"])
    stage_one = artifacts.load("extractor.pt")
    classifier = artifacts.state_dict("best-linear.pt")
    assert all(torch.equal(classifier[f"extractor.{k}"], v) for k, v in stage_one.items())
    assert len(artifacts.history()) == artifacts.config["train"]["epochs"]
    assert len(artifacts.history("history-linear.csv")) == artifacts.config["head"]["epochs"]
