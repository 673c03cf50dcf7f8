"""From a `.qmd` chapter to a Jupyter notebook, and inline expressions back into text.

A chapter is Markdown with fenced ```{python} cells whose first lines may be `#| key:
value` options (YAML), as in Quarto. Inline `` `{python} expr` `` expressions are
evaluated by a hidden cell placed just before the paragraph block that uses them, so
they see the state of the kernel at that point of the chapter, as in Quarto.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import nbformat
import yaml

CELL_OPEN = re.compile(r"^```+\s*\{python[^}]*\}\s*$")
INLINE = re.compile(r"`\{python\}\s+([^`]+)`")
INLINE_MARK = "hw3-inline"


@dataclass
class Block:
    kind: str                              # "markdown" or "code"
    text: str
    options: dict[str, Any] = field(default_factory=dict)


def split_options(source: str) -> tuple[dict[str, Any], str]:
    """Separate leading `#|` option lines from the code of a cell."""
    lines = source.splitlines()
    option_lines = []
    while lines and lines[0].startswith("#|"):
        option_lines.append(lines.pop(0)[2:].strip())
    options = yaml.safe_load("\n".join(option_lines)) if option_lines else {}
    return options or {}, "\n".join(lines).strip("\n")


def parse(text: str) -> list[Block]:
    """Split a chapter into Markdown blocks and Python cells (front matter is dropped)."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        lines = lines[end + 1 :]
    blocks: list[Block] = []
    buffer: list[str] = []
    i = 0
    while i < len(lines):
        opening = CELL_OPEN.match(lines[i])
        if not opening:
            buffer.append(lines[i])
            i += 1
            continue
        fence = re.match(r"^`+", lines[i]).group(0)
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        if j == len(lines):
            raise ValueError(f"unclosed ```{{python}} cell starting at line {i + 1}")
        if "".join(buffer).strip():
            blocks.append(Block("markdown", "\n".join(buffer).strip("\n")))
        buffer = []
        options, code = split_options("\n".join(lines[i + 1 : j]))
        blocks.append(Block("code", code, options))
        i = j + 1
    if "".join(buffer).strip():
        blocks.append(Block("markdown", "\n".join(buffer).strip("\n")))
    return blocks


def inline_cell_source(expressions: list[str]) -> str:
    """A cell that prints the str() of each expression as one JSON list."""
    items = ", ".join(f"str({expr.strip()})" for expr in expressions)
    return f"print(__import__('json').dumps([{items}], ensure_ascii=False))"


def to_notebook(blocks: list[Block]) -> nbformat.NotebookNode:
    """A notebook with Quarto's cell options kept as `#|` lines, as Quarto's own is."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for block in blocks:
        if block.kind == "markdown":
            expressions = INLINE.findall(block.text)
            if expressions:
                cell = nbformat.v4.new_code_cell(inline_cell_source(expressions))
                cell.metadata[INLINE_MARK] = True
                notebook.cells.append(cell)
            notebook.cells.append(nbformat.v4.new_markdown_cell(block.text))
        else:
            header = "".join(f"#| {key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in block.options.items())
            cell = nbformat.v4.new_code_cell(header + block.text)
            cell.metadata["hw3-options"] = block.options
            notebook.cells.append(cell)
    return notebook


def resolve_inline(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Substitute inline values into the Markdown cells and drop the helper cells."""
    resolved = nbformat.v4.new_notebook(metadata=notebook.metadata)
    pending: list[str] | None = None
    for cell in notebook.cells:
        if cell.metadata.get(INLINE_MARK):
            text = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
            pending = json.loads(text.strip().splitlines()[-1])
            continue
        if cell.cell_type == "markdown" and pending is not None:
            values = iter(pending)
            cell = nbformat.from_dict({**cell, "source": INLINE.sub(lambda _: next(values), cell.source)})
            pending = None
        resolved.cells.append(cell)
    return resolved
