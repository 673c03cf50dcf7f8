"""The installed `hw3` command: hw3core's experiment commands, and the book's.

    hw3 render [--profile P] [--chapters report/x.qmd ...] [--to html,pdf]
    hw3 notebooks [--profile P] [--quarto]
    hw3 submission [--profile P]
    hw3 train | list | rehearse ...    (hw3core.cli)

One parser and one `main`: the book's commands are added to hw3core's parser and run
by hw3core's `main`, so every command reports a foreseeable failure the same way.
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from pathlib import Path

from hw3core import cli
from hw3core.errors import UserError
from hw3core.settings import Settings


def cmd_render(args: argparse.Namespace, settings: Settings) -> int:
    from . import render_book

    settings = cli.chosen(args, settings)
    started = time.perf_counter()
    result = render_book(args.root, settings.profile, args.chapters, tuple(args.to.split(",")), args.out, settings)
    print(f"rendered [{settings.profile}] in {time.perf_counter() - started:.1f} s:")
    for path in [*result.html[:1], result.pdf]:
        if path is not None:
            print(f"  {path}")
    return 0


def cmd_notebooks(args: argparse.Namespace, settings: Settings) -> int:
    """Write the executed practical notebooks: the book's post-render step (report/_scripts/notebooks.py).

    Each is built from the executed notebook the render kept beside its chapter
    (notebooks.py); a chapter without one is executed, unless under --quarto the render
    was of some chapters only (no QUARTO_PROJECT_RENDER_ALL), which leaves it out.
    """
    from . import build_record
    from .config import load_book
    from .notebooks import export

    settings = cli.chosen(args, settings)
    book = load_book(args.root, settings.profile, args.out, settings)
    if args.quarto:
        quarto = settings.quarto
        if quarto.output_dir is None:
            raise UserError("hw3 notebooks --quarto is the post-render step and needs QUARTO_PROJECT_OUTPUT_DIR; run it without --quarto")
        written = export(book, quarto.output_dir, quarto.render_all)
        rendered = [(quarto.project_dir or book.root) / path for path in quarto.outputs()]
        build_record.record(quarto.output_dir, book.profile, [*rendered, *written])
        for name in build_record.clear_other_profiles(quarto.output_dir, book.profile):
            print(f"  removed {name}: built by another profile than {book.profile}")
    else:
        written = export(book, book.output_dir, execute_missing=True)
        build_record.record(book.output_dir, book.profile, written)
    for path in written:
        print(f"  {path}")
    return 0


def cmd_submission(args: argparse.Namespace, settings: Settings) -> int:
    """Zip the PDF, the three notebooks and the HTML site as HW3-<Name>-<StudentNumber>.zip.

    The zip is written beside the output folder (the project root for `_book/`).
    """
    import io

    from . import output
    from .build_record import RECORD, require_profile
    from .config import load_book

    settings = cli.chosen(args, settings)
    book = load_book(args.root, settings.profile, args.out, settings)
    out = book.output_dir
    pdf = out / f"{book.book.get('output-file', 'book')}.pdf"
    notebooks = [out / "notebooks" / f"{source.stem}.ipynb" for source in book.hw3.practical_notebooks]
    pages = [out / chapter.html_path for chapter in book.chapters]
    missing = [str(p) for p in [pdf, *notebooks, *pages] if not p.exists()]
    if missing:
        print(f"hw3: build the book first (make report); missing: {', '.join(missing)}", file=sys.stderr)
        return 2
    target = out.parent / book.hw3.submission_name()
    assert target.resolve().parent == out.parent.resolve(), f"the zip's name {target.name!r} leaves {out.parent}"
    require_profile(out, book.profile, [pdf, *notebooks, *pages])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(pdf, pdf.name)
        for notebook in notebooks:
            archive.write(notebook, f"notebooks/{notebook.name}")
        for path in sorted(out.rglob("*")):
            if path.is_file() and path.suffix not in {".pdf", ".typ", ".ipynb"} and path.name != RECORD:
                archive.write(path, f"html/{path.relative_to(out)}")
    output.write(target, buffer.getvalue())  # whole or absent: a full disk leaves no torn zip, and says so in one line
    print(target)
    return 0


def book_commands(main: argparse.ArgumentParser, command: cli.AddCommand) -> None:
    """The book's option and commands, added to hw3core's parser."""
    main.add_argument("--out", type=Path, help="output folder instead of _quarto.yml's (default _book/)")
    render = command("render", cmd_render, "render the book to _book/ without the Quarto CLI")
    render.add_argument("--chapters", nargs="+", type=Path, help="only these chapters (paths as in _quarto.yml)")
    render.add_argument("--to", default="html,pdf", help="comma-separated: html, pdf")
    command("notebooks", cmd_notebooks, "write the executed practical notebooks").add_argument(
        "--quarto", action="store_true", help="as the post-render step: into QUARTO_PROJECT_OUTPUT_DIR, executing only if QUARTO_PROJECT_RENDER_ALL"
    )
    command("submission", cmd_submission, "zip the PDF, notebooks and HTML for submission")


def main(argv: list[str] | None = None) -> int:
    """`hw3`: every command, with hw3core's error policy."""
    return cli.main(argv, cli.parser(__doc__, book_commands))


if __name__ == "__main__":
    sys.exit(main())
