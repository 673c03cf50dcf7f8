"""The experiment cache: load instead of retrain, reject corrupt or stale entries, resume."""

import json
import multiprocessing
import time
from pathlib import Path

import pytest
import torch

from hw3core import atomic, experiments, pipeline_check, registry
from hw3core.cache import config_key
from hw3core.experiments import Experiment, by_name

RUNS: list[dict] = []


def _run(config, ctx):
    RUNS.append(config)
    (ctx.workdir / "weights.pt").write_bytes(b"")
    atomic.torch_save({"w": torch.full((3,), float(config["value"]))}, ctx.workdir / "best.pt")
    return {"value": config["value"]}


SETTING = {"value": 1}
COUNTER = Experiment("test-counter", "tests", "counts its runs", lambda profile: dict(SETTING), _run)


@pytest.fixture(autouse=True)
def reset():
    RUNS.clear()
    SETTING["value"] = 1


def test_second_call_loads_instead_of_training():
    first = experiments.result(COUNTER)
    second = experiments.result(COUNTER)
    assert len(RUNS) == 1
    assert first.directory == second.directory
    assert torch.equal(second.state_dict()["w"], torch.ones(3))
    assert experiments.status(COUNTER) == "cached"


def test_changed_config_retrains_in_a_new_entry():
    first = experiments.result(COUNTER)
    SETTING["value"] = 2
    second = experiments.result(COUNTER)
    assert len(RUNS) == 2 and first.directory != second.directory
    assert second.metrics["value"] == 2


def test_a_config_given_to_result_runs_and_is_cached_under_its_own_key():
    own = experiments.result(COUNTER)
    variant = experiments.result(COUNTER, config={"value": 5})
    again = experiments.result(COUNTER, config={"value": 5})
    assert RUNS == [{"value": 1}, {"value": 5}] and variant.directory == again.directory != own.directory
    assert variant.config == {"value": 5} and variant.metrics["value"] == 5
    assert experiments.result(COUNTER).directory == own.directory and experiments.status(COUNTER) == "cached"


def test_profile_is_part_of_the_key():
    assert config_key("x", "smoke", {"a": 1}) != config_key("x", "quick", {"a": 1})
    experiments.result(COUNTER, "smoke")
    experiments.result(COUNTER, "quick")
    assert len(RUNS) == 2


def test_corrupt_entry_is_reported_moved_aside_and_recomputed(caplog):
    entry = experiments.result(COUNTER).directory
    (entry / "best.pt").write_bytes(b"garbage")
    assert experiments.status(COUNTER) == "corrupt"
    with caplog.at_level("WARNING", logger="hw3"):
        again = experiments.result(COUNTER)
    assert len(RUNS) == 2
    assert "contents differ from the manifest" in caplog.text
    assert list(entry.parent.glob(f"{entry.name}.corrupt-*")), "the bad entry is kept for inspection"
    assert torch.equal(again.state_dict()["w"], torch.ones(3))


def test_stale_config_is_rejected():
    entry = experiments.result(COUNTER).directory
    stored = json.loads((entry / "config.json").read_text())
    stored["config"]["value"] = 99
    (entry / "config.json").write_text(json.dumps(stored))
    experiments.result(COUNTER)
    assert len(RUNS) == 2


def test_unknown_experiment_lists_the_known_ones():
    with pytest.raises(KeyError, match="p1-baseline, p1-bn.*pipeline-check"):
        registry.get("nope")


def test_two_experiments_of_one_name_are_refused():
    """The name keys the cache: two experiments under one name would read each other's results."""
    twin = Experiment("test-counter", "tests", "another", lambda profile: {}, _run)
    with pytest.raises(ValueError, match="two experiments are named 'test-counter'"):
        by_name(COUNTER, twin)
    assert list(by_name(COUNTER, pipeline_check.EXPERIMENTS["pipeline-check"])) == ["test-counter", "pipeline-check"]


def test_the_registry_lists_every_study_once():
    studies = [name for study in registry.STUDIES for name in study.EXPERIMENTS]
    assert sorted(studies) == sorted(registry.EXPERIMENTS) and len(studies) == len(set(studies))
    assert {e.chapter for e in registry.EXPERIMENTS.values()} == {"index", "p1", "p2", "p3"}
    assert [e.name for e in registry.select(["p2", "pipeline-check", "p2-triplet"])] == ["p2-combined", "p2-cross-entropy", "p2-triplet", "pipeline-check"]


class NotATensor:
    pass


def test_checkpoints_load_with_weights_only(tmp_path: Path):
    torch.save({"obj": NotATensor()}, tmp_path / "evil.pt")
    with pytest.raises(Exception, match="weights_only|Unsupported global"):
        atomic.torch_load(tmp_path / "evil.pt")


def test_pipeline_check_experiment_trains_caches_and_reports():
    artifacts = experiments.result(pipeline_check.EXPERIMENTS["pipeline-check"])
    history = artifacts.history()
    assert list(history["epoch"]) == [1, 2, 3, 4, 5]
    assert artifacts.metrics["best_val_acc"] == pytest.approx(history["val_acc"].max())
    assert artifacts.metrics["best_val_acc"] > 0.8, "two well-separated blobs are easy"
    assert registry.get("pipeline-check") is pipeline_check.EXPERIMENTS["pipeline-check"]


def _slow_run(config, ctx):
    with open(config["log"], "a") as log:
        log.write("run\n")
    time.sleep(1.0)
    return {"ok": 1}


def _worker(log: str, queue) -> None:
    slow = Experiment("test-slow", "tests", "slow", lambda profile: {"log": log}, _slow_run)
    queue.put(str(experiments.result(slow).directory))


def test_two_renders_at_once_train_once(tmp_path: Path):
    log = tmp_path / "runs.log"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_worker, args=(str(log), queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert log.read_text().count("run") == 1
    assert queue.get() == queue.get()
