"""What "right to left" means for a book page, measured in the browser.

The same checks hold for a Quarto page with report/_html/rtl.css (test_rtl_layer.py) and
for a page of `hw3 render` (test_browser.py): both have a Quarto book page's markup, so
the selectors below are Quarto's (#quarto-sidebar, nav[role=doc-toc], .callout,
.nav-page-previous, ...). Each check reads computed styles and boxes, never the CSS.
"""

from __future__ import annotations

import io
import re

from PIL import Image, ImageChops, ImageOps

# Everything the checks need from one page, read after its fonts have loaded.
FACTS = """async () => {
  await document.fonts.ready;
  const px = (v) => parseFloat(v) || 0;
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
  const shown = (el) => el.getClientRects().length > 0;
  const sides = (el) => { const c = getComputedStyle(el); return {
    pl: px(c.paddingLeft), pr: px(c.paddingRight), bl: px(c.borderLeftWidth), br: px(c.borderRightWidth),
    blc: c.borderLeftColor, brc: c.borderRightColor, bls: c.borderLeftStyle, brs: c.borderRightStyle }; };
  const main = document.querySelector("main");
  const content = [...main.querySelectorAll("ul, ol")].filter((l) => shown(l) && !l.closest("nav, .breadcrumb, .callout, table, .footnotes, .list-unstyled"));
  const icon = (link) => { const i = link && link.querySelector(".bi"); if (!i) return null; const b = getComputedStyle(i, "::before");
    return {box: box(i), text: box(link.querySelector(".nav-page-text")), transform: b.transform, display: b.display}; };
  const glyphOrder = (cell) => { const text = cell.textContent.trim(); const node = [...cell.querySelectorAll("*"), cell]
      .flatMap((el) => [...el.childNodes]).find((n) => n.nodeType === 3 && n.textContent.trim() === text);
    if (!node || text.length < 2) return null; const offset = node.textContent.indexOf(text);
    const at = (i) => { const r = document.createRange(); r.setStart(node, offset + i); r.setEnd(node, offset + i + 1); return r.getBoundingClientRect().left; };
    return {text, firstLeft: at(0), lastLeft: at(text.length - 1)}; };
  return {
    lists: content.map((l) => ({tag: l.tagName, ...sides(l)})),
    sidebar: box(document.getElementById("quarto-sidebar")),
    margin: box(document.getElementById("quarto-margin-sidebar")),
    content: box(document.getElementById("quarto-document-content")),
    sections: [...document.querySelectorAll(".sidebar-section")].filter(shown).map(sides),
    toc: [...document.querySelectorAll('nav[role="doc-toc"] > ul a')].filter(shown).map((a) => ({active: a.classList.contains("active"), ...sides(a)})),
    callouts: [...document.querySelectorAll(".callout")].map((c) => ({kind: c.className, ...sides(c), top: getComputedStyle(c).borderTopColor})),
    quotes: [...main.querySelectorAll("blockquote")].map(sides),
    prev: box(document.querySelector(".nav-page-previous a")), next: box(document.querySelector(".nav-page-next a")),
    prevIcon: icon(document.querySelector(".nav-page-previous a")), nextIcon: icon(document.querySelector(".nav-page-next a")),
    chevrons: [...document.querySelectorAll(".sidebar-item-toggle")].map((t) => ({expanded: t.getAttribute("aria-expanded"),
      transform: getComputedStyle(t.querySelector(".bi"), "::before").transform})),
    tables: [...main.querySelectorAll("table")].filter(shown).map((t) => {
      const heads = [...t.querySelectorAll("thead th")].map(box);
      return {direction: getComputedStyle(t).direction, firstHead: heads[0], lastHead: heads[heads.length - 1],
        cells: [...t.querySelectorAll("td, th")].map((c) => ({align: getComputedStyle(c).textAlign, order: glyphOrder(c)}))}; }),
    code: [...main.querySelectorAll("pre")].map((p) => getComputedStyle(p).direction),
  };
}"""

NUMBER = r"^-?[\d.,]+%?$"
MIRRORED = "matrix(-1, 0, 0, 1, 0, 0)"


