"""From a `.qmd` chapter to a Jupyter notebook, and inline expressions back into text.

A chapter is Markdown with fenced ```{python} cells whose first lines may be `#| key:
value` options (YAML), as in Quarto. Inline `` `{python} expr` `` expressions are
evaluated by a hidden cell placed just before the paragraph block that uses them, so
they see the state of the kernel at that point of the chapter, as in Quarto. The cell
asks the kernel for each value exactly as Quarto's notebook.py does (IPython's
`user_expressions`, i.e. every representation of the value), and the text that goes
into the page is chosen and escaped by `quarto_inline`, Quarto's own rule.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import nbformat
import yaml

from .errors import SourceError

CELL_OPEN = re.compile(r"^```+\s*\{python[^}]*\}\s*$")
# Quarto's pattern (src/core/execute-inline.ts): not after a backtick, one space or tab.
INLINE = re.compile(r"(^|[^`])`\{python\}[ \t]([^`]+)`", re.MULTILINE)
INLINE_MARK = "hw3-inline"
log = logging.getLogger("hw3.render")


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


def _split_front_matter(text: str) -> tuple[str, list[str]]:
    """A chapter's YAML front matter (between the first two `---` lines) and the lines after it."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        if "---" not in lines[1:]:
            raise SourceError("the front matter opened by --- at line 1 is not closed by a --- line; close it")
        end = lines.index("---", 1)
        return "\n".join(lines[1:end]), lines[end + 1 :]
    return "", lines


def front_matter(text: str) -> dict[str, Any]:
    """A chapter's own options (its front matter), which Quarto merges over _quarto.yml's."""
    return yaml.safe_load(_split_front_matter(text)[0]) or {}


def parse(text: str) -> list[Block]:
    """Split a chapter into Markdown blocks and Python cells (front matter is dropped)."""
    lines = _split_front_matter(text)[1]
    skipped = len(text.splitlines()) - len(lines)  # the front matter's lines, for line numbers in the file
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
            raise SourceError(f"unclosed ```{{python}} cell starting at line {skipped + i + 1}; close it with a line of {fence}")
        if "".join(buffer).strip():
            blocks.append(Block("markdown", "\n".join(buffer).strip("\n")))
        buffer = []
        options, code = split_options("\n".join(lines[i + 1 : j]))
        blocks.append(Block("code", code, options))
        i = j + 1
    if "".join(buffer).strip():
        blocks.append(Block("markdown", "\n".join(buffer).strip("\n")))
    return blocks


def inline_expressions(markdown: str) -> list[str]:
    """The inline expressions of a Markdown cell, in order, as Quarto finds them."""
    return [match.group(2).strip() for match in INLINE.finditer(markdown)]


def inline_cell_source(expressions: list[str]) -> str:
    """A cell printing, as JSON, what the kernel answers Quarto for these expressions.

    Quarto sends them as the `user_expressions` of an empty execute request
    (src/resources/jupyter/notebook.py); IPython answers each with
    `InteractiveShell.user_expressions`, which is called here directly: one mime bundle
    (`text/plain`, and `text/markdown` etc. when the value has them) per expression.
    """
    return f"print(__import__('json').dumps(get_ipython().user_expressions({json.dumps(numbered(expressions))})))"


def numbered(expressions: list[str]) -> dict[str, str]:
    """Expressions keyed "0", "1", ... as `user_expressions` takes them."""
    return {str(i): expression for i, expression in enumerate(expressions)}


def quarto_inline(data: dict[str, str], to_html: bool) -> str:
    r"""The text Quarto puts on the page for an inline value's mime bundle ('' for none).

    Follows quarto-cli src/core/jupyter/jupyter-inline.ts (`resolveUserExpressions`,
    `asEscapedMarkdown`) and display-data.ts (`displayDataMimeType`): HTML output
    prefers text/html, every format takes text/markdown before text/plain. text/markdown
    goes in raw. text/plain is the value's repr: if it is quoted (a str), the quotes are
    stripped, backslashes doubled and Markdown punctuation backslash-escaped, so a str
    with a ZWNJ shows a literal "\\u200c" and "0.5" becomes "0\.5". The JavaScript class
    [\\`*_{}\[\]()>#+-.!] holds the range `+-.`, so the comma is escaped too.
    """
    order = ["text/html", "text/markdown"] if to_html else ["text/markdown"]
    for mime in [*order, "text/plain"]:
        if mime not in data:
            continue
        value = "".join(data[mime]) if isinstance(data[mime], list) else str(data[mime])
        if mime == "text/html":
            return f"`{value}`{{=html}}"
        return value if mime == "text/markdown" else _escaped_markdown(value)
    return ""


