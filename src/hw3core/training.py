"""One trainer for every experiment of the book.

`fit` runs epochs of a `step` function over a training loader, evaluates on a
validation loader, keeps the per-epoch history in a DataFrame, saves the best state
dict by validation accuracy, and checkpoints after each epoch so a killed run resumes
where it stopped and ends with the same numbers. Shuffling, augmentation and dropout
are seeded from (seed, epoch), which is what makes a resumed run identical to an
uninterrupted one. Image batches and conv weights are channels-last on every device
(faster convolutions on the CPU as on CUDA), CUDA also trains in bf16 autocast, and an
epoch reads its loss and accuracy from the device once, at its end (`run_epoch`).
`torch.compile` is not used: whether it pays for these small networks has not been
measured on a GPU (none was available to measure it), so it stays off until it is.
A resume file that cannot be read (or no longer fits the model) is moved aside and the
run starts over; Ctrl-C ends in `Interrupted`, which says from which epoch a rerun
resumes.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from . import atomic
from .errors import Interrupted
from .seeding import epoch_seed, seed_everything

log = logging.getLogger("hw3.training")
HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]


def parameter_count(model: nn.Module, trainable: bool = False) -> int:
    """Number of parameters of `model` (only those with requires_grad when `trainable`)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable)


@dataclass
class StepResult:
    """Loss of one batch (a graph-carrying tensor), how many predictions were right, of how many.

    `correct` stays a tensor on the device (an int is accepted too): reading it with
    int() would make the host wait for the device at every step (`run_epoch`).
    """

    loss: torch.Tensor
    correct: torch.Tensor | int
    count: int


Step = Callable[[nn.Module, Any], StepResult]
Outputs = TypeVar("Outputs", torch.Tensor, dict[str, torch.Tensor])


# Device types whose convolutions run faster on channels-last (NHWC) tensors. On this
# 2-core CPU (benchmarks/channels_last.py) a training step of P1's quick ConvNets is about
# 1.5x faster and MobileNetV2's at 96 px 1.3-1.5x; on CUDA it is the layout tensor cores want.
CHANNELS_LAST_DEVICES = {"cuda", "cpu"}
# Device types that train in bf16 autocast. Only CUDA gains from it, but the branches are
# plain PyTorch that also runs on the CPU, so the tests add "cpu" here to execute them
# before a GPU is ever rented.
AUTOCAST_DEVICES = {"cuda"}


def channels_last(device: torch.device) -> bool:
    """Whether image batches and conv weights go channels-last on `device`."""
    return device.type in CHANNELS_LAST_DEVICES


