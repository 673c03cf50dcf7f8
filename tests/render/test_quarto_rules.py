"""The rules of the Quarto CLI that change what a reader sees, checked without Quarto.

Each test names the quarto-cli source it encodes. The key sets come from quarto_schema.py,
extracted from quarto-cli v1.10.4 (src/resources/schema/, src/resources/language/).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pymupdf
import pytest
import typst
import yaml

import quarto_schema as schema
from hw3core.settings import PROJECT_ROOT
from hw3render import qmd
from hw3render.config import QUARTO_LABELS, load_book

BIB_ENTRY = re.compile(r"^@\w+\{([^,\s]+),", re.MULTILINE)
MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$")
# The project files and the folders' metadata files, which take the same keys.
PROJECT_FILES = sorted(PROJECT_ROOT.glob("_quarto*.yml")) + sorted(PROJECT_ROOT.glob("report/**/_metadata.yml"))
CHAPTERS = [PROJECT_ROOT / c.source for c in load_book(PROJECT_ROOT, "smoke").chapters]
# Keys of _language.yml for features this book does not use (listings, manuscripts,
# notebook previews, article title blocks, dev containers, code tools, repo links).
UNUSED_LABELS = re.compile(
    r"^(listing-|manuscript-|article-notebook|notebook-preview|appendix-|launch-|repo-action|code-tools-"
    r"|title-block-affiliation|title-block-keywords|section-title-(abstract|reuse|copyright|citation)$|draft$)"
)


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _extension_format(name: str) -> bool:
    """A format named after a project extension, `<extension>-typst` with
    `_extensions/<extension>/_extension.yml` (Quarto validates it as its base format)."""
    return name.endswith("-typst") and (PROJECT_ROOT / "_extensions" / name.removesuffix("-typst") / "_extension.yml").is_file()


def _typst_format() -> dict:
    names = [name for name in _yaml(PROJECT_ROOT / "_quarto.yml")["format"] if name == "typst" or _extension_format(name)]
    assert len(names) == 1, f"one Typst format: {names}"
    return _yaml(PROJECT_ROOT / "_quarto.yml")["format"][names[0]]


# -- 1. One bibliography key per work (Typst stops on "duplicate bibliography keys") ----


def test_every_bibliography_key_is_defined_once_across_the_bib_files():
    keys = Counter(key for bib in (PROJECT_ROOT / "report" / "bib").glob("*.bib") for key in BIB_ENTRY.findall(bib.read_text(encoding="utf-8")))
    assert keys, "no entries found"
    assert [key for key, count in keys.items() if count > 1] == []


BIB_TITLE = re.compile(r"^\s*title\s*=\s*\{(.+)\},?\s*$", re.MULTILINE)


def test_every_work_has_one_entry_across_the_bib_files():
    """Two keys for one work print it twice in the references (citeproc then tells them
    apart as 2015a and 2015b); a work cited by several chapters belongs in core.bib."""
    titles = Counter(
        re.sub(r"\W", "", title.lower()) for bib in (PROJECT_ROOT / "report" / "bib").glob("*.bib") for title in BIB_TITLE.findall(bib.read_text(encoding="utf-8"))
    )
    assert titles, "no titles found"
    assert [title for title, count in titles.items() if count > 1] == []


def test_the_pdf_uses_pandoc_citeproc_like_the_html():
    """Typst books default to citeproc: false (src/format/typst/format-typst.ts)."""
    assert _typst_format()["citeproc"] is True


# -- 2. Inline values, formatted as src/core/jupyter/jupyter-inline.ts does ----------------


@pytest.mark.parametrize(
    ("data", "to_html", "expected"),
    [
        ({"text/plain": "'0.5'"}, False, r"0\.5"),
        ({"text/plain": "'1,024 (a)'"}, False, r"1\,024 \(a\)"),
        ({"text/plain": "'\u0645\u06cc\\u200c\u0634\u0648\u062f'"}, False, "\u0645\u06cc\\\\\\\\u200c\u0634\u0648\u062f"),
        ({"text/plain": "0.5"}, False, "0.5"),
        ({"text/plain": "''"}, False, ""),
        ({"text/plain": "'x'", "text/markdown": "**x**"}, False, "**x**"),
        ({"text/markdown": "m", "text/html": "<b>h</b>"}, True, "`<b>h</b>`{=html}"),
        ({"text/markdown": "m", "text/html": "<b>h</b>"}, False, "m"),
    ],
)
def test_inline_values_are_written_as_quarto_writes_them(data, to_html, expected):
    assert qmd.quarto_inline(data, to_html) == expected


def test_an_empty_inline_value_leaves_the_expression_as_quarto_does(caplog):
    """src/core/execute-inline.ts replaces an expression only by a truthy result."""
    results = [{"expression": "a", "result": {"data": {"text/plain": "''"}}}, {"expression": "b", "result": {"data": {"text/plain": "7"}}}]
    with caplog.at_level("WARNING", logger="hw3.render"):
        out = qmd.substitute_inline("x `{python} a` y `{python} b`", results, "report/c.qmd")
    assert out == "x `{python} a` y 7"
    assert "report/c.qmd" in caplog.text and "`{python} a`" in caplog.text


def test_a_value_with_an_html_form_is_refused_since_quarto_would_show_it_twice_differently():
    results = [{"expression": "frame", "result": {"data": {"text/plain": "df", "text/html": "<table/>"}}}]
    with pytest.raises(ValueError, match="text/html"):
        qmd.substitute_inline("`{python} frame`", results, "report/c.qmd")


def _in_math(chapter: Path) -> set[str]:
    """The inline expressions of a chapter written inside $...$."""
    found = set()
    for line in chapter.read_text(encoding="utf-8").splitlines():
        for span in MATH.findall(line):
            found.update(qmd.inline_expressions(span))
    return found


def test_every_inline_value_of_the_smoke_book_survives_quartos_formatting(smoke_render):
    _, result = smoke_render
    checked = 0
    for source, notebook in result.executed.items():
        in_math = _in_math(PROJECT_ROOT / source)
        for cell in notebook.cells:
            for item in cell.metadata.get("user_expressions", []):
                where = f"{source}: `{{python}} {item['expression']}`"
                shown = qmd.quarto_inline(item["result"]["data"], to_html=False)
                assert shown, f"{where} is empty: Quarto would leave the expression on the page"
                assert "\\u" not in shown, f"{where} shows a \\u escape: return a str (shown as Markdown) or Markdown"
                if item["expression"] in in_math:
                    assert not re.search(r"\\[.,\-+()]", shown), f"{where} is escaped inside $...$"
                checked += 1
    assert checked > 200, "the smoke book's inline expressions were not recorded"


# -- 3. Labels: Quarto has no Persian file, so `language:` defines every word it prints ----


def test_every_label_quarto_would_print_is_defined_in_language():
    language = _yaml(PROJECT_ROOT / "_quarto.yml")["language"]
    printed = {key for key in schema.LANGUAGE if not UNUSED_LABELS.match(key)}
    assert sorted(printed - set(language)) == []
    assert sorted(set(language) - schema.LANGUAGE) == [], "keys Quarto does not know"
    assert set(QUARTO_LABELS) <= printed, "hw3 render prints only words Quarto prints"


def test_hw3_render_takes_its_words_from_language():
    book = load_book(PROJECT_ROOT, "smoke")
    assert book.label("crossref-fig-title") == book.raw["language"]["crossref-fig-title"] == "شکل"
    assert all(book.labels[key] == book.raw["language"][key] for key in QUARTO_LABELS)


# -- 4. No kernel daemon; 6. pre- and post-render scripts Quarto can run -----------------


def test_the_kernel_is_never_reused_across_renders():
    """src/execute/jupyter/jupyter-kernel.ts keeps a kernel 300 s unless daemon: false."""
    assert _yaml(PROJECT_ROOT / "_quarto.yml")["execute"]["daemon"] is False


@pytest.mark.parametrize("step", ["pre-render", "post-render"])
def test_each_render_step_is_a_python_script_that_exists(step: str):
    """A .py script runs with Quarto's own Python (src/core/run/python.ts), not a bare
    `python` from PATH; `hw3 render` reads the same entries, so they are defined once."""
    scripts = _yaml(PROJECT_ROOT / "_quarto.yml")["project"][step]
    for script in [scripts] if isinstance(scripts, str) else scripts:
        assert script.endswith(".py") and (PROJECT_ROOT / script).is_file()


def test_every_chapter_keeps_its_executed_notebook_for_the_post_render_step():
    """keep-ipynb leaves <stem>.quarto_ipynb beside each chapter (src/execute/jupyter/jupyter.ts,
    `cleanupNotebook`), which report/_scripts/notebooks.py exports instead of executing again."""
    from hw3render.notebooks import keeps_ipynb

    book = load_book(PROJECT_ROOT, "smoke")
    assert _yaml(PROJECT_ROOT / "_quarto.yml")["execute"]["keep-ipynb"] is True
    assert all(keeps_ipynb(book, source) for source in book.hw3.practical_notebooks)


# -- 5. The Typst style in Quarto's template ---------------------------------------------

# What Quarto's Typst output calls, in its template's order (quarto-cli
# src/resources/formats/typst/pandoc/quarto/template.typ): Pandoc's Skylighting definition
# and Quarto's callout (definitions.typ), then the header include (Pandoc pastes its text:
# an #include would keep its rules to itself), then the body.
QUARTO_ORDER = """
#let EndLine() = raw("\\n")
#let Skylighting(fill: none, number: false, start: 1, sourcelines) = {
   let blocks = []
   for ln in sourcelines { blocks = blocks + ln + EndLine() }
   block(fill: none, blocks)
}
#let NormalTok(s) = raw(s)
#let callout(body: [], title: "Callout", background_color: rgb("#dddddd"), icon: none, icon_color: black, body_background_color: white) = block(title + body)
STYLE
#set text(lang: "fa", dir: rtl)
#set page(paper: "a4")
متن فارسی
#Skylighting(([#NormalTok("left_first");#NormalTok(" = 1");],));
#callout(body: [بدنه], title: [هشدار], background_color: rgb("#ffffff"), icon_color: rgb("#bf8700"), icon: none)
#figure([#table(columns: 1, [cell])], kind: "quarto-float-tbl", supplement: "جدول", caption: [عنوان])
"""


def test_the_style_redefines_what_quartos_typst_output_calls(tmp_path: Path):
    style = (PROJECT_ROOT / "report" / "_typst" / "hw3-style.typ").read_text(encoding="utf-8")
    assert "#let Skylighting(fill: none, number: false, start: 1, sourcelines)" in style
    assert "#show figure.where(kind: \"quarto-float-tbl\")" in style
    (tmp_path / "doc.typ").write_text(QUARTO_ORDER.replace("STYLE", style), encoding="utf-8")
    pdf = tmp_path / "doc.pdf"
    typst.compile(str(tmp_path / "doc.typ"), output=str(pdf), font_paths=[str(PROJECT_ROOT / "fonts")])
    page = pymupdf.open(pdf)[0].get_text()
    assert "left_first = 1" in page, "highlighted code keeps its left-to-right order"
    assert "بدنه" in page, "Quarto's callout is drawn by the style's callout"
    assert page.index("جدول") < page.index("cell"), "a Quarto table's caption is above it"


def test_the_style_is_a_header_include_so_it_reaches_the_cover_and_contents():
    typst_format = _typst_format()
    assert typst_format["include-in-header"] == "report/_typst/hw3-style.typ"
    assert "include-before-body" not in typst_format


# -- 7. The book's Typst template is the project's extension, on the Quarto it requires ---


def test_the_book_names_its_typst_extension_so_quarto_takes_the_projects_copy():
    """For a book, `format: typst` takes Quarto's bundled orange-book; a format that names an
    extension is looked up in the project's _extensions/ first (src/command/render/
    render-contexts.ts `readExtensionFormat`, `preferLocal`; src/extension/extension.ts
    `discoverExtensionPath`). A name no built-in extension has is found only there."""
    names = [name for name in _yaml(PROJECT_ROOT / "_quarto.yml")["format"] if name != "html"]
    assert names and all(_extension_format(name) for name in names), names
    bundled = {"orange-book"}  # src/resources/extension-subtrees/ (quarto-cli v1.10.4)
    assert not {name.removesuffix("-typst") for name in names} & bundled


def test_one_minimum_quarto_version_for_the_readme_the_template_and_the_partials():
    """The README states the version the template needs: the extension refuses an older
    Quarto (`quarto-required`), and `hw3 render` compiles with that version's partials."""
    from hw3render.pdf import QUARTO_TYPST

    extension = _yaml(PROJECT_ROOT / "_extensions" / "hw3-book" / "_extension.yml")
    required = re.fullmatch(r">=\s*(\d+\.\d+\.\d+)", extension["quarto-required"]).group(1)
    assert f"Quarto](https://quarto.org/docs/get-started/) ≥ {required}" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert (QUARTO_TYPST / "VERSION").read_text(encoding="utf-8").startswith(f"quarto-cli v{required} ")
    assert (QUARTO_TYPST / "LICENSE").is_file() and (PROJECT_ROOT / "_extensions" / "hw3-book" / "LICENSE").is_file()


