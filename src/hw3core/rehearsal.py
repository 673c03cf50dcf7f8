"""`hw3 rehearse`: a profile's experiments run end to end, cut short, before a GPU is rented.

A rehearsal is a different config and a different cache, nothing more. `rehearsal_config`
maps an experiment's config to its twin: every epoch count ("epochs", "*_epochs") and
every batch size ("batch_size", "*_batch_size") capped, at any depth, the list of
seeds cut to its first, and the data section's "limit" set, so each split holds a few
images (`Caps`: 2 epochs a stage, 8 images a batch, 16 images a split, so 2 batches a
loop; one seed, since a second one runs the same code again, which the smoke profile's
two seeds already exercise). Each selected experiment then
runs through `experiments.result` with that config, on its real data, with its real
models at full size. The twin is another config, so it has its own cache key, and it
runs in a throw-away namespace beside the cache (`layout.RehearsalNamespace`: its own
cache and its own TORCH_HOME), which the book never reads and which is removed at the end
unless `keep`. The namespace is a `Settings` of its own (that cache, that TORCH_HOME,
offline), passed down like any other; the process's environment is left as it is.
Pretrained weights that are not on this machine are replaced by randomly initialised
stand-ins saved under torchvision's own file names in that TORCH_HOME, and loaded
through the book's code (p3/weights.py).

For each experiment it prints one line: ok or the failure (experiment, the innermost
line of the book's code, cause), the wall time of the rehearsed run, the FLOPs counted
around it (`flop_counter`), and what was cut; then the totals. It projects nothing to the
real run: from outside the run the real split sizes and the share of each loop are
unknown (benchmarks/rehearsal.md). Bad input (unknown profile or name, missing data, no
room for the namespace) is one line and exit code 2; a failed experiment makes the exit
code 1.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
import shutil
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

from . import experiments, registry
from .experiments import Experiment
from .errors import StorageError, UserError
from .layout import RehearsalNamespace
from .profiles import Profile, check_profile, per_profile
from .settings import MissingDataError, Settings

GIB = 1 << 30


@dataclass(frozen=True)
class Caps:
    """How short a rehearsal cuts: epochs per stage, images per batch, images per split, seeds per run."""

    epochs: int = 2
    batch_size: int = 8
    images: int = 16
    seeds: int = 1

    def cap_for(self, key: str) -> int | None:
        """The cap on a config entry named `key`, or None when it is not capped."""
        for name, cap in (("epochs", self.epochs), ("batch_size", self.batch_size)):
            if key == name or key.endswith(f"_{name}"):
                return cap
        return None


def rehearsal_config(config: dict[str, Any], caps: Caps = Caps()) -> dict[str, Any]:
    """`config`'s rehearsal twin: epoch counts, batch sizes and seeds capped, the data limit set; `config` is left as it is."""
    twin = copy.deepcopy(config)
    if isinstance(twin.get("seeds"), list):
        twin["seeds"] = twin["seeds"][: caps.seeds]
    for path, value in _leaves(config):
        cap = caps.cap_for(path[-1])
        if cap is not None and isinstance(value, int) and not isinstance(value, bool):
            functools.reduce(dict.__getitem__, path[:-1], twin)[path[-1]] = min(value, cap)
    if isinstance(twin.get("data"), dict):
        limit = twin["data"].get("limit")
        twin["data"]["limit"] = caps.images if limit is None else min(limit, caps.images)
    return twin


def what_was_cut(real: dict[str, Any], twin: dict[str, Any]) -> str:
    """The entries the twin changed, as `section.key real->cut` (the data limit, the same for all, left out)."""
    before = dict(_leaves(real))
    return ", ".join(f"{'.'.join(path)} {before[path]}->{value}" for path, value in _leaves(twin) if path in before and before[path] != value)


def _leaves(config: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path of keys, value) of every entry of a nested config that is not itself a dict."""
    for key, value in config.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


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


@dataclass(frozen=True)
class Outcome:
    """One rehearsed experiment: the failure (None when it ran), its wall time, counted FLOPs and what was cut."""

    name: str
    failure: str | None
    seconds: float
    flops: int
    cut: str

    def line(self) -> str:
        if self.failure is not None:
            return f"FAIL  {self.name:24s} {self.failure}"
        return f"ok    {self.name:24s} {duration(self.seconds):>8s} {gigaflops(self.flops):>16s}  {self.cut or 'only the data limit'}"


def gigaflops(flops: float) -> str:
    return f"{flops / 1e9:,.1f} GFLOP"


def where_it_failed(error: BaseException) -> str:
    """The innermost line of the book's code in the traceback, and the cause, on one line."""
    ours = [frame for frame in traceback.extract_tb(error.__traceback__) if f"{os.sep}hw3core{os.sep}" in frame.filename]
    where = ""
    if ours:
        frame = ours[-1]
        where = f"at {frame.filename.rsplit(os.sep + 'hw3core' + os.sep, 1)[1]}:{frame.lineno} in {frame.name}: "
    cause = " ".join(str(error).split())
    return f"{where}{type(error).__name__}: {cause}"


