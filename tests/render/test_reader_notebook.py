"""The notebook a reader gets for a practical chapter (reader_notebook.py, notebook_kernel.py):
Markdown without Quarto's syntax, the package code a part is about, a setup cell, and prose
whose numbers are written by the run."""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
import pytest
import yaml

from hw3core import chapter as hw3_chapter
from hw3core.settings import PROJECT_ROOT
from hw3render import notebooks
from hw3render.config import load_book
from hw3render.errors import SourceError
from hw3render.notebook_kernel import present, rtl
from hw3render.reader_notebook import bound_names, colab_url, paragraphs, reader_notebook, source_text

QUARTO_SYNTAX = ("{#", "@fig-", "@tbl-", "@sec-", "[@", "#|", ":::")

CHAPTER = """# Answers {#sec-p1}

```{python}
#| echo: false
x = 6 * 7
```

## Part one {#sec-p1-one}

Prose cites [@doe2020] and shows @tbl-p1-t and @fig-p1-f; see @sec-p1-one.

<!-- notebook: show hw3core.chapter.number -->

پاسخ `{python} x` است، چنان که @doe2020 می‌گوید.

```{python}
#| label: tbl-p1-t
#| tbl-cap: "A table [@doe2020]."
from IPython.display import Markdown
Markdown("| a |\\n|---|\\n| 1 |")
```

```{python}
#| label: fig-p1-f
#| fig-cap: "A figure."
#| echo: false
import matplotlib.pyplot as plt
plt.plot([1, 2])
plt.show()
```
"""

BIB = "@article{doe2020, author = {Doe, Jane}, title = {A Title}, journal = {A Journal}, year = {2020}}\n"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    """A one-chapter book with a citation, cross-references, a table and a figure, executed once and exported."""
    root = tmp_path_factory.mktemp("book")
    (root / "report").mkdir()
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n\nNo code.\n", encoding="utf-8")
    (root / "report" / "p1-x.qmd").write_text(CHAPTER, encoding="utf-8")
    (root / "refs.bib").write_text(BIB, encoding="utf-8")
    config = {
        "project": {"type": "book"},
        "book": {"chapters": ["index.qmd", "report/p1-x.qmd"]},
        "bibliography": ["refs.bib"],
        "hw3": {"practical-notebooks": ["report/p1-x.qmd"], "repository": "https://github.com/sara/hw3"},
    }
    (root / "_quarto.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HW3_PROFILE", "smoke")
        patch.delenv("QUARTO_PROFILE", raising=False)
        [written] = notebooks.export(load_book(root, "smoke"), root / "_book", execute_missing=True)
    return nbformat.read(written, as_version=4)


def roles(notebook: nbformat.NotebookNode) -> list[str]:
    return [cell.metadata.get("hw3-role") for cell in notebook.cells]


def text_of(cell: nbformat.NotebookNode) -> str:
    """A cell's source and every text its outputs show."""
    shown = [cell.source]
    for output in cell.get("outputs", []):
        shown += [output.get("text", ""), *(str(value) for mime, value in output.get("data", {}).items() if mime.startswith("text/"))]
    return "\n".join(shown)


def test_no_quarto_syntax_is_left(exported):
    left = [(i, mark) for i, cell in enumerate(exported.cells) for mark in QUARTO_SYNTAX if mark in text_of(cell)]
    assert left == []


def test_the_cells_read_top_to_bottom(exported):
    assert roles(exported) == [
        "intro", "setup", "chapter", "markdown", "source", "prose", "chapter", "caption", "chapter", "caption", "runs", "runs", "references",
    ]


def test_the_last_cells_list_the_runs_the_chapter_read(exported):
    """The chapter's rows of the book's appendix of runs, as a cell that lists them again when re-run."""
    heading, cell = [cell for cell in exported.cells if cell.metadata.get("hw3-role") == "runs"]
    assert "hw3 train NAME --profile smoke" in heading.source and '<div dir="rtl">' in heading.source
    assert 'runs.runs_table(chapter="p1")' in cell.source
    listed = cell.outputs[0].data["text/markdown"]
    assert "p1-baseline" in listed and "p1-dropout" in listed and "p2-triplet" not in listed


