"""The notebook a reader gets for a practical chapter: the chapter as the render executed it,
written to be read on GitHub and re-run in Jupyter or Colab.

Why not Quarto's own `ipynb` format: in a book, a format that is not multi-file (only HTML
and AsciiDoc are: quarto-cli src/format/html/format-html.ts, `multiFile: true`) is rendered
as one file from all the chapters merged (src/project/types/book/book-render.ts,
`isMultiFileBookFormat`, `renderSingleFileBook`, `mergeExecutedFiles`): one `hw3.ipynb` of
the whole book, executed once more, not the three notebooks the assignment asks for. So the
book's post-render step builds them from the executed chapters (notebooks.py), here, and
writes their Markdown as Quarto's ipynb output would:

- cross-references as the words and numbers of the book («شکل 5.3»: the numbers of
  convert.collect_targets, the HTML's and PDF's), as text (a notebook has no anchor for
  them); headings numbered as in the book, their `{#sec-…}` labels dropped;
- citations by Pandoc's citeproc with the book's bibliography (site.citation_args), as
  author–year text, and the works cited listed at the end;
- every Persian cell in `<div dir="rtl">` (notebook_kernel.rtl): GitHub's sanitizer keeps
  `dir` on any element (html-pipeline's SanitizationFilter, `:all` attributes) and so does
  JupyterLab's (packages/apputils/src/sanitizer.ts, `'*'` attributes);
- a figure's or table's caption in a Markdown cell after the cell that shows it, numbered
  (quarto-cli src/resources/filters/customnodes/floatreftarget.lua: an ipynb float is its
  content, then its caption);
- code without its `#|` options, and shown even where the book hides it (`echo: false`):
  the reader of a notebook wants the calls.

What a notebook adds to the chapter, so that it can be read alone and run anywhere:

- a first Markdown cell (title, an "Open in Colab" badge from `hw3: repository:`, how to
  re-run) and a setup cell that pins the profile the book was built with, installs the
  project from its repository where it is missing, and trains what the cache lacks
  (notebook_kernel.start);
- the source of the package code a part is about, where the chapter asks for it with a
  Markdown comment `<!-- notebook: show hw3core.p1.models.BaselineModel, ... -->` (which
  the book's HTML and PDF do not show): a ```python block written from `inspect.getsource`
  at export time, so it cannot drift, and a Markdown cell, so that GitHub highlights it and
  a re-run does not define a class the package would then ignore;
- a last cell that lists the runs the chapter read (hw3core.runs.runs_table, the book's
  appendix restricted to the chapter), with its table as this build wrote it, so a number
  can be traced to its cache entry and rerun with `hw3 train NAME`;
- each paragraph whose numbers come from inline Python as a cell that writes it
  (`paragraph(r\"\"\"…\"\"\")`, notebook_kernel.paragraph; the export refuses a
  chapter whose code binds that name, which would hide it): its output is the paragraph with this
  build's values, and a re-run writes it again with its own, so the prose never disagrees
  with the outputs beside it.
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pypandoc

import hw3core
from hw3core import chapter as book_chapter
from hw3core import runs

from .config import BookConfig, Chapter
from .convert import REFERENCE, Target, collect_targets, number_headings, resolve_references
from .errors import SourceError
from .execute import chapter_notebook
from .notebook_kernel import present, rtl
from .qmd import INLINE, inline_expressions, parse, split_options, substitute_inline
from .site import citation_args

SHOW = re.compile(r"^<!--\s*notebook:\s*show\s+(.*?)\s*-->$", re.DOTALL)
HOLE = "<!--hw3-hole-{}-->"
# A Pandoc citation in the text a cell printed (the package writes some: the paired test's sources).
CITATION = re.compile(r"\[@[^\[\]\n]+\]")
FENCE = re.compile(r"^(```+|~~~+|\$\$\s*$)")  # a code fence, or display math's own line
# Where the README says to publish the notebooks: the repository's default branch, in notebooks/.
PUBLISHED = ("main", "notebooks")
# The kernel's function a prose cell calls (notebook_kernel.paragraph), imported by the setup cell.
PARAGRAPH = "paragraph"
ROLE = "hw3-role"  # a cell's part in the notebook: intro, setup, chapter, prose, source, caption, runs, references


@dataclass
class Part:
    """One cell-to-be: Markdown (`markdown`, `prose`, `caption`, `source`) or a chapter's code cell."""

    role: str
    text: str = ""
    cell: nbformat.NotebookNode | None = None
    values: list[dict] = field(default_factory=list)  # a prose paragraph's inline values, as Quarto records them


