"""`hw3 rehearse`: a profile's experiments run end to end, cut short, before a GPU is rented.

Every selected experiment runs through `experiments.result` with its real config (only
its epochs capped), its real data and its real models at full size, inside
`cut_short.cutting`, so every loop stops after a few trimmed batches. It writes into a
throw-away namespace beside the cache (`<cache>/../rehearsal-<stamp>-<pid>/`, with its
own cache, and its own TORCH_HOME), which the book never reads, and is removed at the
end unless `keep`. Pretrained weights that are not on this machine are replaced by
randomly initialised stand-ins saved under torchvision's own file names in that
TORCH_HOME, and loaded through the book's code (p3/weights.py).

For each experiment it prints one line: ok or the failure (experiment, stage, where,
cause), the measured images/s, and the projected time of the real run on this machine
and on one H100 (FLOPs counted by `torch.utils.flop_counter`, at UTILISATION of the
H100's dense BF16 peak); then the total of all of them. Bad input (unknown profile or
name, missing data, no room for the namespace) is one line and exit code 2; a failed
experiment makes the exit code 1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import torch

from . import cut_short, experiments
from .errors import StorageError, UserError
from .profiles import Profile, check_profile, per_profile
from .settings import MissingDataError, Settings, get_settings

# NVIDIA H100 SXM5 datasheet: 989.4 TFLOP/s BF16 tensor-core peak, dense (no sparsity).
H100_PEAK_FLOPS = 989e12
# Model FLOPs utilisation assumed for the projection. Well-fed convolution training
# reaches 30-50 % on an H100; the small 32-px networks of P1/P2 are launch-bound and
# will reach less, so their H100 times are a lower bound.
UTILISATION = 0.35
GIB = 1 << 30


def namespace_bytes(profile: Profile) -> int:
    """Free space the namespace needs: decoded data sets plus stand-in weights (measured, with a margin)."""
    return per_profile(profile, full=4 * GIB, quick=3 * GIB, smoke=GIB // 4)


@dataclass(frozen=True)
class Outcome:
    """One rehearsed experiment: the failure (None when it ran) and what was measured."""

    name: str
    failure: str | None
    tally: cut_short.Tally

    def line(self) -> str:
        if self.failure is not None:
            return f"FAIL  {self.name:24s} {self.failure}"
        images_per_second, kind = self.tally.images_per_second()
        seconds, flops = self.tally.projected()
        return (
            f"ok    {self.name:24s} {images_per_second:8.1f} img/s ({kind:9s})  real run here {duration(seconds):>8s}"
            f"  on one H100 {duration(h100_seconds(flops)):>8s}  ({flops / 1e15:,.2f} PFLOP; rehearsed in {duration(self.tally.run.seconds)})"
        )


def h100_seconds(flops: float) -> float:
    return flops / (H100_PEAK_FLOPS * UTILISATION)


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


def failure(error: BaseException, tally: cut_short.Tally) -> str:
    """The stage it stopped in, the innermost line of the book's code, and the cause, on one line."""
    ours = [frame for frame in traceback.extract_tb(error.__traceback__) if f"{os.sep}hw3core{os.sep}" in frame.filename]
    where = ""
    if ours:
        frame = ours[-1]
        where = f" at {frame.filename.rsplit(os.sep + 'hw3core' + os.sep, 1)[1]}:{frame.lineno} in {frame.name}"
    cause = " ".join(str(error).split())
    return f"stage: {tally.stage()}{where}: {type(error).__name__}: {cause}"