def _escaped_markdown(text: str) -> str:
    """Quarto's `asEscapedMarkdown`: only a quoted repr (a str) is unquoted and escaped."""
    if text[:1] in ("'", '"') and text.endswith(text[:1]):
        text = text[1:-1].replace("\\", "\\\\")
        return re.sub(r"([\\`*_{}\[\]()>#+,\-.!])", r"\\\1", text)
    return text


def substitute_inline(markdown: str, results: list[dict], where: str) -> str:
    """Put each inline value into the Markdown; an empty one leaves the expression.

    Quarto replaces an expression only by a truthy result (src/core/execute-inline.ts),
    so an empty value leaves the raw `` `{python} expr` `` on the page; that is kept
    here, with a warning naming the chapter and the expression.
    """
    texts = iter(results)

    def replace(match: re.Match[str]) -> str:
        result = next(texts)
        text = quarto_inline(result["result"]["data"], to_html=False)
        if text != quarto_inline(result["result"]["data"], to_html=True):
            raise SourceError(f"{where}: inline `{{python}} {result['expression']}` has a text/html form, so Quarto would "
                             "show it differently in HTML and PDF; return a str or an IPython Markdown object")
        if not text:
            log.warning("%s: inline `{python} %s` is empty; Quarto leaves the expression on the page", where, result["expression"])
            return match.group(0)
        return match.group(1) + text

    return INLINE.sub(replace, markdown)


def to_notebook(blocks: list[Block]) -> nbformat.NotebookNode:
    """A notebook with Quarto's cell options kept as `#|` lines, as Quarto's own is."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for block in blocks:
        if block.kind == "markdown":
            expressions = inline_expressions(block.text)
            if expressions:
                cell = nbformat.v4.new_code_cell(inline_cell_source(expressions))
                cell.metadata[INLINE_MARK] = expressions
                notebook.cells.append(cell)
            notebook.cells.append(nbformat.v4.new_markdown_cell(block.text))
        else:
            header = "".join(f"#| {key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in block.options.items())
            cell = nbformat.v4.new_code_cell(header + block.text)
            cell.metadata["hw3-options"] = block.options
            notebook.cells.append(cell)
    return notebook


def resolve_inline(
    notebook: nbformat.NotebookNode,
    where: str = "chapter",
    values: Callable[[nbformat.NotebookNode], list[dict]] | None = None,
) -> nbformat.NotebookNode:
    """Substitute inline values into the Markdown cells and drop the helper cells.

    Each Markdown cell keeps its expressions and their mime bundles in
    `metadata.user_expressions`, where Quarto's notebook.py stores them too. A helper
    cell's values are its own output, unless `values` gives them (from a kept notebook).
    """
    resolved = nbformat.v4.new_notebook(metadata=notebook.metadata)
    values = values or (lambda cell: _user_expressions(cell, where))
    pending: list[dict] | None = None
    for cell in notebook.cells:
        if cell.metadata.get(INLINE_MARK):
            pending = values(cell)
            continue
        if cell.cell_type == "markdown" and pending is not None:
            cell = nbformat.from_dict({**cell, "source": substitute_inline(cell.source, pending, where)})
            cell.metadata["user_expressions"] = pending
            pending = None
        resolved.cells.append(cell)
    return resolved


def _user_expressions(cell: nbformat.NotebookNode, where: str) -> list[dict]:
    """The helper cell's answer as Quarto records it: [{expression, result}] in order."""
    text = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
    return expression_results(cell.metadata[INLINE_MARK], json.loads(text.strip().splitlines()[-1]), where)


def expression_results(expressions: list[str], answers: dict[str, dict], where: str) -> list[dict]:
    """IPython's answers to `user_expressions` keyed "0", "1", ... (`inline_cell_source`), as
    Quarto records them: [{expression, result}] in order; an expression that raised is a SourceError."""
    results = []
    for key, expression in enumerate(expressions):
        answer = answers[str(key)]
        if answer["status"] != "ok":
            raise SourceError(f"{where}: inline `{{python}} {expression}` raised {answer['ename']}: {answer['evalue']}")
        results.append({"expression": expression, "result": answer})
    return results
