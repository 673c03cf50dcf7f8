"""P2's network, recorders and experiments: hooks catch the right maps, the frozen extractor
stays frozen, the artifacts are where the chapter looks, and a smoke run caches and reloads.
(conftest gives every test the smoke profile and its own cache.)"""

import pandas as pd
import pytest
import torch

from hw3core import experiments
from hw3core.p2 import study as loss_study
from hw3core.experiments import RunContext
from hw3core.settings import get_settings
from hw3core.training import seed_everything


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


def smoke_setup(tmp_path, regime: str = "triplet"):
    cfg = loss_study.config(regime)("smoke")
    settings = get_settings()
    ctx = RunContext(tmp_path / "work", torch.device("cpu"), "smoke", settings)
    ctx.workdir.mkdir(parents=True)
    return cfg, loss_study.study_data(cfg, settings), ctx


def test_split_is_seeded_stratified_and_disjoint(tmp_path):
    cfg, data, _ = smoke_setup(tmp_path)
    again = loss_study.study_data(cfg, get_settings())
    assert torch.equal(data.train.images, again.train.images) and torch.equal(data.val.images, again.val.images)
    assert len(data.val) == cfg["val_size"]
    assert data.val.labels.bincount().tolist() == [cfg["val_size"] // 2] * 2
    train_rows = {row.numpy().tobytes() for row in data.train.images}
    assert not any(row.numpy().tobytes() in train_rows for row in data.val.images)


def test_hooks_catch_the_stage_outputs():
    torch.manual_seed(0)
    extractor = loss_study.Extractor([4, 6, 8], convs_per_stage=2).eval()
    x = torch.randn(3, 3, 32, 32)
    maps = loss_study.capture_feature_maps(extractor, x)
    with torch.no_grad():
        s1 = extractor.stage1(x)
        s2 = extractor.stage2(extractor.pool(s1))
        s3 = extractor.stage3(extractor.pool(s2))
    for name, expected in zip(loss_study.LAYERS, (s1, s2, s3)):
        assert torch.allclose(maps[name], expected)
    assert torch.allclose(s3.mean(dim=(2, 3)), extractor(x))


def test_frozen_extractor_does_not_change_while_the_head_trains(tmp_path):
    cfg, data, ctx = smoke_setup(tmp_path)
    extractor = loss_study.Extractor(cfg["widths"], cfg["convs_per_stage"])
    before = {k: v.clone() for k, v in extractor.state_dict().items()}  # BatchNorm statistics included
    seed_everything(cfg["seed"])  # train_linear_head draws its head the same way
    initial_head = loss_study.Classifier(extractor, 2, frozen=True).head.weight.detach().clone()
    model = loss_study.train_linear_head(extractor, cfg, data, ctx)
    after = model.extractor.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in model.extractor.parameters())
    assert not torch.equal(model.head.weight, initial_head)
    assert len(pd.read_csv(ctx.workdir / "history-linear.csv")) == cfg["linear_epochs"]
    model.train()
    assert model.head.training and not model.extractor.training


def test_nearest_centroid_accuracy():
    reference = torch.tensor([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0], [-0.8, 0.2]])
    labels = torch.tensor([0, 0, 1, 1])
    query = torch.tensor([[0.7, 0.7], [-0.2, 0.9], [0.1, -1.0]])
    assert loss_study.nearest_centroid_accuracy(reference, labels, query, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)


def test_smoke_experiment_records_feature_maps_then_reloads_from_cache(monkeypatch):
    artifacts = experiments.result("p2-cross-entropy")
    cfg = artifacts.config
    images = cfg["feature_map_images"]
    shapes = {"stage1": 32, "stage2": 16, "stage3": 8}
    assert loss_study.map_epochs(cfg["epochs"]) == sorted({1, (cfg["epochs"] + 1) // 2, cfg["epochs"]})
    for epoch in loss_study.map_epochs(cfg["epochs"]):
        maps = atomic_load(loss_study.feature_map_path(artifacts.directory, epoch))
        for (name, size), width in zip(shapes.items(), cfg["widths"]):
            assert maps[name].shape == (images, width, size, size)
    assert len(list((artifacts.directory / "feature-maps").glob("epoch-*.pt"))) == len(loss_study.map_epochs(cfg["epochs"]))
    embedded = artifacts.load("test-embeddings.pt")
    assert embedded["tsne"].shape == embedded["pca"].shape == (artifacts.metrics["sizes"]["test"], 2)
    assert len(artifacts.history("embedding-history.csv")) == cfg["epochs"]
    assert 0 <= artifacts.metrics["test_acc"] <= 1

    def must_not_train(*args, **kwargs):
        raise AssertionError("a cached experiment was trained again")

    monkeypatch.setattr(loss_study, "train_regime", must_not_train)
    again = experiments.result("p2-cross-entropy")
    assert again.directory == artifacts.directory and again.metrics == artifacts.metrics


def atomic_load(path):
    from hw3core.atomic import torch_load

    return torch_load(path)


def test_first_reach_counts_epochs_and_cumulative_seconds():
    accuracy = pd.Series([0.5, 0.8, 0.95, 0.9, 0.97])
    seconds = pd.Series([2.0, 3.0, 4.0, 5.0, 6.0])
    assert loss_study.first_reach(accuracy, seconds, 0.95) == (3, 9.0)
    assert loss_study.first_reach(accuracy, seconds, 0.99) == (None, None)


def test_fixed_images_alternate_the_classes_and_are_seeded():
    labels = torch.tensor([0] * 10 + [1] * 10)
    picks = loss_study.fixed_indices(labels, 4, seed=5)
    assert labels[picks].tolist() == [0, 1, 0, 1]
    assert picks.tolist() == loss_study.fixed_indices(labels, 4, seed=5).tolist()


def test_triplet_regime_classifies_with_the_extractor_stage_one_left(tmp_path):
    artifacts = experiments.result("p2-triplet")
    stage_one = artifacts.load("extractor.pt")
    classifier = artifacts.state_dict("best-linear.pt")
    assert all(torch.equal(classifier[f"extractor.{k}"], v) for k, v in stage_one.items())
    assert len(artifacts.history()) == artifacts.config["epochs"]
    assert len(artifacts.history("history-linear.csv")) == artifacts.config["linear_epochs"]


def test_fastest_ignores_regimes_that_never_reached_the_target():
    conv = {"cross-entropy": {"s": 9.0}, "triplet": {"s": None}, "combined": {"s": 4.0}}
    assert loss_study.fastest(conv, "s") == loss_study.NAMES["combined"]
    assert loss_study.fastest({"triplet": {"s": None}}, "s") == "هیچ رژیمی"
