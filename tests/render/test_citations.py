"""Citations: two works whose labels would read the same are told apart (Lin et al. 2014a,
Network in Network; 2014b, COCO) on every HTML page and in the PDF, and in the HTML every
citation links to its entry on the references page (issue 26)."""

from __future__ import annotations

import re
from pathlib import Path

import pypandoc
import pytest

from hw3core.settings import PROJECT_ROOT
from hw3render.config import load_book
from pdftools import text

BOOK = load_book(PROJECT_ROOT, "smoke")
# A citation as citeproc writes it in HTML: its keys, and what it links to and shows
CITATION = re.compile(r'<span class="citation" data-cites="([^"]+)">(.*?)</span>', re.DOTALL)
SUFFIXED = re.compile(r"\b\d{4}[a-z]\b")


def _labels(keys: list[str]) -> dict[str, str]:
    """Each key's citation as the book's style prints it when all `keys` are cited together."""
    markdown = "\n\n".join(f"[@{key}]" for key in keys)
    style = ["--csl", str(BOOK.csl)] if BOOK.csl else []
    args = ["--citeproc", *(f"--bibliography={bib}" for bib in BOOK.bibliography), *style, "-M", "suppress-bibliography=true"]
    html = pypandoc.convert_text(markdown, "html5", format="markdown", extra_args=args)
    return {found: re.sub(r"<[^>]+>|\s+", " ", shown).strip() for found, shown in CITATION.findall(html)}


def test_the_style_tells_the_two_lin_2014_works_apart_by_a_year_suffix():
    labels = _labels(BOOK.cited())
    assert SUFFIXED.search(labels["lin2014network"]).group(0) == "2014a"
    assert SUFFIXED.search(labels["lin2014coco"]).group(0) == "2014b"


def test_every_work_the_style_suffixes_is_in_nocite():
    """A page's citeproc sees only that page's citations (and `nocite`): a work that takes a
    year suffix in the whole book would lose it on a page that cites it alone."""
    suffixed = sorted(key for key, label in _labels(BOOK.cited()).items() if SUFFIXED.search(label))
    assert suffixed and sorted(set(suffixed) - set(BOOK.nocite)) == []
    assert set(BOOK.nocite) <= set(BOOK.cited()), "nocite lists only works the book cites"


def _citations(page: Path) -> list[tuple[str, str]]:
    return [(keys, shown) for keys, shown in CITATION.findall(page.read_text(encoding="utf-8"))]


@pytest.mark.slow
@pytest.mark.parametrize(("chapter", "key", "suffix"), [("t1-conv-arithmetic", "lin2014network", "2014a"), ("t4-yolo", "lin2014coco", "2014b")])
def test_each_page_prints_the_suffix_and_links_to_the_reference(smoke_book: Path, chapter: str, key: str, suffix: str):
    cites = [shown for keys, shown in _citations(smoke_book / "report" / f"{chapter}.html") if keys == key]
    assert cites and all(suffix in shown and f'href="references.html#ref-{key}" role="doc-biblioref"' in shown for shown in cites)
    references = (smoke_book / "report" / "references.html").read_text(encoding="utf-8")
    entry = re.search(rf'<div id="ref-{key}"[^>]*>(.*?)</div>', references, re.DOTALL)
    assert entry and suffix in entry.group(1)


@pytest.mark.slow
def test_every_citation_of_the_site_links_to_an_entry_of_the_references_page(smoke_book: Path):
    references = (smoke_book / "report" / "references.html").read_text(encoding="utf-8")
    entries = set(re.findall(r'<div id="(ref-[^"]+)"', references))
    pages = [smoke_book / c.html_path for c in BOOK.chapters if c != BOOK.references_chapter]
    found = [(page.name, keys, shown) for page in pages for keys, shown in _citations(page)]
    assert found
    for name, keys, shown in found:
        targets = re.findall(r'href="([^"]+)"', shown)
        assert [t.rsplit("#", 1)[1] for t in targets] == [f"ref-{k}" for k in keys.split()], (name, shown)
        assert all(t.endswith(".html#" + t.rsplit("#", 1)[1]) and t.rsplit("#", 1)[1] in entries for t in targets)
    assert not any('id="refs"' in page.read_text(encoding="utf-8") for page in pages), "a chapter keeps no list of its own"


@pytest.mark.slow
def test_the_pdf_tells_them_apart_the_same_way(smoke_book: Path):
    words = text(smoke_book / "hw3.pdf")
    assert words.count("2014a") >= 2 and words.count("2014b") >= 2  # a citation and the reference, each


@pytest.mark.slow
def test_the_reference_entries_are_english_throughout(smoke_book: Path):
    """The entries are English: no term of the book's Persian locale («و», «و همکاران») inside
    one, where the bidi algorithm would carry the year after it into the Persian run."""
    references = (smoke_book / "report" / "references.html").read_text(encoding="utf-8")
    entries = [re.sub(r"<[^>]+>", "", e) for e in re.findall(r'<div id="ref-[^"]+"[^>]*>(.*?)</div>', references, re.DOTALL)]
    assert len(entries) > 20
    assert not [e for e in entries if re.search("[\u0600-\u06ff]", e)]
