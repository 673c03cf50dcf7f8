"""`hw3 rehearse`: each experiment run with its config's rehearsal twin (epochs, batches and
images capped) in a namespace the book never reads, one line each, and bad input refused in
one line before anything is written."""

import ast
import copy
import json
import os
from collections import namedtuple
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from hw3core import experiments, registry, rehearsal, training
from hw3core.cache import config_key
from hw3core.cli import main
from hw3core.settings import PROJECT_ROOT

CAPS = rehearsal.Caps()


def lines_of(capsys) -> list[str]:
    return capsys.readouterr().out.strip().splitlines()


def test_the_twin_caps_every_epochs_and_batch_entry_at_any_depth_and_sets_the_limit():
    config = {
        "seed": 3,
        "data": {"source": "x", "per_class": {"train": 100}},
        "train": {"epochs": 30, "warmup_epochs": 5, "batch_size": 512, "lr": 0.1, "augment": True},
        "head": {"epochs": 1, "stage": {"eval_batch_size": 1000, "epochs": 7}},
        "features": {"batch_size": 4, "widths": [128, 256]},
    }
    before = copy.deepcopy(config)
    twin = rehearsal.rehearsal_config(config)
    assert twin == {
        "seed": 3,
        "data": {"source": "x", "per_class": {"train": 100}, "limit": 16},
        "train": {"epochs": 2, "warmup_epochs": 2, "batch_size": 8, "lr": 0.1, "augment": True},
        "head": {"epochs": 1, "stage": {"eval_batch_size": 8, "epochs": 2}},
        "features": {"batch_size": 4, "widths": [128, 256]},
    }
    assert config == before  # the real config is left as it was
    assert config_key("x", "full", twin) != config_key("x", "full", config)
    assert rehearsal.rehearsal_config({"data": {"limit": 4}}, CAPS)["data"]["limit"] == 4  # a tighter limit stays
    assert rehearsal.what_was_cut(config, twin) == (
        "train.epochs 30->2, train.warmup_epochs 5->2, train.batch_size 512->8, head.stage.eval_batch_size 1000->8, head.stage.epochs 7->2"
    )


@pytest.mark.parametrize("name", sorted(registry.EXPERIMENTS))
def test_every_experiment_of_the_full_profile_has_a_twin_that_is_cut(name):
    real = registry.get(name).config("full")
    twin = rehearsal.rehearsal_config(real)
    assert twin["data"]["limit"] == CAPS.images and rehearsal.what_was_cut(real, twin)
    assert "limit" not in real["data"]  # the profiles' own configs (and so their cache keys) carry no limit


def test_a_rehearsal_runs_the_twins_prints_one_line_each_and_cleans_up(isolated_settings, capsys):
    assert main(["rehearse", "pipeline-check", "p1-bn", "--profile", "smoke"]) == 0
    lines = lines_of(capsys)
    assert lines[0].startswith("hw3 rehearse [smoke]: 2 experiments on cpu, each config cut to <= 2 epochs a stage, batches of <= 8 and <= 16 images a split")
    results = [line for line in lines if line.startswith(("ok", "FAIL"))]
    assert [line.split()[:2] for line in results] == [["ok", "pipeline-check"], ["ok", "p1-bn"]]
    assert "GFLOP" in results[0] and results[0].endswith("train.epochs 5->2, train.batch_size 64->8")
    assert lines[-1].startswith("total [smoke]: 2 ok, 0 failed; rehearsed in ")
    assert not (isolated_settings / "cache").exists()  # the real cache: untouched
    assert not list(isolated_settings.glob("rehearsal-*"))  # the namespace: removed


def test_a_rehearsal_passes_its_own_settings_down_and_leaves_the_environment_alone(isolated_settings, monkeypatch, capsys):
    """The namespace is a Settings of its own (cache, TORCH_HOME, offline) that the run receives;
    the process's environment, which a run does not read, stays the user's throughout."""
    seen = {}

    def probe(cfg, ctx):
        seen.update(settings=ctx.settings, environ=dict(os.environ))
        return {}

    probe_experiment = experiments.Experiment("zz-probe", "zz", "what a rehearsed run is given", lambda profile: {"seed": 0}, probe)
    monkeypatch.setattr(registry, "EXPERIMENTS", {**registry.EXPERIMENTS, "zz-probe": probe_experiment})
    monkeypatch.delenv("HW3_OFFLINE")
    before = dict(os.environ)
    assert main(["rehearse", "zz-probe", "--profile", "smoke"]) == 0
    settings = seen["settings"]
    namespace = settings.cache_dir.parent
    assert namespace.parent == isolated_settings and namespace.name.startswith("rehearsal-") and settings.cache_dir.name == "cache"
    assert settings.torch_home == namespace / "torch" and settings.offline
    assert seen["environ"] == before == dict(os.environ)