def test_the_first_cells_say_how_to_run_it_and_set_it_up(exported):
    intro, setup = exported.cells[:2]
    badge = "https://colab.research.google.com/github/sara/hw3/blob/main/notebooks/p1-x.ipynb"
    assert f"]({badge})" in intro.source and "# 1 Answers" in intro.source and '<div dir="rtl">' in intro.source
    assert 'os.environ["HW3_PROFILE"] = "smoke"' in setup.source
    assert '"git+https://github.com/sara/hw3"' in setup.source
    assert 'start("report/p1-x.qmd", profile="smoke", references={})' in setup.source
    compile(setup.source, "setup", "exec")  # plain Python: no magic that only IPython reads


def test_markdown_has_the_books_numbers_and_citations(exported):
    [shown] = [cell.source for cell in exported.cells if cell.metadata.get("hw3-role") == "markdown"]
    assert shown == rtl("## 1.1 Part one\n\nProse cites (Doe 2020) and shows Table 1.1 and Figure 1.1; see Section 1.1.")
    captions = [cell.source for cell in exported.cells if cell.metadata.get("hw3-role") == "caption"]
    assert captions == [rtl("Table 1.1: A table (Doe 2020)."), rtl("Figure 1.1: A figure.")]
    assert "Doe, Jane. 2020. “A Title.” *A Journal*." in exported.cells[-1].source


def test_the_package_code_a_part_is_about_is_its_source(exported):
    [shown] = [cell.source for cell in exported.cells if cell.metadata.get("hw3-role") == "source"]
    assert f"```python\n# hw3core/chapter.py\n{inspect.getsource(hw3_chapter.number).rstrip()}\n```" in shown


def test_a_paragraph_with_inline_python_is_a_cell_that_writes_it(exported):
    [cell] = [cell for cell in exported.cells if cell.metadata.get("hw3-role") == "prose"]
    assert cell.source == 'paragraph(r"""\nپاسخ `{python} x` است، چنان که Doe (2020) می‌گوید.\n""")'
    assert cell.outputs[0].data == {"text/markdown": rtl("پاسخ 42 است، چنان که Doe (2020) می‌گوید.")}
    assert cell.metadata["jupyter"] == {"source_hidden": True}


def test_the_names_a_cell_binds_are_seen_as_the_notebook_sees_them():
    code = "from hw3core import prose, stats as s\nimport numpy.linalg\nx, (y, z) = 1, (2, 3)\nfor i in []: pass\ndef f():\n    local = 1\nclass C: pass"
    assert bound_names(code) == {"prose", "s", "numpy", "x", "y", "z", "i", "f", "C"}
    assert bound_names("%matplotlib inline") == set()


def test_a_chapter_that_binds_the_prose_cells_function_is_refused(tmp_path):
    executed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("#| echo: false\nfrom hw3core.prose import judged as paragraph")])
    book = load_book(PROJECT_ROOT, "smoke")
    with pytest.raises(SourceError, match="binds `paragraph`"):
        reader_notebook(book, Path("report/p1-cifar10.qmd"), executed)


def test_code_is_shown_without_its_options_and_with_its_outputs(exported):
    chapter = [cell for cell in exported.cells if cell.metadata.get("hw3-role") == "chapter"]
    assert [cell.source.splitlines()[0] for cell in chapter] == ["x = 6 * 7", "from IPython.display import Markdown", "import matplotlib.pyplot as plt"]
    assert chapter[1].outputs[0].data["text/markdown"] == "| a |\n|---|\n| 1 |", "a table stays left to right"
    assert "image/png" in chapter[2].outputs[0].data


def test_present_resolves_references_turns_callouts_into_quotes_and_sets_the_direction():
    assert present("| a |\n|---|\n| 1 |", {}) == "| a |\n|---|\n| 1 |"
    assert present("در @tbl-p3-compare", {"tbl-p3-compare": "جدول 7.2"}) == rtl("در جدول 7.2")
    assert present("See @tbl-x and `@fig-y`.", {"tbl-x": "Table 1"}) == "See Table 1 and `@fig-y`."
    callout = "::: {.callout-warning}\n## پروفایل smoke\nاعداد معنایی ندارند.\n:::\n"
    assert present("آزمون [@a; @b] را", {"[@a; @b]": "(A 2000; B 2001)"}) == rtl("آزمون (A 2000; B 2001) را"), "a citation the package wrote"
    assert present(callout, {}) == rtl("> **پروفایل smoke**\n> اعداد معنایی ندارند.")


