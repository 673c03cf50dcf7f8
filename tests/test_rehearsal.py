"""`hw3 rehearse`: experiments run cut short in a namespace the book never reads, one line each,
and bad input refused in one line before anything is written."""

from collections import namedtuple
from pathlib import Path

import pytest

from hw3core import rehearsal, training
from hw3core.cli import main


def lines_of(capsys) -> list[str]:
    return capsys.readouterr().out.strip().splitlines()


def test_a_rehearsal_runs_cut_short_prints_one_line_each_and_cleans_up(isolated_settings, capsys):
    assert main(["rehearse", "toy", "p1-bn", "--profile", "smoke"]) == 0
    lines = lines_of(capsys)
    results = [line for line in lines if line.startswith(("ok", "FAIL"))]
    assert [line.split()[:2] for line in results] == [["ok", "toy"], ["ok", "p1-bn"]]
    assert all("img/s" in line and "real run here" in line and "on one H100" in line for line in results)
    assert lines[-1].startswith("total [smoke]: 2 ok, 0 failed; projected real run here")
    assert "989 TFLOP/s" in lines[1] and "35%" in lines[1]
    assert not (isolated_settings / "cache").exists()  # the real cache: untouched
    assert not list(isolated_settings.glob("rehearsal-*"))  # the namespace: removed


def test_keep_leaves_the_namespace_with_the_epochs_capped(isolated_settings, capsys):
    assert main(["rehearse", "p1-bn", "--profile", "smoke", "--keep"]) == 0
    (namespace,) = isolated_settings.glob("rehearsal-*")
    assert f"kept {namespace}" in lines_of(capsys)
    (entry,) = (namespace / "cache" / "p1-bn").glob("*/metrics.json")
    assert len((entry.parent / "history.csv").read_text().splitlines()) == 1 + 2
    assert not (isolated_settings / "cache").exists()


def test_a_failing_experiment_names_its_stage_and_cause_and_exits_1(isolated_settings, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (8x3 and 2x16)")

    monkeypatch.setattr(training, "run_epoch", broken)
    assert main(["rehearse", "toy", "--profile", "smoke"]) == 1
    (line,) = [line for line in lines_of(capsys) if line.startswith("FAIL")]
    assert line.split()[1] == "toy" and "stage 'toy', epoch 1" in line and "training.py" in line
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
    assert main(["rehearse", "toy", "--profile", "smoke"]) == 2
    (line,) = lines_of(capsys)
    assert line.startswith(f"hw3 rehearse: cannot create the rehearsal's namespace {blocker}/rehearsal-")