def paragraphs(markdown: str) -> list[str]:
    """A Markdown block cut at its blank lines, a heading always alone; fenced code, display
    math and fenced divs (`:::`) are never cut."""
    found: list[list[str]] = [[]]
    fenced, divs = False, 0
    for line in markdown.splitlines():
        whole = fenced or divs > 0
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith(":::"):
            divs += 1 if re.match(r"^:::+\s*\S", line) else -1
        if not whole and not line.strip():
            found.append([])
        elif not whole and line.startswith("#"):
            found += [[line], []]
        else:
            found[-1].append(line)
    return ["\n".join(lines) for lines in found if "".join(lines).strip()]


def markdown_parts(template: str, values: list[dict]) -> list[Part]:
    """A chapter's Markdown block as cells: runs of plain paragraphs (a heading starts a new
    one), each paragraph with inline Python a prose cell with its own values, each
    `<!-- notebook: show ... -->` the sources it names."""
    parts: list[Part] = []
    pending = iter(values)
    for paragraph in paragraphs(template):
        shown = SHOW.match(paragraph.strip())
        expressions = inline_expressions(paragraph)
        if shown:
            parts.append(Part("source", shown.group(1)))
        elif expressions:
            taken = [next(pending, None) for _ in expressions]
            if [value and value["expression"] for value in taken] != expressions:
                raise SourceError(f"inline values out of step with the paragraph `{paragraph[:40]}`")
            parts.append(Part("prose", paragraph, values=taken))
        elif parts and parts[-1].role == "markdown" and not paragraph.startswith("#"):
            parts[-1].text += "\n\n" + paragraph
        else:
            parts.append(Part("markdown", paragraph))
    return parts


def _has_image(cell: nbformat.NotebookNode) -> bool:
    return any("image/png" in output.get("data", {}) for output in cell.outputs)


def code_parts(cell: nbformat.NotebookNode, targets: dict[str, Target]) -> list[Part]:
    """A chapter's executed code cell without its options, with the outputs the book shows (its
    Markdown presented when the cell is written, `_cells`, once every citation has its words),
    and its caption after it if the book numbers or captions what it shows."""
    options = cell.metadata.get("hw3-options", {})
    shown = options.get("include", True) is not False and options.get("output", True) is not False
    outputs = cell.outputs if shown else []
    code = nbformat.v4.new_code_cell(split_options(cell.source)[1], outputs=outputs, execution_count=cell.execution_count)
    code.metadata[ROLE] = "chapter"
    parts = [Part("code", cell=code)]
    label = str(options.get("label", ""))
    caption = str(options.get("fig-cap") or options.get("tbl-cap") or "")
    if shown and label in targets:
        parts.append(Part("caption", f"{targets[label].text}: {caption}".rstrip(": ")))
    elif shown and caption and options.get("fig-cap") and _has_image(cell):
        parts.append(Part("caption", caption))
    return parts


def _presented(output: nbformat.NotebookNode, references: dict[str, str]) -> nbformat.NotebookNode:
    if "text/markdown" not in output.get("data", {}):
        return output
    shown = copy.deepcopy(output)
    shown.data["text/markdown"] = present(shown.data["text/markdown"], references)
    return shown


def source_text(names: str, where: str) -> str:
    """The Markdown of a `<!-- notebook: show a.b.C, a.b.f -->`: each object's source from the
    package as installed, under the path of its file."""
    named = re.split(r"[,\s]+", names.strip())
    package = Path(hw3core.__file__).resolve().parents[1]
    blocks = []
    for name in named:
        obj = inspect.unwrap(_importable(name, where))  # a decorated function's own source (torch.no_grad)
        path = Path(inspect.getsourcefile(obj)).resolve().relative_to(package)
        blocks.append(f"```python\n# {path.as_posix()}\n{inspect.getsource(obj).rstrip()}\n```")
    listed = "، ".join(f"`{name.rsplit('.', 1)[-1]}`" for name in named)
    return rtl(f"کد {listed} از بستهٔ `hw3core`:") + "\n\n" + "\n\n".join(blocks)


