"""The book's pre-render and post-render steps: read from `_quarto.yml`, run as Quarto runs them.

The steps are defined once, in `project.pre-render` and `project.post-render`, and both
renderers run them; `hw3 render` does what quarto-cli does (src/command/render/project.ts,
`renderProject` and `runScripts`, the same in v1.9 and v1.10):

- each entry is one command line (a string, or a list of them, run in order), split on
  spaces, a double-quoted part kept whole (src/core/run/shell.ts, `parseShellRunCommand`);
- a `.py` script runs with the Python Quarto itself uses for Jupyter: QUARTO_PYTHON (a
  python binary, or a folder holding one), else the first `python3` on PATH that has
  Jupyter (src/core/run/python.ts; src/core/jupyter/exec.ts `pythonExec`; capabilities.ts).
  `hw3 render` drives Jupyter with its own interpreter, so that is its fallback, not
  PATH's `python3`. Quarto runs `.ts`/`.js` with Deno, `.lua` with Pandoc and `.R` with
  Rscript (src/core/run/); `hw3 render` has none of those and says so. Anything else is
  run as a program, without a shell;
- in the project's folder, with Quarto's own environment (so QUARTO_PROFILE, which
  `--profile` sets: src/quarto-core/profile.ts, src/project/project-profile.ts; and
  QUARTO_PROJECT_DIR, which `quarto render` sets: src/command/render/render-shared.ts),
  plus QUARTO_PROJECT_OUTPUT_DIR (absolute), QUARTO_PROJECT_RENDER_ALL=1 when the whole
  project is rendered, QUARTO_PROJECT_SCRIPT_PROGRESS ("1" when more than one file is
  rendered) and QUARTO_PROJECT_SCRIPT_QUIET ("0"); before the render the files to render
  in QUARTO_PROJECT_INPUT_FILES, after it the files written in QUARTO_PROJECT_OUTPUT_FILES
  (paths relative to the project, one a line), or in the file that
  QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES / ..._OUTPUT_FILES names when that is set
  (quarto-cli issue 10828);
- a step that fails stops the render.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Literal

from hw3core.errors import UserError
from hw3core.settings import child_environment

from .config import BookConfig

Step = Literal["pre-render", "post-render"]
log = logging.getLogger("hw3.render")

# The variable each step is told its files in (or the file that variable's QUARTO_USE_FILE_FOR_ twin names).
FILE_LISTS: dict[Step, str] = {"pre-render": "QUARTO_PROJECT_INPUT_FILES", "post-render": "QUARTO_PROJECT_OUTPUT_FILES"}
# Scripts Quarto runs with a runtime of its own (src/core/run/deno.ts, lua.ts, r.ts).
QUARTO_RUNTIMES = {".ts": "Deno", ".js": "Deno", ".lua": "Pandoc's Lua", ".r": "Rscript"}


class ScriptError(UserError):
    """A pre- or post-render step failed, or is one `hw3 render` cannot run."""


def command_lines(book: BookConfig, step: Step) -> list[str]:
    """The step's entries in `_quarto.yml` (merged with the profile's file), in order."""
    entries = book.raw.get("project", {}).get(step) or []
    return [entries] if isinstance(entries, str) else list(entries)


def split_command(line: str) -> list[str]:
    """Quarto's split: on runs of spaces, except inside double quotes (which are dropped)."""
    return [part.replace("\0", " ") for part in re.sub(r'"([^"]*)"?', lambda m: m.group(1).replace(" ", "\0"), line).split()]


def program(book: BookConfig, step: Step, line: str) -> list[str]:
    """The argv that runs one entry of the step, as Quarto's run handlers would."""
    argv = split_command(line)
    if not argv:
        raise ScriptError(f"_quarto.yml: an empty {step} entry; remove it")
    suffix = Path(argv[0]).suffix.lower()
    if suffix == ".py":  # with QUARTO_PYTHON (settings.QuartoRun.python), else our own Python
        return [str(book.settings.quarto.python or sys.executable), *argv]
    if suffix in QUARTO_RUNTIMES:
        raise ScriptError(
            f"_quarto.yml {step}: {argv[0]} needs {QUARTO_RUNTIMES[suffix]}, which only the Quarto CLI brings; "
            "render with Quarto, or make the step a .py script"
        )
    return argv


def environment(book: BookConfig, step: Step, files: list[Path], render_all: bool) -> dict[str, str]:
    """The book's settings and Quarto's variables for the step, over this process's own environment.

    `files` are absolute or relative to the project; the step sees them relative to it,
    in the step's variable, or in the file its QUARTO_USE_FILE_FOR_ twin names when that
    is set here (settings.QuartoRun).
    """
    root = book.root.resolve()
    listing = "\n".join(os.path.relpath(root / path, root) for path in files)
    quarto = book.settings.quarto
    listing_file = quarto.input_files_file if step == "pre-render" else quarto.output_files_file
    if listing_file is not None:
        listing_file.write_text(listing, encoding="utf-8")
    return child_environment(
        book.settings,
        {
            "QUARTO_PROFILE": book.profile,
            "QUARTO_PROJECT_DIR": str(root),
            "QUARTO_PROJECT_OUTPUT_DIR": str(book.output_dir.resolve()),
            "QUARTO_PROJECT_SCRIPT_PROGRESS": "1" if len(files) > 1 else "0",
            "QUARTO_PROJECT_SCRIPT_QUIET": "0",
            "QUARTO_PROJECT_RENDER_ALL": "1" if render_all else None,
            FILE_LISTS[step]: None if listing_file is not None else listing,
        },
    )


def run_step(book: BookConfig, step: Step, files: list[Path], render_all: bool) -> None:
    """Run every entry of `step` in the project's folder, in order; stop at the first that fails.

    A Ctrl-C reaches the step too (one process group): it is waited for, so that it can
    stop the way it stops (training keeps its finished epochs), and then raised here.
    """
    env = environment(book, step, files, render_all)
    for line in command_lines(book, step):
        argv = program(book, step, line)
        if len(files) > 1:
            log.info("running %s step %s", step, line)
        with subprocess.Popen(argv, cwd=book.root, env=env) as process:
            try:
                status = process.wait()
            except KeyboardInterrupt:
                process.wait()
                raise
        if status != 0:
            raise ScriptError(f"_quarto.yml {step} step `{line}` failed (exit status {status}); its own message is above")
