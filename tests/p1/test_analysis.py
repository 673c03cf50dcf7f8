"""What the P1 chapter shows comes from the runs and configs: the tables of parts (a),
(b) and (f), the per-epoch histories, and the numbers its prose cites."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hw3core import comparisons, data
from hw3core.p1 import analysis, plots, text
from hw3core.p1 import study as cifar_study


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    """One cache for this file's smoke runs: a test that adds a part trains that part only."""
    return tmp_path_factory.mktemp("p1-smoke-runs")


@pytest.fixture
def cpu(monkeypatch, smoke_runs):
    monkeypatch.setenv("HW3_DEVICE", "cpu")
    monkeypatch.setenv("HW3_CACHE_DIR", str(smoke_runs))


def test_chapter_tables_and_figures_come_from_the_runs(cpu):
    runs = analysis.results("smoke")
    table = analysis.accuracy_table(runs)
    assert list(table["part"]) == ["b", "c", "d", "e"]
    assert list(table["model"]) == [part.title for part in cifar_study.PARTS.values()]
    assert np.allclose(table["test acc (%)"], [100 * np.mean([m["test_acc"] for m in art.metrics["seeds"].values()]) for art in runs.values()])
    assert np.allclose(table["test acc, flip TTA (%)"], [100 * np.mean([m["test_acc_flip"] for m in art.metrics["seeds"].values()]) for art in runs.values()])
    assert list(table["still rising"]) == [art.metrics["best_epoch"] == art.metrics["epochs"] for art in runs.values()]
    per_class = analysis.per_class_table(runs)
    assert list(per_class["class"]) == list(data.CIFAR10_CLASSES) and list(per_class.columns[1:]) == ["(b)", "(c)", "(d)", "(e)"]
    history = analysis.history_table(runs["p1-bn"])
    assert len(history) == runs["p1-bn"].metrics["epochs"] and history["lr (% of peak)"].max() <= 100 + 1e-9
    assert len(plots.plot_history(runs["p1-bn"].history(), "x").axes) == 2
    matrices = analysis.confusions(runs)
    assert list(matrices) == ["(b) BaselineModel", "(c) ConvNet", "(d) ConvNet + BatchNorm", "(e) ConvNet + BatchNorm + Dropout"]
    assert all(np.array_equal(matrices[analysis.label(name)], analysis.confusion(art).to_numpy()) for name, art in runs.items())
    assert len(plots.plot_confusion_matrices(matrices, data.CIFAR10_CLASSES).axes) == 5  # and one colour bar


def add_part(monkeypatch, name: str, row: cifar_study.Part) -> None:
    """What a new row in `study.PARTS` becomes when the module is imported: the row, and its experiment."""
    monkeypatch.setitem(cifar_study.PARTS, name, row)
    monkeypatch.setitem(cifar_study.EXPERIMENTS, name, cifar_study.experiment(name))


def test_a_new_part_is_one_row_of_the_parts_table_and_every_table_and_figure_shows_it(cpu, monkeypatch):
    """A part (g), (e) with another dropout, added to `study.PARTS` and nowhere else, is
    trained, and drawn in the recipe, accuracy and per-class tables, the curves and the
    confusion matrices of the chapter."""
    add_part(monkeypatch, "p1-dropout-half", cifar_study.Part("g", "ConvNet + BN + Dropout 0.5", batchnorm=True, dropout=0.5))
    runs = analysis.results("smoke")
    assert list(runs) == ["p1-baseline", "p1-improved", "p1-bn", "p1-dropout", "p1-dropout-half"]
    e, g = (runs[name].config for name in ("p1-dropout", "p1-dropout-half"))
    assert {**e, "model": {**e["model"], "dropout": 0.5}} == g  # (e) -> (g) changes the dropout only
    recipes = analysis.recipe_table("smoke").set_index("part")
    assert list(recipes.index) == ["b", "c", "c'", "d", "e", "g"] and recipes.loc["g", "dropout"] == 0.5
    accuracy = analysis.accuracy_table(runs)
    assert list(accuracy["part"]) == ["b", "c", "d", "e", "g"] and accuracy["model"].iloc[-1] == "ConvNet + BN + Dropout 0.5"
    assert accuracy["test acc (%)"].iloc[-1] == pytest.approx(100 * np.mean([m["test_acc"] for m in runs["p1-dropout-half"].metrics["seeds"].values()]))
    assert list(analysis.per_class_table(runs).columns[1:]) == ["(b)", "(c)", "(d)", "(e)", "(g)"]
    curves = plots.plot_histories(analysis.histories(runs))
    assert curves.axes[0].get_legend_handles_labels()[1][-1] == "(g) ConvNet + BN + Dropout 0.5"
    matrices = plots.plot_confusion_matrices(analysis.confusions(runs), data.CIFAR10_CLASSES)
    assert [ax.get_title() for ax in matrices.axes[:5]][-1] == "(g) ConvNet + BN + Dropout 0.5"
    assert "(ز)" in text.best_model(cifar_study.part("p1-dropout-half").letter, analysis.run_summary(runs["p1-dropout-half"]), None)


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
    for name, experiment in cifar_study.EXPERIMENTS.items():
        cfg = experiment.config(profile)
        assert table.loc[cifar_study.part(name).letter, "peak lr"] == cfg["train"]["lr"]
        assert table.loc[cifar_study.part(name).letter, "batch"] == cfg["train"]["batch_size"]
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


def test_each_step_of_f_is_judged_by_the_paired_test_of_its_two_runs(cpu):
    every = analysis.in_book_order(analysis.results("smoke"), analysis.ablation_results("smoke"))
    assert list(every) == ["p1-baseline", "p1-improved", "p1-improved-bn-lr", "p1-bn", "p1-dropout"]
    table = analysis.effects_table(every, "test")
    assert list(table["step"]) == ["(b) -> (c)", "(c) -> (c')", "(c') -> (d)", "(d) -> (e)"]
    for (before, after, _), row in zip(analysis.STEPS, table.itertuples(index=False)):
        c = comparisons.compare(every[before], every[after], "test")
        assert (row[2], row[3], row[4]) == pytest.approx((c.accuracy_a, c.accuracy_b, c.difference))
        assert row[-1] == analysis.VERDICT_WORDS[c.verdict] and row[-2] == pytest.approx(c.p_value)
    assert analysis.effects(every, "val")[("p1-bn", "p1-dropout")].images == every["p1-bn"].metrics["sizes"]["val"]