def _importable(name: str, where: str) -> object:
    """`hw3core.b.C` (or `hw3core.b.C.method`): the longest importable module, then its attributes."""
    words = name.split(".")
    for cut in range(len(words), 0 if words[0] == "hw3core" else len(words), -1):
        try:
            obj = importlib.import_module(".".join(words[:cut]))
        except ImportError:
            continue
        try:
            for attribute in words[cut:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            break
        return obj
    raise SourceError(f"{where}: <!-- notebook: show {name} --> names nothing in the package; write a module and a name, e.g. hw3core.p1.models.BaselineModel")


def protect(text: str, holes: list[str]) -> str:
    """`text` with each inline expression replaced by an HTML comment Pandoc leaves as it is;
    `restore` puts them back."""

    def hide(match: re.Match[str]) -> str:
        holes.append(match.group(0)[len(match.group(1)):])
        return match.group(1) + HOLE.format(len(holes) - 1)

    return INLINE.sub(hide, text)


def restore(text: str, holes: list[str]) -> str:
    return re.sub(r"<!--hw3-hole-(\d+)-->", lambda match: holes[int(match.group(1))], text)


def with_citations(book: BookConfig, texts: list[str]) -> tuple[list[str], str]:
    """Each Markdown text as Pandoc's ipynb writer writes it (what Quarto's ipynb output is made
    of), its citations written by citeproc; and the list of the works cited ('' if none).

    One Pandoc run for the whole notebook: each text is a `.cell .markdown` div, which the
    writer makes one cell, and the bibliography goes in the `#refs` div at the end.
    """
    holes: list[str] = []
    cells = "\n\n".join(f"::: {{.cell .markdown}}\n{protect(text, holes)}\n:::" for text in texts)
    written = pypandoc.convert_text(f"{cells}\n\n::: {{#refs}}\n:::\n", "ipynb", format="markdown", extra_args=[*citation_args(book), "--wrap=none"])
    out = ["".join(cell["source"]) for cell in json.loads(written)["cells"]]
    if len(out) not in (len(texts), len(texts) + 1):
        raise SourceError(f"Pandoc made {len(out)} cells of {len(texts)} Markdown texts; a text holds a fence or div it does not close")
    return [restore(text, holes) for text in out[: len(texts)]], "".join(out[len(texts) :])


def colab_url(repository: str | None, stem: str) -> str | None:
    """The Colab address of the notebook as the README says to publish it (notebooks/ on the
    default branch), for a GitHub repository; None for any other."""
    parts = urllib.parse.urlsplit(repository or "")
    path = parts.path.strip("/").removesuffix(".git").split("/")
    if parts.hostname != "github.com" or len(path) != 2:
        return None
    branch, folder = PUBLISHED
    return f"https://colab.research.google.com/github/{path[0]}/{path[1]}/blob/{branch}/{folder}/{stem}.ipynb"


def intro_cell(book: BookConfig, chapter: Chapter, title: str) -> nbformat.NotebookNode:
    """The title, the Colab badge, and how to re-run, in the book's words."""
    profile, repository = book.profile, book.hw3.repository
    url = colab_url(repository, chapter.stem)
    badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})\n\n" if url else ""
    source = f"از مخزن {repository}" if repository else "(نشانی مخزن در `hw3: repository:` فایل `_quarto.yml` نیامده است)"
    note = (
        f"{title}\n\n"
        f"این دفترچه فصل {chapter.number} کتاب پاسخ است با همان متن، همان کد و همان خروجی‌هایی که کتاب با پروفایل `{profile}` ساخت؛"
        " کد بستهٔ `hw3core` که هر بخش به کار می‌برد پیش از آن بخش آمده است.\n\n"
        f"**اجرای دوباره.** خانهٔ کد زیر را پیش از همه اجرا کنید: پروفایل را روی `{profile}` نگه می‌دارد"
        " (پروفایل `full` روی CPU ساعت‌ها آموزش می‌خواهد)، اگر بستهٔ `hw3core` نصب نباشد آن را"
        f" {source} نصب می‌کند و هر مدلی را که در حافظهٔ نهان (`HW3_CACHE_DIR`) نباشد با نوار پیشرفت آموزش می‌دهد."
        " داده از `HW3_DATA_DIR` خوانده می‌شود و اگر آن‌جا نباشد torchvision بارگیری‌اش می‌کند."
        " بندهایی که عدد دارند در هر اجرا با عددهای همان اجرا دوباره نوشته می‌شوند.\n\n"
        "در Colab پیش از اجرا از منوی Runtime › Change runtime type یک GPU برگزینید (مثلاً T4)."
    )
    cell = nbformat.v4.new_markdown_cell(badge + rtl(note))
    cell.metadata[ROLE] = "intro"
    return cell


