"""The rehearsal's switch: every loop over batches stops after a few, every stage after two epochs.

`hw3 rehearse` (rehearsal.py) runs the real experiments of a profile, at full size and
on their real data, inside `cutting(...)`. While it is on, the engine's loops honour it
without any study knowing:

- every batch loop of the book goes through `trimmed`: the sampler of
  `data.tensor_loader` (training, validation, test and prediction loops) and
  `training.map_batches` (whole-split passes such as feature extraction): only the
  first `batches` batches run, each trimmed to its first `images` images;
- `rewrite` caps every "epochs" (and "*_epochs") entry of a config at `epochs`, in
  whichever stage section it is ("train", "head", "features", ...). The capped count
  is an `Epochs`, an int that remembers the real one, so `training.fit` knows how many
  epochs the real run of that stage has.

Everything that runs is also measured: each trimmed loop records its seconds, its
FLOPs (`torch.utils.flop_counter`) and how many images the real loop has; each epoch
of `fit` is an epoch of its stage (`epochs`). `Tally.projected_*` turns that into the time and FLOPs of
the real run: outside epochs once, and a stage's last (warmed-up) epoch times its real
epoch count, every loop scaled by real images / images run. Scaling by images assumes
the cost of a batch is proportional to its images, which holds for the convolutions
that dominate these runs; per-batch overhead is projected high.
"""

from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterable, Iterator, Sequence, TypeVar

import torch
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

B = TypeVar("B", bound=Sequence)


def _convolution_backward_flops(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed, _output_padding, _groups, output_mask, out_shape=None, **kwargs) -> int:
    """FLOPs of a convolution's backward: its forward's count once for the input gradient, once for the weights'.

    Replaces `torch.utils.flop_counter`'s own formula, which ignores `groups` and so
    counts a depthwise convolution's backward (MobileNetV2) as if it were dense: 65
    times its forward for 64 channels. The forward formula reads the weight's shape,
    [out, in / groups, k, k], so it is right for grouped convolutions too.
    """
    forward = conv_flop_count(list(x_shape), list(w_shape), list(grad_out_shape), transposed=transposed)
    return forward * (int(output_mask[0]) + int(output_mask[1]))


def flop_counter() -> FlopCounterMode:
    """PyTorch's FLOP counter (2 FLOPs per multiply-add), with the grouped-convolution backward fixed."""
    return FlopCounterMode(display=False, custom_mapping={torch.ops.aten.convolution_backward: _convolution_backward_flops})


class Epochs(int):
    """An epoch count cut short by a rehearsal; `.uncut` is the count the real run has."""

    uncut: int

    def __new__(cls, cut: int, real: int) -> "Epochs":
        value = super().__new__(cls, cut)
        value.uncut = real
        return value


@dataclass(eq=False)
class Loop:
    """One trimmed loop: what it cost, and how many times more images the real loop has."""

    seconds: float
    flops: int
    images: int  # images that ran
    scale: float  # real images / images that ran
    training: bool

    @property
    def extra_seconds(self) -> float:
        return self.seconds * (self.scale - 1)

    @property
    def extra_flops(self) -> float:
        return self.flops * (self.scale - 1)


@dataclass(eq=False)  # spans are told apart by identity, never by equal numbers
class Span:
    """Wall time and FLOPs of a stretch of the run (one epoch, or one whole experiment), with its loops."""

    seconds: float = 0.0
    flops: int = 0
    loops: list[Loop] = field(default_factory=list)
    finished: bool = False

    def projected(self) -> tuple[float, float]:
        """(seconds, FLOPs) of this stretch had its loops run in full."""
        return (
            self.seconds + sum(loop.extra_seconds for loop in self.loops),
            self.flops + sum(loop.extra_flops for loop in self.loops),
        )


@dataclass
class StageTally:
    """The epochs of one `fit` call that ran, and how many the real stage has."""

    name: str
    real_epochs: int
    epochs: list[Span] = field(default_factory=list)