def problems(facts: dict) -> list[str]:
    """What in the facts of one page is not right to left, each as one line."""
    found = []
    for item in facts["lists"]:
        if not (item["pr"] > 0 and item["pl"] == 0):
            found.append(f"a list ({item['tag']}) is indented on the left: {item}")
    if facts["sidebar"] and facts["content"] and facts["sidebar"]["left"] < facts["content"]["right"] - 1:
        found.append("the book's contents are not right of the text")
    if facts["margin"] and facts["margin"]["width"] and facts["margin"]["right"] > facts["content"]["left"] + 1:
        found.append("the page's table of contents is not left of the text")
    found += [f"a sidebar section is indented on the left: {s}" for s in facts["sections"] if not (s["pr"] > 0 and s["pl"] == 0)]
    for link in facts["toc"]:
        if not (link["br"] > 0 and link["bl"] == 0 and link["pr"] > 0 and link["pl"] == 0):
            found.append(f"a contents entry has its rule or indent on the left: {link}")
    active = [link for link in facts["toc"] if link["active"]]
    inactive = [link for link in facts["toc"] if not link["active"]]
    if facts["toc"] and len(active) != 1:
        found.append(f"{len(active)} contents entries are marked as the section in view, not one")
    if active and inactive and active[0]["brc"] == inactive[0]["brc"]:
        found.append("the marker of the section in view does not stand out on the right")
    for callout in facts["callouts"]:
        if not (callout["br"] > callout["bl"] and callout["brs"] == "solid" and callout["brc"] != callout["top"]):
            found.append(f"a callout's coloured rule is not on the right: {callout}")
    found += [f"a quotation's rule is on the left: {q}" for q in facts["quotes"] if not (q["br"] > 0 and q["bl"] == 0)]
    if facts["prev"] and facts["next"] and facts["prev"]["left"] < facts["next"]["right"]:
        found.append("the previous chapter is not right of the next")
    for name, icon, outward in (("previous", facts["prevIcon"], "right"), ("next", facts["nextIcon"], "left")):
        if icon is None:
            continue
        on_the_outside = icon["box"]["left"] >= icon["text"]["right"] if outward == "right" else icon["box"]["right"] <= icon["text"]["left"]
        if not on_the_outside:
            found.append(f"the {name} chapter's arrow is not on its {outward}")
        if icon["transform"] != MIRRORED or icon["display"] == "inline":
            found.append(f"the {name} chapter's arrow is not turned to point {outward}: {icon['transform']} {icon['display']}")
    for chevron in facts["chevrons"]:
        if chevron["expanded"] == "false" and chevron["transform"] != MIRRORED:
            found.append(f"a closed part's chevron does not point left: {chevron['transform']}")
    for table in facts["tables"]:
        if table["direction"] != "rtl" or (table["firstHead"] and table["firstHead"]["left"] < table["lastHead"]["left"]):
            found.append("a table's first column is not at the right")
        for cell in table["cells"]:
            if cell["align"] not in ("right", "center"):
                found.append(f"a table cell is aligned {cell['align']}")
            order = cell["order"]
            if order and (re.match(NUMBER, order["text"]) or re.match(r"^[A-Za-z]", order["text"])) and order["firstLeft"] > order["lastLeft"]:
                found.append(f"a table cell does not read left to right: {order['text']!r}")
    found += [f"a code block reads {d}" for d in facts["code"] if d != "ltr"]
    return found


def images_of(page, selector: str) -> list[Image.Image]:
    """A picture of each element that matches, as drawn."""
    return [Image.open(io.BytesIO(element.screenshot())).convert("L") for element in page.locator(selector).all()]


def drawn_mirrored(left_to_right: Image.Image, right_to_left: Image.Image) -> bool:
    """Whether a glyph drawn right to left is the left-to-right one turned over, not the same.

    Each picture is cut to its ink first, since the two boxes may differ in height with
    the book's fonts (which only the right-to-left page loads)."""
    def ink(image: Image.Image) -> Image.Image:
        inverted = ImageOps.invert(image)
        return inverted.crop(inverted.point(lambda v: 255 if v > 40 else 0).getbbox())

    a = ink(left_to_right)
    b = ink(right_to_left).resize(a.size)
    distance = lambda x, y: sum(ImageChops.difference(x, y).get_flattened_data())  # noqa: E731
    return distance(ImageOps.mirror(a), b) < distance(a, b)