def setup_cell(book: BookConfig, source: Path, references: dict[str, str]) -> nbformat.NotebookNode:
    """Pin the profile, install the project where it is missing, then `notebook_kernel.start`."""
    profile, repository = book.profile, book.hw3.repository
    if repository:
        imports = "import importlib\nimport os\nimport subprocess\nimport sys"
        install = (
            f'    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "git+{repository}"], check=True)\n'
            "    importlib.invalidate_caches()  # so that this process finds what pip has just installed"
        )
    else:
        imports = "import os"
        install = '    raise ModuleNotFoundError("hw3core is not installed: install this project (pip install -e .) and run again")'
    code = f"""# Run this cell first. It pins the profile the book was built with (another profile
# trains other models: `full` for hours), installs the project where hw3core is missing
# (e.g. in Colab), and trains, with a progress bar, what the cache lacks.
{imports}

os.environ["HW3_PROFILE"] = "{profile}"
os.environ.pop("QUARTO_PROFILE", None)  # set by Quarto, it would win over HW3_PROFILE
try:
    import hw3core
except ModuleNotFoundError:
{install}
from hw3render.notebook_kernel import {PARAGRAPH}, start

start("{source.as_posix()}", profile="{profile}", references={json.dumps(references, ensure_ascii=False)})"""
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata[ROLE] = "setup"
    return cell


def prose_source(template: str) -> str:
    if '"""' in template or template.endswith("\\"):
        raise SourceError(f"a paragraph with inline Python cannot be a raw string: `{template[:40]}`")
    return f'{PARAGRAPH}(r"""\n{template}\n""")'


def book_targets(book: BookConfig, source: Path, executed: nbformat.NotebookNode) -> dict[str, Target]:
    """Every label the chapter can refer to, numbered as in the book: its own from its executed
    cells, the other chapters' sections and tables from their sources. Another chapter's
    figures are numbered only once it has run (a figure cell that shows nothing takes no
    number), so a reference to one is left out, and stops the export, rather than guessed."""
    targets: dict[str, Target] = {}
    for chapter in book.chapters:
        if chapter.source == source:
            targets.update(collect_targets(source, chapter.number, executed, book.labels))
        else:
            found = collect_targets(chapter.source, chapter.number, chapter_notebook(book, chapter.source), book.labels)
            targets.update({label: target for label, target in found.items() if not label.startswith("fig-")})
    return targets


def printed(executed: nbformat.NotebookNode) -> str:
    """Everything the build's cells wrote: their outputs and inline values, as one text to search."""
    return "".join(json.dumps(cell.get("outputs", []), ensure_ascii=False) + json.dumps(cell.metadata.get("user_expressions", []), ensure_ascii=False) for cell in executed.cells)


def mentioned(written: str, targets: dict[str, Target]) -> dict[str, str]:
    """The labels the build's outputs (`written`, `printed`) refer to (package text such as
    «… in @tbl-p3-compare»), with their words: what a re-run's outputs need resolved."""
    return {label: targets[label].text for label in REFERENCE.findall(written) if label in targets}


def bound_names(code: str) -> set[str]:
    """The names a cell's code binds in the notebook's namespace: what it imports, assigns and
    defines, outside function and class bodies (a cell with IPython syntax binds none we can see)."""
    try:
        pending: list[ast.AST] = [ast.parse(code)]
    except SyntaxError:
        return set()
    names: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return names


