"""The book's terms (report/glossary.yml) and where a chapter's prose strays from them.

A reader who meets «میدان دید» in one chapter and «میدان پذیرش» in the next cannot tell
whether they are two things. The glossary fixes one form per English term and lists the
variants to avoid; `stray_terms` finds those variants in the *prose* of a chapter or a
text module, which is what the reader sees. Code, inline code, math and inline Python
expressions are left out: `epochs` in a config key or `\\mathrm{...}` is not prose.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .settings import PROJECT_ROOT

GLOSSARY = PROJECT_ROOT / "report" / "glossary.yml"

# Left out of a Markdown line before it is checked: inline Python, inline code, math.
NOT_PROSE = re.compile(r"`\{python\}[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$")
# A caption is prose even inside a code cell.
CAPTION = re.compile(r"^#\|\s*(?:fig|tbl)-cap:\s*(.*)$")
FIELD = re.compile(r"\{[^{}]*\}")  # an f-string's replacement field, once unparsed


@dataclass(frozen=True)
class Term:
    english: str
    fa: str
    avoid: tuple[str, ...]


@dataclass(frozen=True)
class Stray:
    """A forbidden variant found in prose: where, which, and what to write instead."""

    where: str
    variant: str
    term: Term

    def __str__(self) -> str:
        return f"{self.where}: «{self.variant}» for {self.term.english}; write «{self.term.fa}» (report/glossary.yml)"


@cache
def terms(path: Path = GLOSSARY) -> tuple[Term, ...]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Term(english, entry["fa"], tuple(entry.get("avoid", ()))) for english, entry in entries.items())


def variant_pattern(variant: str) -> re.Pattern[str]:
    """`variant` as a whole word: no letter or ZWNJ before it; after it the word ends, or
    a ZWNJ or one ی joins a suffix («دسته‌بندی», «دوره‌ها»), never another letter."""
    return re.compile(rf"(?<![\w\u200c]){re.escape(variant)}(?=\u200c|ی(?!\w)|(?!\w))")


def markdown_prose(text: str) -> list[tuple[int, str]]:
    """The prose lines of a Quarto chapter, numbered: outside code cells, plus captions."""
    lines, fenced = [], False
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        caption = CAPTION.match(line.strip()) if fenced else None
        if caption or not fenced:
            lines.append((n, NOT_PROSE.sub(" ", caption.group(1) if caption else line)))
    return lines


def python_prose(source: str) -> list[tuple[int, str]]:
    """The string literals of a text module (f-strings without their fields), numbered:
    the Persian sentences it returns, and no identifier."""
    tree = ast.parse(source)
    parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append((node.lineno, FIELD.sub(" ", ast.unparse(node))))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            found.append((node.lineno, node.value))
    return [(n, NOT_PROSE.sub(" ", s)) for n, s in found]


def prose(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return python_prose(text) if path.suffix == ".py" else markdown_prose(text)


def stray_terms(path: Path, glossary: tuple[Term, ...] | None = None) -> list[Stray]:
    """Every forbidden variant in the prose of `path`."""
    glossary = glossary or terms()
    where = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    return [
        Stray(f"{where}:{n}", variant, term)
        for n, line in prose(path)
        for term in glossary
        for variant in term.avoid
        if variant_pattern(variant).search(line)
    ]
