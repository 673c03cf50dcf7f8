"""The book's post-render step: make the PDF's text searchable (hw3render.pdf_text).

Typst stores the text of Persian ligatures and of letters with marks so that PDF readers
extract «لایه» as «الیه» and a search finds nothing; this step rewrites the text layer of
the PDF the render wrote, under either renderer: Quarto and `hw3 render` both run the
`project.post-render` entries of _quarto.yml (hw3render/scripts.py), in the project
folder, with the files written listed in QUARTO_PROJECT_OUTPUT_FILES (or in the file that
QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES names), one path a line, relative to the project
(quarto-cli src/command/render/project.ts, `runScripts`), which the settings read. A
render that wrote no PDF (HTML only) leaves nothing to do; a PDF already rewritten is left
as it is.
"""

import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]  # the project this script belongs to, which Quarto runs it in
sys.path.insert(0, str(root / "src"))

from hw3core.errors import UserError  # noqa: E402  (after the path is set)
from hw3core.settings import get_settings  # noqa: E402
from hw3render.pdf_text import fix_text_layer  # noqa: E402

try:
    written = get_settings().quarto.outputs()
except UserError as error:  # a setting or Quarto's file list that cannot be read: one line
    sys.exit(f"hw3: error: {error}")
for path in written:
    if path.endswith(".pdf"):
        print(f"{path}: {fix_text_layer(root / path)} text-layer entries made searchable")
