"""The hw3 command: list, train, and clear errors."""

from hw3core.cli import main


def test_list_shows_experiments_and_status(capsys):
    assert main(["list", "--profile", "smoke"]) == 0
    assert "toy" in capsys.readouterr().out


def test_train_then_list_reports_cached(capsys):
    assert main(["train", "toy", "--profile", "smoke"]) == 0
    main(["list", "--profile", "smoke"])
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("toy ") and "[" not in l)
    assert "cached" in line


def test_unknown_experiment_is_a_clear_error(capsys):
    assert main(["train", "no-such", "--profile", "smoke"]) == 2
    assert "unknown experiment 'no-such'" in capsys.readouterr().err


def test_unknown_profile_in_the_environment_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("HW3_PROFILE", "fastest")
    assert main(["list"]) == 2
    assert "unknown profile 'fastest'" in capsys.readouterr().err
