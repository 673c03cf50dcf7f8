"""No sentence of the practical chapters is written twice: every paragraph says what its own
result means, so a template sentence repeated across parts is a defect (issue 26). Checked
on the text builders' source and on the smoke book's rendered chapters."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from hw3core.settings import PROJECT_ROOT

BUILDERS = [PROJECT_ROOT / "src" / "hw3core" / path for path in ("prose.py", "p1/text.py", "p2/text.py", "p3/text.py")]
PRACTICAL = ("p1-cifar10", "p2-losses", "p3-transfer")
# A sentence ends at a full stop, a Persian semicolon or a colon before more text; a piece
# shorter than this many words is a phrase ("در حد نوفه"), which may recur.
BOUNDARY = re.compile(r"(?<=[.:!؟؛])\s+|\n+")
MIN_WORDS = 7


def sentences(text: str) -> list[str]:
    pieces = (" ".join(piece.split()) for piece in BOUNDARY.split(text))
    return [piece.rstrip(".:؛ ") for piece in pieces if len(piece.split()) >= MIN_WORDS]


def literal_text(node: ast.AST) -> str:
    """The text a string expression writes, with "{}" where a value is formatted in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(literal_text(part) if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return ""


def builder_sentences(path: Path) -> dict[str, list[str]]:
    """Every sentence the string literals of a text module write, by the function that writes it."""
    found: dict[str, list[str]] = defaultdict(list)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
        docstring = ast.get_docstring(function)
        for node in ast.walk(function):
            text = literal_text(node)
            if text and text != docstring and not isinstance(getattr(node, "parent", None), ast.JoinedStr):
                found[f"{path.parent.name}/{path.name}:{function.name}"] += sentences(text)
    return found


def repeats(places: dict[str, list[str]]) -> dict[str, list[str]]:
    """The sentences found in more than one place (or twice in one)."""
    where: dict[str, list[str]] = defaultdict(list)
    for place, found in places.items():
        for sentence in found:
            where[sentence].append(place)
    return {sentence: spots for sentence, spots in where.items() if len(spots) > 1}


def test_no_text_builder_writes_a_sentence_another_one_writes():
    places: dict[str, list[str]] = {}
    for path in BUILDERS:
        places.update(builder_sentences(path))
    # an f-string's pieces are also visited one by one; count each sentence once per function
    assert repeats({place: sorted(set(found)) for place, found in places.items()}) == {}


def test_the_check_sees_a_sentence_written_twice():
    twice = {"a": sentences("این جمله هفت واژه دارد و تکرار شده است. کوتاه."), "b": sentences("این جمله هفت واژه دارد و تکرار شده است؛ دیگر")}
    assert list(repeats(twice)) == ["این جمله هفت واژه دارد و تکرار شده است"]


def chapter_text(page: Path) -> str:
    """The visible prose of a rendered chapter: its main content without code, tables, the
    smoke banner, the links to the chapters before and after it, and figure captions (the
    curves of five models are described alike on purpose, each caption naming its model)."""
    html = page.read_text(encoding="utf-8")
    main = html[html.index("<main") : html.rindex("</main>")]
    for hidden in (r"<(pre|code|table|script|style|nav|figcaption)[^>]*>.*?</\1>", r'<div class="callout callout-style-default callout-warning.*?</div>\s*</div>\s*</div>'):
        main = re.sub(hidden, " ", main, flags=re.S)
    main = re.sub(r"</(p|li|h\d|figcaption|div)>", "\n", main)
    return re.sub(r"<[^>]+>", " ", main)


@pytest.mark.slow
def test_no_sentence_of_the_practical_chapters_repeats(smoke_book: Path):
    places = {stem: sentences(chapter_text(smoke_book / "report" / f"{stem}.html")) for stem in PRACTICAL}
    assert all(places.values())
    assert repeats(places) == {}
