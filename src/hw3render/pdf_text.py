"""The text layer of a right-to-left PDF written by Typst, made searchable.

Typst (0.14 and 0.15 alike) writes each glyph's text in its font's ToUnicode map: one
entry per glyph for the whole document, holding the characters of the first cluster the
glyph was drawn for, the whole cluster for every glyph of it. It writes a right-to-left
run's glyphs in display order inside `/ReversedChars` marked content (PDF 32000
§14.8.2.5.3), which text extractors undo by reversing the run character by character
(PyMuPDF and poppler's pdftotext both do). For Persian in Vazirmatn that goes wrong in
four ways:

- a ligature, «لا» = <0644 0627> in reading order: reversed with the run it reads «ال»,
  so «لایه» is extracted as «الیه» and a search for it finds nothing;
- a letter and its mark drawn as two glyphs («نُ», «اً»): both glyphs carry both
  characters, so the text doubles («ُنُنرم», «تقریبًاًا»);
- a letter composed with its mark into one glyph («هٔ» = <0647 0654>): reversed, the mark
  lands on the letter before (poppler), and MuPDF scrambles the word when the mark comes
  first;
- an invisible formatting character that shaping merged into the next glyph's cluster, a
  zero-width non-joiner (<200C 06AF>) or the end of a left-to-right embedding (<0633
  202C>): being per glyph, it then sticks to every occurrence of that glyph, in words that
  have none («ر‌هبر»).

So an entry of two or more characters loses its formatting characters, and in Arabic
script its marks: what is left, if two letters or more, is stored in display order like
the glyphs around it. A mark drawn as a glyph of its own (Typst gives it a text object of
its own, and sometimes an /ActualText of the whole cluster, as it does to the letter) is
marked as standing for no text (an empty /ActualText), and an /ActualText of letters and
marks keeps its letters. The text layer then reads as the source does with zero-width
non-joiners and diacritics left out, the way a reader types a search; the glyphs and their
places do not change. PyMuPDF and pdftotext agree on the result (tests/render).
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import unicodedata
from pathlib import Path

import pymupdf

BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
ENTRY = re.compile(rb"<([0-9A-Fa-f]+)>(\s*)<([0-9A-Fa-f]*)>")
NUMBER = r"-?\d+(?:\.\d+)?"


def _arabic(char: str) -> bool:
    code = ord(char)
    return (0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF
            or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF)


def display_text(text: str) -> str:
    """What a glyph standing for `text` (a cluster of Typst's) should extract as."""
    if len(text) < 2:
        return text
    kept = "".join(c for c in text if unicodedata.category(c) != "Cf") or text
    if not any(_arabic(c) for c in kept):
        return kept
    letters = "".join(c for c in kept if unicodedata.category(c) != "Mn") or kept
    return letters[::-1]


def _is_mark_glyph(text: str, advance: float) -> bool:
    """A glyph without advance whose cluster holds an Arabic combining mark."""
    return advance == 0 and any(_arabic(c) and unicodedata.category(c) == "Mn" for c in text)


def _advances(doc: pymupdf.Document, font: int) -> tuple[dict[int, float], float]:
    """The widths of a Type0 font's glyphs by CID (its descendant's /W and /DW)."""
    descendant = int(re.search(r"(\d+) 0 R", doc.xref_get_key(font, "DescendantFonts")[1]).group(1))
    kind, default = doc.xref_get_key(descendant, "DW")
    widths: dict[int, float] = {}
    kind_w, w = doc.xref_get_key(descendant, "W")
    if kind_w == "xref":
        w = doc.xref_object(int(w.split()[0]))
    tokens = re.findall(rf"\[|\]|{NUMBER}", w if kind_w != "null" else "")[1:-1]
    i = 0
    while i < len(tokens):
        first = int(float(tokens[i]))
        if tokens[i + 1] == "[":
            j = i + 2
            while tokens[j] != "]":
                widths[first + j - i - 2] = float(tokens[j])
                j += 1
            i = j + 1
        else:
            for cid in range(first, int(float(tokens[i + 1])) + 1):
                widths[cid] = float(tokens[i + 2])
            i += 3
    return widths, float(default) if kind == "int" or kind == "float" else 1000.0


def _to_unicode(doc: pymupdf.Document, font: int) -> tuple[int, dict[int, str]] | None:
    """A Type0 font's ToUnicode stream and its bfchar entries (code -> text)."""
    kind, value = doc.xref_get_key(font, "ToUnicode")
    if kind != "xref" or doc.xref_get_key(font, "Subtype")[1] != "/Type0":
        return None
    stream = int(value.split()[0])
    entries = {}
    for section in BFCHAR.findall(doc.xref_stream(stream)):
        for code, _, text in ENTRY.findall(section):
            entries[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be", errors="surrogatepass")
    return stream, entries


# Content-stream tokens: strings, hex strings, dictionaries, arrays, names, operators. Not
# numbers (positions and kerning, most of a page's tokens), which nothing here reads: so the
# font's name is the token just before `Tf`.
TOKEN = re.compile(rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)|<<|>>|<[0-9A-Fa-f\s]*>|\[|\]|/[^\s/\[\]()<>{}%]+|[A-Za-z'\"*]+", re.S)


def _string_bytes(token: bytes) -> bytes:
    """The bytes of a PDF string token, `<hex>` or `(literal)` with its escapes (§7.3.4.2)."""
    if token.startswith(b"<"):
        return bytes.fromhex(re.sub(rb"\s", b"", token[1:-1]).decode())
    # PDF's escapes are Python's (\n, \ooo, \\, a backslash before a line break), less
    # \( and \): those are undone first, between the escaped backslashes.
    parts = token[1:-1].split(b"\\\\")
    return b"\\".join(codecs.escape_decode(part.replace(b"\\(", b"(").replace(b"\\)", b")"))[0] for part in parts)


def _empty_marks(content: bytes, marks: dict[bytes, set[int]]) -> bytes:
    """Give the marks' text objects, and /ActualText spans of marks only, no text."""
    tokens = list(TOKEN.finditer(content))
    words = [token.group(0) for token in tokens]
    edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement)
    font, text_object, spans = b"", None, []  # spans: [actual-text token or None, shows]
    for i, word in enumerate(words):
        token = tokens[i]
        if word == b"Tf" and i >= 1:
            font = words[i - 1][1:]
        elif word == b"BT":
            text_object = {"start": token.end(), "shows": []}
        elif word in (b"TJ", b"Tj"):
            j, codes, font_marks = i - 1, [], marks.get(font)
            while font_marks and j >= 0 and words[j] not in (b"[", b"ET", b"BT", b"Tm", b"Tf", b"Td", b"TD", b"Tr"):
                piece = words[j]
                if piece[:1] in (b"(", b"<") and not piece.startswith(b"<<"):
                    data = _string_bytes(piece)
                    codes[:0] = [int.from_bytes(data[k:k + 2], "big") for k in range(0, len(data) - 1, 2)]
                j -= 1
            show = bool(codes) and all(code in font_marks for code in codes)
            for span in spans:
                span[1].append((font, codes, show))
            if text_object is not None:
                text_object["shows"].append(show)
        elif word == b"BDC" and i >= 4 and words[i - 3] == b"/ActualText":
            spans.append([tokens[i - 2], []])
        elif word in (b"BDC", b"BMC"):
            spans.append([None, []])
        elif word == b"EMC" and spans:
            actual, shows = spans.pop()
            if actual is not None and shows:
                if all(show for _, _, show in shows):
                    edits.append((actual.start(), actual.end(), b"()"))
                else:
                    raw = _string_bytes(actual.group(0))
                    old = raw[2:].decode("utf-16-be", errors="surrogatepass") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
                    new = display_text(old) if any(_arabic(c) for c in old) else old
                    if new != old:
                        edits.append((actual.start(), actual.end(), b"<FEFF" + new.encode("utf-16-be").hex().upper().encode() + b">"))
        elif word == b"ET" and text_object is not None:
            inside_actual = any(actual is not None for actual, _ in spans)
            if text_object["shows"] and all(text_object["shows"]) and not inside_actual:
                edits.append((text_object["start"], text_object["start"], b"/Span<</ActualText()>>BDC "))
                edits.append((token.start(), token.start(), b"EMC "))
            text_object = None
    pieces, done = [], 0
    for start, end, replacement in sorted(edits):
        pieces += [content[done:start], replacement]
        done = end
    return b"".join(pieces) + content[done:]


# Set in the catalog of a PDF whose text layer is fixed: the fix reverses entries, so it
# must not run twice (Quarto's post-render step may meet a PDF an earlier render wrote).
MARKER = "HW3TextLayer"


def fix_text_layer(pdf: Path) -> int:
    """Rewrite the text layer of `pdf`, once; the number of changes made (0 if it was done).

    The rewrite is saved into a copy beside it, which then replaces it: the PDF is whole,
    before or after, whenever the step stops.
    """
    with pymupdf.open(pdf) as doc:
        if doc.xref_get_key(doc.pdf_catalog(), MARKER)[0] != "null":
            return 0
    partial = pdf.with_name(f".{pdf.stem}.text-layer.pdf")
    try:
        shutil.copyfile(pdf, partial)
        with pymupdf.open(partial) as doc:
            changed = _rewrite(doc)
            doc.xref_set_key(doc.pdf_catalog(), MARKER, "true")
            doc.save(partial, incremental=True, encryption=pymupdf.PDF_ENCRYPT_KEEP)
        os.replace(partial, pdf)
    finally:
        partial.unlink(missing_ok=True)
    return changed


def _rewrite(doc: pymupdf.Document) -> int:
    """Fix the marks' text objects and the ToUnicode maps of `doc`; the number of changes."""
    changed, maps = 0, {}
    for xref in range(1, doc.xref_length()):
        found = _to_unicode(doc, xref)
        if found:
            maps[xref] = (*found, *_advances(doc, xref))
    # Mark glyphs lose their text in the pages' content, read with the original maps.
    for page in doc:
        by_name = {name.encode(): font for font, _, _, _, name, _ in page.get_fonts() if font in maps}
        marks = {name: {code for code, text in maps[font][1].items() if _is_mark_glyph(text, maps[font][2].get(code, maps[font][3]))} for name, font in by_name.items()}
        for contents in page.get_contents():
            old = doc.xref_stream(contents)
            new = _empty_marks(old, marks)
            if new != old:
                changed += 1
                doc.update_stream(contents, new)
    # Then each multi-character entry of the ToUnicode maps.
    for stream in {entry[0] for entry in maps.values()}:
        cmap = doc.xref_stream(stream)

        def fix_entry(match: re.Match[bytes]) -> bytes:
            nonlocal changed
            text = bytes.fromhex(match.group(3).decode()).decode("utf-16-be", errors="surrogatepass")
            fixed = display_text(text)
            if fixed == text:
                return match.group(0)
            changed += 1
            return b"<%s>%s<%s>" % (match.group(1), match.group(2), fixed.encode("utf-16-be", errors="surrogatepass").hex().upper().encode())

        fixed = BFCHAR.sub(lambda section: ENTRY.sub(fix_entry, section.group(0)), cmap)
        if fixed != cmap:
            doc.update_stream(stream, fixed)
    return changed
