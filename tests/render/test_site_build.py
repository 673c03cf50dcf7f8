"""The site's pieces that need no browser: its links from _quarto.yml's Quarto options, the
check that every download exists, and the search index."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml

from hw3core.errors import UserError
from hw3render.config import load_book
from hw3render.search import write_search_index
from hw3render.site import check_site_links, other_links, sidebar_links

NOTEBOOK_MENU = [
    {"text": "دفترچهٔ ۱", "href": "/notebooks/p1.ipynb"},
    {"text": "دفترچهٔ ۲", "href": "notebooks/p2.ipynb"},
    {"text": "site", "href": "https://example.org/x"},
]


def make_book(root: Path, **book_options) -> Path:
    """A book with a chapter at the root and one in report/, whose _metadata.yml adds an other link."""
    config = {
        "project": {"type": "book", "output-dir": "_book"},
        "book": {"title": "کتاب", "output-file": "hw3", "chapters": ["index.qmd", "report/ch.qmd"], **book_options},
        "format": {"html": {"other-links": [{"text": "خانه", "href": "https://example.org/home"}]}},
        "language": {"tools-download": "بارگیری"},
    }
    (root / "_quarto.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (root / "report").mkdir()
    metadata = {"format": {"html": {"other-links": [{"text": "دفترچهٔ این فصل", "href": "../notebooks/p1.ipynb"}]}}}
    (root / "report" / "_metadata.yml").write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
    (root / "index.qmd").write_text("# پیش‌گفتار {.unnumbered}\n", encoding="utf-8")
    (root / "report" / "ch.qmd").write_text("# فصل\n", encoding="utf-8")
    return root


def test_tools_are_paths_from_the_root_and_other_links_paths_from_the_page_as_in_quarto(tmp_path: Path):
    book = load_book(make_book(tmp_path, downloads=["pdf"], tools=[{"icon": "journal-code", "menu": NOTEBOOK_MENU}]), "smoke")
    assert [(link.text, link.href) for link in sidebar_links(book)] == [
        ("بارگیری PDF", "hw3.pdf"),            # language: overrides the Persian default
        ("دفترچهٔ ۱", "notebooks/p1.ipynb"),    # with "/" or without, a path from the site's root
        ("دفترچهٔ ۲", "notebooks/p2.ipynb"),
        ("site", "https://example.org/x"),
    ]
    index, chapter = book.chapters
    assert [link.href for link in other_links(book, index)] == ["https://example.org/home"]
    # the folder's _metadata.yml adds to _quarto.yml's list, and its href is kept as written
    assert [link.href for link in other_links(book, chapter)] == ["https://example.org/home", "../notebooks/p1.ipynb"]


def test_a_missing_download_fails_the_build_with_one_clear_line(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    book = load_book(make_book(tmp_path, downloads="pdf", tools=[{"menu": NOTEBOOK_MENU}]), "smoke")
    (book.output_dir / "notebooks").mkdir(parents=True)
    for name in ("p1", "p2"):
        (book.output_dir / "notebooks" / f"{name}.ipynb").write_text("{}")
    with pytest.raises(FileNotFoundError) as error:
        check_site_links(book)
    message = str(error.value)
    assert isinstance(error.value, UserError), "hw3 prints it as one line, not a traceback"
    assert "hw3.pdf" in message and "p1.ipynb" not in message and "example.org" not in message
    assert "book.downloads" in message and "_quarto.yml" in message and "\n" not in message
    with caplog.at_level(logging.WARNING, logger="hw3.render"):
        check_site_links(book, strict=False)        # a partial render warns instead
    assert "hw3.pdf" in caplog.text
    (book.output_dir / "hw3.pdf").write_bytes(b"%PDF")
    check_site_links(book)


def test_an_other_link_is_checked_from_its_page(tmp_path: Path):
    book = load_book(make_book(tmp_path), "smoke")
    (book.output_dir / "report" / "notebooks").mkdir(parents=True)
    (book.output_dir / "report" / "notebooks" / "p1.ipynb").write_text("{}")   # beside the page, not where the link goes
    with pytest.raises(FileNotFoundError, match=r"\.\./notebooks/p1\.ipynb \(from report/ch\.html\).*relative to the page"):
        check_site_links(book)
    (book.output_dir / "notebooks").mkdir()
    (book.output_dir / "notebooks" / "p1.ipynb").write_text("{}")
    check_site_links(book)


PAGE = """<html><body><nav class="sidebar">not indexed</nav><main><article>
<h1><span class="header-section-number">1</span> فصل</h1>
<p>پیش از هر بخش.</p>
<h2 id="sec-a"><span class="header-section-number">1.1</span> بخش الف</h2>
<p>شبکه‌های عمیق <code>BatchNorm2d</code> و <math><annotation>\\frac{a}{b}</annotation></math>.</p>
<h3 id="sec-a-1">زیربخش</h3><p>triplet loss</p>
<script>var hidden = 1;</script>
<h2 id="sec-b">بخش ب</h2><p>آخر.</p>
</article></main></body></html>"""


def test_the_search_index_has_the_page_and_each_level_two_section(tmp_path: Path):
    book = load_book(make_book(tmp_path), "smoke")
    (book.output_dir / "report").mkdir(parents=True)
    (book.output_dir / "report" / "ch.html").write_text(PAGE, encoding="utf-8")   # index.html not rendered: left out
    script = write_search_index(book, {c.source: f"title of {c.stem}" for c in book.chapters}).read_text(encoding="utf-8")
    assert script.startswith("window.hw3SearchIndex = ")
    entries = json.loads(script.removeprefix("window.hw3SearchIndex = ").rstrip().removesuffix(";"))
    assert [(e["href"], e["section"]) for e in entries] == [("report/ch.html", ""), ("report/ch.html#sec-a", "1.1 بخش الف"), ("report/ch.html#sec-b", "بخش ب")]
    assert entries[0]["text"] == "پیش از هر بخش." and entries[0]["title"] == "title of ch"
    assert entries[1]["text"] == "شبکه‌های عمیق BatchNorm2d و . زیربخش triplet loss"
    assert not any("frac" in e["text"] or "hidden" in e["text"] or "not indexed" in e["text"] for e in entries)
