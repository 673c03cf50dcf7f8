"""The book's terms (report/glossary.yml) and where a chapter's prose strays from them.

A reader who meets «میدان دید» in one chapter and «میدان پذیرش» in the next cannot tell
whether they are two things. The glossary fixes one form per English term and lists the
variants to avoid; `stray_terms` finds those variants in the *prose* of a chapter or of a
module that writes Persian for the reader (`prose_files`), which is what the reader sees.
Code, inline code, math and inline Python expressions are left out: `epochs` in a config
key or `\\mathrm{...}` is not prose; in a module, only the string literals that hold Persian
are, docstrings aside (an English label or error message is not the book's prose, and a
docstring is written for the code's reader).
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
PERSIAN = re.compile(r"[\u0600-\u06ff]")
# A Persian suffix may follow a term joined to it: after a ZWNJ (ـها، ـهٔ), or a bare ی, ش
# or شان ending the word («دسته‌بندی», «آزمونش»); after a Latin term, any Persian letters
# («FCها»). A hyphen joins a compound that is another word («FC-DenseNet»).
PERSIAN_SUFFIX = r"(?=\u200c|(?:ی|ش|شان)(?![\w-])|(?![\w-]))"
LATIN_SUFFIX = r"(?![A-Za-z0-9_-])"


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
    """`variant` as a whole word: no letter, ZWNJ or hyphen before it; after it the word
    ends or a suffix joins it (`PERSIAN_SUFFIX`, `LATIN_SUFFIX`), never another letter."""
    suffix = LATIN_SUFFIX if re.search(r"[A-Za-z0-9]$", variant) else PERSIAN_SUFFIX
    return re.compile(rf"(?<![\w\u200c-]){re.escape(variant)}{suffix}")


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
    """The Persian string literals of a module (f-strings without their fields), numbered:
    the sentences, captions and table headers it writes for the reader, and no identifier."""
    tree = ast.parse(source)
    # an f-string's pieces are read as the whole f-string; docstrings are for the code's reader
    skipped = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    skipped |= {id(doc) for node in ast.walk(tree) if (doc := _docstring(node)) is not None}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append((node.lineno, FIELD.sub(" ", ast.unparse(node))))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            found.append((node.lineno, node.value))
    return [(n, NOT_PROSE.sub(" ", s)) for n, s in found if PERSIAN.search(s)]


def _docstring(node: ast.AST) -> ast.Constant | None:
    """The docstring of a module, class or function: written for the code's reader."""
    if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            return first.value
    return None


def prose_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every file whose prose the reader sees: the preface, the chapters, and every module of
    hw3core that writes Persian (text modules, table headers, the smoke banner), found by
    its letters rather than listed, so a new one is checked too."""
    modules = [p for p in sorted((root / "src" / "hw3core").rglob("*.py")) if PERSIAN.search(p.read_text(encoding="utf-8"))]
    return [root / "index.qmd", *sorted((root / "report").glob("*.qmd")), *modules]


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
