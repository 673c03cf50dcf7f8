"""The table of every run the book read: each row traces a number to its config hash,
seeds, device, libraries, data and commit, read from the cache and never trained."""

from pathlib import Path

import torch
import torchvision

from hw3core import experiments, provenance, registry, runs
from hw3core.experiments import Experiment
from hw3core.settings import PROJECT_ROOT, get_settings


def test_a_finished_run_has_a_row_that_traces_it(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "images.bin").write_bytes(b"123")

    def run(cfg, ctx):
        provenance.record_data(data)
        return {"test_acc": 0.5}

    experiment = Experiment("zz-traced", "zz", "a run to trace", lambda profile: {"seeds": [0, 1], "data": {}}, run)
    settings = get_settings()
    before = runs.row(experiment, "smoke", settings)
    assert before["device"] == "not run" and before["seeds"] == "0, 1" and before["commit"] == runs.NOT_RUN
    artifacts = experiments.result(experiment, "smoke", settings)
    row = runs.row(experiment, "smoke", settings)
    assert row["config hash"] == artifacts.directory.name == experiments.entry_key(experiment, "smoke", settings)
    assert (row["torch"], row["torchvision"], row["device"]) == (torch.__version__, torchvision.__version__, "cpu")
    assert row["data"] == runs.data_fingerprint({str(data): provenance.files_fingerprint(data)}) != "none"
    assert row["train time (s)"] == f"{artifacts.metrics['run_seconds']:,.0f}"
    commit = provenance.git_commit(PROJECT_ROOT)
    assert row["commit"] == "unknown" if commit == "unknown" else commit.startswith(row["commit"].removesuffix("-dirty"))


def test_the_table_lists_a_chapters_experiments_without_training_them():
    table = runs.runs_table("smoke", chapter="p1")
    assert list(table["experiment"]) == [e.name for e in registry.of_chapters({"p1"})]
    assert set(table["device"]) == {"not run"} and set(table["commit"]) == {runs.NOT_RUN}
    assert not any(get_settings().cache_dir.glob("p1-*/*/metrics.json"))  # nothing was trained
    whole = runs.runs_table("smoke")
    assert set(whole["chapter"]) == set(runs.CHAPTERS)


def test_git_commit_outside_a_checkout_is_unknown(tmp_path: Path):
    assert provenance.git_commit(tmp_path) == "unknown"
