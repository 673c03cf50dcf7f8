"""The renderer on a small book that uses every feature a chapter may use (figure, table,
math, echoed code with long lines, callouts, cross-references across chapters, an inline
value, a citation) and a pre- and a post-render step: tests/render/fixtures/mini-book,
with the project's own styling beside it."""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hw3render import render_book
from hw3render.config import load_book
from minibook import copy_mini_book
from pdftools import ink_in_side_margins, normalise, outline, overlapping_words, render, text

RAW_QUARTO = ("{python}", "#|", ":::", "@fig-", "@tbl-", "@sec-", "{#", "{.callout", "```")

SKIPPED = ("pre", "code", "style", "script", "annotation")  # annotation: the TeX kept inside MathML

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    """The ids, links, images, table cells and visible text (not code, not math's TeX) of an HTML page."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []   # (href, link text)
        self.images: list[str] = []
        self.cells: list[dict[str, str]] = []
        self.text: list[str] = []
        self._code = 0
        self._link: list[str] | None = None
        self._href = ""
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in SKIPPED:
            self._code += 1
        elif tag == "a" and "href" in attrs:
            self._link, self._href = [], attrs["href"]
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "td":
            self.cells.append(attrs)

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self._code -= 1
        elif tag == "a" and self._link is not None:
            self.links.append((self._href, "".join(self._link).strip()))
            self._link = None

    def handle_data(self, data):
        if self._link is not None:
            self._link.append(data)
        if not self._code:
            self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(self.text)


@pytest.fixture(scope="module")
def mini_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture book with the project's styling and fonts, rendered once; its output folder."""
    root = copy_mini_book(tmp_path_factory.mktemp("mini-book"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HW3_CACHE_DIR", str(root / "cache"))
        patch.delenv("QUARTO_PROFILE", raising=False)
        render_book(root, "smoke")
    return root / "_book"


@pytest.fixture(scope="module")
def pages(mini_book: Path) -> dict[str, Page]:
    return {str(p.relative_to(mini_book)): Page(p) for p in sorted(mini_book.rglob("*.html"))}


def test_no_quarto_syntax_reaches_the_reader(pages: dict[str, Page], mini_book: Path):
    for name, page in pages.items():
        for raw in RAW_QUARTO:
            assert raw not in page.visible, f"{raw!r} in the text of {name}"
    pdf_text = text(mini_book / "mini.pdf")
    for raw in RAW_QUARTO:
        assert raw not in pdf_text, f"{raw!r} in the PDF text"


def test_every_internal_link_reaches_an_existing_anchor(pages: dict[str, Page], mini_book: Path):
    for name, page in pages.items():
        for href, _ in page.links:
            if re.match(r"\w+:", href):
                continue
            target, _, anchor = href.partition("#")
            target_name = str((mini_book / name).parent.joinpath(target).resolve().relative_to(mini_book)) if target else name
            assert target_name in pages, f"{name}: link to missing page {href}"
            assert not anchor or anchor in pages[target_name].ids, f"{name}: link to missing anchor {href}"


def test_references_are_numbered_links_in_and_across_chapters(pages: dict[str, Page]):
    chapter, preface = pages["report/features.html"], pages["index.html"]
    assert ("#fig-curve", "شکل 1.1") in chapter.links and ("#tbl-results", "جدول 1.1") in chapter.links
    assert ("report/features.html#fig-curve", "شکل 1.1") in preface.links
    assert ("report/features.html#sec-math", "بخش 1.1") in preface.links
    assert ("../index.html#sec-about", "دربارهٔ این کتاب") in chapter.links, "an unnumbered section is called by its title"


def test_the_figure_appears_once_numbered_and_fits(pages: dict[str, Page], mini_book: Path):
    chapter = pages["report/features.html"]
    assert len(chapter.images) == 1, f"one figure cell, one image: {chapter.images}"
    assert (mini_book / "report" / chapter.images[0]).stat().st_size > 5000
    assert "شکل 1.1: منحنی‌های آموزش" in chapter.visible


def test_the_table_has_separators_a_caption_and_right_aligned_numbers(pages: dict[str, Page]):
    chapter = pages["report/features.html"]
    assert "جدول 1.1: نتایج نمونه" in chapter.visible and "1,234,567" in chapter.visible
    aligned = [cell.get("style", "") for cell in chapter.cells]
    assert sum("right" in style for style in aligned) >= 10 * 3, "numeric columns right-aligned"


def test_inline_values_math_and_citations_are_rendered(pages: dict[str, Page], mini_book: Path):
    chapter_html = (mini_book / "report" / "features.html").read_text(encoding="utf-8")
    assert "1,234,567.9" in pages["report/features.html"].visible
    assert chapter_html.count("<math") >= 5 and "$" not in pages["report/features.html"].visible
    assert "LeCun" in pages["index.html"].visible and "Proceedings of the IEEE" in pages["report/references.html"].visible
    # as in Quarto's HTML (link-citations), the citation links to its entry on the references page
    assert [href for href, _ in pages["index.html"].links if "ref-" in href] == ["report/references.html#ref-lecun1998"]
    assert "Proceedings of the IEEE" not in pages["index.html"].visible, "a chapter keeps no list of its own"
    # Citeproc writes in the book's `lang`, as under Quarto: «و همکاران», not "et al."
    assert "LeCun و همکاران 1998" in pages["index.html"].visible and "et al." not in pages["index.html"].visible


def test_stylesheets_and_fonts_resolve_inside_the_output(pages: dict[str, Page], mini_book: Path):
    """The offline site: every url() of the stylesheet points at a file that was copied."""
    css = mini_book / "report" / "_html" / "hw3.css"
    urls = re.findall(r"url\(\"?([^\")]+)\"?\)", css.read_text(encoding="utf-8"))
    assert urls and all((css.parent / url).resolve().is_file() for url in urls), urls
    assert all(not re.match(r"https?:", url) for url in urls)


def test_pdf_numbers_figures_and_heads_pages_with_the_chapter(mini_book: Path):
    pdf = mini_book / "mini.pdf"
    first = next(page for level, title, page in outline(pdf) if level == 1 and title.startswith("1"))
    body = normalise(text(pdf))
    # Extraction may move the colon to the other side of the number (bidi), or read the
    # number's trailing dot after it, hence "[:.]*".
    assert re.search(r"شکل[:.]*1\.1[:.]*منحنیهایآموزش", body) and re.search(r"جدول[:.]*1\.1[:.]*نتایجنمونه", body)
    assert "1,234,567" in body and "LeCun" in body
    assert normalise("ویژگی‌های کتاب") not in normalise(text(pdf, page=first, top=0, height=60)), "no header on the opening page"
    assert re.search(r"فصل[:.]*1[:.]*ویژگیهایکتاب", normalise(text(pdf, page=first + 1, top=0, height=60))), "the next page's header"


def test_pdf_keeps_wide_figures_tables_and_code_inside_the_margins(mini_book: Path, tmp_path: Path):
    crowded = [p.name for p in render(mini_book / "mini.pdf", tmp_path, dpi=30) if ink_in_side_margins(p, margin_cm=1.2, dpi=30)]
    assert not crowded, f"pages with something in the outer 1.2 cm: {crowded}"


def test_pdf_draws_no_word_over_another(mini_book: Path):
    """A wide table squeezed to the text width would print its numbers over each other."""
    assert not overlapping_words(mini_book / "mini.pdf")


def test_the_render_steps_of_quarto_yml_run_around_the_render_as_quarto_runs_them(mini_book: Path):
    """_scripts/record.py wrote one line per step it ran (quarto-cli src/command/render/project.ts)."""
    root = mini_book.parent
    pre, post = [json.loads(line) for line in (root / "steps.jsonl").read_text(encoding="utf-8").splitlines()]
    assert pre["args"] == ["pre", "two words"] and post["args"] == ["post"]
    for step in (pre, post):
        assert Path(step["cwd"]).resolve() == root.resolve() == Path(step["QUARTO_PROJECT_DIR"]).resolve()
        assert step["python"] == sys.executable, "a .py step runs with the renderer's own Python (no QUARTO_PYTHON here)"
        assert step["QUARTO_PROFILE"] == "smoke" and step["QUARTO_PROJECT_RENDER_ALL"] == "1"
        assert Path(step["QUARTO_PROJECT_OUTPUT_DIR"]) == mini_book.resolve()
        assert step["QUARTO_PROJECT_SCRIPT_PROGRESS"] == "1" and step["QUARTO_PROJECT_SCRIPT_QUIET"] == "0"
    chapters = [str(c.source) for c in load_book(root, "smoke").chapters]
    assert pre["QUARTO_PROJECT_INPUT_FILES"].splitlines() == chapters and pre["QUARTO_PROJECT_OUTPUT_FILES"] is None
    written = post["QUARTO_PROJECT_OUTPUT_FILES"].splitlines()
    assert written == [f"_book/{Path(c).with_suffix('.html')}" for c in chapters] + ["_book/mini.pdf"]
    assert all((root / path).is_file() for path in written), "the step runs after the files are written"
