"""The right-to-left layer on what a Quarto user gets: a Quarto book page (Quarto's markup)
with the stylesheet Quarto compiles for this book (its Bootstrap 5.3.1 and its own rules),
then the book's report/_html/hw3.css and rtl.css, in Chromium, from disk.

The fixture and how it was made: tests/render/fixtures/quarto-html/README.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hw3core.settings import PROJECT_ROOT

from browsing import MARKS, browser  # noqa: F401 (browser is a fixture)
from rtl_checks import FACTS, drawn_mirrored, images_of, problems

pytestmark = MARKS
FIXTURE = Path(__file__).parent / "fixtures" / "quarto-html"
LAYER = "_html/rtl.css"
# Turns the page into Quarto's left-to-right original: no book stylesheets, dir="ltr".
LEFT_TO_RIGHT = """() => { document.documentElement.dir = "ltr";
  document.querySelectorAll('link[href^="_html/"]').forEach((link) => { link.disabled = true; }); }"""
WITHOUT_LAYER = f"""() => {{ document.querySelector('link[href="{LAYER}"]').disabled = true; }}"""


@pytest.fixture(scope="module")
def quarto_page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture laid out as Quarto lays out _book/: the page in report/, the book's
    stylesheets in report/_html/, the fonts in fonts/, Quarto's in site_libs/."""
    site = tmp_path_factory.mktemp("quarto-site")
    shutil.copytree(FIXTURE / "site_libs", site / "site_libs")
    shutil.copytree(FIXTURE / "report", site / "report")
    shutil.copytree(PROJECT_ROOT / "report" / "_html", site / "report" / "_html")
    shutil.copytree(PROJECT_ROOT / "fonts", site / "fonts")
    return site / "report" / "chapter.html"