# -- Cell options and configuration keys documented by Quarto's schema -------------------


def test_every_cell_option_used_is_one_quarto_documents():
    used = {
        (chapter.name, key)
        for chapter in CHAPTERS
        for block in qmd.parse(chapter.read_text(encoding="utf-8"))
        if block.kind == "code"
        for key in block.options
    }
    assert sorted((name, key) for name, key in used if key not in schema.CELL) == []


def _unknown(config: dict, path: str, allowed: frozenset | set) -> list[str]:
    return [f"{path}.{key}" for key in config if key not in allowed]


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_key_of_the_project_files_is_valid_in_quartos_schema(path: Path):
    config = _yaml(path)
    structural = {"project", "book", "format", "execute", "profile", "website", "manuscript"}
    own = {"hw3"}  # this project's settings; Quarto passes unknown metadata through
    assert not own & (schema.DOCUMENT_ANY | structural), "our own key must not shadow one of Quarto's"
    # Pandoc's `nocite`, which no schema file lists but Quarto's books read (quarto-cli
    # src/config/constants.ts kNoCite, src/project/types/book/book-bibliography.ts)
    pandoc = {"nocite"}
    unknown = _unknown(config, path.name, schema.DOCUMENT_ANY | structural | own | pandoc)
    unknown += _unknown(config.get("project", {}), "project", schema.PROJECT)
    unknown += _unknown(config.get("book", {}), "book", schema.BOOK)
    unknown += _unknown(config.get("execute", {}), "execute", schema.EXECUTE | schema.CELL)
    unknown += _unknown(config.get("language", {}), "language", schema.LANGUAGE)
    formats = {"html": schema.HTML, "typst": schema.TYPST}
    for name, options in config.get("format", {}).items():
        base = "typst" if _extension_format(name) else name
        assert base in formats, f"format {name} is not one this book builds"
        unknown += _unknown(options or {}, f"format.{name}", formats[base] | schema.CELL)
    assert unknown == []


def test_every_option_the_extension_contributes_is_valid_for_typst():
    extension = _yaml(PROJECT_ROOT / "_extensions" / "hw3-book" / "_extension.yml")
    options = extension["contributes"]["formats"]["typst"]
    assert _unknown(options, "contributes.formats.typst", schema.TYPST | schema.CELL) == []
    assert all((PROJECT_ROOT / "_extensions" / "hw3-book" / partial).is_file() for partial in options["template-partials"])
