"""Checks of a typeset right-to-left book PDF that look at the result, not at the sources.

Each `*_problems` function returns a list of readable problems, empty when the PDF is
right, so a test is `assert not heading_number_problems(doc)` and a failure says what and
where. They read the PDF with PyMuPDF: glyph boxes from `page.get_text("rawdict")`, the
headings from the PDF outline Typst writes (`doc.get_toc()`: level, "1.2 title", page).

Words are compared after `normalize`: zero-width non-joiners and other formatting
characters and Arabic diacritics (the ezafe hamza, tanwin, damma) left out, as the text
layer stores them (hw3render.pdf_text) and as a reader types a search.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pymupdf

# Arabic-script letters (not digits, punctuation such as «،» and «؛», or the tatweel).
ARABIC_WORD = re.compile(r"[\u0621-\u063A\u0641-\u064A\u066E\u066F\u0671-\u06D3\u06D5\u06FA-\u06FC\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFC]{2,}")
NUMBER = re.compile(r"^[0-9A-Z]+(\.[0-9]+)*$")
ABJAD = ["الف", "ب", "ج", "د", "ه", "و", "ز", "ح", "ط", "ی", "ک", "ل", "م", "ن", "س", "ع", "ف", "ص", "ق", "ر", "ش", "ت", "ث", "خ", "ذ", "ض", "ظ", "غ"]
MARGIN = 72.0  # header and footer bands: above / below this many points from the edge


def normalize(text: str) -> str:
    """Text as the searchable layer holds it: no formatting characters, no diacritics."""
    text = unicodedata.normalize("NFC", text).replace("ي", "ی").replace("ك", "ک")
    return "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn"))


def _squeeze(text: str) -> str:
    """Normalized text without spaces: extractors space mixed-direction runs differently."""
    return re.sub(r"\s+", "", normalize(text))


def _tokens(text: str) -> list[str]:
    """The words of a text, punctuation left out, a Persian run apart from a Latin or numeric
    one (extractors glue «دانشجوName» where the two directions meet)."""
    return re.findall(ARABIC_WORD.pattern.replace("{2,}", "+") + r"|[^\W_\u0600-\u06FF]+(?:[.,][0-9]+)*", normalize(text))


def persian_words(text: str) -> Counter:
    """The Persian words of a text (two letters or more), normalized, with their counts."""
    return Counter(ARABIC_WORD.findall(normalize(text)))


def _chars(page: pymupdf.Page) -> list[dict]:
    """Every glyph of the page: its character, box, size, font and line."""
    out = []
    for b, block in enumerate(page.get_text("rawdict")["blocks"]):
        for l, line in enumerate(block.get("lines", [])):
            for span in line["spans"]:
                for char in span["chars"]:
                    out.append({"c": char["c"], "box": pymupdf.Rect(char["bbox"]), "size": span["size"],
                                "font": span["font"], "line": (b, l)})
    return out


def body_size(doc: pymupdf.Document) -> float:
    """The size of the body text: the most common glyph size."""
    sizes = Counter(round(c["size"], 1) for page in doc for c in _chars(page) if not c["c"].isspace())
    return sizes.most_common(1)[0][0]


def _band(page: pymupdf.Page, top: bool) -> str:
    """The text of the page's header (top) or footer band."""
    limit = MARGIN if top else page.rect.height - MARGIN
    spans = [s for b in page.get_text("dict")["blocks"] for l in b.get("lines", []) for s in l["spans"]
             if (s["bbox"][3] <= limit if top else s["bbox"][1] >= limit)]
    return " ".join(s["text"] for s in spans).strip()


# --- headings -------------------------------------------------------------------------------