@pytest.fixture
def open_page(browser, quarto_page_file: Path):
    """Opens the page (optionally changed by a script first), offline, recording failures."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    failures: list[str] = []

    def opened(change: str | None = None):
        page = context.new_page()
        page.on("pageerror", lambda error: failures.append(str(error)))
        page.on("requestfailed", lambda request: failures.append(f"failed to load {request.url}"))
        page.goto(quarto_page_file.as_uri(), wait_until="load")
        if change:   # without transitions, which would still be running when the page is measured
            page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
            page.evaluate(change)
        page.evaluate("document.fonts.ready")
        return page

    yield opened
    assert not failures
    context.close()


def test_a_quarto_page_reads_right_to_left_with_the_layer(open_page):
    assert problems(open_page().evaluate(FACTS)) == []


def test_without_the_layer_the_same_checks_find_quartos_left_to_right_sides(open_page):
    found = "\n".join(problems(open_page(WITHOUT_LAYER).evaluate(FACTS)))
    for what in ["a list", "contents entry", "callout", "quotation", "arrow is not turned", "closed part's chevron", "table cell is aligned left"]:
        assert what in found, f"the checks miss Quarto's own {what!r}:\n{found}"


# The elements whose sides the layer mirrors, one of each kind on the page.
MIRRORED_ELEMENTS = [
    "main > ul", "main > ul ol", "dd", "blockquote",
    "#quarto-sidebar", "#quarto-sidebar > .sidebar-menu-container", ".sidebar-section", ".sidebar-item-toggle .bi",
    "#TOC > ul", "#TOC > ul > li > a.active", "#TOC > ul > li > a:not(.active)", "#TOC ul ul a", ".quarto-other-links i.bi",
    ".callout-note", ".callout-warning", ".callout-tip", ".callout-important", ".callout-caution",
    ".callout-note > .callout-header", ".callout-note .callout-icon-container", ".callout-tip .callout-body",
    ".callout-tip .callout-icon-container", ".callout-warning > .callout-header", ".callout-btn-toggle",
    ".quarto-title-breadcrumbs .breadcrumb-item + .breadcrumb-item", ".footnotes ol",
]
SIDES = """(selectors) => selectors.map((s) => { const el = document.querySelector(s); if (!el) return null; const c = getComputedStyle(el);
  const pairs = {}; for (const [name, left, right] of [["padding", "padding-left", "padding-right"], ["margin", "margin-left", "margin-right"],
      ["border width", "border-left-width", "border-right-width"], ["border style", "border-left-style", "border-right-style"],
      ["border colour", "border-left-color", "border-right-color"], ["top radius", "border-top-left-radius", "border-top-right-radius"],
      ["bottom radius", "border-bottom-left-radius", "border-bottom-right-radius"]]) pairs[name] = [c.getPropertyValue(left), c.getPropertyValue(right)];
  const b = getComputedStyle(el, "::before"); pairs["::before padding"] = [b.paddingLeft, b.paddingRight];
  return {pairs, float: c.float, styles: [c.borderLeftStyle, c.borderRightStyle], beforeFloat: b.float}; })"""


def test_every_side_of_quartos_page_is_mirrored(open_page):
    """Left to right as Quarto draws it, and right to left with the layer: each left is the other's right."""
    original = open_page(LEFT_TO_RIGHT).evaluate(SIDES, MIRRORED_ELEMENTS)
    mirrored = open_page().evaluate(SIDES, MIRRORED_ELEMENTS)
    flip = {"left": "right", "right": "left", "none": "none"}
    wrong = []
    for selector, ltr, rtl in zip(MIRRORED_ELEMENTS, original, mirrored):
        assert ltr and rtl, f"{selector} is not on the fixture page"
        for name, (left, right) in ltr["pairs"].items():
            if name == "border colour":   # a colour shows only where there is a rule
                left, right = (left if ltr["styles"][0] != "none" else None), (right if ltr["styles"][1] != "none" else None)
                got = [c if s != "none" else None for c, s in zip(rtl["pairs"][name], rtl["styles"])]
            else:
                got = rtl["pairs"][name]
            if got != [right, left]:
                wrong.append(f"{selector} {name}: left-to-right {left} | {right}, right-to-left {got[0]} | {got[1]}")
        if flip[ltr["float"]] != rtl["float"] or flip[ltr["beforeFloat"]] != rtl["beforeFloat"]:
            wrong.append(f"{selector} floats {ltr['float']}/{ltr['beforeFloat']} and {rtl['float']}/{rtl['beforeFloat']}")
    assert wrong == []


@pytest.mark.parametrize("selector", [".nav-page .bi", ".sidebar-item-toggle.collapsed .bi", ".callout-header.collapsed .callout-toggle"])
def test_arrows_and_chevrons_are_drawn_turned_over(open_page, selector: str):
    originals, turned = images_of(open_page(LEFT_TO_RIGHT), selector), images_of(open_page(), selector)
    assert originals and len(originals) == len(turned)
    assert all(drawn_mirrored(a, b) for a, b in zip(originals, turned))
    assert not any(drawn_mirrored(a, b) for a, b in zip(originals, images_of(open_page(WITHOUT_LAYER), selector)))


def test_the_breadcrumb_divider_points_from_the_part_to_the_chapter(open_page):
    page = open_page()
    divider = page.evaluate("""() => { const li = document.querySelector('.quarto-title-breadcrumbs .breadcrumb-item + .breadcrumb-item');
        const b = getComputedStyle(li, '::before'); return [b.content, b.float, b.unicodeBidi]; }""")
    assert divider == ['"<"', "right", "bidi-override"]


def test_code_keeps_its_order_around_a_persian_string(open_page):
    """print("سلام", -0.53): each token is a bidi unit, so the comma and the number stay after the string."""
    page = open_page()
    order = page.evaluate("""() => { const line = document.querySelector('#cb1-1'); const left = (el) => el.getBoundingClientRect().left;
        return [...line.querySelectorAll('span')].map(left); }""")
    assert order == sorted(order), "the tokens of the line are not drawn left to right in order"


def test_screenshot_of_the_quarto_page_for_a_person_to_look_at(open_page, quarto_page_file: Path):
    shot = quarto_page_file.parent / "quarto-page-rtl.png"
    open_page().screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
