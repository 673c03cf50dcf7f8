"""Benchmark (not a test): the numbers a built book read, as Markdown tables for
benchmarks/quick_book.md.

Reads the cache only (it trains nothing): every P1 run's plain and flip-TTA test
accuracy, best validation accuracy and epoch, and training seconds; every P2 regime's
test accuracy per seed, mean and standard deviation; P3's frozen heads and scratch run;
and the paired comparisons the chapters judge, with their p-values and verdicts.

    HW3_DATA_DIR=/work/shared/data .venv/bin/python benchmarks/quick_book.py --profile quick
"""

from __future__ import annotations

import argparse

import pandas as pd

from hw3core import comparisons, runs
from hw3core.cache import Artifacts
from hw3core.p1 import analysis as p1
from hw3core.p2 import analysis as p2
from hw3core.p3 import study as p3
from hw3core.p3.tables import against_best
from hw3core.settings import get_settings
from hw3core.stats import mean_and_spread


def markdown(frame: pd.DataFrame, digits: int = 2) -> str:
    return frame.to_markdown(index=False, floatfmt=f".{digits}f")


def p1_tables(profile: str) -> str:
    every = p1.in_book_order(p1.results(profile), p1.ablation_results(profile))
    effects = p1.effects_table(every, "test").drop(columns=["before (%)", "after (%)"])
    on_val = p1.effects_table(every, "val")[["step", "difference", "p", "verdict"]]
    return "\n\n".join(
        [
            "### P1\n\n" + markdown(p1.accuracy_table(every).drop(columns=["parameters"])),
            "Each step of (f) on the test images (paired test):\n\n" + markdown(effects, 3),
            "The same steps on the validation images:\n\n" + markdown(on_val, 3),
        ]
    )


def p2_tables(profile: str) -> str:
    regimes = p2.results(profile)
    rows = []
    for regime, artifacts in regimes.items():
        per_seed = [100 * value for value in p2.per_seed(artifacts, "test_acc")]
        mean, spread = mean_and_spread(per_seed)
        rows.append(
            {
                "regime": regime,
                "test acc per seed (%)": ", ".join(f"{value:.2f}" for value in per_seed),
                "mean (%)": mean,
                "sd": spread,
                "run seconds (all seeds)": artifacts.metrics["run_seconds"],
            }
        )
    compared = p2.comparison_table(regimes)
    return "### P2\n\n" + markdown(pd.DataFrame(rows)) + "\n\nPairs of regimes on the test images, seed by seed:\n\n" + markdown(compared, 3)


def p3_tables(profile: str) -> str:
    outcomes = p3.frozen_outcomes(profile)
    scratch = p3.scratch_result(profile)
    rows = [
        {"model": name, "test acc (%)": 100 * o.metrics["final"]["test"]["accuracy"], "best epoch": o.metrics["best_epoch"]}
        for name, o in outcomes.items()
        if isinstance(o, Artifacts)
    ]
    rows.append({"model": "scratch", "test acc (%)": 100 * scratch.metrics["final"]["test"]["accuracy"], "best epoch": scratch.metrics["best_epoch"]})
    lines = [f"- {name} against the best frozen backbone: {c.difference:+.2f} points, p = {c.p_value:.3g}, {c.verdict}" for name, c in against_best(outcomes).items()]
    frozen = outcomes["mobilenet_v2"]
    if isinstance(frozen, Artifacts):
        c = comparisons.compare(frozen, scratch)
        lines.append(f"- scratch against frozen MobileNetV2: {c.difference:+.2f} points, p = {c.p_value:.3g}, {c.verdict}")
    return "### P3\n\n" + markdown(pd.DataFrame(rows)) + "\n\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick")
    profile = parser.parse_args().profile
    table = runs.runs_table(profile, settings=get_settings())
    print("\n\n".join([p1_tables(profile), p2_tables(profile), p3_tables(profile), "### Runs\n\n" + markdown(table, 1)]))


if __name__ == "__main__":
    main()
