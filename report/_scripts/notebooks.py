"""The book's post-render step: write the executed practical notebooks into the output folder.

Both renderers run it after the book is written: Quarto, and `hw3 render`, which reads the
same `project.post-render` entry (hw3render/scripts.py). Quarto runs a `.py` project
script with the Python it uses itself (QUARTO_PYTHON, or the first python3 on PATH that
has Jupyter: quarto-cli src/core/run/python.ts), in the project folder, with
QUARTO_PROJECT_DIR, QUARTO_PROJECT_OUTPUT_DIR and, when the whole book was rendered,
QUARTO_PROJECT_RENDER_ALL set (src/command/render/project.ts, `runScripts`). A plain
command such as `python -m hw3render.cli` would instead need a bare `python` on PATH that
can import the project, so this script puts the project's own `src/` first on the path.

No chapter executes here a second time: `keep-ipynb` (in _quarto.yml) leaves each
chapter's executed notebook beside it as `<stem>.quarto_ipynb`, under Quarto (quarto-cli
src/execute/jupyter/jupyter.ts, `cleanupNotebook`) as under `hw3 render`, and
`hw3 notebooks --quarto` builds each exported notebook from the newest of those, then
removes them (Quarto would otherwise name the next one `<stem>.quarto_ipynb_1`). Only a
chapter with no usable kept notebook is executed, and only when the whole book was
rendered; hw3render/notebooks.py says what is read from a kept notebook and why the
export is the same whichever renderer executed the chapter.
"""

import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]  # the project this script belongs to, which Quarto runs it in
sys.path.insert(0, str(root / "src"))

from hw3render.cli import main  # noqa: E402  (after the path is set)

sys.exit(main(["--root", str(root), "notebooks", "--quarto"]))
