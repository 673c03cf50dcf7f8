"""Quarto's post-render step: write the executed practical notebooks into the output folder.

Quarto runs a `.py` post-render script with the Python it uses itself (QUARTO_PYTHON, or
the first python3 on PATH that has Jupyter) and with QUARTO_PROJECT_DIR and
QUARTO_PROJECT_OUTPUT_DIR set (https://quarto.org/docs/projects/scripts.html). A plain
command such as `python -m hw3core.cli` would instead need a bare `python` on PATH that
can import hw3core. So this script puts the project's own `src/` first on the path and
calls the same `hw3 notebooks --quarto` as ever.
"""

import os
import sys
from pathlib import Path

root = Path(os.environ.get("QUARTO_PROJECT_DIR") or Path(__file__).resolve().parents[2])
sys.path.insert(0, str(root / "src"))

from hw3render.cli import main  # noqa: E402  (after the path is set)

sys.exit(main(["--root", str(root), "notebooks", "--quarto"]))
