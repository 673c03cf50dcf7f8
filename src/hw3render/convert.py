"""From an executed chapter notebook to Pandoc Markdown, with Quarto's cell options.

Honoured options: `echo`, `output` (true/false/asis), `include`, `label`, `fig-cap`,
`tbl-cap`. Figures and tables with a `fig-`/`tbl-` label get a number (chapter.k) in
their caption, and every `@fig-…`, `@tbl-…`, `@sec-…` becomes a link whose text is
that number, so no Quarto-only syntax reaches Pandoc. A `fig-` cell that shows no image
(a figure a result made pointless) takes no number, as in Quarto, where a crossref
figure exists only once a cell outputs one. Every image must have a `fig-cap`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import nbformat

from . import output
from .errors import SourceError
from .qmd import split_options

# The `language:` key of each kind of target, as Quarto's crossref names them.
LABEL_KEYS = {"fig": "crossref-fig-title", "tbl": "crossref-tbl-title", "sec": "crossref-sec-prefix", "ch": "crossref-ch-prefix"}
REFERENCE = re.compile(r"(?<![\w@\[])@((?:fig|tbl|sec)-[\w-]+)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(\{[^}]*\})?\s*$")
FENCE = re.compile(r"^(```+|~~~+)")


@dataclass(frozen=True)
class Target:
    """Where a label lives and what it is called: chapter source and 'شکل 5.2'."""

    chapter: Path
    text: str


def _headings(markdown: str) -> list[tuple[int, int, str, str, bool]]:
    """(line index, level, title, id or '', unnumbered) for each ATX heading outside code fences."""
    found, in_code = [], False
    for index, line in enumerate(markdown.splitlines()):
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code and (match := HEADING.match(line)):
            attrs = match.group(3) or ""
            ident = re.search(r"#([\w-]+)", attrs)
            found.append((index, len(match.group(1)), match.group(2), ident.group(1) if ident else "", ".unnumbered" in attrs or "{-}" in attrs))
    return found


def numbered_headings(markdowns: Iterable[str], number: int | None) -> Iterator[tuple[int, int, int, str, str, bool, str]]:
    """Each heading of a chapter's Markdown cells, in order: (cell index, line index, level,
    title, id or '', unnumbered, the number Pandoc gives it, '' for none). The chapter's own
    heading is `number`; the numbered sections below it count from 1, as `--number-sections
    --number-offset` does."""
    sections = [0, 0, 0, 0, 0, 0]
    stem = f"{number}." if number is not None else ""
    for cell, markdown in enumerate(markdowns):
        for line, level, title, ident, unnumbered in _headings(markdown):
            label = ""
            if level == 1:
                label = f"{number}" if number is not None else ""
            elif not unnumbered:  # Pandoc numbers only the numbered headings
                sections[level - 1] += 1
                sections[level:] = [0] * (len(sections) - level)
                label = stem + ".".join(str(n) for n in sections[1:level])
            yield cell, line, level, title, ident, unnumbered, label


def number_headings(markdowns: list[str], number: int | None) -> list[str]:
    """The Markdown cells of a chapter with each numbered heading's number written before its
    title, as the book prints it (for a format that does not number them, a notebook)."""
    lines = [markdown.splitlines() for markdown in markdowns]
    for cell, line, _, _, _, _, label in numbered_headings(markdowns, number):
        if label:
            lines[cell][line] = re.sub(r"^(#+)\s+", lambda m: f"{m.group(1)} {label} ", lines[cell][line], count=1)
    return ["\n".join(cell) for cell in lines]


def collect_targets(
    chapter: Path, number: int | None, notebook: nbformat.NotebookNode, labels: dict[str, str]
) -> dict[str, Target]:
    """Number the chapter's labelled figures, tables and sections in document order.

    `labels` are the book's words (BookConfig.labels), e.g. "شکل" for crossref-fig-title.
    """
    word = {kind: labels[key] for kind, key in LABEL_KEYS.items()}
    targets: dict[str, Target] = {}
    markdowns = (cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    for _, _, level, title, ident, unnumbered, label in numbered_headings(markdowns, number):
        if ident.startswith("sec-"):
            prefix = word["ch"] if level == 1 else word["sec"]
            # A section without a number (or in an unnumbered chapter) is called by its title.
            named = unnumbered or number is None
            targets[ident] = Target(chapter, title if named else f"{prefix} {label}")
    counters = {"fig": 0, "tbl": 0}
    stem = f"{number}." if number is not None else ""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            label = str(cell.metadata.get("hw3-options", {}).get("label", ""))
            kind = label.split("-", 1)[0]
            if kind in counters and (kind != "fig" or any("image/png" in o.get("data", {}) for o in cell.outputs)):
                counters[kind] += 1
                targets[label] = Target(chapter, f"{word[kind]} {stem}{counters[kind]}")
    return targets


def resolve_references(
    markdown: str, link: Callable[[str], str] | None, targets: dict[str, Target], strict: bool = True
) -> str:
    """Replace @fig-/@tbl-/@sec- references with numbered links (plain text without `link`),
    leaving code untouched.

    `strict=False` (a partial render) writes '?' for labels of chapters not rendered.
    """

    def replace(match: re.Match[str]) -> str:
        label = match.group(1)
        if label not in targets and not strict:
            return "?"
        if label not in targets:
            raise SourceError(f"cross-reference @{label} has no figure, table or section with that label")
        return targets[label].text if link is None else f"[{targets[label].text}]({link(label)})"

    out, in_code = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        if in_code or FENCE.match(line):
            out.append(line)
            continue
        parts = re.split(r"(`[^`]*`)", line)
        out.append("".join(p if p.startswith("`") else REFERENCE.sub(replace, p) for p in parts))
    return "\n".join(out)


def unnumber_headings(markdown: str) -> str:
    """Mark every heading `.unnumbered` (the sections of an unnumbered chapter, as in Quarto)."""
    out, in_code = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_code = not in_code
        match = None if in_code else HEADING.match(line)
        if match and ".unnumbered" not in (match.group(3) or ""):
            attrs = (match.group(3) or "{}")[1:-1].strip()
            line = f"{match.group(1)} {match.group(2)} {{{(attrs + ' ') if attrs else ''}.unnumbered}}"
        out.append(line)
    return "\n".join(out)


class ChapterWriter:
    """Turns the cells of one executed chapter into Markdown, writing figures to disk."""

    def __init__(self, figure_dir: Path, figure_href: str, targets: dict[str, Target], numbered: bool = True) -> None:
        self.figure_dir, self.figure_href, self.targets = figure_dir, figure_href, targets
        self.numbered = numbered
        self.figures = 0

    def _image(self, data: str) -> str:
        self.figures += 1
        name = f"figure-{self.figures}.png"
        output.write(self.figure_dir / name, base64.b64decode(data))
        return f"{self.figure_href}/{name}"

    def _outputs(self, cell: nbformat.NotebookNode, options: dict) -> list[str]:
        label = str(options.get("label", ""))
        parts: list[str] = []
        for output in cell.outputs:
            if output.output_type == "stream":
                if output.name == "stdout":
                    text = output.text.rstrip("\n")
                    parts.append(text if options.get("output") == "asis" else f"```{{.cell-output}}\n{text}\n```")
                continue
            if output.output_type == "error":
                raise RuntimeError("an executed chapter still holds an error output")
            data = output.get("data", {})
            if "image/png" in data:
                if not options.get("fig-cap"):
                    raise SourceError(f"a cell shows a figure without a caption: give it `#| fig-cap:` (cell {label or 'without a label'})")
                path = self._image(data["image/png"])
                if label.startswith("fig-") and label in self.targets and not any("{#fig-" in p for p in parts):
                    caption = f"{self.targets[label].text}: {options.get('fig-cap', '')}".rstrip(": ")
                    parts.append(f"![{caption}]({path}){{#{label}}}")
                else:
                    parts.append(f"![{options.get('fig-cap', '')}]({path})")
            elif "text/markdown" in data:
                parts.append(data["text/markdown"].strip("\n"))
            elif "text/plain" in data:
                parts.append(f"```{{.cell-output}}\n{data['text/plain']}\n```")
        if label.startswith("tbl-") and label in self.targets:
            caption = f": {self.targets[label].text}: {options.get('tbl-cap', '')}"
            parts = [f"::: {{#{label}}}", *parts, caption, ":::"]
        return parts

    def cell(self, cell: nbformat.NotebookNode) -> str:
        if cell.cell_type == "markdown":
            return cell.source if self.numbered else unnumber_headings(cell.source)
        options = cell.metadata.get("hw3-options", {})
        if options.get("include") is False:
            return ""
        parts = []
        if options.get("echo", True) is not False:
            _, code = split_options(cell.source)
            parts.append(f"```{{.python .cell-code}}\n{code}\n```")
        if options.get("output", True) is not False:
            parts.extend(self._outputs(cell, options))
        return "\n\n".join(parts)

    def chapter(self, notebook: nbformat.NotebookNode) -> str:
        return "\n\n".join(text for text in (self.cell(c) for c in notebook.cells) if text.strip())