def heading_number_problems(doc: pymupdf.Document) -> list[str]:
    """Every numbered heading: its number's glyphs apart from the title's and on their right
    (the reading side of this right-to-left book).

    The number is the first word of the outline entry ("1.2 (آ) کانولوشن معمولی"); it is
    looked for among the glyphs larger than the body text on the heading's page, as a run of
    consecutive glyphs; the title's glyphs are the other glyphs of the same size on the rows
    the number's box spans.
    """
    problems, large = [], body_size(doc) * 1.15
    for level, title, page_number in doc.get_toc():
        number, _, rest = title.partition(" ")
        if not NUMBER.match(number) or not rest:
            continue
        chars = [c for c in _chars(doc[page_number - 1]) if c["size"] > large]
        box = None
        for i in range(len(chars) - len(number) + 1):
            run = chars[i:i + len(number)]
            if "".join(c["c"] for c in run) == number and len({c["line"] for c in run}) == 1:
                box = pymupdf.Rect(run[0]["box"])
                for c in run[1:]:
                    box |= c["box"]
                size, used = run[0]["size"], {id(c) for c in run}
                break
        where = f"page {page_number}, heading {title!r}"
        if box is None:
            problems.append(f"{where}: its number is not drawn as glyphs of its own")
            continue
        title_chars = [c for c in chars if id(c) not in used and abs(c["size"] - size) < 0.2 and not c["c"].isspace()
                       and c["box"].y0 < box.y1 and c["box"].y1 > box.y0]
        if not title_chars:
            problems.append(f"{where}: no title glyphs beside its number")
            continue
        overlapping = [c["c"] for c in title_chars if (c["box"] & box).get_area() > 0.5]
        if overlapping:
            problems.append(f"{where}: the number overlaps the title's glyphs {''.join(overlapping)!r}")
        rightmost = max(c["box"].x1 for c in title_chars)
        if box.x0 < rightmost - 0.5:
            problems.append(f"{where}: the number (x {box.x0:.1f}) is not on the title's right (x {rightmost:.1f})")
    return problems


# --- running headers, contents, cover, page numbers ----------------------------------------

def running_header_problems(doc: pymupdf.Document, chapter_word: str, parts: list[str]) -> list[str]:
    """Every main-matter page that opens no chapter or part has a header naming its chapter.

    A numbered chapter's header reads «<chapter_word> N: title», an unnumbered one's its
    title; no header holds the English "Chapter".
    """
    problems = []
    chapters = [(page, title) for level, title, page in doc.get_toc() if level == 1]
    if not chapters:
        return ["the PDF outline has no chapters"]
    openers = {page for page, _ in chapters}
    for index in range(chapters[0][0] - 1, len(doc)):
        page = doc[index]
        header = normalize(_band(page, top=True))
        number = index + 1
        if "Chapter" in header:
            problems.append(f"page {number}: header in English: {header!r}")
        if number in openers or any(normalize(part) in normalize(page.get_text()) and not header for part in parts):
            continue
        current = [title for start, title in chapters if start <= number][-1]
        head, _, name = current.partition(" ")
        expected = f"{chapter_word} {head}: {name}" if NUMBER.match(head) else current
        if _squeeze(expected) not in _squeeze(header):
            problems.append(f"page {number}: header {header!r} does not read {normalize(expected)!r}")
    return problems


def contents_problems(doc: pymupdf.Document, title: str) -> list[str]:
    """The contents page: titled `title`, entries at the right, page numbers at the left.

    Each chapter of the outline has a row whose title ends at the right edge of the text
    and whose page number stands apart at the left, with the dot leaders between them.
    """
    page = next((p for p in doc if normalize(title) in normalize(p.get_text())), None)
    if page is None:
        return [f"no page holds the contents title {title!r}"]
    problems = []
    words = page.get_text("words")
    right_edge = max(w[2] for w in words)
    for level, entry, number in doc.get_toc():
        if level != 1:
            continue
        name = entry.partition(" ")[2] if NUMBER.match(entry.partition(" ")[0]) else entry
        wanted = Counter(_tokens(name))
        lines = {}
        for w in words:
            lines.setdefault(round((w[1] + w[3]) / 2), []).append(w)
        scored = [(sum((Counter(t for w in line for t in _tokens(w[4])) & wanted).values()), line) for line in lines.values()]
        score, line = max(scored, key=lambda pair: pair[0])
        if score < sum(wanted.values()):
            continue  # on a later contents page
        printed = normalize(_band(doc[number - 1], top=False))
        numbers = [w for w in line if w[4] == printed]
        if not numbers:
            problems.append(f"contents: {entry!r} has no page number {printed} on its row")
            continue
        text_words = [w for w in line if ARABIC_WORD.search(normalize(w[4])) or w[4][:1].isalpha()]
        if max(w[2] for w in line if w not in numbers) < right_edge - 40:
            problems.append(f"contents: {entry!r} does not reach the right edge")
        if numbers[0][2] > min(w[0] for w in text_words) - 6:
            problems.append(f"contents: the page number of {entry!r} is not apart at its left")
    return problems


