"""The installed hw3 command (hw3render.cli): the book's commands on hw3core's parser."""

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


def test_submission_before_a_build_says_what_is_missing(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "empty"), "submission", "--profile", "smoke"]) == 2
    assert "build the book first" in capsys.readouterr().err