def test_a_rehearsed_run_trains_two_epochs_on_at_most_16_images_a_split(isolated_settings, capsys):
    """Read back from the kept namespace: the twins' configs, histories and recorded split sizes."""
    names = ["pipeline-check", "p1-bn", "p2-triplet", "p3-frozen-mobilenet_v2", "p3-scratch"]
    assert main(["rehearse", *names, "--profile", "smoke", "--keep"]) == 0
    (namespace,) = isolated_settings.glob("rehearsal-*")
    assert f"kept {namespace}" in lines_of(capsys)
    entries = {name: next((namespace / "cache" / name).glob("*/metrics.json")).parent for name in names}
    for name, entry in entries.items():
        config = json.loads((entry / "config.json").read_text())["config"]
        assert config == rehearsal.rehearsal_config(registry.get(name).config("smoke"))
        for history in entry.glob("history*.csv"):
            assert len(pd.read_csv(history)) == 2, (name, history.name)
    metrics = {name: json.loads((entry / "metrics.json").read_text()) for name, entry in entries.items()}
    assert max(metrics["p1-bn"]["sizes"].values()) == max(metrics["p2-triplet"]["sizes"].values()) == 16
    assert max(metrics["p3-scratch"]["images"].values()) == 16
    assert sorted(p.name for p in entries["p2-triplet"].glob("history*.csv")) == ["history-linear.csv", "history.csv"]
    # the head asked for its features stage with its own (cut) config: a twin, never the real one
    (features,) = (namespace / "cache" / "p3-features-mobilenet_v2").glob("*/config.json")
    assert json.loads(features.read_text())["config"] == rehearsal.rehearsal_config(registry.get("p3-features-mobilenet_v2").config("smoke"))
    assert not (isolated_settings / "cache").exists()


def test_a_failing_experiment_names_where_and_why_and_exits_1(isolated_settings, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (8x3 and 2x16)")

    monkeypatch.setattr(training, "run_epoch", broken)
    assert main(["rehearse", "pipeline-check", "--profile", "smoke"]) == 1
    (line,) = [line for line in lines_of(capsys) if line.startswith("FAIL")]
    assert line.split()[1] == "pipeline-check" and " at training.py:" in line and " in fit: " in line
    assert line.endswith("RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x3 and 2x16)")
    assert not list(isolated_settings.glob("rehearsal-*"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["rehearse", "--profile", "fastest"], "hw3 rehearse: unknown profile 'fastest'"),
        (["rehearse", "no-such", "--profile", "smoke"], "hw3 rehearse: unknown experiment 'no-such'"),
        (["rehearse", "p1-bn", "--profile", "quick"], "hw3 rehearse: CIFAR-10 not found under"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_touches_no_cache(isolated_settings, capsys, argv, message):
    assert main(argv) == 2
    out = capsys.readouterr().out
    bad = [line for line in out.splitlines() if line.startswith("hw3 rehearse:")]
    assert len(bad) == 1 and bad[0].startswith(message)
    assert not (isolated_settings / "cache").exists() and not list(isolated_settings.glob("rehearsal-*"))


def test_no_space_for_the_namespace_is_one_line_and_creates_nothing(isolated_settings, monkeypatch, capsys):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(rehearsal.shutil, "disk_usage", lambda path: usage(10 << 30, 10 << 30, 1 << 20))
    assert main(["rehearse", "--profile", "full"]) == 2
    (line,) = lines_of(capsys)
    assert line.startswith("hw3 rehearse: no space for the rehearsal's namespace under") and "0.0 GiB free" in line and "HW3_CACHE_DIR" in line
    assert sorted(p.name for p in Path(isolated_settings).iterdir()) == []


def test_an_uncreatable_namespace_is_one_line(isolated_settings, monkeypatch, capsys):
    blocker = isolated_settings / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HW3_CACHE_DIR", str(blocker / "cache"))
    assert main(["rehearse", "pipeline-check", "--profile", "smoke"]) == 2
    (line,) = lines_of(capsys)
    assert line.startswith(f"hw3 rehearse: cannot create the rehearsal's namespace {blocker}/rehearsal-")


@pytest.mark.parametrize("module", ["data", "training", "experiments"])
def test_the_data_path_the_trainer_and_the_cache_know_nothing_of_rehearsals(module):
    """A rehearsal is a config and a cache root chosen before the run: no switch in the loops."""
    source = (PROJECT_ROOT / "src" / "hw3core" / f"{module}.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {node.module or ""} | {alias.name for alias in node.names}
    assert not {"rehearsal", "hw3core.rehearsal", "contextvars"} & imported
    assert "rehears" not in source.lower()


@pytest.mark.parametrize("groups", [1, 4, 16])
def test_a_convolutions_backward_counts_its_forward_once_per_gradient(groups):
    """torch.utils.flop_counter alone counts a grouped convolution's backward as if dense."""
    conv = nn.Conv2d(16, 16, 3, padding=1, groups=groups, bias=False)
    x = torch.randn(2, 16, 8, 8, requires_grad=True)
    with rehearsal.flop_counter() as forward:
        y = conv(x)
    with rehearsal.flop_counter() as backward:
        y.sum().backward()
    assert forward.get_total_flops() == 2 * 2 * 8 * 8 * 16 * (16 // groups) * 9
    assert backward.get_total_flops() == 2 * forward.get_total_flops()
