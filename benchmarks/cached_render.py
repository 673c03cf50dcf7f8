"""Benchmark (not a test): a re-render of the whole book with every experiment cached,
today's path against the sequential one it replaced.

Both are the real `hw3 render` command, run as a user runs it, on the same cache:

1. before  - the code of a git revision (default: the commit before chapters ran in
             parallel kernels), exported with `git archive` into a temporary folder:
             one chapter after another, each kernel on TCP.
2. now     - the working tree: experiments checked (and trained if missing) first, then
             the chapters in parallel kernels over IPC.

The cache is filled once by an untimed render. Then the two take turns for `--repeats`
rounds and each keeps its fastest round, so load from other processes on a shared machine
disturbs the ratio less; it prints both times and before / now. Run it from the
repository root:

    PYTHONPATH=src python benchmarks/cached_render.py                    # smoke book
    PYTHONPATH=src python benchmarks/cached_render.py --repeats 3 --workers 2
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from hw3core.settings import child_environment, get_settings

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "8efa78d"  # the sequential renderer (issue 14 measured 70 s here on 2 cores)


def export(revision: str, target: Path) -> Path:
    """The tree of `revision` as plain files under `target` (no checkout, no worktree)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def render(root: Path, out: Path, profile: str, env: dict[str, str], log: Path) -> float:
    """Seconds `hw3 render` of the project at `root` takes; its output goes to `log`."""
    # the command's module: hw3render.cli since the renderer left hw3core (older revisions: hw3core.cli)
    command = "hw3render.cli" if (root / "src" / "hw3render").is_dir() else "hw3core.cli"
    started = time.perf_counter()
    with log.open("w") as handle:
        subprocess.run(
            [sys.executable, "-m", command, "--root", str(root), "--out", str(out), "render", "--profile", profile],
            env={**env, "PYTHONPATH": str(root / "src")},
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--before", default=BEFORE, help=f"git revision of the old path (default {BEFORE})")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workers", type=int, help="HW3_RENDER_WORKERS for the new path (default: CPUs + 1)")
    parser.add_argument("--cache", type=Path, help="an already filled experiment cache (default: a fresh one, filled first by an untimed render)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hw3-bench-") as scratch:
        scratch = Path(scratch)
        settings = get_settings()
        cache = (args.cache or scratch / "cache").resolve()
        env = child_environment(dataclasses.replace(settings, cache_dir=cache, offline=True, render_workers=args.workers or settings.render_workers))
        paths = {"before": export(args.before, scratch / "before"), "now": ROOT}
        if args.cache is None:
            print(f"filling the cache [{args.profile}] (untimed) ...", flush=True)
            render(ROOT, scratch / "warm", args.profile, env, scratch / "warm.log")
        best = {name: float("inf") for name in paths}
        for round_ in range(1, args.repeats + 1):
            for name, root in paths.items():
                seconds = render(root, scratch / f"{name}-book", args.profile, env, scratch / f"{name}.log")
                best[name] = min(best[name], seconds)
                print(f"round {round_}: {name:6s} {seconds:6.1f} s", flush=True)
        print(f"cached re-render [{args.profile}], {os.cpu_count()} CPUs, fastest of {args.repeats}:")
        for label, value in ((f"before ({args.before})", f"{best['before']:6.1f} s"), ("now (working tree)", f"{best['now']:6.1f} s"),
                             ("before / now", f"{best['before'] / best['now']:6.2f}x")):
            print(f"  {label:22s} {value}")


if __name__ == "__main__":
    main()
