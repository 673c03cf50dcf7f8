"""The `hw3` command's experiment half: train ahead of time, list the cache, rehearse.

    hw3 train NAME|CHAPTER|all ... [--profile P]
    hw3 train --quarto                 (the book's pre-render step: what the chapters being rendered need)
    hw3 list [--profile P]
    hw3 rehearse [NAME|CHAPTER|all ...] [--profile full] [--keep]

The book's commands (render, notebooks, submission) belong to the renderer, which adds
them to this parser and runs them through this `main` (`hw3render.cli`, the installed
`hw3`); `python -m hw3core.cli` runs the commands above alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from pathlib import Path
from typing import Callable

from .errors import UserError
from .profiles import PROFILES
from .settings import PROJECT_ROOT, Settings, get_settings

# A command: what was typed, and the settings read from the environment at the start.
Handler = Callable[[argparse.Namespace, Settings], int]
# Adds a subcommand with the common --profile option: (name, handler, help) -> its parser.
AddCommand = Callable[[str, Handler, str], argparse.ArgumentParser]
# Adds more to the parser: its own top-level options and commands (hw3render.cli).
Extension = Callable[[argparse.ArgumentParser, AddCommand], None]

# What `hw3 list` prints for each experiments.status().
STATUS_WORDS = {"training": "training in another process", "stale": "stale: code or data changed, will retrain"}


def chosen(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings a command runs under: --profile, when given, over the environment's profile."""
    return dataclasses.replace(settings, profile=args.profile) if args.profile else settings


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train named experiments, or (--quarto, the book's pre-render step) what the chapters about to be rendered need."""
    from . import experiments, registry, training_plan

    settings = chosen(args, settings)
    profile = settings.profile
    if args.quarto:
        trained = training_plan.train_for(training_plan.quarto_inputs(args.root, settings.quarto), profile, settings)
        print(f"hw3: trained {', '.join(trained)}" if trained else "hw3: every experiment the chapters need is cached")
        return 0
    if not args.names:
        raise UserError("name experiments, chapters (p1, p2, p3) or all, e.g. hw3 train p1")
    for experiment in registry.select(args.names):
        started = time.perf_counter()
        artifacts = experiments.result(experiment, profile, settings)
        print(f"{experiment.name} [{profile}]: {artifacts.metrics} ({time.perf_counter() - started:.1f} s) -> {artifacts.directory}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """Every experiment with its cache status, then what a render would train and roughly how long."""
    from . import experiments, registry, training_plan

    settings = chosen(args, settings)
    profile = settings.profile
    book = registry.select(["all"])
    for experiment in book:
        state = experiments.status(experiment, profile, settings)
        print(f"{experiment.name:24s} {state:10s} {experiment.chapter:6s} {experiment.summary}" + (f"  ({STATUS_WORDS[state]})" if state in STATUS_WORDS else ""))
    plans = training_plan.plan(book, profile, settings)
    if not plans:
        print(f"a render [{profile}] trains nothing: every experiment is cached")
        return 0
    total = training_plan.rough(sum(p.seconds for p in plans))
    print(f"a render [{profile}] would first train {len(plans)} experiment(s), {total} in all (rough):")
    for item in plans:
        print(f"  {item.name:24s} {item.status:10s} {item.epochs:4d} epochs  {training_plan.rough(item.seconds)}")
    return 0


def cmd_rehearse(args: argparse.Namespace, settings: Settings) -> int:
    """Run the experiments cut short in a throw-away namespace; print one line each and the totals."""
    from .rehearsal import rehearse

    return rehearse(args.names, settings, args.profile, args.keep, say=lambda line: print(line, flush=True))


class _StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time, so a replaced stream is never stale."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


def parser(description: str = __doc__, extend: Extension | None = None) -> argparse.ArgumentParser:
    """`hw3`'s parser: --root, the experiment commands, then what `extend` adds."""
    main = argparse.ArgumentParser(prog="hw3", description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    main.add_argument("--root", type=Path, default=PROJECT_ROOT, help="project root (where _quarto.yml is)")
    commands = main.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--profile", choices=PROFILES, help="default: QUARTO_PROFILE / HW3_PROFILE / full")
        sub.set_defaults(handler=handler)
        return sub

    train = command("train", cmd_train, "train (or load) experiments: names, chapters (p1, p2, p3) or all")
    train.add_argument("names", nargs="*", metavar="NAME|CHAPTER|all")
    train.add_argument("--quarto", action="store_true", help="the book's pre-render step (the chapters in QUARTO_PROJECT_INPUT_FILES)")
    command("list", cmd_list, "list experiments, their cache status, and what a render would train")
    # its own --profile: full by default, and an unknown name is the rehearsal's one-line error
    rehearse = commands.add_parser("rehearse", help="run every experiment cut short (few batches, <= 2 epochs) to prove the profile runs")
    rehearse.add_argument("names", nargs="*", metavar="NAME|CHAPTER|all", help="default: all")
    rehearse.add_argument("--profile", default="full", help="default: full")
    rehearse.add_argument("--keep", action="store_true", help="keep the rehearsal's namespace (its cache, stand-in weights)")
    rehearse.set_defaults(handler=cmd_rehearse)
    if extend is not None:
        extend(main, command)
    return main


def main(argv: list[str] | None = None, command_line: argparse.ArgumentParser | None = None) -> int:
    """Run one command of `command_line` (default: this module's `parser()`); a foreseeable
    failure ends in one line and an exit code.

    The settings are read from the environment here, once, and passed to the command.
    Only a `UserError` (bad data, settings, storage, a failed chapter cell) or Ctrl-C is
    turned into a line; any other exception is a bug and keeps its traceback.
    """
    logger = logging.getLogger("hw3")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("hw3: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    args = (command_line or parser()).parse_args(argv)
    try:
        return args.handler(args, get_settings())
    except UserError as error:
        print(f"hw3: {'' if isinstance(error, KeyboardInterrupt) else 'error: '}{error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("hw3: interrupted; run the same command again to continue (finished epochs are kept)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