def on_device(model: nn.Module, device: torch.device) -> nn.Module:
    """`model` moved to `device`, its 4-D conv weights channels-last where that is faster."""
    model.to(device)
    if channels_last(device):
        model.to(memory_format=torch.channels_last)
    return model


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move a batch to the device; 4-D image batches go channels-last where convs are faster."""
    x = x.to(device, non_blocking=True)
    if channels_last(device) and x.dim() == 4 and x.is_floating_point():
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def classification_step(
    model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], label_smoothing: float = 0.0
) -> StepResult:
    """Cross-entropy on (images, labels), counting top-1 hits.

    `label_smoothing` (bind it with functools.partial) is nn.CrossEntropyLoss's option.
    """
    device = next(model.parameters()).device
    x, y = to_device(batch[0], device), batch[1].to(device, non_blocking=True)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits.float(), y, label_smoothing=label_smoothing)
    return StepResult(loss, (logits.argmax(1) == y).sum(), len(y))


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    if device.type in AUTOCAST_DEVICES:
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _set_epoch(loader: Iterable, epoch: int) -> None:
    for part in (getattr(loader, "sampler", None), getattr(loader, "dataset", None)):
        if hasattr(part, "set_epoch"):
            part.set_epoch(epoch)


def run_epoch(
    model: nn.Module,
    loader: Iterable,
    step: Step,
    device: torch.device,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    scheduler_per_batch: bool = False,
) -> tuple[float, float]:
    """One pass; trains when an optimizer is given, else evaluates without gradients.

    Loss and hits are summed on the device and read once, at the end: a float(loss) per
    step would make the host wait for every step's kernels to finish before it queues the
    next, and a GPU would idle between steps. The sum is in float64 of loss x batch size,
    the same arithmetic (and so the same numbers) as summing float(loss) x count on the host.
    """
    training = optimizer is not None
    model.train(training)
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    count = 0
    grad = contextlib.nullcontext() if training else torch.no_grad()
    with grad:
        for batch in loader:
            with autocast(device):
                result = step(model, batch)
            if training:
                optimizer.zero_grad(set_to_none=True)
                result.loss.backward()
                optimizer.step()
                if scheduler is not None and scheduler_per_batch:
                    scheduler.step()
            total_loss += result.loss.detach().double() * result.count
            correct += result.correct
            count += result.count
    return float(total_loss) / max(count, 1), int(correct) / max(count, 1)


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    workdir: Path,
    device: torch.device,
    seed: int,
    scheduler: Any = None,
    scheduler_per_batch: bool = False,
    step: Step = classification_step,
    val_step: Step | None = None,
    desc: str = "train",
    on_epoch_end: Callable[[int, nn.Module], None] | None = None,
    best_name: str = "best.pt",
    history_name: str = "history.csv",
) -> pd.DataFrame:
    """Train `model` for `epochs`, resuming from `workdir/last-<history_name>.pt` if present.

    Writes `history_name` (CSV, one row per epoch) and `best_name` (the state dict with the
    highest validation accuracy) into `workdir`; returns the history. `val_step` scores
    validation when it should differ from training's `step` (plain cross-entropy for a
    run trained with label smoothing, so its validation loss is on the usual scale);
    by default validation uses `step`. `on_epoch_end` lets
    an experiment record extra artifacts (e.g. feature maps) after each epoch; on resume
    it is not called again for epochs already done.
    """
    on_device(model, device)
    state_path = workdir / f"last-{Path(history_name).stem}.pt"
    rows, best_acc, start = _resume(state_path, model, optimizer, scheduler, desc, epochs)
    # Plain tqdm on a terminal only (disable=None): inside a chapter's kernel stderr is no
    # terminal, so the notebook gets no bar and no widget warning (tqdm.auto would try one).
    bar = tqdm(range(start, epochs), desc=desc, initial=start, total=epochs, unit="epoch", disable=None)
    saved = start  # epochs the resume file holds
    try:
        for epoch in bar:
            seed_everything(epoch_seed(seed, epoch))
            _set_epoch(train_loader, epoch)
            started = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            train_loss, train_acc = run_epoch(model, train_loader, step, device, optimizer, scheduler, scheduler_per_batch)
            if scheduler is not None and not scheduler_per_batch:
                scheduler.step()
            val_loss, val_acc = run_epoch(model, val_loader, val_step or step, device)
            rows.append(
                {
                    "epoch": epoch + 1,
                    "train_loss": train_loss,
                    "train_acc": train_acc,
                    "val_loss": val_loss,
                    "val_acc": val_acc,
                    "lr": lr,
                    "seconds": time.perf_counter() - started,
                }
            )
            if val_acc > best_acc:
                best_acc = val_acc
                atomic.torch_save(model.state_dict(), workdir / best_name)
            if on_epoch_end is not None:
                on_epoch_end(epoch, model)
            atomic.write_csv(workdir / history_name, pd.DataFrame(rows, columns=HISTORY_COLUMNS))
            atomic.torch_save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else {},
                    "history": rows,
                    "best_acc": best_acc,
                    "epoch": epoch + 1,
                },
                state_path,
            )
            saved = epoch + 1
            bar.set_postfix(loss=f"{train_loss:.3f}", val_acc=f"{val_acc:.3f}")
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted during {desc}; run again to resume from epoch {saved + 1} of {epochs}") from None
    state_path.unlink(missing_ok=True)
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def _resume(
    state_path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, desc: str, epochs: int
) -> tuple[list[dict[str, float]], float, int]:
    """History, best accuracy and next epoch from the resume file, or a fresh start.

    A resume file that cannot be read or does not fit this model (a torn copy, a changed
    architecture) would block every rerun the same way; it is moved aside, the model and
    optimizer get back the state they had, and the run starts over.
    """
    if not state_path.exists():
        return [], -1.0, 0
    before = copy.deepcopy((model.state_dict(), optimizer.state_dict(), scheduler.state_dict() if scheduler is not None else None))
    try:
        state = atomic.torch_load(state_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        rows, best_acc, start = state["history"], state["best_acc"], state["epoch"]
    except atomic.UNREADABLE as error:
        model.load_state_dict(before[0])
        optimizer.load_state_dict(before[1])
        if scheduler is not None:
            scheduler.load_state_dict(before[2])
        moved = atomic.set_aside(state_path)
        log.warning("%s: resume file %s is unreadable (%s); moved to %s, starting over from epoch 1", desc, state_path, atomic.why_unreadable(error), moved)
        return [], -1.0, 0
    log.info("%s: resuming from epoch %d of %d (%s)", desc, start + 1, epochs, state_path)
    return rows, best_acc, start


def fit_best(model: nn.Module, train_loader: Iterable, val_loader: Iterable, **options: Any) -> pd.DataFrame:
    """`fit`, then load the state with the best validation accuracy back into `model`.

    Every study evaluates its best epoch, not its last, on the test set; this is the one
    place that does the reload. Takes `fit`'s keyword options and returns its history.
    """
    history = fit(model, train_loader, val_loader, **options)
    model.load_state_dict(atomic.torch_load(options["workdir"] / options.get("best_name", "best.pt")))
    return history


@torch.no_grad()
def map_batches(fn: Callable[[slice], Outputs], n: int, batch_size: int) -> Outputs:
    """`fn` over consecutive slices of `n` items, its rows (a tensor, or a dict of them) joined in order.

    For passes over a whole split that keep one output per image (features, embeddings).
    """
    parts = [fn(slice(start, min(start + batch_size, n))) for start in range(0, n, batch_size)]
    if isinstance(parts[0], dict):
        return {key: torch.cat([part[key] for part in parts]) for key in parts[0]}
    return torch.cat(parts)


@torch.no_grad()
def predict(model: nn.Module, loader: Iterable, device: torch.device, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predicted classes over a loader of (images, labels) batches.

    `flip` is test-time augmentation by horizontal flip, as airbench evaluates: the class
    is read from the sum of the logits of each image and of its mirror image.
    """
    on_device(model, device).eval()
    labels, predictions = [], []
    for x, y in loader:
        x = to_device(x, device)
        with autocast(device):
            logits = model(x).float()
            if flip:
                logits = logits + model(x.flip(3)).float()
        labels.append(y.cpu())
        predictions.append(logits.argmax(1).cpu())
    return torch.cat(labels).numpy(), torch.cat(predictions).numpy()
