"""The `hw3` command: render the book, train experiments ahead of time, list the cache.

    hw3 render [--profile P] [--chapters report/x.qmd ...] [--to html,pdf]
    hw3 train NAME|CHAPTER|all ... [--profile P]
    hw3 train --quarto                 (Quarto's pre-render: what the chapters being rendered need)
    hw3 list [--profile P]
    hw3 notebooks [--profile P] [--quarto]
    hw3 submission [--profile P]
    hw3 rehearse [NAME|CHAPTER|all ...] [--profile full] [--keep]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import zipfile
from pathlib import Path

from .errors import UserError
from .profiles import PROFILES, active_profile, check_profile
from .settings import PROJECT_ROOT, pin_paths

# What `hw3 list` prints for each experiments.status().
STATUS_WORDS = {"training": "training in another process", "stale": "stale: code or data changed, will retrain"}


def _profile(args: argparse.Namespace) -> str:
    profile = check_profile(args.profile or active_profile())
    os.environ["HW3_PROFILE"] = profile
    return profile


def cmd_render(args: argparse.Namespace) -> int:
    from hw3render import render_book

    profile = _profile(args)
    started = time.perf_counter()
    result = render_book(args.root, profile, args.chapters, tuple(args.to.split(",")), args.out)
    print(f"rendered [{profile}] in {time.perf_counter() - started:.1f} s:")
    for path in [*result.html[:1], result.pdf, *result.notebooks]:
        if path is not None:
            print(f"  {path}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train named experiments, or (--quarto) what the chapters Quarto is about to render need."""
    from . import experiments, pretrain

    profile = _profile(args)
    if args.quarto:
        trained = pretrain.train_for(pretrain.quarto_inputs(args.root), profile)
        print(f"hw3: trained {', '.join(trained)}" if trained else "hw3: every experiment the chapters need is cached")
        return 0
    if not args.names:
        raise UserError("name experiments, chapters (p1, p2, p3) or all, e.g. hw3 train p1")
    for name in experiments.select(args.names):
        started = time.perf_counter()
        artifacts = experiments.result(name, profile)
        print(f"{name} [{profile}]: {artifacts.metrics} ({time.perf_counter() - started:.1f} s) -> {artifacts.directory}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Every experiment with its cache status, then what a render would train and roughly how long."""
    from . import experiments, pretrain

    profile = _profile(args)
    for name, experiment in sorted(experiments.all_experiments().items()):
        state = experiments.status(name, profile)
        print(f"{name:24s} {state:10s} {experiment.chapter:6s} {experiment.summary}" + (f"  ({STATUS_WORDS[state]})" if state in STATUS_WORDS else ""))
    plans = pretrain.plan(sorted(experiments.all_experiments()), profile)
    if not plans:
        print(f"a render [{profile}] trains nothing: every experiment is cached")
        return 0
    total = pretrain.rough(sum(p.seconds for p in plans))
    print(f"a render [{profile}] would first train {len(plans)} experiment(s), {total} in all (rough):")
    for item in plans:
        print(f"  {item.name:24s} {item.status:10s} {item.epochs:4d} epochs  {pretrain.rough(item.seconds)}")
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    """Execute the practical chapters into notebooks (Quarto's post-render step calls this)."""
    from hw3render import execute_chapters, export_notebooks
    from hw3render.config import load_book

    profile = _profile(args)
    book = load_book(args.root, profile, args.out)
    out = Path(os.environ["QUARTO_PROJECT_OUTPUT_DIR"]) if args.quarto else book.output_dir
    notebooks, _ = execute_chapters(book, list(book.practical))
    for path in export_notebooks(book, notebooks, out):
        print(f"  {path}")
    return 0


def cmd_submission(args: argparse.Namespace) -> int:
    """Zip the PDF, the three notebooks and the HTML site as HW3-<Name>-<StudentNumber>.zip.

    The zip is written beside the output folder (the project root for `_book/`).
    """
    from hw3render.config import load_book

    book = load_book(args.root, _profile(args), args.out)
    out = book.output_dir
    pdf = out / f"{book.book.get('output-file', 'book')}.pdf"
    notebooks = [out / "notebooks" / f"{source.stem}.ipynb" for source in book.practical]
    missing = [str(p) for p in [pdf, *notebooks, out / "index.html"] if not p.exists()]
    if missing:
        print(f"hw3: build the book first (make report); missing: {', '.join(missing)}", file=sys.stderr)
        return 2
    name = f"HW3-{book.extras.get('student-name', 'Name')}-{book.extras.get('student-number', 'StudentNumber')}.zip"
    target = out.parent / name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(pdf, pdf.name)
        for notebook in notebooks:
            archive.write(notebook, f"notebooks/{notebook.name}")
        for path in sorted(out.rglob("*")):
            if path.is_file() and path.suffix not in {".pdf", ".typ", ".ipynb"}:
                archive.write(path, f"html/{path.relative_to(out)}")
    print(target)
    return 0


def cmd_rehearse(args: argparse.Namespace) -> int:
    """Run the experiments cut short in a throw-away namespace; print one line each and the book's projected total."""
    from .rehearsal import rehearse

    return rehearse(args.names, args.profile, args.keep, say=lambda line: print(line, flush=True))


class _StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time, so a replaced stream is never stale."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="hw3", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    main.add_argument("--root", type=Path, default=PROJECT_ROOT, help="project root (where _quarto.yml is)")
    main.add_argument("--out", type=Path, help="output folder instead of _quarto.yml's (default _book/)")
    commands = main.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--profile", choices=PROFILES, help="default: QUARTO_PROFILE / HW3_PROFILE / full")
        sub.set_defaults(handler=handler)
        return sub

    render = command("render", cmd_render, "render the book to _book/ without the Quarto CLI")
    render.add_argument("--chapters", nargs="+", type=Path, help="only these chapters (paths as in _quarto.yml)")
    render.add_argument("--to", default="html,pdf", help="comma-separated: html, pdf")
    train = command("train", cmd_train, "train (or load) experiments: names, chapters (p1, p2, p3) or all")
    train.add_argument("names", nargs="*", metavar="NAME|CHAPTER|all")
    train.add_argument("--quarto", action="store_true", help="called by Quarto's pre-render (the chapters in QUARTO_PROJECT_INPUT_FILES)")
    command("list", cmd_list, "list experiments, their cache status, and what a render would train")
    command("notebooks", cmd_notebooks, "write the executed practical notebooks").add_argument(
        "--quarto", action="store_true", help="called by Quarto's post-render (writes to QUARTO_PROJECT_OUTPUT_DIR)"
    )
    command("submission", cmd_submission, "zip the PDF, notebooks and HTML for submission")
    # its own --profile: full by default, and an unknown name is the rehearsal's one-line error
    rehearse = commands.add_parser("rehearse", help="run every experiment cut short (few batches, <= 2 epochs) to prove the profile runs")
    rehearse.add_argument("names", nargs="*", metavar="NAME|CHAPTER|all", help="default: all")
    rehearse.add_argument("--profile", default="full", help="default: full")
    rehearse.add_argument("--keep", action="store_true", help="keep the rehearsal's namespace (its cache, stand-in weights)")
    rehearse.set_defaults(handler=cmd_rehearse)
    return main


def main(argv: list[str] | None = None) -> int:
    """Run one command; a foreseeable failure ends in one line and an exit code.

    Only a `UserError` (bad data, settings, storage, a failed chapter cell) or Ctrl-C is
    turned into a line; any other exception is a bug and keeps its traceback. Relative
    path settings are pinned to where the command was typed, for every process it starts.
    """
    pin_paths()
    logger = logging.getLogger("hw3")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("hw3: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as error:
        print(f"hw3: {'' if isinstance(error, KeyboardInterrupt) else 'error: '}{error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("hw3: interrupted; run the same command again to continue (finished epochs are kept)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
