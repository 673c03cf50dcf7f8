"""Training before the chapters run: which experiments a chapter needs, what a render would
train and roughly how long, and the files Quarto's pre-render step is given."""

import dataclasses
from pathlib import Path

from hw3core import experiments, registry, training_plan
from hw3core.settings import PROJECT_ROOT, get_settings
from hw3render.config import load_book


def test_a_chapter_is_named_for_its_question():
    assert training_plan.chapter_of(Path("report/p1-cifar10.qmd")) == "p1"
    assert training_plan.chapter_of(Path("index.qmd")) == "index"
    assert training_plan.chapter_of(Path("report/references.qmd")) == "references"


def test_every_experiment_belongs_to_a_chapter_of_the_book():
    """The chapter files, not a hand list, decide what is trained: no experiment is left out."""
    chapters = [c.source for c in load_book(PROJECT_ROOT, "smoke").chapters]
    studies = sorted(name for study in registry.STUDIES for name in study.EXPERIMENTS)
    assert [e.name for e in training_plan.needed(chapters)] == studies
    assert training_plan.needed([Path("index.qmd")]) == [registry.get("pipeline-check")]
    assert training_plan.needed([Path("report/t1-conv-arithmetic.qmd"), Path("report/references.qmd")]) == []
    assert training_plan.needed([Path("report/p2-losses.qmd")]) == registry.select(["p2"])


def test_epochs_counts_every_stage_of_a_config():
    assert training_plan.epochs({"seed": 0, "train": {"epochs": 5, "warmup_epochs": 1}, "head": {"epochs": 2}, "features": {"model": {}}}) == 7
    assert training_plan.epochs(registry.get("pipeline-check").config("smoke")) == 5


def test_train_for_trains_what_is_missing_once():
    check = registry.get("pipeline-check")
    assert [p.name for p in training_plan.plan([check], "smoke")] == ["pipeline-check"]
    assert training_plan.train_for([Path("index.qmd"), Path("report/t1-conv-arithmetic.qmd")], "smoke") == ["pipeline-check"]
    assert experiments.status(check, "smoke") == "cached"
    assert training_plan.plan([check], "smoke") == []
    assert training_plan.train_for([Path("index.qmd")], "smoke") == []


def test_rough_times_read_as_rough():
    assert [training_plan.rough(s) for s in (12, 600, 4 * 3600)] == ["~12 s", "~10 min", "~4.0 h"]


def test_quarto_inputs_from_the_environment_or_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv("QUARTO_PROJECT_INPUT_FILES", "index.qmd\nreport/p1-cifar10.qmd\n")
    assert training_plan.quarto_inputs(PROJECT_ROOT, get_settings().quarto) == [Path("index.qmd"), Path("report/p1-cifar10.qmd")]
    listing = tmp_path / "inputs.txt"
    listing.write_text("report/p3-transfer.qmd\n")
    monkeypatch.setenv("QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES", str(listing))
    assert training_plan.quarto_inputs(PROJECT_ROOT, get_settings().quarto) == [Path("report/p3-transfer.qmd")]


def test_a_rough_time_is_this_machines_own_once_the_experiment_has_run(monkeypatch):
    """After pipeline-check has trained under smoke, a changed config of it is timed by that run, not the table."""
    monkeypatch.setitem(training_plan.EPOCH_SECONDS, ("smoke", "cpu"), 1000.0)
    check = registry.get("pipeline-check")
    assert training_plan.plan([check], "smoke")[0].seconds == 1000.0 * 5  # nothing measured yet: the table
    ran = experiments.result(check, "smoke")
    per_epoch = ran.metrics["run_seconds"] / 5
    changed = {**check.config("smoke"), "seed": 1}
    plan = training_plan.plan([dataclasses.replace(check, config=lambda profile: changed)], "smoke")
    assert [(p.name, p.status) for p in plan] == [("pipeline-check", "missing")]
    assert plan[0].seconds == per_epoch * 5
    assert training_plan.measured_epoch_seconds("pipeline-check", "quick", get_settings().layout) is None  # another profile's run does not count


def test_a_missing_file_is_reported_once_for_every_stage_it_stops(caplog):
    """P3's head stage needs its features stage: without the weights both stop, and the
    terminal says why once, not once per stage."""

    def needs_weights(cfg, ctx):
        raise FileNotFoundError("ImageNet weights w.pth are not available\nlooked in ...")

    stages = [experiments.Experiment(name, "zz", "a stage", lambda profile: {"seed": 0}, needs_weights) for name in ("zz-features", "zz-head")]
    with caplog.at_level("WARNING", logger="hw3.training_plan"):
        assert training_plan.train(stages, "smoke") == []
    assert [r.getMessage() for r in caplog.records if r.name == "hw3.training_plan"] == [
        "zz-features not trained: ImageNet weights w.pth are not available",
        "zz-head not trained either: same reason as zz-features",
    ]
