"""The smoke site in a real browser (whatever Chromium is here, driven by Playwright), offline.

On every chapter page: right-to-left text with left-to-right code and tables, the book's
contents on the right, Vazirmatn loaded, math rendered in its math font, every image loaded, no request
leaving the machine and no console error. A screenshot of one page is kept for a person.
"""

from __future__ import annotations

import re
from pathlib import Path

from hw3render import qmd
from hw3render.config import load_book
from hw3core.settings import PROJECT_ROOT

from browsing import LOCAL_SCHEMES, MARKS, browser  # noqa: F401 (browser is a fixture)

TEX_MATH = re.compile(r"\$[^$\s][^$]*\$")
RAW_TEX = re.compile(r"\$[^$\n]+\$|\\(?:frac|sum|times|alpha|beta|theta|sigma|mathbf|mathcal|left|right|cdot|sqrt)\b")

pytestmark = MARKS

# Everything the checks need from a page, read after its fonts have loaded.
FACTS = """async () => {
  await document.fonts.ready;
  const direction = (el) => getComputedStyle(el).direction;
  const loaded = (family) => [...document.fonts].filter((f) => f.family.replaceAll('"', "") === family && f.status === "loaded").length;
  const box = (selector) => { const el = document.querySelector(selector); if (!el) return null; const r = el.getBoundingClientRect(); return {left: r.left, right: r.right}; };
  const article = document.querySelector("article");
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, math, script, style").forEach((el) => el.remove());
  return {
    html: direction(document.documentElement),
    body: direction(document.body),
    paragraphs: [...article.querySelectorAll("p")].map(direction),
    code: [...article.querySelectorAll("pre")].map(direction),
    tables: [...article.querySelectorAll("table")].map(direction),
    math: [...article.querySelectorAll("math")].map((m) => m.getBoundingClientRect().width),
    images: [...document.images].map((img) => ({src: img.getAttribute("src"), width: img.naturalWidth, complete: img.complete})),
    prose: prose.innerText,
    vazirmatn: loaded("Vazirmatn"),
    mathFont: loaded("DejaVu Math TeX Gyre"),
    sidebar: box("nav.sidebar"), content: box("main.content"),
    prev: box(".page-nav .prev"), next: box(".page-nav .next"),
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
        checks = {
            "html/body not right-to-left": facts["html"] != "rtl" or facts["body"] != "rtl",
            "a paragraph not right-to-left": any(d != "rtl" for d in facts["paragraphs"]),
            "code not left-to-right": any(d != "ltr" for d in facts["code"]),
            "a table not left-to-right": any(d != "ltr" for d in facts["tables"]),
            "Vazirmatn not loaded": facts["vazirmatn"] == 0,
            "the book's contents not right of the text": facts["sidebar"]["left"] < facts["content"]["right"],
            "previous chapter not right of the next": bool(facts["prev"] and facts["next"]) and facts["prev"]["left"] < facts["next"]["right"],
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