def namespace_bytes(profile: Profile) -> int:
    """Free space the namespace needs: decoded data sets plus stand-in weights (measured, with a margin)."""
    return per_profile(profile, full=4 * GIB, quick=3 * GIB, smoke=GIB // 4)


def duration(seconds: float) -> str:
    """A duration as a person reads it: 40 ms, 4.2 s, 42 s, 12.5 min, 3.2 h."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def namespace_for(settings: Settings, profile: Profile) -> RehearsalNamespace:
    """A fresh folder beside the cache (never inside it), after checking there is room for it."""
    namespace = settings.layout.rehearsal_namespace()
    parent = namespace.folder.parent
    existing = next(p for p in (parent, *parent.parents) if p.exists())
    free, needed = shutil.disk_usage(existing).free, namespace_bytes(profile)
    if free < needed:
        raise StorageError(
            f"no space for the rehearsal's namespace under {parent}: {free / GIB:.1f} GiB free, the {profile} profile"
            f" needs {needed / GIB:.1f} GiB; free some space or point HW3_CACHE_DIR at a larger disk (the namespace goes beside it)"
        )
    try:
        namespace.folder.mkdir(parents=True)
    except OSError as error:
        raise StorageError(f"cannot create the rehearsal's namespace {namespace.folder}: {error.strerror or error}") from error
    return namespace


def rehearsal_settings(real: Settings, namespace: RehearsalNamespace) -> Settings:
    """The settings a rehearsal runs under: the real data and device, the namespace's cache and TORCH_HOME, offline."""
    return dataclasses.replace(real, cache_dir=namespace.cache, torch_home=namespace.torch_home, offline=True)


def pretrained_backbones(chosen: list[Experiment], profile: Profile) -> list[str]:
    """The backbones whose ImageNet weights the selected experiments load (their configs say so)."""
    models = [experiment.config(profile).get("model", {}) for experiment in chosen]
    return sorted({model["backbone"] for model in models if model.get("pretrained")})


def provide_weights(backbones: list[str], settings: Settings, real: Settings) -> dict[str, str]:
    """Real weights where this machine has them, else stand-ins; says which, per backbone.

    `settings` are the rehearsal's, whose TORCH_HOME is in the namespace: a real file in
    the user's hub (under `real`'s TORCH_HOME) is linked there, one under
    HW3_DATA_DIR/weights/ is found by the book's own search (the data folder is the
    real one), and any other gets a random stand-in under its official name.
    """
    from .p3.weights import BACKBONES, MissingWeightsError, find_weights, hub_checkpoint, save_stand_in

    kinds = {}
    for name in backbones:
        backbone = BACKBONES[name]
        user_copy, linked = hub_checkpoint(backbone, real), hub_checkpoint(backbone, settings)
        if user_copy.is_file():
            linked.parent.mkdir(parents=True, exist_ok=True)
            linked.symlink_to(user_copy)
        try:
            find_weights(backbone, settings)
            kinds[backbone.title] = "real"
        except MissingWeightsError:
            save_stand_in(backbone, settings)
            kinds[backbone.title] = "STAND-IN (random, not real)"
    return kinds


def rehearse(
    words: list[str],
    real: Settings,
    profile: str = "full",
    keep: bool = False,
    caps: Caps = Caps(),
    say: Callable[[str], None] = print,
) -> int:
    """Rehearse the experiments named by `words` (names, chapters, `all`) beside `real`'s cache; 0 ok, 1 a failure, 2 bad input."""
    try:
        profile = check_profile(profile)
        chosen = registry.select(words or ["all"])
        namespace = namespace_for(real, profile)
    except UserError as error:  # an unknown profile or name, no room or no folder for the namespace
        say(f"hw3 rehearse: {error}")
        return error.exit_code
    settings = rehearsal_settings(real, namespace)
    outcomes: list[Outcome] = []
    try:
        say(
            f"hw3 rehearse [{profile}]: {len(chosen)} experiments on {settings.device}, each config cut to <= {caps.epochs}"
            f" epochs a stage, batches of <= {caps.batch_size} and <= {caps.images} images a split; namespace {namespace.folder}"
        )
        for title, kind in provide_weights(pretrained_backbones(chosen, profile), settings, real).items():
            say(f"weights {title}: {kind}")
        for experiment in chosen:
            outcome = rehearse_one(experiment, profile, settings, caps)
            say(outcome.line())
            outcomes.append(outcome)
    except MissingDataError as error:
        say(f"hw3 rehearse: {' '.join(str(error).split())}")
        return error.exit_code
    finally:
        if keep:
            say(f"kept {namespace.folder}")
        else:
            shutil.rmtree(namespace.folder, ignore_errors=True)
    failed = [o.name for o in outcomes if o.failure is not None]
    say(
        f"total [{profile}]: {len(outcomes) - len(failed)} ok, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''};"
        f" rehearsed in {duration(sum(o.seconds for o in outcomes))}, {gigaflops(sum(o.flops for o in outcomes))} counted"
    )
    return 1 if failed else 0


def rehearse_one(experiment: Experiment, profile: Profile, settings: Settings, caps: Caps) -> Outcome:
    """One experiment run with its rehearsal twin's config; a missing data set is bad input and propagates, any other error is its failure."""
    real = experiment.config(profile)
    twin = rehearsal_config(real, caps)
    failure = None
    started = time.perf_counter()
    with flop_counter() as counter:
        try:
            experiments.result(experiment, profile, settings, config=twin)
        except MissingDataError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever breaks a run is what the rehearsal reports
            failure = where_it_failed(error)
    return Outcome(experiment.name, failure, time.perf_counter() - started, counter.get_total_flops(), what_was_cut(real, twin))