def reader_notebook(book: BookConfig, source: Path, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook of a practical chapter from its executed cells (notebooks.from_kept)."""
    chapter = next(c for c in book.chapters if c.source == source)
    for cell in executed.cells:
        if cell.cell_type == "code" and PARAGRAPH in bound_names(split_options(cell.source)[1]):
            raise SourceError(f"{source}: a cell binds `{PARAGRAPH}`, the name the notebook's prose cells call; rename it in the chapter")
    targets = book_targets(book, source, executed)
    output_text = printed(executed)
    references = mentioned(output_text, targets)
    # The citations the package's text makes (`[@mcnemar1947note]`), written by citeproc with
    # the chapter's own below; the kernel replaces each by its words (notebook_kernel.present).
    citations = list(dict.fromkeys(CITATION.findall(output_text)))
    templates = iter(block.text for block in parse((book.root / source).read_text(encoding="utf-8")) if block.kind == "markdown")
    parts: list[Part] = []
    for cell in executed.cells:
        if cell.cell_type == "markdown":
            parts += markdown_parts(next(templates), cell.metadata.get("user_expressions", []))
        else:
            parts += code_parts(cell, targets)
    written = [p for p in parts if p.role in ("markdown", "prose", "caption")]
    numbered = number_headings([p.text for p in written], chapter.number)
    texts = [resolve_references(text, None, targets) for text in numbered]
    rendered, cited = with_citations(book, texts + citations)
    for part, text in zip(written, rendered):
        part.text = text
    references.update(zip(citations, rendered[len(texts) :]))
    title = ""
    if parts and parts[0].role == "markdown" and parts[0].text.startswith("# "):
        title, _, parts[0].text = parts[0].text.partition("\n\n")  # the chapter's heading opens the first cell
    notebook = nbformat.v4.new_notebook(metadata={**executed.metadata})
    notebook.cells = [intro_cell(book, chapter, title), setup_cell(book, source, references)]
    notebook.cells += [cell for part in parts for cell in _cells(part, str(source), references)]
    notebook.cells += runs_cells(book, chapter)
    if cited.strip():
        # The heading in the book's direction; the works themselves are written left to right.
        notebook.cells.append(_markdown(rtl(f"## {book.language.get('section-title-references', 'References')}") + f"\n\n{cited}", "references"))
    return notebook


def runs_cells(book: BookConfig, chapter: Chapter) -> list[nbformat.NotebookNode]:
    """The chapter's rows of the book's table of runs: a heading, and a cell that lists them,
    with the table this build read as its output (a re-run lists the cache it finds)."""
    key = chapter.stem.split("-")[0]  # p1-cifar10 -> p1, the registry's chapter name
    heading = _markdown(
        rtl(
            "## آزمایش‌هایی که این دفترچه خوانده است\n\n"
            "هر عدد این دفترچه از یکی از این آزمایش‌ها می‌آید (ستون‌ها همان پیوست کتاب‌اند). هر سطر را می‌توان با"
            f" `hw3 train NAME --profile {book.profile}` دوباره اجرا کرد."
        ),
        "runs",
    )
    table = book_chapter.table(runs.runs_table(book.profile, chapter=key), digits=1)
    output = nbformat.v4.new_output("execute_result", data={"text/plain": repr(table), "text/markdown": table.data}, execution_count=None)
    code = f'from hw3core import chapter, runs\n\nchapter.table(runs.runs_table(chapter="{key}"), digits=1)'
    cell = nbformat.v4.new_code_cell(code, outputs=[output])
    cell.metadata[ROLE] = "runs"
    return [heading, cell]


def _markdown(text: str, role: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata[ROLE] = role
    return cell


def _cells(part: Part, where: str, references: dict[str, str]) -> list[nbformat.NotebookNode]:
    if part.role == "code":
        cell = copy.copy(part.cell)  # the outputs are replaced, not changed
        cell.outputs = [_presented(output, references) for output in cell.outputs]
        return [cell]
    if part.role == "source":
        return [_markdown(source_text(part.text, where), "source")]
    if part.role == "prose":
        text = present(substitute_inline(part.text, part.values, where), references)
        cell = nbformat.v4.new_code_cell(prose_source(part.text), outputs=[nbformat.v4.new_output("display_data", data={"text/markdown": text})])
        cell.metadata[ROLE] = "prose"
        cell.metadata["jupyter"] = {"source_hidden": True}
        return [cell]
    return [_markdown(rtl(part.text), part.role)] if part.text.strip() else []
