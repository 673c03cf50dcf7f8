"""The book as `_quarto.yml` describes it, merged with the active profile's file.

The files are read by hw3core (`project_config`, Quarto's merge of the profile's file),
which the answer needs too for the project's `hw3:` keys; those arrive checked and typed
(`settings.BookKeys`), and the rest is read here as the renderer needs it. The book also
carries the settings a render runs under, which its kernels and steps are given.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from hw3core.project_config import chapter_sources, read_project_config
from hw3core.settings import BookKeys, Settings, book_keys, get_settings

from .errors import SourceError

# The words `hw3 render` prints, with the English Quarto prints when `language:` lacks
# them (quarto-cli src/resources/language/_language.yml; there is no Persian file there).
QUARTO_LABELS = {
    "crossref-fig-title": "Figure",
    "crossref-tbl-title": "Table",
    "crossref-ch-prefix": "Chapter",
    "crossref-sec-prefix": "Section",
    "callout-note-title": "Note",
    "callout-tip-title": "Tip",
    "callout-warning-title": "Warning",
    "callout-important-title": "Important",
    "callout-caution-title": "Caution",
    "toc-title-document": "Table of contents",
    "search-label": "Search",
    "search-text-placeholder": "",
    "search-no-results-text": "No results",
    "search-matching-documents-text": "matching documents",
    "copy-button-tooltip": "Copy to Clipboard",
    "copy-button-tooltip-success": "Copied!",
    "tools-download": "Download",
    "other-links-title": "Other Links",
    "toggle-section": "Toggle section",
}


@dataclass(frozen=True)
class Chapter:
    source: Path          # relative to the project root, e.g. report/t1-conv-arithmetic.qmd
    part: str | None      # the title of the book part it opens, if it is the part's first chapter
    number: int | None    # chapter number, None for unnumbered chapters (preface, references)
    in_part: str | None = None   # the title of the book part it is in, if any

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
    settings: Settings  # its profile is the book's
    raw: dict[str, Any]
    hw3: BookKeys = BookKeys()
    chapters: list[Chapter] = field(default_factory=list)
    output_override: Path | None = None

    @property
    def profile(self) -> str:
        return self.settings.profile

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
    def csl(self) -> Path | None:
        """The citation style of `csl:`, or None for Pandoc's default (Chicago author-date)."""
        return self.root / self.raw["csl"] if self.raw.get("csl") else None

    @property
    def nocite(self) -> list[str]:
        """The keys of `nocite:`, a string of citations as Quarto reads it (quarto-cli
        src/project/types/book/book-bibliography.ts): "@a, @b" -> ["a", "b"]."""
        return [key.strip().removeprefix("@") for key in str(self.raw.get("nocite") or "").split(",") if key.strip()]

    def label(self, key: str) -> str:
        """A word Quarto prints (figure, chapter, callout titles), as `language:` sets it.

        As in Quarto, `language:` in _quarto.yml overrides the built-in English, key by
        key (https://quarto.org/docs/authoring/language.html).
        """
        return str(self.language.get(key, QUARTO_LABELS[key]))

    @property
    def language(self) -> dict[str, Any]:
        """The `language:` of _quarto.yml: a map, or the path of a YAML file of one, as in Quarto."""
        custom = self.raw.get("language") or {}
        if isinstance(custom, str):
            custom = yaml.safe_load((self.root / custom).read_text(encoding="utf-8")) or {}
        return custom

    @property
    def labels(self) -> dict[str, str]:
        """Every word of QUARTO_LABELS as this book prints it."""
        return {key: self.label(key) for key in QUARTO_LABELS}

    def cited(self, executed: Iterable[str] = ()) -> list[str]:
        """The bibliography keys the book's chapters cite, in the order of the .bib files:
        in their sources, and in `executed`, the text their cells wrote (the package's
        sentences cite too).

        Quarto's book lists only the works cited anywhere in the book on its references
        page, after the chapters ran; `hw3 render` writes each HTML page on its own, so the
        references page is told these keys (as `nocite`) to list the same works.
        """
        keys = [key for bib in self.bibliography for key in re.findall(r"^@\w+\{([^,\s]+),", bib.read_text(encoding="utf-8"), re.MULTILINE)]
        sources = "\n".join([*((self.root / chapter.source).read_text(encoding="utf-8") for chapter in self.chapters), *executed])
        return [key for key in dict.fromkeys(keys) if re.search(rf"(?<![\w.@])@{re.escape(key)}(?![\w-])", sources)]

    @property
    def references_chapter(self) -> Chapter | None:
        """The chapter with the `{#refs}` div, where Quarto's book lists the references."""
        return next((c for c in self.chapters if "{#refs}" in (self.root / c.source).read_text(encoding="utf-8")), None)

    def html_list(self, chapter: Chapter, key: str) -> list[Any]:
        """A list option of `format.html` for one chapter's page: `_quarto.yml`'s, then each
        `_metadata.yml` in the folders from the project's root down to the chapter's.

        Quarto merges a folder's `_metadata.yml` into the metadata of every file under it,
        and lists are joined, not replaced (https://quarto.org/docs/projects/quarto-projects.html#directory-metadata;
        quarto-cli src/core/config.ts, mergeArrayCustomizer).
        """
        layers = [self.raw]
        for folder in reversed(chapter.source.parents[:-1]):
            path = self.root / folder / "_metadata.yml"
            if path.is_file():
                layers.append(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        return [item for layer in layers for item in ((layer.get("format") or {}).get("html") or {}).get(key) or []]

    def format_option(self, fmt: str, key: str) -> list[Path]:
        """A path option of `format.<fmt>` (css, include-before-body, font-paths) as a list."""
        value = (self.raw.get("format", {}).get(fmt) or {}).get(key, [])
        return [Path(p) for p in ([value] if isinstance(value, str) else value)]

    @property
    def filters(self) -> list[Path]:
        """The Lua filters of `filters:`, which Quarto runs before its own filters and citeproc
        (https://quarto.org/docs/extensions/filters.html#activating-filters)."""
        return [self.root / entry for entry in self.raw.get("filters", [])]

    @property
    def resources(self) -> list[Path]:
        """Files `project.resources` copies into the output folder (its globs expanded)."""
        globs = self.raw.get("project", {}).get("resources", [])
        found = {p for g in ([globs] if isinstance(globs, str) else globs) for p in self.root.glob(g)}
        return sorted(p.relative_to(self.root) for p in found if p.is_file())


def _is_unnumbered(source: Path) -> bool:
    """A chapter whose first heading carries `.unnumbered` (as Quarto reads it)."""
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return ".unnumbered" in line or "{-}" in line
    return False


def _chapters(root: Path, raw: dict[str, Any]) -> list[Chapter]:
    chapters: list[Chapter] = []
    number = 0
    for source, part in chapter_sources(raw):
        if not (root / source).is_file():
            raise SourceError(f"{root / '_quarto.yml'}: book: chapters: lists {source}, which is not a file under {root}; restore it or remove it from the list")
        numbered = not _is_unnumbered(root / source)
        number += numbered
        opens = part if part and (not chapters or chapters[-1].in_part != part) else None
        chapters.append(Chapter(source, opens, number if numbered else None, part))
    return chapters


def load_book(root: Path, profile: str, output_dir: Path | None = None, settings: Settings | None = None) -> BookConfig:
    """Read `_quarto.yml` (+ `_quarto-<profile>.yml`) under `root`, to render under `settings`
    (default: this process's) with `profile`."""
    config = read_project_config(root, profile)
    settings = dataclasses.replace(settings or get_settings(), profile=config.profile)
    return BookConfig(
        root=root, settings=settings, raw=config.raw, hw3=book_keys(config), chapters=_chapters(root, config.raw), output_override=output_dir
    )
