"""The book as `_quarto.yml` describes it, merged with the active profile's file.

Quarto merges `_quarto-<profile>.yml` over `_quarto.yml`; we do the same (maps merge
key by key, everything else is replaced), so both renderers read one configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..profiles import check_profile


@dataclass(frozen=True)
class Chapter:
    source: Path          # relative to the project root, e.g. report/t1-conv-arithmetic.qmd
    part: str | None      # the title of the book part it opens, if it is the part's first chapter
    number: int | None    # chapter number, None for unnumbered chapters (preface, references)

    @property
    def stem(self) -> str:
        return self.source.stem

    @property
    def html_path(self) -> Path:
        """Where Quarto puts the chapter page inside the output folder."""
        return self.source.with_suffix(".html")


@dataclass(frozen=True)
class BookConfig:
    root: Path
    profile: str
    raw: dict[str, Any]
    chapters: list[Chapter] = field(default_factory=list)
    output_override: Path | None = None

    @property
    def book(self) -> dict[str, Any]:
        return self.raw.get("book", {})

    @property
    def output_dir(self) -> Path:
        return self.output_override or self.root / self.raw.get("project", {}).get("output-dir", "_book")

    @property
    def bibliography(self) -> list[Path]:
        entries = self.raw.get("bibliography", [])
        return [self.root / entry for entry in ([entries] if isinstance(entries, str) else entries)]

    @property
    def extras(self) -> dict[str, Any]:
        """The project's own settings (`hw3:` in _quarto.yml): student details, notebooks."""
        return self.raw.get("hw3", {})

    @property
    def practical(self) -> list[Path]:
        return [Path(p) for p in self.extras.get("practical-notebooks", [])]

    def format_option(self, fmt: str, key: str) -> list[Path]:
        """A path option of `format.<fmt>` (css, include-before-body, font-paths) as a list."""
        value = (self.raw.get("format", {}).get(fmt) or {}).get(key, [])
        return [Path(p) for p in ([value] if isinstance(value, str) else value)]

    @property
    def resources(self) -> list[Path]:
        """Files `project.resources` copies into the output folder (its globs expanded)."""
        globs = self.raw.get("project", {}).get("resources", [])
        found = {p for g in ([globs] if isinstance(globs, str) else globs) for p in self.root.glob(g)}
        return sorted(p.relative_to(self.root) for p in found if p.is_file())


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _is_unnumbered(source: Path) -> bool:
    """A chapter whose first heading carries `.unnumbered` (as Quarto reads it)."""
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return ".unnumbered" in line or "{-}" in line
    return False


def _chapters(root: Path, entries: list[Any]) -> list[Chapter]:
    flat: list[tuple[Path, str | None]] = []
    for entry in entries:
        if isinstance(entry, dict):
            first = True
            for source in entry.get("chapters", []):
                flat.append((Path(source), entry["part"] if first else None))
                first = False
        else:
            flat.append((Path(entry), None))
    chapters, number = [], 0
    for source, part in flat:
        numbered = not _is_unnumbered(root / source)
        number += numbered
        chapters.append(Chapter(source, part, number if numbered else None))
    return chapters


def load_book(root: Path, profile: str, output_dir: Path | None = None) -> BookConfig:
    """Read `_quarto.yml` (+ `_quarto-<profile>.yml`) under `root`."""
    check_profile(profile)
    raw = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8"))
    profile_file = root / f"_quarto-{profile}.yml"
    if profile_file.exists():
        raw = merge(raw, yaml.safe_load(profile_file.read_text(encoding="utf-8")) or {})
    chapters = _chapters(root, raw.get("book", {}).get("chapters", []))
    return BookConfig(root=root, profile=profile, raw=raw, chapters=chapters, output_override=output_dir)