def cover_problems(doc: pymupdf.Document, *expected: str) -> list[str]:
    """The first page shows every word of each expected value (a name, a number, a note)."""
    words = Counter(_tokens(doc[0].get_text()))
    return [f"the cover lacks {value!r}" for value in expected if Counter(_tokens(value)) - words]


def page_number_problems(doc: pymupdf.Document) -> list[str]:
    """Every page but the cover shows its number in the footer: the front matter, if any,
    in abjad letters (الف، ب، ...) or Roman numerals, then 1, 2, 3, ... without a gap."""
    problems, previous, front = [], None, 0
    for index in range(1, len(doc)):
        footer = normalize(_band(doc[index], top=False))
        if footer.isdigit():
            if previous is not None and int(footer) != previous + 1:
                problems.append(f"page {index + 1}: number {footer} after {previous}")
            previous = int(footer)
        elif previous is None and footer in ABJAD + ["i", "ii", "iii", "iv", "v", "vi"]:
            front += 1
            if footer in ABJAD and ABJAD.index(footer) != front - 1:
                problems.append(f"page {index + 1}: front-matter number {footer}, expected {ABJAD[front - 1]}")
        else:
            problems.append(f"page {index + 1}: no page number in the footer ({footer!r})")
    return problems


# --- text layer ----------------------------------------------------------------------------

def text_layer_problems(doc: pymupdf.Document, source: str, more: str = "") -> list[str]:
    """Every Persian word a page extracts is a word of what the book prints, and every
    Persian word of `source` (the body Markdown) is extracted somewhere, so «لایه» is
    found. `more` is what else the book may print: metadata, the `language:` words, the
    words citeproc adds (the Persian locale's «همکاران»)."""
    known = persian_words(source) + persian_words(more) + Counter(ABJAD)
    problems, found = [], Counter()
    for page in doc:
        words = persian_words(page.get_text())
        found += words
        unknown = sorted(set(words) - set(known))
        if unknown:
            problems.append(f"page {page.number + 1}: extracted words not in the source: {unknown[:8]}")
    missing = sorted(set(persian_words(source)) - set(found))
    if missing:
        problems.append(f"{len(missing)} source words are not extracted anywhere: {missing[:12]}")
    return problems


def found(doc: pymupdf.Document, word: str) -> int:
    """How many times `word` is in the extracted text (what a search finds)."""
    return sum(normalize(page.get_text()).count(normalize(word)) for page in doc)


# --- layout --------------------------------------------------------------------------------

def underfilled_pages(doc: pymupdf.Document, fill: float = 0.5) -> list[int]:
    """Pages (1-based) whose content ends above `fill` of the text area although the next
    page neither opens a chapter nor is a part page nor the end: what a float pushed to the
    next page leaves behind."""
    openers = {page for level, _, page in doc.get_toc() if level == 1}
    out = []
    for index in range(1, len(doc) - 1):
        page, number = doc[index], index + 1
        if number + 1 in openers or not _band(doc[index + 1], top=True):
            continue
        blocks = [b for b in page.get_text("dict")["blocks"] if MARGIN < b["bbox"][1] < page.rect.height - MARGIN]
        images = [info["bbox"] for info in page.get_image_info()]
        bottom = max([b["bbox"][3] for b in blocks] + [r[3] for r in images], default=0)
        area = page.rect.height - 2 * MARGIN
        if (bottom - MARGIN) / area < fill:
            out.append(number)
    return out


