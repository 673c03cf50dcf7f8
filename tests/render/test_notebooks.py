"""The executed notebooks a render keeps (keep-ipynb), and the practical notebooks the
post-render step builds from them instead of executing the chapters again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from hw3core.settings import PROJECT_ROOT
from hw3render import notebooks
from hw3render.config import load_book
from hw3render.notebook_kernel import present
from hw3render.qmd import split_options
from hw3render.reader_notebook import book_targets

CHAPTER = """# Answers {#sec-p1}

```{python}
#| label: tbl-answer
#| echo: false
x = 6 * 7
```

The answer is `{python} x`, and one more is `{python} x + 1`.

```{python}
print(x)
```
"""


def book_with(root: Path, chapter: str = CHAPTER, keep: object = True, front: str = ""):
    """A book of a preface and one practical chapter, with keep-ipynb under execute: (if given)."""
    (root / "report").mkdir(parents=True)
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n\nNo code.\n", encoding="utf-8")
    (root / "report" / "p1-x.qmd").write_text(front + chapter, encoding="utf-8")
    config = {
        "project": {"type": "book"},
        "book": {"chapters": ["index.qmd", "report/p1-x.qmd"]},
        "hw3": {"practical-notebooks": ["report/p1-x.qmd"]},
        **({"execute": {"keep-ipynb": keep}} if keep is not None else {}),
    }
    (root / "_quarto.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return load_book(root, "smoke")


def quarto_kept(value: int = 42) -> nbformat.NotebookNode:
    """An executed notebook as Quarto keeps it: built from the .qmd by quartoMdToJupyter
    (src/core/jupyter/jupyter.ts: the label becomes the cell id, options Quarto does not
    keep as comments go to metadata), executed by src/resources/jupyter/notebook.py (its
    setup cell removed, inline values in the Markdown cell's user_expressions)."""
    plain = lambda v: {"status": "ok", "data": {"text/plain": str(v)}, "metadata": {}}  # noqa: E731
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}, "language_info": {"name": "python"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Answers {#sec-p1}"),
        nbformat.v4.new_code_cell("#| echo: false\nx = 6 * 7", id="tbl-answer", execution_count=1, metadata={"label": "tbl-answer"}),
        nbformat.v4.new_markdown_cell(
            "The answer is `{python} x`, and one more is `{python} x + 1`.",
            metadata={"user_expressions": [{"expression": "x", "result": plain(value)}, {"expression": "x + 1", "result": plain(value + 1)}]},
        ),
        nbformat.v4.new_code_cell("print(x)", execution_count=2, outputs=[nbformat.v4.new_output("stream", name="stdout", text=f"{value}\n")]),
    ]
    return nb


def test_keep_ipynb_is_read_where_quarto_reads_it(tmp_path: Path):
    source = Path("report/p1-x.qmd")
    assert notebooks.keeps_ipynb(book_with(tmp_path / "a"), source)
    assert not notebooks.keeps_ipynb(book_with(tmp_path / "b", keep=None), source)
    assert not notebooks.keeps_ipynb(book_with(tmp_path / "c", front="---\nexecute:\n  keep-ipynb: false\n---\n"), source)
    assert notebooks.keeps_ipynb(book_with(tmp_path / "d", keep=None, front="---\nkeep-ipynb: true\n---\n"), source)


def test_a_notebook_quarto_kept_gives_the_chapter_its_outputs_and_inline_values(tmp_path: Path):
    book = book_with(tmp_path)
    exported = notebooks.from_kept(book, Path("report/p1-x.qmd"), quarto_kept())
    code = [cell for cell in exported.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == ["#| label: \"tbl-answer\"\n#| echo: false\nx = 6 * 7", "print(x)"], "the chapter's own cells"
    assert code[1].outputs[0].text == "42\n" and [cell.execution_count for cell in code] == [1, 2]
    prose = exported.cells[2]
    assert prose.source == "The answer is 42, and one more is 43." and prose.metadata["user_expressions"][1]["expression"] == "x + 1"


@pytest.mark.parametrize("edit", [("6 * 7", "6 * 8"), ("`{python} x + 1`", "`{python} x + 2`"), ("print(x)\n```\n", "print(x)\n```\n\n```{python}\nx\n```\n")])
def test_a_kept_notebook_of_an_older_chapter_is_not_used(tmp_path: Path, edit: tuple[str, str], caplog):
    book = book_with(tmp_path, CHAPTER.replace(*edit))
    nbformat.write(quarto_kept(), notebooks.kept_path(book, Path("report/p1-x.qmd")))
    assert notebooks.executed_from_kept(book, Path("report/p1-x.qmd")) is None
    assert "p1-x.quarto_ipynb: not used" in caplog.text


def test_the_newest_kept_notebook_is_used_and_the_post_render_step_removes_them_all(tmp_path: Path):
    """Quarto names the next one <stem>.quarto_ipynb_1 when the first is still there (jupyter.ts)."""
    book = book_with(tmp_path)
    first = notebooks.kept_path(book, Path("report/p1-x.qmd"))
    nbformat.write(quarto_kept(41), first)
    nbformat.write(quarto_kept(42), first.with_name(first.name + "_1"))
    os.utime(first, (time.time() - 60, time.time() - 60))
    (first.parent / "p1-x.quarto_ipynb.bak").write_text("not Quarto's")
    written = notebooks.export(book, tmp_path / "_book", execute_missing=False)
    assert written == [tmp_path / "_book" / "notebooks" / "p1-x.ipynb"]
    assert "The answer is 42" in prose_outputs(nbformat.read(written[0], as_version=4))[0]
    assert sorted(p.name for p in first.parent.iterdir()) == ["p1-x.qmd", "p1-x.quarto_ipynb.bak"]


def test_a_render_keeps_a_notebook_only_for_chapters_that_ran_a_kernel(tmp_path: Path):
    book = book_with(tmp_path)
    executed = {Path("index.qmd"): nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("No code.")]), Path("report/p1-x.qmd"): quarto_kept()}
    notebooks.keep(book, executed)
    assert notebooks.kept_notebooks(book, Path("index.qmd")) == []
    assert notebooks.kept_notebooks(book, Path("report/p1-x.qmd")) == [notebooks.kept_path(book, Path("report/p1-x.qmd"))]