def test_paragraphs_keep_headings_alone_and_fences_math_and_divs_whole():
    text = "## A\ntext one\nmore\n\n$$\nx\n\ny\n$$\n\n::: {.callout-note}\nin\n\nside\n:::\n\n```\na\n\nb\n```\nlast"
    assert paragraphs(text) == ["## A", "text one\nmore", "$$\nx\n\ny\n$$", "::: {.callout-note}\nin\n\nside\n:::", "```\na\n\nb\n```\nlast"]


def test_a_marker_naming_nothing_is_one_line_naming_it():
    with pytest.raises(SourceError, match=r"report/p1-x.qmd: <!-- notebook: show hw3core.p1.models.Nothing --> names nothing in the package"):
        source_text("hw3core.p1.models.Nothing", "report/p1-x.qmd")


def test_only_a_github_repository_gets_a_colab_badge():
    assert colab_url("https://github.com/sara/hw3.git", "p2-losses") == "https://colab.research.google.com/github/sara/hw3/blob/main/notebooks/p2-losses.ipynb"
    assert colab_url("https://gitlab.com/sara/hw3", "p2-losses") is None
    assert colab_url(None, "p2-losses") is None


def test_without_a_repository_the_setup_cell_says_how_to_install(tmp_path: Path):
    from test_notebooks import book_with

    book = book_with(tmp_path)
    assert book.hw3.repository is None
    [written] = notebooks.export(book, tmp_path / "_book", execute_missing=True)
    setup = nbformat.read(written, as_version=4).cells[1]
    assert "git+" not in setup.source and "hw3core is not installed: install this project (pip install -e .)" in setup.source
    assert "](" not in nbformat.read(written, as_version=4).cells[0].source, "no badge"


# -- The smoke book's three notebooks ----------------------------------------------------

# The code each practical question asks to see (issue 24), which its notebook must carry.
SHOWN = {
    "p1-cifar10": ["hw3core.p1.study.load_splits", "hw3core.data.TensorImages", "hw3core.p1.models.BaselineModel", "hw3core.p1.models.ConvNet",
                   "hw3core.training.fit", "hw3core.training.fit_best", "hw3core.atomic.torch_save", "hw3core.p1.study.run_seed", "hw3core.p1.study.classify", "hw3core.p1.study.class_scores", "hw3core.p1.plots.plot_confusion_matrices"],
    "p2-losses": ["hw3core.p2.models.Extractor", "hw3core.p2.models.Classifier", "hw3core.p2.triplet.TripletImages", "hw3core.p2.triplet.mined_triplet_loss",
                  "hw3core.p2.triplet.semi_hard_negatives", "hw3core.p2.study.train_regime", "hw3core.p2.study.train_linear_head", "hw3core.p2.features.capture_feature_maps"],
    "p3-transfer": ["hw3core.p3.weights.imagenet_model", "hw3core.p3.network.split_classifier", "hw3core.p3.network.new_head", "hw3core.p3.network.TransferNet",
                    "hw3core.p3.study.run_head", "hw3core.p3.study.run_scratch"],
}


def smoke_notebooks(out: Path) -> dict[str, nbformat.NotebookNode]:
    return {stem: nbformat.read(out / "notebooks" / f"{stem}.ipynb", as_version=4) for stem in SHOWN}


@pytest.mark.slow
def test_the_smoke_notebooks_hold_no_quarto_syntax(smoke_book):
    """Nowhere a reader looks; the setup cell's map of what the package's text cites and refers
    to (its keys are that syntax, its values what a re-run writes instead) is machinery."""

    def shown(cell: nbformat.NotebookNode) -> str:
        text = text_of(cell)
        return text.split("references=", 1)[0] if cell.metadata.get("hw3-role") == "setup" else text

    for stem, notebook in smoke_notebooks(smoke_book).items():
        left = [(i, mark) for i, cell in enumerate(notebook.cells) for mark in QUARTO_SYNTAX if mark in shown(cell)]
        assert left == [], stem
        assert "(McNemar 1947; Dietterich 1998)" in "".join(map(text_of, notebook.cells)) or stem != "p1-cifar10", "the package's citation, written"


