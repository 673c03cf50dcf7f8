"""A run repeated over the seeds of its config: where each seed's files go, what comes
back, and that a stopped run resumes at the seed it stopped in."""

from pathlib import Path

import pytest
import torch

from hw3core import seeding
from hw3core.experiments import RunContext
from hw3core.settings import get_settings


def test_each_seed_runs_once_in_its_folder_and_a_stopped_run_resumes_there(tmp_path: Path):
    ran: list[tuple[int, Path]] = []

    def run_one(cfg, ctx):
        if cfg["seed"] == 2 and not (tmp_path / "stopped").exists():
            (tmp_path / "stopped").touch()
            raise KeyboardInterrupt
        ran.append((cfg["seed"], ctx.workdir))
        assert "seeds" not in cfg and cfg["train"] == {"epochs": 3}
        (ctx.workdir / "history.csv").write_text("epoch\n1\n")
        return {"test_acc": cfg["seed"] / 10}

    cfg = {"seeds": [5, 1, 2], "train": {"epochs": 3}}
    ctx = RunContext(tmp_path / "run", torch.device("cpu"), "smoke", get_settings())
    ctx.workdir.mkdir()
    with pytest.raises(KeyboardInterrupt):
        seeding.over_seeds(run_one, cfg, ctx)
    metrics = seeding.over_seeds(run_one, cfg, ctx)
    assert ran == [(5, ctx.workdir), (1, ctx.workdir / "seeds" / "1"), (2, ctx.workdir / "seeds" / "2")]
    assert metrics == {"test_acc": 0.5, "seeds": {"5": {"test_acc": 0.5}, "1": {"test_acc": 0.1}, "2": {"test_acc": 0.2}}}
    assert [seeding.seed_folder(ctx.workdir, cfg, s) for s in cfg["seeds"]] == [w for _, w in ran]
