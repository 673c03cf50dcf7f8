"""The book's pre-render step: train what the chapters about to be rendered need and the cache lacks.

It runs before any chapter executes, in the foreground, one progress bar per experiment,
so the chapters' kernels only load from the cache. Both renderers run it: Quarto, and
`hw3 render`, which reads the same `project.pre-render` entry (hw3render/scripts.py).

Quarto runs a `.py` project script with the Python it uses itself (QUARTO_PYTHON, or the
first python3 on PATH that has Jupyter: quarto-cli src/core/run/python.ts), in the project
folder, with the files to render in QUARTO_PROJECT_INPUT_FILES (or in the file that
QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES names) and the active profile in QUARTO_PROFILE
(src/command/render/project.ts, `runScripts`). A plain command such as
`python -m hw3core.cli` would instead need a bare `python` on PATH that can import
hw3core, so this script puts the project's own `src/` first on the path and calls
`hw3 train --quarto`, whose settings (hw3core.settings) read those variables.
"""

import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]  # the project this script belongs to, which Quarto runs it in
sys.path.insert(0, str(root / "src"))

from hw3core.cli import main  # noqa: E402  (after the path is set)

sys.exit(main(["--root", str(root), "train", "--quarto"]))