def namespace_for(settings: Settings, profile: Profile) -> Path:
    """A fresh folder beside the cache (never inside it), after checking there is room for it."""
    parent = settings.cache_dir.parent
    existing = next(p for p in (parent, *parent.parents) if p.exists())
    free, needed = shutil.disk_usage(existing).free, namespace_bytes(profile)
    if free < needed:
        raise StorageError(
            f"no space for the rehearsal's namespace under {parent}: {free / GIB:.1f} GiB free, the {profile} profile"
            f" needs {needed / GIB:.1f} GiB; free some space or point HW3_CACHE_DIR at a larger disk (the namespace goes beside it)"
        )
    namespace = parent / f"rehearsal-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    try:
        namespace.mkdir(parents=True)
    except OSError as error:
        raise StorageError(f"cannot create the rehearsal's namespace {namespace}: {error.strerror or error}") from error
    return namespace


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the body (anything that reads get_settings() sees the namespace)."""
    before = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def pretrained_backbones(names: list[str], profile: Profile) -> list[str]:
    """The backbones whose ImageNet weights the selected experiments load (their configs say so)."""
    models = [experiments.get(name).config(profile).get("model", {}) for name in names]
    return sorted({model["backbone"] for model in models if model.get("pretrained")})


def provide_weights(backbones: list[str], settings: Settings, user_hub: Path) -> dict[str, str]:
    """Real weights where this machine has them, else stand-ins; says which, per backbone.

    Runs with TORCH_HOME pointing into the namespace: a real file in the user's hub
    (`user_hub`, their $TORCH_HOME/hub/checkpoints) is linked there, one under
    HW3_DATA_DIR/weights/ is found by the book's own search (`settings` has the real
    data folder), and any other gets a random stand-in under its official name.
    """
    from .p3.weights import BACKBONES, MissingWeightsError, find_weights, hub_checkpoint, save_stand_in, weights_file

    kinds = {}
    for name in backbones:
        backbone = BACKBONES[name]
        user_copy = user_hub / weights_file(backbone)
        if user_copy.is_file():
            hub_checkpoint(backbone).parent.mkdir(parents=True, exist_ok=True)
            hub_checkpoint(backbone).symlink_to(user_copy)
        try:
            find_weights(backbone, settings)
            kinds[backbone.title] = "real"
        except MissingWeightsError:
            save_stand_in(backbone)
            kinds[backbone.title] = "STAND-IN (random, not real)"
    return kinds


def rehearse(
    words: list[str],
    profile: str = "full",
    keep: bool = False,
    cut: cut_short.Cut = cut_short.Cut(),
    say: Callable[[str], None] = print,
) -> int:
    """Rehearse the experiments named by `words` (names, chapters, `all`); 0 ok, 1 a failure, 2 bad input."""
    try:
        profile = check_profile(profile)
        names = experiments.select(words or ["all"])
        real = get_settings()
        namespace = namespace_for(real, profile)
    except UserError as error:  # an unknown profile or name, no room or no folder for the namespace
        say(f"hw3 rehearse: {error}")
        return error.exit_code
    settings = Settings(data_dir=real.data_dir, cache_dir=namespace / "cache", device_name=real.device_name, offline=True)
    user_hub = Path(torch.hub.get_dir()) / "checkpoints"
    variables = {"HW3_CACHE_DIR": str(settings.cache_dir), "HW3_OFFLINE": "1", "TORCH_HOME": str(namespace / "torch")}
    outcomes: list[Outcome] = []
    try:
        with environment(variables):
            say(
                f"hw3 rehearse [{profile}]: {len(names)} experiments on {settings.device}, each loop cut to {cut.batches}"
                f" batches of <= {cut.images} images, each stage to <= {cut.epochs} epochs; namespace {namespace}"
            )
            say(f"H100 projection: counted FLOPs / ({H100_PEAK_FLOPS / 1e12:.0f} TFLOP/s dense BF16 peak x {UTILISATION:.0%} utilisation)")
            for title, kind in provide_weights(pretrained_backbones(names, profile), settings, user_hub).items():
                say(f"weights {title}: {kind}")
            for name in names:
                outcome = rehearse_one(name, profile, settings, cut)
                say(outcome.line())
                outcomes.append(outcome)
    except MissingDataError as error:
        say(f"hw3 rehearse: {' '.join(str(error).split())}")
        return error.exit_code
    finally:
        if keep:
            say(f"kept {namespace}")
        else:
            shutil.rmtree(namespace, ignore_errors=True)
    failed = [o.name for o in outcomes if o.failure is not None]
    seconds = sum(o.tally.projected()[0] for o in outcomes)
    flops = sum(o.tally.projected()[1] for o in outcomes)
    say(
        f"total [{profile}]: {len(outcomes) - len(failed)} ok, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''};"
        f" projected real run here {duration(seconds)}, on one H100 {duration(h100_seconds(flops))} ({flops / 1e15:,.1f} PFLOP)"
    )
    return 1 if failed else 0


def rehearse_one(name: str, profile: Profile, settings: Settings, cut: cut_short.Cut) -> Outcome:
    """One experiment, cut short; a missing data set is bad input and propagates, any other error is its failure."""
    with cut_short.cutting(cut) as tally:
        try:
            experiments.result(name, profile, settings)
        except MissingDataError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever breaks a run is what the rehearsal reports
            return Outcome(name, failure(error, tally), tally)
    return Outcome(name, None, tally)