@pytest.mark.slow
def test_each_smoke_notebook_holds_the_source_of_the_code_its_question_asks_to_see(smoke_book):
    import importlib

    for stem, notebook in smoke_notebooks(smoke_book).items():
        shown = "\n".join(cell.source for cell in notebook.cells if cell.metadata.get("hw3-role") == "source")
        for name in SHOWN[stem]:
            module, attribute = name.rsplit(".", 1)
            assert inspect.getsource(inspect.unwrap(getattr(importlib.import_module(module), attribute))).rstrip() in shown, f"{stem}: {name}"


def shown_text(notebook: nbformat.NotebookNode) -> list[list]:
    """What each code cell shows, but the setup's report of this machine's folders: streams,
    text, Markdown and the PNGs."""
    return [
        [output.get("text") or {mime: value for mime, value in output.get("data", {}).items() if mime != "text/html"} for output in cell.outputs]
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.metadata.get("hw3-role") != "setup"
    ]


def run_alone(exported: Path, folder: Path, env: dict[str, str], stems: tuple[str, ...] = tuple(SHOWN)) -> list[nbformat.NotebookNode]:
    """Each notebook copied alone into its own empty folder and executed there in a fresh
    kernel (nbclient, as Jupyter runs it), all at once; the executed notebooks."""
    import asyncio
    import shutil

    from nbclient import NotebookClient

    from hw3render.execute import IpcKernelManager

    async def one(path: Path) -> nbformat.NotebookNode:
        alone = folder / path.stem
        alone.mkdir()
        shutil.copy(path, alone / path.name)
        notebook = nbformat.read(alone / path.name, as_version=4)
        client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(alone)}}, kernel_manager_class=IpcKernelManager)
        return await client.async_execute(env=env)

    async def every() -> list[nbformat.NotebookNode]:
        return await asyncio.gather(*(one(exported / "notebooks" / f"{stem}.ipynb") for stem in stems))

    return asyncio.run(every())


@pytest.mark.slow
def test_each_smoke_notebook_runs_alone_from_the_cache_and_shows_the_books_numbers(smoke_book, tmp_path):
    """Under HW3_PROFILE=full, which the notebook must override with the profile it was built
    with; every output again, the prose rewritten from the run's values: the same text."""
    import os

    env = {**os.environ, "HW3_PROFILE": "full", "HW3_CACHE_DIR": str(smoke_book.parent / "cache"), "HW3_DATA_DIR": str(tmp_path / "no-data"), "HW3_OFFLINE": "1"}
    for stem, ran in zip(SHOWN, run_alone(smoke_book, tmp_path, env)):
        setup = next(cell for cell in ran.cells if cell.metadata.get("hw3-role") == "setup")
        assert "profile smoke;" in setup.outputs[0].text and "every experiment of this chapter is in the cache" in setup.outputs[0].text
        assert shown_text(ran) == shown_text(smoke_notebooks(smoke_book)[stem]), stem


@pytest.mark.slow
def test_without_a_cache_a_notebook_trains_what_it_needs_with_a_progress_bar(smoke_book, tmp_path):
    """P1's five smoke runs, trained in the setup cell into an empty cache: each shows its bar,
    and the test accuracies come out as in the book (only the seconds differ)."""
    import os

    env = {**os.environ, "HW3_CACHE_DIR": str(tmp_path / "empty-cache"), "HW3_DATA_DIR": str(tmp_path / "no-data"), "HW3_OFFLINE": "1"}
    [ran] = run_alone(smoke_book, tmp_path, env, ("p1-cifar10",))
    setup = next(cell for cell in ran.cells if cell.metadata.get("hw3-role") == "setup")
    said = "".join(output.text for output in setup.outputs)
    assert "training 5 experiment(s) first" in said and "p1-baseline: 100%|" in said and "p1-dropout: 100%|" in said

    def accuracies(notebook: nbformat.NotebookNode) -> list[str]:
        """The per-class test accuracies and the paragraph that states the test accuracies."""
        cells = [cell for cell in notebook.cells if "per_class_table" in cell.source or 'pct(b["test"])' in cell.source]
        return [output.data["text/markdown"] for cell in cells for output in cell.outputs]

    assert len(accuracies(ran)) == 2 and accuracies(ran) == accuracies(smoke_notebooks(smoke_book)["p1-cifar10"])
