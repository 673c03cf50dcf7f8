"""The installed hw3 command (hw3render.cli): the book's commands on hw3core's parser."""

import zipfile
from pathlib import Path

import pytest

from hw3core import cli as experiment_cli
from hw3render.cli import main


def test_hw3_has_every_command_and_hw3core_alone_only_the_experiments(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("render", "notebooks", "submission", "train", "list", "rehearse"))
    with pytest.raises(SystemExit):
        experiment_cli.main(["render"])
    assert "invalid choice: 'render'" in capsys.readouterr().err


def test_a_book_command_fails_with_the_same_one_line_policy(capsys):
    assert main(["render", "--profile", "smoke", "--chapters", "report/no-such.qmd"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hw3: error: not chapters of _quarto.yml: report/no-such.qmd") and "Traceback" not in err


def test_the_post_render_command_outside_a_render_says_how_to_run_it(monkeypatch, capsys):
    monkeypatch.delenv("QUARTO_PROJECT_OUTPUT_DIR", raising=False)
    assert main(["notebooks", "--quarto", "--profile", "smoke"]) == 2
    assert "needs QUARTO_PROJECT_OUTPUT_DIR; run it without --quarto" in capsys.readouterr().err


def test_submission_zip_holds_pdf_notebooks_and_site(smoke_book, capsys):
    assert main(["--out", str(smoke_book), "submission", "--profile", "smoke"]) == 0
    archive = Path(capsys.readouterr().out.strip())
    assert archive.name == "HW3-Name-StudentNumber.zip" and archive.parent == smoke_book.parent
    names = zipfile.ZipFile(archive).namelist()
    assert "hw3.pdf" in names and "html/index.html" in names
    assert {f"notebooks/{n}.ipynb" for n in ("p1-cifar10", "p2-losses", "p3-transfer")} <= set(names)


def test_submission_before_a_build_says_what_is_missing(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "empty"), "submission", "--profile", "smoke"]) == 2
    assert "build the book first" in capsys.readouterr().err
