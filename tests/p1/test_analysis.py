"""What the P1 chapter shows comes from the runs and configs: the tables of parts (a),
(b) and (f), the per-epoch histories, and the numbers its prose cites."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hw3core import data
from hw3core.p1 import analysis, plots
from hw3core.p1 import study as cifar_study


@pytest.fixture
def cpu(monkeypatch):
    monkeypatch.setenv("HW3_DEVICE", "cpu")


def test_chapter_tables_and_figures_come_from_the_runs(cpu):
    runs = analysis.results("smoke")
    table = analysis.accuracy_table(runs)
    assert list(table["part"]) == ["b", "c", "d", "e"]
    assert list(table["model"]) == [part.title for part in cifar_study.PARTS.values()]
    assert np.allclose(table["test acc (%)"], [100 * art.metrics["test_acc"] for art in runs.values()])
    per_class = analysis.per_class_table(runs)
    assert list(per_class["class"]) == list(data.CIFAR10_CLASSES) and list(per_class.columns[1:]) == ["(b)", "(c)", "(d)", "(e)"]
    history = analysis.history_table(runs["p1-bn"])
    assert len(history) == runs["p1-bn"].metrics["epochs"] and history["lr (% of peak)"].max() <= 100 + 1e-9
    assert len(plots.plot_history(runs["p1-bn"].history(), "x").axes) == 2
    matrices = {name: analysis.confusion(art).to_numpy() for name, art in runs.items()}
    assert len(plots.plot_confusion_matrices(matrices, data.CIFAR10_CLASSES).axes) == 5  # and one colour bar


def test_split_table_counts_every_split():
    splits = cifar_study.splits_for("smoke")
    table = analysis.split_table(splits).set_index("split")
    cfg = cifar_study.config("p1-baseline", "smoke")["data"]
    assert table.loc["train", "images"] == 10 * cfg["train_per_class"] == len(splits.train)
    assert table.loc["validation", "per class (min)"] == table.loc["validation", "per class (max)"] == cfg["val_per_class"]
    assert table.loc["test", "images"] == 10 * cfg["test_per_class"]


@pytest.mark.parametrize("profile", ["full", "quick", "smoke"])
def test_recipe_table_reads_the_configs(profile):
    table = analysis.recipe_table(profile).set_index("part")
    assert list(table.index) == ["b", "c", "c'", "d", "e"]
    for name, part in cifar_study.ALL_PARTS.items():
        cfg = cifar_study.config(name, profile)
        assert table.loc[part.letter, "peak lr"] == cfg["train"]["lr"]
        assert table.loc[part.letter, "batch"] == cfg["train"]["batch_size"]
    assert table.loc["c", "peak lr"] < table.loc["c'", "peak lr"] == table.loc["d", "peak lr"] == table.loc["e", "peak lr"]
    assert list(table["dropout"]) == [0.0, 0.0, 0.0, 0.0, 0.3] and list(table["batchnorm"]) == [False, False, False, True, True]


def fake_run(val_acc, train_acc, val_loss):
    epochs = len(val_acc)
    history = pd.DataFrame(
        {"epoch": range(1, epochs + 1), "train_acc": train_acc, "val_acc": val_acc, "val_loss": val_loss, "seconds": [1.0] * epochs}
    )
    best = int(np.argmax(val_acc))
    metrics = {"test_acc": 0.61, "best_val_acc": val_acc[best], "best_epoch": best + 1, "epochs": epochs, "train_seconds": 3.0, "parameters": 7}
    return SimpleNamespace(metrics=metrics, history=lambda: history)


def test_run_summary_and_first_epoch_reaching_read_the_history():
    run = fake_run(val_acc=[0.4, 0.7, 0.65], train_acc=[0.3, 0.6, 0.8], val_loss=[1.2, 0.8, 0.9])
    summary = analysis.run_summary(run)
    assert summary["test"] == pytest.approx(61.0) and summary["best_val"] == pytest.approx(70.0) and summary["best_epoch"] == 2
    assert summary["gap_last"] == pytest.approx(15.0) and summary["val_loss_min_epoch"] == 2
    assert analysis.first_epoch_reaching(run, 0.65) == 2
    assert analysis.first_epoch_reaching(run, 0.71) is None
