"""What an exported practical notebook runs in its own kernel: its setup and its prose.

The notebooks `hw3 notebooks` writes (reader_notebook.py) are read on GitHub and re-run in
Jupyter or Colab, away from the book and its renderer. Three things the book does at render
time have to happen in their kernel instead:

- `start`, called by the notebook's setup cell, trains what the chapter needs and the cache
  lacks, as the book's pre-render step does, and shows its progress there;
- `paragraph` writes a paragraph whose numbers come from inline Python: the export gives the
  paragraph's text with its `` `{python} expr` `` expressions, and the kernel puts in the
  values of this run, by Quarto's own rule (qmd.substitute_inline), so a re-run can never
  leave the numbers of the build beside outputs of its own;
- `present` gives every Markdown output what the book's Pandoc pass gives it: its
  cross-references as «شکل 5.3» and its direction (a Persian note reads right to left, in a
  `<div dir="rtl">`, which GitHub's and JupyterLab's sanitizers both keep). The export
  passes the outputs of the build through the same function, so a re-run writes the same
  text.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path
from typing import Iterator, Mapping

from IPython import get_ipython
from IPython.core.formatters import MarkdownFormatter
from IPython.display import display

from hw3core import training_plan
from hw3core.errors import SettingError
from hw3core.settings import get_settings

from .convert import Target, resolve_references
from .qmd import expression_results, inline_expressions, numbered, substitute_inline

PERSIAN = re.compile("[\u0600-\u06ff]")
CALLOUT = re.compile(r"^:::+\s*\{\.callout-\w+[^}]*\}\s*\n(.*?)\n:::+\s*$", re.MULTILINE | re.DOTALL)


def rtl(markdown: str) -> str:
    """Markdown in a right-to-left block: the blank lines inside the div let Markdown parse
    its content (an HTML block ends at a blank line, CommonMark 4.6 type 6)."""
    return f'<div dir="rtl">\n\n{markdown.strip()}\n\n</div>'


def _callout_as_quote(match: re.Match[str]) -> str:
    """A Quarto callout (a Pandoc fenced div, which Jupyter and GitHub show as text) as a quote,
    its `##` title in bold."""
    lines = match.group(1).strip().splitlines()
    if lines and lines[0].startswith("#"):
        lines[0] = f"**{lines[0].lstrip('#').strip()}**"
    return "\n".join(f"> {line}".rstrip() for line in lines)


def present(markdown: str, references: Mapping[str, str]) -> str:
    """A Markdown output as the notebook shows it: references resolved, callouts as quotes, and
    Persian text right to left (a table stays left to right, as in the book).

    `references` maps a label (`tbl-p3-compare`) to its words, and a citation the package's
    text writes (`[@a; @b]`, a key starting with "[@") to citeproc's rendering of it, which
    the export made: a kernel has no Pandoc to run citeproc with."""
    targets = {label: Target(Path(), text) for label, text in references.items() if not label.startswith("[@")}
    for citation, shown in references.items():
        if citation.startswith("[@"):
            markdown = markdown.replace(citation, shown)
    text = CALLOUT.sub(_callout_as_quote, resolve_references(markdown, None, targets, strict=False))
    table = text.lstrip().startswith("|")
    return rtl(text) if PERSIAN.search(text) and not table else text


class PresentedMarkdown(MarkdownFormatter):
    """IPython's Markdown formatter, every text it makes passed through `present`.

    `plain()` switches that off while `paragraph` asks for inline values, which go into a
    paragraph as they are.
    """

    references: dict[str, str] = {}
    presenting = True

    def __call__(self, obj: object) -> str | None:
        text = super().__call__(obj)
        return present(text, self.references) if text is not None and self.presenting else text

    @contextlib.contextmanager
    def plain(self) -> Iterator[None]:
        self.presenting = False
        try:
            yield
        finally:
            self.presenting = True


def _formatter() -> PresentedMarkdown:
    """The kernel's Markdown formatter, made a PresentedMarkdown (once) with what was registered on it kept."""
    formatters = get_ipython().display_formatter.formatters
    current = formatters["text/markdown"]
    if not isinstance(current, PresentedMarkdown):
        current = formatters["text/markdown"] = PresentedMarkdown(
            parent=current.parent, type_printers=current.type_printers, deferred_printers=current.deferred_printers
        )
    return current


class _Terminal(io.TextIOBase):
    """The notebook's stderr, said to be a terminal: the trainer draws its progress bar only on
    one (tqdm's `disable=None`), and a notebook shows a bar's carriage returns as a terminal does."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def start(chapter: str, profile: str, references: Mapping[str, str]) -> None:
    """The setup cell's work once hw3core imports: check the pinned profile, make Markdown
    outputs look as in the book, and train (with a progress bar each) what the chapter's
    experiments lack in the cache, so that its cells only load."""
    settings = get_settings()
    if settings.profile != profile:
        raise SettingError(f"this notebook was built with the {profile} profile but the kernel reads {settings.profile}; set HW3_PROFILE={profile}")
    _formatter().references = dict(references)
    todo = training_plan.plan(training_plan.needed([Path(chapter)]), profile, settings)
    print(f"profile {profile}; data {settings.data_dir}; cache {settings.cache_dir}; device {settings.device}")
    if todo:
        print(f"training {len(todo)} experiment(s) first, {training_plan.rough(sum(p.seconds for p in todo))} in all: {', '.join(p.name for p in todo)}")
        with contextlib.redirect_stderr(_Terminal(sys.stderr)):
            training_plan.train([p.experiment for p in todo], profile, settings)
    else:
        print("every experiment of this chapter is in the cache: the cells below only load them")


def paragraph(template: str) -> None:
    """Show a paragraph of the chapter with the values of this run in place of its inline
    expressions (Quarto's `` `{python} expr` ``), as the book's renderer puts them in."""
    expressions = inline_expressions(template)
    formatter = _formatter()
    with formatter.plain():
        answers = get_ipython().user_expressions(numbered(expressions))
    results = expression_results(expressions, answers, "this notebook")
    text = present(substitute_inline(template, results, "this notebook"), formatter.references)
    display({"text/markdown": text}, raw=True)
