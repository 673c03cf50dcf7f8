"""The smoke site used as a reader uses it, in Chromium, from file://: search (Persian and
Latin, with the spelling variants a reader types), next-chapter links through the whole
book, downloads, copy buttons, heading anchors, cross-reference previews, printing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from hw3render.config import load_book

from hw3core.settings import PROJECT_ROOT

from browsing import MARKS, browser  # noqa: F401 (browser is a fixture)

pytestmark = MARKS
ZWNJ = "\u200c"
IN_VIEW = """(el) => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }"""


@pytest.fixture
def page(browser, smoke_book: Path):
    """A page that records script errors and refuses anything not on disk."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def index_entries(smoke_book: Path) -> list[dict[str, str]]:
    script = (smoke_book / "search.js").read_text(encoding="utf-8")
    return json.loads(script.removeprefix("window.hw3SearchIndex = ").rstrip().removesuffix(";"))


def file_of(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def search(page, query: str) -> list[str]:
    """Type `query` into the search box; the hrefs of the results."""
    page.fill("#quarto-search-input", "")
    page.type("#quarto-search-input", query)
    page.wait_for_timeout(300)
    return page.eval_on_selector_all("#quarto-search-results a", "links => links.map(a => a.href)")


def assert_landed_on_section(page, href: str, words: list[str]) -> None:
    """The page of `href` is open, its target in view, and the target's section holds the words."""
    page.wait_for_load_state("load")
    assert page.url == href
    target = page.locator(f"[id='{unquote(urlparse(href).fragment)}']")
    assert target.evaluate(IN_VIEW), f"{href}: the section is not in view"
    section = target.evaluate("""(h) => { let text = h.innerText, n = h.nextElementSibling;
        while (n && n.tagName !== h.tagName) { text += " " + n.innerText; n = n.nextElementSibling; } return text; }""")
    folded = section.replace(ZWNJ, "").lower()
    assert all(word.replace(ZWNJ, "").lower() in folded for word in words), f"{href}: {words} not in the section"


def persian_word(entries: list[dict[str, str]]) -> str:
    """A word of a section of the book with a ZWNJ and a ی or ک in it, to type differently."""
    for entry in entries:
        if "#" in entry["href"]:
            for word in re.findall(r"[\u0600-\u06ff\u200c]{7,}", entry["text"]):
                if ZWNJ in word.strip(ZWNJ) and re.search("[یک]", word):
                    return word.strip(ZWNJ)
    raise AssertionError("the book has no Persian word with a ZWNJ and ی or ک")


def test_a_persian_query_typed_without_zwnj_and_with_arabic_letters_opens_its_section(page, smoke_book: Path):
    word = persian_word(index_entries(smoke_book))
    typed = word.replace(ZWNJ, "").replace("ی", "ي").replace("ک", "ك")
    assert typed != word
    page.goto((smoke_book / "index.html").as_uri())
    results = search(page, typed)
    assert results, f"no result for {typed!r} (the book writes {word!r})"
    assert page.locator("#quarto-search-results").evaluate("el => getComputedStyle(el).direction") == "rtl"
    first = page.locator("#quarto-search-results a").first
    assert word in first.inner_text() or word.replace(ZWNJ, "") in first.inner_text().replace(ZWNJ, "")
    href = first.get_attribute("href")
    first.click()
    assert_landed_on_section(page, href, [word])
    assert not page.errors


@pytest.mark.parametrize("query", ["triplet", "BatchNorm"])
def test_a_latin_query_found_and_followed_with_the_keyboard(page, smoke_book: Path, query: str):
    page.goto((smoke_book / "index.html").as_uri())
    page.keyboard.press("/")     # Quarto's shortcut to the search box
    assert page.evaluate("document.activeElement.id") == "quarto-search-input"
    page.keyboard.type(query.lower())
    page.wait_for_timeout(300)
    results = page.eval_on_selector_all("#quarto-search-results a", "links => links.map(a => a.href)")
    assert results, f"no result for {query!r}"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.href") == results[0]
    page.keyboard.press("Enter")
    page.wait_for_url(results[0])
    assert_landed_on_section(page, results[0], [query])
    assert not page.errors


def test_a_query_without_hits_says_so_and_punctuation_alone_does_nothing(page, smoke_book: Path):
    page.goto((smoke_book / "index.html").as_uri())
    assert search(page, "qzxqjvw") == []
    assert page.inner_text("#quarto-search-status") == load_book(PROJECT_ROOT, "smoke").label("search-no-results-text")
    for query in ["؟!،.", "   ", "^$|'=!", "*"]:
        assert search(page, query) == [], f"{query!r} listed results"
        assert page.inner_text("#quarto-search-status") == ""
        page.keyboard.press("Enter")
    assert page.url == (smoke_book / "index.html").as_uri()
    assert not page.errors


def test_next_links_walk_the_whole_book_in_order(page, smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    page.goto((smoke_book / book.chapters[0].html_path).as_uri())
    assert page.locator("a[rel=prev]").count() == 0
    visited = [file_of(page.url)]
    while page.locator("a[rel=next]").count():
        page.click("a[rel=next]")
        page.wait_for_load_state("load")
        visited.append(file_of(page.url))
    assert visited == [smoke_book / chapter.html_path for chapter in book.chapters]
    assert not page.errors


def test_every_download_link_resolves_to_a_file_in_the_book(page, smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    wanted = {smoke_book / "hw3.pdf", *(smoke_book / "notebooks" / f"{s.stem}.ipynb" for s in book.hw3.practical_notebooks)}
    for chapter in book.chapters:
        page.goto((smoke_book / chapter.html_path).as_uri())
        sidebar = {file_of(href) for href in page.eval_on_selector_all(".sidebar-tools a", "a => a.map(l => l.href)")}
        own = {file_of(href) for href in page.eval_on_selector_all(".quarto-other-links a", "a => a.map(l => l.href)")}
        assert sidebar == wanted, f"{chapter.html_path}: the sidebar links {sidebar}"
        if chapter.source in book.hw3.practical_notebooks:
            assert smoke_book / "notebooks" / f"{chapter.stem}.ipynb" in own, f"{chapter.html_path} does not link its notebook"
        for path in sidebar | own:
            assert path.is_file() and path.resolve().is_relative_to(smoke_book.resolve()), f"{chapter.html_path}: dead link {path}"


def test_every_code_block_has_a_copy_button_that_copies_it(page, smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    page.add_init_script("navigator.clipboard.writeText = async (text) => { window.copied = text; };")
    checked = 0
    for chapter in book.chapters:
        page.goto((smoke_book / chapter.html_path).as_uri())
        blocks = page.locator("article pre")
        for i in range(blocks.count()):
            block = blocks.nth(i)
            assert block.evaluate("el => getComputedStyle(el).direction") == "ltr"
            assert block.evaluate("el => el.parentElement.querySelector(':scope > .code-copy-button') !== null"), f"{chapter.html_path}: block {i} has no copy button"
        if blocks.count() and not checked:
            button = page.locator("article .code-copy-button").first
            button.focus()
            page.keyboard.press("Enter")
            page.wait_for_function("window.copied !== undefined")
            code = blocks.first.evaluate("el => (el.querySelector('code') || el).innerText")
            assert page.evaluate("window.copied") == code and code.strip()
            checked += 1
    assert checked, "no chapter has code"
    assert not page.errors


def test_headings_have_anchors_and_cross_references_preview_and_land_in_view(page, smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    same_page = None
    for chapter in book.chapters:
        page.goto((smoke_book / chapter.html_path).as_uri())
        anchors = page.eval_on_selector_all("article h2[id]", "hs => hs.map(h => h.querySelector('a.anchorjs-link')?.getAttribute('href') === '#' + h.id)")
        assert all(anchors), f"{chapter.html_path}: a heading without its anchor"
        links = page.locator("article a.quarto-xref[href^='#fig-'], article a.quarto-xref[href^='#tbl-']")
        if links.count() and same_page is None:
            same_page = chapter
            link = links.first
            link.hover()
            preview = page.locator("#quarto-xref-preview")
            preview.wait_for(state="visible")
            assert preview.locator("figure, table, img").count(), "the preview shows no figure or table"
            href = link.get_attribute("href")
            page.mouse.move(0, 0)
            link.click()
            assert page.locator(f"[id='{href[1:]}']").evaluate(IN_VIEW)
            # Landing from another page (or a bookmark): the target in view once images have loaded.
            page.goto("about:blank")
            page.goto((smoke_book / chapter.html_path).as_uri() + href, wait_until="load")
            page.wait_for_timeout(200)
            assert page.locator(f"[id='{href[1:]}']").evaluate(IN_VIEW), f"{chapter.html_path}{href} not in view on landing"
    assert same_page is not None, "no chapter references its own figure or table"
    assert not page.errors


def test_a_printed_page_has_no_sidebar_search_or_buttons(page, smoke_book: Path):
    page.goto((smoke_book / "report" / "p1-cifar10.html").as_uri())
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['#quarto-sidebar', '#quarto-search', '#quarto-margin-sidebar', '.page-navigation', '.code-copy-button']
        .flatMap((s) => [...document.querySelectorAll(s)]).map((el) => el.offsetParent === null && getComputedStyle(el).display === 'none' || el.closest('#quarto-sidebar, #quarto-margin-sidebar') !== null && getComputedStyle(el.closest('#quarto-sidebar, #quarto-margin-sidebar')).display === 'none')""")
    assert hidden and all(hidden)
    assert page.locator("article").evaluate("el => el.getBoundingClientRect().width") > 600