def blank_pages(doc: pymupdf.Document) -> list[int]:
    """Pages (1-based) with nothing between the header and footer bands: no text, no image."""
    out = []
    for page in doc:
        inside = pymupdf.Rect(0, MARGIN, page.rect.width, page.rect.height - MARGIN)
        if not page.get_text(clip=inside).strip() and not any(pymupdf.Rect(info["bbox"]).intersects(inside) for info in page.get_image_info()):
            out.append(page.number + 1)
    return out


def output_frame_problems(doc: pymupdf.Document, outputs: list[str]) -> list[str]:
    """Each cell output (found by its first line) is drawn inside exactly one box, a frame:
    stroked, not filled (a filled box is code's look; a second box is a frame doubled)."""
    problems = []
    for output in outputs:
        line = output.splitlines()[0]
        hits = [(page, box) for page in doc for box in page.search_for(line)]
        if not hits:
            problems.append(f"output {line!r} not found")
            continue
        page, box = hits[0]
        boxes = [d for d in page.get_drawings() if d["rect"].contains(box)]
        if len(boxes) != 1 or boxes[0]["fill"] is not None or boxes[0]["color"] is None:
            problems.append(f"page {page.number + 1}: output {line!r} is inside {[(d['type'], d['fill'], d['color']) for d in boxes]}, not one frame")
    return problems


def pipe_table(markdown: str, label: str | None = None) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a Markdown pipe table: the first in `markdown`, or the one
    inside `::: {#label}`."""
    if label is not None:
        markdown = markdown[markdown.index(f"{{#{label}}}"):]
    lines = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    return cells[0], cells[2:]


def _cell_boxes(words: list, text: str) -> list[pymupdf.Rect]:
    """Boxes of the places a cell's text is drawn: its words side by side on one row (in
    whatever order the extractor gives them; punctuation left out)."""
    tokens = _tokens(text)
    if not tokens:
        return []
    pieces = [(pymupdf.Rect(w[:4]), _tokens(w[4])) for w in words]
    out = []
    for box, drawn in pieces:
        if tokens[0] not in drawn:
            continue
        chosen, need = pymupdf.Rect(box), Counter(tokens) - Counter(drawn)
        row = [(b, t) for b, t in pieces if abs(b.y0 - box.y0) < 2 and b != box]
        while need:
            near = [(b, t) for b, t in row if Counter(t) & need and min(abs(b.x0 - chosen.x1), abs(chosen.x0 - b.x1)) < 12]
            if not near:
                break
            chosen |= near[0][0]
            need -= Counter(near[0][1])
            row.remove(near[0])
        if not need:
            out.append(chosen)
    return out


def table_column_problems(doc: pymupdf.Document, header: list[str], rows: list[list[str]]) -> list[str]:
    """A table's header cells sit over their columns, the first column at the right.

    Finds the page and row where all header cells are drawn, then each body cell whose text
    is unique in its row; a header cell must overlap horizontally every such cell of its
    column more than any cell of another column, and the columns run right to left.
    """
    for page in doc:
        words = page.get_text("words")
        heads = [_cell_boxes(words, h) for h in header]
        if not all(heads):
            continue
        for top in heads[0]:
            row_heads = [next((b for b in boxes if abs(b.y0 - top.y0) < 3), None) for boxes in heads]
            if None in row_heads:
                continue
            problems = []
            centres = [(b.x0 + b.x1) / 2 for b in row_heads]
            if centres != sorted(centres, reverse=True):
                problems.append(f"page {page.number + 1}: header cells not right to left: {header}")
            for row in rows:
                for j, cell in enumerate(row):
                    if row.count(cell) > 1 or not _tokens(cell):
                        continue
                    below = [b for b in _cell_boxes(words, cell) if b.y0 > top.y1 - 1 and b.y0 < top.y1 + 20 * (len(rows) + 1)]
                    if not below:
                        problems.append(f"page {page.number + 1}: cell {cell!r} not found under the header")
                        continue
                    box = below[0]
                    overlap = [max(0.0, min(h.x1, box.x1) - max(h.x0, box.x0)) for h in row_heads]
                    if overlap[j] <= 0 or overlap[j] < max(overlap):
                        problems.append(f"page {page.number + 1}: cell {cell!r} is not under its header {header[j]!r}")
            return problems
    return [f"no page draws the header row {header}"]