def test_without_a_kept_notebook_a_chapter_is_executed_only_when_the_whole_book_was_rendered(tmp_path: Path):
    book = book_with(tmp_path, keep=None)
    assert notebooks.export(book, tmp_path / "_book", execute_missing=False) == []
    [written] = notebooks.export(book, tmp_path / "_book", execute_missing=True)
    exported = nbformat.read(written, as_version=4)
    assert prose_outputs(exported) == ["The answer is 42, and one more is 43."]
    assert [cell.outputs[0].text for cell in exported.cells if cell.metadata.get("hw3-role") == "chapter" and cell.outputs] == ["42\n"]


def prose_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """The text each prose cell of an exported notebook shows."""
    return [cell.outputs[0].data["text/markdown"] for cell in notebook.cells if cell.metadata.get("hw3-role") == "prose"]


@pytest.mark.slow
def test_the_smoke_book_exports_the_chapters_it_executed_without_running_them_again(smoke_render):
    """The chapter's code cells carry the outputs and execution counts of the render's own
    execution (a Markdown output as the notebook shows it), and no kept notebook is left
    beside a chapter."""
    out, result = smoke_render
    book = load_book(PROJECT_ROOT, "smoke")
    for source in book.hw3.practical_notebooks:
        exported = nbformat.read(out / "notebooks" / f"{source.stem}.ipynb", as_version=4)
        ran = [cell for cell in result.executed[source].cells if cell.cell_type == "code"]
        shown = [cell for cell in exported.cells if cell.metadata.get("hw3-role") == "chapter"]
        assert [c.source for c in shown] == [split_options(c.source)[1] for c in ran]
        assert [c.execution_count for c in shown] == [c.execution_count for c in ran]
        words = {label: target.text for label, target in book_targets(book, source, result.executed[source]).items()}
        for mine, theirs in zip(shown, ran):
            assert [o.get("data", {}).get("image/png") or o.get("text") for o in mine.outputs] == [o.get("data", {}).get("image/png") or o.get("text") for o in theirs.outputs]
            raw = [o.data["text/markdown"] for o in theirs.outputs if "text/markdown" in o.get("data", {})]
            assert [o.data["text/markdown"] for o in mine.outputs if "text/markdown" in o.get("data", {})] == [present(text, words) for text in raw]
    assert not [path for chapter in book.chapters for path in notebooks.kept_notebooks(book, chapter.source)]
