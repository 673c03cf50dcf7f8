"""What the P2 chapter reads: convergence counts epochs and seconds as the table says, the
regimes must share their config, and `facts` agrees with the artifacts it reads."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from hw3core import comparisons, experiments, stats
from hw3core.p2 import analysis, plots, study, text
from hw3core.p2.models import LAYERS

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


def test_time_noise_grows_with_the_root_of_the_epochs():
    seconds = pd.Series([1.0, 3.0, 1.0, 3.0])
    assert analysis.time_noise(seconds, 1) == pytest.approx(seconds.std(ddof=1))
    assert analysis.time_noise(seconds, 4) == pytest.approx(2 * seconds.std(ddof=1))
    assert analysis.time_noise(pd.Series([2.0]), 1) == 0.0


def test_first_reach_counts_epochs_and_cumulative_seconds():
    accuracy = pd.Series([0.5, 0.8, 0.95, 0.9, 0.97])
    seconds = pd.Series([2.0, 3.0, 4.0, 5.0, 6.0])
    assert analysis.first_reach(accuracy, seconds, 0.95) == (3, 9.0)
    assert analysis.first_reach(accuracy, seconds, 0.99) == (None, None)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HW3_CACHE_DIR", str(tmp_path_factory.mktemp("p2-analysis-cache")))
        patch.setenv("HW3_DEVICE", "cpu")
        return analysis.results("smoke")


def test_shared_config_refuses_regimes_trained_differently(runs):
    assert analysis.shared_config(runs) == runs["cross-entropy"].config
    combined = runs["combined"].config
    changed = {**runs, "combined": dataclasses.replace(runs["combined"], config={**combined, "train": {**combined["train"], "lr": 1.0}})}
    with pytest.raises(ValueError, match="hw3 train p2"):
        analysis.shared_config(changed)


def seed_mean(artifacts, key, scale=100):
    return scale * np.mean([m[key] for m in artifacts.metrics["seeds"].values()])


def test_facts_and_tables_read_the_artifacts(runs):
    facts = analysis.facts(runs)
    assert facts["seeds"] == len(runs["cross-entropy"].config["seeds"]) > 1
    assert facts["acc"] == pytest.approx({regime: seed_mean(a, "test_acc") for regime, a in runs.items()})
    assert facts["acc_sd"]["triplet"] == pytest.approx(np.std([100 * m["test_acc"] for m in runs["triplet"].metrics["seeds"].values()], ddof=1))
    for layer in LAYERS:
        values = [100 * np.mean([m["layer_probe"][layer] for m in a.metrics["seeds"].values()]) for a in runs.values()]
        assert facts["spread"][layer] == pytest.approx(max(values) - min(values))
    n_val = runs["cross-entropy"].metrics["sizes"]["val"]
    assert facts["val_standard_error"] == pytest.approx(stats.standard_error(np.mean(list(facts["best_val"].values())) / 100, n_val))
    assert facts["compared"]["cross-entropy", "triplet"] == comparisons.compare(runs["cross-entropy"], runs["triplet"], "test")
    widths = runs["cross-entropy"].config["model"]["widths"]
    assert facts["head_parameters"] == widths[-1] * 2 + 2 and facts["parameters"] > facts["head_parameters"]
    stage_one = runs["triplet"].history()
    assert facts["triplet_stage_one"]["loss"] == (stage_one["train_loss"].iloc[0], stage_one["train_loss"].iloc[-1])
    assert facts["best_val"]["triplet"] == pytest.approx(100 * runs["triplet"].history("history-linear.csv")["val_acc"].max())
    linear = runs["triplet"].history("history-linear.csv")["val_acc"]
    assert ("triplet" in facts["still_rising"]) == (linear.iloc[-1] == linear.max() and linear.idxmax() == linear.index[-1])
    assert facts["seconds"]["triplet"] == pytest.approx(
        stage_one["seconds"].sum() + runs["triplet"].history("history-linear.csv")["seconds"].sum()
    )
    summary = analysis.summary_table(runs)
    assert np.allclose(summary["دقت آزمون (%)"], list(facts["acc"].values()))
    compared = analysis.comparison_table(runs)
    assert len(compared) == len(analysis.PAIRS) and set(compared["حکم"]) <= {"برابر در حد نوفه", *(f"{n} بهتر" for n in text.NAMES.values())}
    probes = analysis.layer_probe_table(runs)
    assert list(probes["لایه"]) == list(LAYERS) and probes.shape == (3, 4)


def test_triplet_convergence_counts_both_stages(runs):
    c = analysis.convergence(runs["triplet"])
    stage_one = runs["triplet"].history()
    if c["classifier_epochs"] is not None:
        assert c["classifier_epochs"].startswith(f"{len(stage_one)} + ")
        assert c["classifier_seconds"] > stage_one["seconds"].sum()
        assert c["classifier_epoch_count"] == len(stage_one) + int(c["classifier_epochs"].split(" + ")[1])
        assert c["classifier_seconds_noise"] >= analysis.time_noise(stage_one["seconds"], len(stage_one))
    table = analysis.convergence_table(runs)
    assert len(table) == 3 and all(isinstance(v, str) for v in table["طبقه‌بند: epoch"])



def test_a_new_regime_is_one_row_and_every_table_and_figure_of_the_regimes_shows_it(runs, monkeypatch):
    """A fourth regime with its row in `study.REGIMES` and its Persian name in `text.NAMES`, and
    nothing else, is in every table and figure that sets the regimes side by side. (Its run
    here is the combined loss at a wider margin, a variant of that regime's config: a regime
    of its own needs its branch in `train_regime` too, in the same file as its row.)"""
    combined = study.EXPERIMENTS["p2-combined"]
    cfg = combined.config("smoke")
    wide = experiments.result(combined, "smoke", config={**cfg, "train": {**cfg["train"], "margin": 0.5}})
    monkeypatch.setitem(study.REGIMES, "wide-margin", study.Regime("triplet + CE, margin 0.5", "the combined loss at margin 0.5"))
    monkeypatch.setitem(text.NAMES, "wide-margin", "ترکیبی با حاشیهٔ بزرگ")
    four = {**runs, "wide-margin": wide}
    names = [text.NAMES[regime] for regime in four]
    assert list(analysis.summary_table(four)["رژیم"]) == list(analysis.convergence_table(four)["رژیم"]) == names
    assert list(analysis.layer_probe_table(four).columns[1:]) == names
    assert analysis.summary_table(four)["silhouette"].iloc[-1] == pytest.approx(seed_mean(wide, "silhouette", 1))
    labels = [row.label for row in study.REGIMES.values()]
    maps = plots.feature_maps_across_regimes(four)  # its last axes are the colour bar
    assert [ax.get_ylabel() for ax in maps.axes[:-1] if ax.get_ylabel()] == [label.replace(" (", "\n(") for label in labels]
    views = plots.embedding_views(four)
    assert [ax.get_title() for ax in views.axes[: len(four)]] == [f"{label}: PCA" for label in labels]
    curves = plots.convergence_curves(four)
    assert f"{labels[-1]}: nearest centroid" in curves.axes[0].get_legend_handles_labels()[1]
    for figure in (maps, views, curves):
        plt.close(figure)


def test_feature_maps_over_epochs_show_every_recorded_image(runs):
    artifacts = runs["cross-entropy"]
    images = artifacts.config["train"]["feature_map_images"]
    epochs = study.map_epochs(artifacts.config["train"]["epochs"])
    figure = plots.feature_maps_over_epochs(artifacts)
    columns = 1 + plots.CHANNELS * len(LAYERS)
    assert len(figure.axes) == images * len(epochs) * columns + 1  # and one colour bar
    first_column = [figure.axes[row * columns].get_ylabel() for row in range(images * len(epochs))]
    assert sum(label.startswith(tuple(study.CLASSES)) for label in first_column) == images
    assert {label.split("\n")[0] for label in first_column[:: len(epochs)]} == set(study.CLASSES)
    plt.close(figure)
