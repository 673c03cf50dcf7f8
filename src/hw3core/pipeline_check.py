"""A tiny experiment that exercises the whole cache-and-trainer path in about a second.

It fits a two-layer network to two Gaussian blobs. The book's index chapter shows it so
every render (and every CI run) proves that experiments train, cache, and load.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from .data import evenly_dealt, tensor_loader
from .experiments import Experiment, RunContext, by_name
from .profiles import Profile, per_profile
from .seeding import seed_everything
from .training import fit


class _Indexable(TensorDataset):
    """TensorDataset whose __getitem__ also takes a list of indices (one whole batch)."""

    def __getitem__(self, indices):  # type: ignore[override]
        index = torch.as_tensor(indices)
        return tuple(t[index] for t in self.tensors)


def blobs(n: int, seed: int, limit: int | None = None) -> _Indexable:
    """`n` points of two blobs, at most `limit` of them (a data config's cap, as `ImageSet.at_most`)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    points = torch.randn(n, 2, generator=generator) + (labels[:, None] * 2.5 - 1.25)
    if limit is not None and limit < n:
        index = torch.from_numpy(evenly_dealt(labels, limit, seed))
        points, labels = points[index], labels[index]
    return _Indexable(points, labels)


def config(profile: Profile) -> dict[str, Any]:
    return {
        "seed": 0,
        "data": {"n": per_profile(profile, full=2000, quick=2000, smoke=400)},  # training points; validation gets n/4
        "model": {"hidden": 16},
        "train": {"epochs": 5, "lr": 0.1, "momentum": 0.9, "batch_size": 64},
    }


def run(cfg: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    seed, n, recipe = cfg["seed"], cfg["data"]["n"], cfg["train"]
    seed_everything(seed)
    model = nn.Sequential(nn.Linear(2, cfg["model"]["hidden"]), nn.ReLU(), nn.Linear(cfg["model"]["hidden"], 2))
    limit = cfg["data"].get("limit")
    train = tensor_loader(blobs(n, seed, limit), recipe["batch_size"], shuffle=True, seed=seed)
    val = tensor_loader(blobs(n // 4, seed + 1, limit), 256, shuffle=False)
    history = fit(
        model,
        train,
        val,
        epochs=recipe["epochs"],
        optimizer=torch.optim.SGD(model.parameters(), lr=recipe["lr"], momentum=recipe["momentum"]),
        workdir=ctx.workdir,
        device=ctx.device,
        seed=seed,
        desc="pipeline-check",
    )
    return {"best_val_acc": float(history["val_acc"].max()), "epochs": len(history)}


EXPERIMENTS = by_name(Experiment("pipeline-check", "index", "two Gaussian blobs, a 2-layer MLP (pipeline check)", config, run))
