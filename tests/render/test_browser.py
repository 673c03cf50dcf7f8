"""The smoke site in a real browser (whatever Chromium is here, driven by Playwright), offline.

On every chapter page: right-to-left text and layout as rtl_checks.py defines it (the same
checks as for a Quarto page, test_rtl_layer.py), left-to-right code, Vazirmatn loaded,
math rendered in its math font, every image loaded, no request leaving the machine and no
console error. A screenshot of one page is kept for a person.
"""

from __future__ import annotations

import re
from pathlib import Path

from hw3render import qmd
from hw3render.config import load_book
from hw3core.settings import PROJECT_ROOT

from browsing import LOCAL_SCHEMES, MARKS, browser  # noqa: F401 (browser is a fixture)
from rtl_checks import FACTS as LAYOUT, drawn_mirrored, images_of, problems as not_right_to_left

TEX_MATH = re.compile(r"\$[^$\s][^$]*\$")
RAW_TEX = re.compile(r"\$[^$\n]+\$|\\(?:frac|sum|times|alpha|beta|theta|sigma|mathbf|mathcal|left|right|cdot|sqrt)\b")

pytestmark = MARKS

# Everything the checks need from a page, read after its fonts have loaded.
FACTS = """async () => {
  await document.fonts.ready;
  const direction = (el) => getComputedStyle(el).direction;
  const loaded = (family) => [...document.fonts].filter((f) => f.family.replaceAll('"', "") === family && f.status === "loaded").length;
  const article = document.querySelector("article");
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, math, script, style").forEach((el) => el.remove());
  return {
    html: direction(document.documentElement),
    body: direction(document.body),
    paragraphs: [...article.querySelectorAll("p")].map(direction),
    math: [...article.querySelectorAll("math")].map((m) => m.getBoundingClientRect().width),
    images: [...document.images].map((img) => ({src: img.getAttribute("src"), width: img.naturalWidth, complete: img.complete})),
    prose: prose.innerText,
    vazirmatn: loaded("Vazirmatn"),
    mathFont: loaded("DejaVu Math TeX Gyre"),
  };
}"""


def has_math(source: Path) -> bool:
    """Whether the chapter's prose (not its code) holds TeX math."""
    blocks = qmd.parse(source.read_text(encoding="utf-8"))
    prose = [re.sub(r"```.*?```|`[^`]*`", "", b.text, flags=re.S) for b in blocks if b.kind == "markdown"]
    return any(TEX_MATH.search(text) for text in prose)


def test_every_chapter_page_reads_right_to_left_offline(browser, smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    problems: list[str] = []
    for chapter in book.chapters:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: errors.append(f"failed to load {request.url}"))
        page.goto((smoke_book / chapter.html_path).as_uri(), wait_until="load")
        facts = page.evaluate(FACTS)
        name = str(chapter.html_path)
        layout = not_right_to_left(page.evaluate(LAYOUT))
        checks = {
            "html/body not right-to-left": facts["html"] != "rtl" or facts["body"] != "rtl",
            "a paragraph not right-to-left": any(d != "rtl" for d in facts["paragraphs"]),
            f"not right to left: {layout}": bool(layout),
            "Vazirmatn not loaded": facts["vazirmatn"] == 0,
            "math in the source but none rendered": has_math(PROJECT_ROOT / chapter.source) and not facts["math"],
            "a math element with no width": any(width <= 0 for width in facts["math"]),
            "math without its math font": bool(facts["math"]) and facts["mathFont"] == 0,
            f"raw TeX in the text: {RAW_TEX.findall(facts['prose'])[:3]}": bool(RAW_TEX.search(facts["prose"])),
            f"images not loaded: {[i['src'] for i in facts['images'] if not (i['complete'] and i['width'] > 0)]}": any(
                not (i["complete"] and i["width"] > 0) for i in facts["images"]
            ),
            f"console errors: {errors}": bool(errors),
        }
        problems += [f"{name}: {what}" for what, failed in checks.items() if failed]
        page.close()
    if outside:
        problems.append(f"requests left the machine: {outside}")
    assert not problems, "\n".join(problems)
    context.close()


def test_the_pages_have_what_the_right_to_left_checks_look_at(browser, smoke_book: Path):
    """The checks above are about something: the book has lists, parts, contents with a
    marked entry, callouts, tables with numbers and Latin names, and a previous and a next chapter."""
    book = load_book(PROJECT_ROOT, "smoke")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    seen = {"lists": 0, "sections": 0, "toc": 0, "callouts": 0, "tables": 0, "prevIcon": 0, "nextIcon": 0, "chevrons": 0}
    numbers = latin = 0
    for chapter in book.chapters:
        page.goto((smoke_book / chapter.html_path).as_uri(), wait_until="load")
        facts = page.evaluate(LAYOUT)
        for key in seen:
            seen[key] += bool(facts[key])
        orders = [cell["order"]["text"] for table in facts["tables"] for cell in table["cells"] if cell["order"]]
        numbers += sum(bool(re.match(r"^-?[\d.,]+%?$", text)) for text in orders)
        latin += sum(bool(re.match(r"^[A-Za-z]", text)) for text in orders)
    page.close()
    assert all(seen.values()) and numbers and latin, (seen, numbers, latin)


CLOSED_AND_ARROWS = '.nav-page .bi, .sidebar-item-toggle[aria-expanded="false"] .bi'


def test_arrows_and_a_closed_parts_chevron_are_drawn_turned_over(browser, smoke_book: Path):
    """Against the same page left to right without rtl.css (hw3.css draws the icons)."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto((smoke_book / "report" / "t2-densenet.html").as_uri(), wait_until="load")
    page.click(".sidebar-item-toggle")                       # closes the part
    turned = images_of(page, CLOSED_AND_ARROWS)
    page.add_style_tag(content="*, *::before { transition: none !important; }")
    page.evaluate("""() => { document.documentElement.dir = "ltr";
        document.querySelector('link[href$="rtl.css"]').disabled = true; }""")
    originals = images_of(page, CLOSED_AND_ARROWS)
    page.close()
    assert len(turned) == len(originals) == 3
    assert all(drawn_mirrored(a, b) for a, b in zip(originals, turned))


def test_screenshot_of_a_chapter_for_a_person_to_look_at(browser, smoke_book: Path):
    book = load_book(PROJECT_ROOT, "smoke")
    chapter = next(c for c in book.chapters if c.number is not None)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto((smoke_book / chapter.html_path).as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready")
    shot = smoke_book / "screenshots" / f"{chapter.stem}.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
