"""P1's experiments under the smoke profile: they train, cache, reload, resume exactly,
and evaluate into a confusion matrix that accounts for every test image."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hw3core import data, experiments, predictions, registry, seeding
from hw3core.p1 import analysis, study as cifar_study
from hw3core.experiments import RunContext
from hw3core.settings import get_settings


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh experiment cache (conftest already points HW3_CACHE_DIR at tmp_path), on the CPU."""
    monkeypatch.setenv("HW3_CACHE_DIR", str(tmp_path / "p1-cache"))
    monkeypatch.setenv("HW3_DEVICE", "cpu")
    return tmp_path / "p1-cache"


def test_p1_experiments_are_in_the_registry():
    assert all(registry.get(name) is experiment for name, experiment in cifar_study.EXPERIMENTS.items())


def test_smoke_experiment_trains_caches_and_reloads(cache, monkeypatch):
    first = experiments.result(cifar_study.EXPERIMENTS["p1-bn"], "smoke")
    assert (first.directory / "best.pt").exists() and (first.directory / "confusion.csv").exists()
    assert len(first.history()) == first.config["train"]["epochs"] == first.metrics["epochs"]
    model = cifar_study.build_model(first.config["model"])
    model.load_state_dict(first.state_dict())  # the saved best model is a loadable state dict

    def no_training(*args, **kwargs):
        raise AssertionError("a cached experiment was trained again")

    monkeypatch.setattr(cifar_study, "fit_best", no_training)
    second = experiments.result(cifar_study.EXPERIMENTS["p1-bn"], "smoke")
    assert second.directory == first.directory and second.metrics == first.metrics


def test_evaluation_confusion_matrix_counts_every_test_image(cache):
    art = experiments.result(cifar_study.EXPERIMENTS["p1-baseline"], "smoke")
    matrix = analysis.confusion(art)
    test_size = art.metrics["sizes"]["test"]
    assert matrix.shape == (10, 10) and list(matrix.index) == list(data.CIFAR10_CLASSES)
    assert matrix.to_numpy().sum() == test_size == 10 * art.config["data"]["test_per_class"]
    assert np.isclose(np.trace(matrix.to_numpy()) / test_size, art.metrics["test_acc"])
    per_class = np.diag(matrix.to_numpy()) / matrix.to_numpy().sum(axis=1)
    assert np.allclose(per_class, list(art.metrics["per_class_acc"].values()))


