"""hw3 render: .qmd parsing, cell options, cross-references, and the whole smoke book."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from hw3core.settings import PROJECT_ROOT, get_settings
from hw3render import qmd
from hw3render.config import load_book
from hw3render.convert import ChapterWriter, Target, collect_targets, resolve_references
from hw3render.errors import SourceError
from hw3render.site import chapter_title
from pdftools import normalise, outline, page_sizes, text

CHAPTER = """---
title: ignored front matter
---
# فصل {#sec-ch}

متن با `{python} a + 1` و `{python} name`.

```{python}
#| label: fig-demo
#| fig-cap: "یک شکل"
#| echo: false
a = 41
```

```{python}
#| include: false
secret = 1
```
"""


def test_parse_splits_markdown_cells_and_options():
    blocks = qmd.parse(CHAPTER)
    assert [b.kind for b in blocks] == ["markdown", "code", "code"]
    assert blocks[1].options == {"label": "fig-demo", "fig-cap": "یک شکل", "echo": False}
    assert blocks[1].text == "a = 41"
    assert "front matter" not in blocks[0].text


def test_unclosed_cell_is_an_error():
    with pytest.raises(ValueError, match="unclosed"):
        qmd.parse("```{python}\nx = 1\n")


def test_inline_values_are_substituted_and_helper_cells_dropped():
    notebook = qmd.to_notebook(qmd.parse("`{python} x` و `{python} y`"))
    helper = notebook.cells[0]
    assert helper.metadata[qmd.INLINE_MARK] == ["x", "y"] and "user_expressions" in helper.source
    answer = {"0": {"status": "ok", "data": {"text/plain": "42"}}, "1": {"status": "ok", "data": {"text/markdown": "1,024"}}}
    helper.outputs = [nbformat.v4.new_output("stream", name="stdout", text=json.dumps(answer) + "\n")]
    resolved = qmd.resolve_inline(notebook)
    assert len(resolved.cells) == 1 and resolved.cells[0].source == "42 و 1,024"
    assert [r["expression"] for r in resolved.cells[0].metadata["user_expressions"]] == ["x", "y"]


def _executed(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=cells)


def _code(options: dict, outputs: list) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("#| x: 1\nprint(1)", outputs=outputs)
    cell.metadata["hw3-options"] = options
    return cell


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def test_figures_tables_and_sections_are_numbered_and_referenced(tmp_path: Path):
    notebook = _executed(
        [
            nbformat.v4.new_markdown_cell("# عنوان {#sec-top}\n\n## بخش {#sec-part}\n\nببینید @fig-a و @tbl-b و @sec-part."),
            _code({"label": "fig-a", "fig-cap": "نمودار"}, [nbformat.v4.new_output("display_data", data={"image/png": PNG})]),
            _code({"label": "tbl-b", "tbl-cap": "جدول نتایج", "echo": False}, [nbformat.v4.new_output("execute_result", data={"text/markdown": "| a |\n|--:|\n| 1 |"})]),
        ]
    )
    targets = collect_targets(Path("report/c.qmd"), 3, notebook, load_book(PROJECT_ROOT, "smoke").labels)
    assert targets["fig-a"].text == "شکل 3.1" and targets["tbl-b"].text == "جدول 3.1"
    assert targets["sec-part"].text == "بخش 3.1" and targets["sec-top"].text == "فصل 3"
    writer = ChapterWriter(tmp_path, "figs", targets)
    markdown = resolve_references(writer.chapter(notebook), lambda label: f"#{label}", targets)
    assert "[شکل 3.1](#fig-a)" in markdown and "[جدول 3.1](#tbl-b)" in markdown
    assert "![شکل 3.1: نمودار](figs/figure-1.png){#fig-a}" in markdown
    assert ": جدول 3.1: جدول نتایج" in markdown
    assert "#| x" not in markdown and markdown.count("print(1)") == 1, "echo honoured, options stripped"
    assert (tmp_path / "figure-1.png").exists()


def test_a_figure_cell_that_shows_nothing_takes_no_number_and_every_image_needs_a_caption(tmp_path: Path):
    image = [nbformat.v4.new_output("display_data", data={"image/png": PNG})]
    notebook = _executed([_code({"label": "fig-dropped", "fig-cap": "هیچ"}, []), _code({"label": "fig-shown", "fig-cap": "نمودار"}, image)])
    targets = collect_targets(Path("report/c.qmd"), 2, notebook, load_book(PROJECT_ROOT, "smoke").labels)
    assert "fig-dropped" not in targets and targets["fig-shown"].text == "شکل 2.1"
    with pytest.raises(ValueError, match="without a caption: give it `#| fig-cap:`"):
        ChapterWriter(tmp_path, "f", targets).cell(_code({"label": "fig-x"}, image))


def test_a_defective_figure_fails_its_chapter(tmp_path: Path):
    from hw3render.execute import ChapterError, execute

    source = tmp_path / "chapter.qmd"
    source.write_text(
        "```{python}\nfrom hw3core import chapter\nchapter.setup()\n```\n\n"
        "```{python}\nfrom matplotlib.figure import Figure\nfig = Figure()\nfig.subplots().plot([1, 2])\nfig\n```\n"
    )
    with pytest.raises(ChapterError, match=r"chapter.qmd: the cell `from matplotlib.figure import Figure` failed: FigureDefects: the figure is not fit to print:; axes 1 of 1: no x label; axes 1 of 1: no y label \(full traceback: "):
        execute(qmd.to_notebook(qmd.parse(source.read_text())), Path("chapter.qmd"), tmp_path, get_settings())


def test_reference_without_target_fails_and_code_is_left_alone():
    targets = {"fig-a": Target(Path("c.qmd"), "شکل 1.1")}
    text = "```\n@fig-missing in code\n```\n`@fig-x` inline code, email a@fig-b.org"
    assert resolve_references(text, lambda l: l, targets) == text
    with pytest.raises(SourceError, match="@fig-missing"):
        resolve_references("see @fig-missing", lambda l: l, targets)


def test_output_false_and_include_false_hide_what_they_should(tmp_path: Path):
    stream = [nbformat.v4.new_output("stream", name="stdout", text="visible\n")]
    writer = ChapterWriter(tmp_path, "f", {})
    assert "visible" not in writer.cell(_code({"output": False}, stream))
    assert writer.cell(_code({"include": False}, stream)) == ""
    assert writer.cell(_code({"output": "asis", "echo": False}, stream)) == "visible"


def test_book_config_reads_chapters_parts_and_numbers():
    book = load_book(PROJECT_ROOT, "smoke")
    numbers = [c.number for c in book.chapters]
    assert book.chapters[0].source == Path("index.qmd") and numbers[0] is None and numbers[-1] is None
    assert [n for n in numbers if n is not None] == list(range(1, 8))
    assert [c.part for c in book.chapters if c.part] == ["پرسش‌های نظری", "پرسش‌های عملی"]
    # the part each chapter is in: the preface, the appendix of runs and the references are in none
    assert [c.in_part for c in book.chapters] == [None] + ["پرسش‌های نظری"] * 4 + ["پرسش‌های عملی"] * 3 + [None, None]
    assert book.hw3.profile_note.startswith("پروفایل smoke")


# --- the whole smoke book, rendered once per session (tests/conftest.py) ---------------

@pytest.mark.slow
def test_pdf_has_every_chapter_title_and_a_page_each(smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    pdf = smoke_book / "hw3.pdf"
    assert len(page_sizes(pdf)) >= len(book.chapters)
    titles = [title for level, title, _ in outline(pdf) if level == 1]
    body = normalise(text(pdf))
    for chapter in book.chapters:
        title = chapter_title(chapter, PROJECT_ROOT)
        assert title.replace("  ", " ") in titles
        plain = re.sub(r"^\d+\s+", "", title)
        assert all(normalise(word) in body for word in re.findall(r"\w+", plain)), plain


@pytest.mark.slow
def test_html_pages_exist_and_hold_no_raw_quarto_syntax(smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    assert (smoke_book / "index.html").exists()
    for chapter in book.chapters:
        page = (smoke_book / chapter.html_path).read_text(encoding="utf-8")
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(pre|code)[^>]*>.*?</\1>", " ", page, flags=re.S))
        for raw in ("{python}", "#|", ":::", "@fig-", "@tbl-", "@sec-", "{#", "{.callout"):
            assert raw not in visible, f"{raw!r} leaked into {chapter.html_path}"
        assert 'dir="rtl"' in page and "report/_html/hw3.css" in page and "report/_html/rtl.css" in page
    assert f'href="{book.hw3.repository}"' in (smoke_book / "index.html").read_text(encoding="utf-8"), "the first page links the student's repository"


@pytest.mark.slow
def test_practical_notebooks_executed_without_errors(smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    assert len(book.hw3.practical_notebooks) == 3
    for source in book.hw3.practical_notebooks:
        notebook = nbformat.read(smoke_book / "notebooks" / f"{source.stem}.ipynb", as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code and all(c.execution_count for c in code if c.metadata.get("hw3-role") == "chapter"), "the render ran every cell of the chapter"
        assert not [o for c in code for o in c.outputs if o.output_type == "error"]
        noise = [o.text for c in code for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert not noise, f"{source}: stderr in the notebook (progress bars, warnings): {noise[:2]}"
        assert not any("{python}" in c.source for c in notebook.cells if c.cell_type == "markdown")


FIGURE = re.compile(r'<figure(?: id="(fig-[\w-]+)")?>\s*<img src="[^"]*figure-html/[^"]+"[^>]*>\s*<figcaption[^>]*>\s*\S.*?</figcaption>', re.S)


@pytest.mark.slow
def test_every_figure_of_the_smoke_book_is_captioned_and_none_is_lost(smoke_book: Path):
    """Each figure shown passed figures.audit (chapter.setup refuses any other, so the book
    rendering at all proves it); here every image written is a captioned figure on its
    page, labelled figures come from the source's fig- cells, and the theory chapters,
    whose figures depend on no result, show every one of them."""
    book = load_book(PROJECT_ROOT, "smoke")
    for chapter in book.chapters:
        page_path = smoke_book / chapter.html_path
        page = page_path.read_text(encoding="utf-8")
        written = list(page_path.parent.glob(f"{chapter.stem}_files/figure-html/*.png"))
        figures = FIGURE.findall(page)
        assert len(figures) == page.count("figure-html/figure-") == len(written), f"{chapter.source}: an image without a caption"
        labels = set(re.findall(r"^#\| label: (fig-[\w-]+)", (PROJECT_ROOT / chapter.source).read_text(encoding="utf-8"), re.M))
        ids = {label for label in figures if label}
        assert ids <= labels and (chapter.source in book.hw3.practical_notebooks or ids == labels), f"{chapter.source}: {labels - ids} lost"


def test_a_returned_pyplot_figure_is_shown_once(tmp_path: Path):
    from hw3render.execute import execute

    source = tmp_path / "chapter.qmd"
    source.write_text(
        "```{python}\nfrom hw3core import chapter\nchapter.setup()\n```\n\n"
        "```{python}\nimport matplotlib.pyplot as plt\n"
        "def draw():\n    fig, ax = plt.subplots(figsize=(4, 3))\n    ax.plot([1, 2])\n    ax.set(xlabel='x', ylabel='y')\n    return fig\ndraw()\n```\n"
    )
    executed = execute(qmd.to_notebook(qmd.parse(source.read_text())), Path("chapter.qmd"), tmp_path, get_settings())
    images = [o for o in executed.cells[-1].outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