@dataclass
class Tally:
    """Everything measured while one experiment was rehearsed."""

    run: Span = field(default_factory=Span)
    stages: list[StageTally] = field(default_factory=list)

    def projected(self) -> tuple[float, float]:
        """(seconds, FLOPs) of the real run: the part outside epochs once, each stage's last epoch × its real epochs."""
        in_epochs = [epoch for stage in self.stages for epoch in stage.epochs]
        epoch_loops = {id(loop) for epoch in in_epochs for loop in epoch.loops}
        outside = Span(
            self.run.seconds - sum(e.seconds for e in in_epochs),
            self.run.flops - sum(e.flops for e in in_epochs),
            [loop for loop in self.run.loops if id(loop) not in epoch_loops],
        )
        seconds, flops = outside.projected()
        for stage in self.stages:
            if stage.epochs:
                epoch_seconds, epoch_flops = stage.epochs[-1].projected()
                seconds += epoch_seconds * stage.real_epochs
                flops += epoch_flops * stage.real_epochs
        return seconds, flops

    def stage(self) -> str:
        """Where the run is (or stopped): in which epoch of which stage, or outside them."""
        if not self.stages:
            return "before training (data, weights, feature extraction)"
        last = self.stages[-1]
        if last.epochs and not last.epochs[-1].finished:
            return f"stage '{last.name}', epoch {len(last.epochs)}"
        return f"after stage '{last.name}' (evaluation, artifacts)"

    def images_per_second(self) -> tuple[float, str]:
        """Measured throughput of the training loops (forward and backward), else of the inference loops."""
        loops = [loop for loop in self.run.loops if loop.training] or self.run.loops
        kind = "train" if loops and loops[0].training else "inference"
        seconds = sum(loop.seconds for loop in loops)
        return (sum(loop.images for loop in loops) / seconds if seconds else 0.0), kind


@dataclass(frozen=True)
class Cut:
    """How short a rehearsal cuts: batches per loop, images per batch, epochs per stage."""

    batches: int = 2
    images: int = 8
    epochs: int = 2


@dataclass
class _Active:
    cut: Cut
    counter: FlopCounterMode
    tally: Tally
    open_spans: list[Span] = field(default_factory=list)


_ACTIVE: ContextVar[_Active | None] = ContextVar("hw3_cut_short", default=None)


def active() -> Cut | None:
    """The cut in force, or None outside a rehearsal."""
    state = _ACTIVE.get()
    return state.cut if state else None


@contextlib.contextmanager
def cutting(cut: Cut) -> Iterator[Tally]:
    """Run the body cut short, counting FLOPs; yields the Tally that fills in as it runs."""
    state = _Active(cut, flop_counter(), Tally())
    token = _ACTIVE.set(state)
    try:
        with state.counter, _span(state, state.tally.run):
            yield state.tally
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def _span(state: _Active, span: Span) -> Iterator[None]:
    started, flops = time.perf_counter(), state.counter.get_total_flops()
    state.open_spans.append(span)
    try:
        yield
        span.finished = True  # not when an error (or a closed generator) leaves the span
    finally:
        state.open_spans.remove(span)
        span.seconds += time.perf_counter() - started
        span.flops += state.counter.get_total_flops() - flops


def trimmed(batches: Iterable[B], real_images: int, training: bool = False) -> Iterator[B]:
    """`batches` as they are; in a rehearsal, the first few, each cut to its first images, measured.

    `real_images` is how many images the whole loop has (for the projection);
    `training` marks a loop of optimiser steps, whose throughput the rehearsal reports.
    """
    state = _ACTIVE.get()
    if state is None:
        yield from batches
        return
    started, flops, ran = time.perf_counter(), state.counter.get_total_flops(), 0
    try:
        for batch in islice(batches, state.cut.batches):
            batch = batch[: state.cut.images]
            ran += len(batch)
            yield batch
    finally:
        loop = Loop(time.perf_counter() - started, state.counter.get_total_flops() - flops, ran, real_images / max(ran, 1), training)
        for span in state.open_spans:
            span.loops.append(loop)


def epochs(iterable: Iterable[int], count: int, name: str) -> Iterator[int]:
    """The epochs of one `fit` call; in a rehearsal each is measured as an epoch of one stage.

    `count` is the stage's epoch count as the config gives it: an `Epochs` when a
    rehearsal cut it, which says how many the real stage has; `name` names the stage
    in the rehearsal's report.
    """
    state = _ACTIVE.get()
    if state is None:
        yield from iterable
        return
    stage = StageTally(name, getattr(count, "uncut", int(count)))
    state.tally.stages.append(stage)
    for epoch in iterable:
        span = Span()
        stage.epochs.append(span)
        with _span(state, span):
            yield epoch


def rewrite(config: Any) -> Any:
    """`config` with every "epochs"/"*_epochs" entry capped at the cut's epochs (unchanged outside a rehearsal)."""
    cut = active()
    if cut is None:
        return config
    return _capped(config, cut.epochs)


def _capped(value: Any, epochs: int, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _capped(v, epochs, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_capped(v, epochs) for v in value]
    if (key == "epochs" or key.endswith("_epochs")) and isinstance(value, int) and not isinstance(value, bool):
        return Epochs(min(value, epochs), value)
    return value