def test_classify_against_a_direct_forward_pass():
    splits = cifar_study.splits_for("smoke")
    model = cifar_study.build_model(cifar_study.config("p1-improved", "smoke")["model"]).eval()
    mean, std = data.channel_stats(splits.train.images)
    labels, predicted = cifar_study.classify(model, splits.test, mean, std, torch.device("cpu"))
    _, flipped = cifar_study.classify(model, splits.test, mean, std, torch.device("cpu"), flip=True)
    x = (splits.test.images.float() / 255 - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    with torch.no_grad():
        assert np.array_equal(predicted, model(x).argmax(1).numpy()) and np.array_equal(labels, splits.test.labels.numpy())
        assert np.array_equal(flipped, (model(x) + model(x.flip(3))).argmax(1).numpy())
    per_class, matrix = cifar_study.class_scores(labels, predicted, splits.test.classes)
    assert matrix.sum() == len(splits.test) and np.trace(matrix) == (labels == predicted).sum()


def test_a_run_keeps_the_predictions_its_accuracies_are_read_from(cache):
    """Part (f)'s accuracy is the plain one; flip TTA is its own number; every seed keeps its predictions."""
    art = experiments.result(cifar_study.EXPERIMENTS["p1-improved"], "smoke")
    assert art.metrics["test_acc"] == pytest.approx(predictions.accuracy(art.directory, "test"))
    assert art.metrics["test_acc_flip"] == pytest.approx(predictions.accuracy(art.directory, "test", "predicted_flip"))
    assert art.metrics["best_val_acc"] == pytest.approx(predictions.accuracy(art.directory, "val"))
    seeds = art.config["seeds"]
    assert len(seeds) > 1 and list(art.metrics["seeds"]) == [str(s) for s in seeds]
    for seed in seeds:
        folder = seeding.seed_folder(art.directory, art.config, seed)
        assert art.metrics["seeds"][str(seed)]["test_acc"] == pytest.approx(predictions.accuracy(folder, "test"))
        assert len(predictions.correct(folder, "test")) == art.metrics["sizes"]["test"]


def _history(workdir: Path) -> pd.DataFrame:
    return pd.read_csv(workdir / "history.csv").drop(columns="seconds")


def test_interrupted_training_resumes_to_the_same_result(tmp_path):
    settings = get_settings()
    cfg = cifar_study.config("p1-dropout", "smoke")
    assert cfg["train"]["epochs"] >= 2

    def context(name: str) -> RunContext:
        (tmp_path / name).mkdir()
        return RunContext(tmp_path / name, torch.device("cpu"), "smoke", settings)

    whole = context("whole")
    expected = cifar_study.run(cfg, whole)

    class Killed(RuntimeError):
        pass

    def kill_once(epoch, model):
        if epoch == 1 and not (tmp_path / "killed").exists():
            (tmp_path / "killed").touch()
            raise Killed

    resumed = context("resumed")
    with pytest.raises(Killed):
        cifar_study.run(cfg, resumed, on_epoch_end=kill_once)
    assert len(_history(resumed.workdir)) == 1  # the kill came after epoch 1 of 2 was checkpointed
    got = cifar_study.run(cfg, resumed, on_epoch_end=kill_once)
    pd.testing.assert_frame_equal(_history(resumed.workdir), _history(whole.workdir))
    for key in ("test_acc", "best_val_acc", "best_epoch", "per_class_acc"):
        assert got[key] == expected[key]
    a, b = torch.load(whole.workdir / "best.pt"), torch.load(resumed.workdir / "best.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_quick_splits_are_stratified_nested_and_keep_the_test_set(monkeypatch):
    fake = {
        "train": data.synthetic_images(cifar_study.VAL_PER_CLASS + 40, data.CIFAR10_CLASSES, seed=3, size=8),
        "test": data.synthetic_images(7, data.CIFAR10_CLASSES, seed=4, size=8),
    }
    monkeypatch.setattr(cifar_study, "load_cifar10", lambda split, settings: fake[split])
    cfg = {**cifar_study.config("p1-baseline", "quick")["data"], "train_per_class": 30}
    quick = cifar_study.load_splits(cfg, get_settings())
    full = cifar_study.load_splits({**cfg, "train_per_class": None, "val_per_class": cifar_study.VAL_PER_CLASS}, get_settings())
    for part, per_class in ((quick.train, 30), (quick.val, cfg["val_per_class"]), (full.val, cifar_study.VAL_PER_CLASS), (full.train, 40)):
        assert torch.bincount(part.labels, minlength=10).tolist() == [per_class] * 10
    flat = lambda s: {tuple(img.flatten().tolist()) for img in s.images}  # noqa: E731
    assert flat(quick.val) <= flat(full.val) and not flat(quick.val) & flat(full.train)
    assert torch.equal(quick.test.images, fake["test"].images)
    assert len(analysis.sample_per_class(quick.train)) == 10
    assert sorted(quick.train.labels[analysis.sample_per_class(quick.train)].tolist()) == list(range(10))


@pytest.mark.parametrize("source", ["synthetic", "cifar10"])
def test_a_data_limit_caps_every_split_last_and_keeps_every_class(monkeypatch, source):
    fake = {
        "train": data.synthetic_images(cifar_study.VAL_PER_CLASS + 40, data.CIFAR10_CLASSES, seed=3, size=8),
        "test": data.synthetic_images(7, data.CIFAR10_CLASSES, seed=4, size=8),
    }
    monkeypatch.setattr(cifar_study, "load_cifar10", lambda split, settings: fake[split])
    cfg = cifar_study.config("p1-bn", "smoke" if source == "synthetic" else "full")["data"]
    whole, limited = cifar_study.load_splits(cfg, get_settings()), cifar_study.load_splits({**cfg, "limit": 16}, get_settings())
    for part, before in ((limited.train, whole.train), (limited.val, whole.val), (limited.test, whole.test)):
        assert len(part) == 16 and set(part.labels.tolist()) == set(range(10))
        assert {tuple(img.flatten().tolist()) for img in part.images} <= {tuple(img.flatten().tolist()) for img in before.images}
