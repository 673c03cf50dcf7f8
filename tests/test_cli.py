"""The experiment commands of hw3 (hw3core.cli): list, train, and clear errors."""

from hw3core.cli import main


def test_list_shows_experiments_and_status(capsys):
    assert main(["list", "--profile", "smoke"]) == 0
    assert "pipeline-check" in capsys.readouterr().out


def test_train_then_list_reports_cached(capsys):
    main(["list", "--profile", "smoke"])
    assert any(l.split()[0] == "pipeline-check" for l in capsys.readouterr().out.splitlines() if l.startswith("  ")), "pipeline-check would train"
    assert main(["train", "pipeline-check", "--profile", "smoke"]) == 0
    main(["list", "--profile", "smoke"])
    out = capsys.readouterr().out.splitlines()
    line = next(l for l in out if l.startswith("pipeline-check ") and "[" not in l)
    assert "cached" in line
    planned = [l.split()[0] for l in out if l.startswith("  ")]
    assert "pipeline-check" not in planned and "p1-baseline" in planned, "the plan lists what is missing, not what is cached"
    assert any("would first train" in l and "in all" in l for l in out)


def test_train_for_quarto_takes_the_chapters_being_rendered(monkeypatch, capsys):
    from hw3core import experiments, registry

    monkeypatch.setenv("QUARTO_PROJECT_INPUT_FILES", "index.qmd\nreport/t1-conv-arithmetic.qmd")
    assert main(["train", "--quarto", "--profile", "smoke"]) == 0
    assert capsys.readouterr().out.strip() == "hw3: trained pipeline-check"
    assert experiments.status(registry.get("pipeline-check"), "smoke") == "cached"
    assert experiments.status(registry.get("p1-baseline"), "smoke") == "missing"


def test_train_without_names_is_a_clear_error(capsys):
    assert main(["train", "--profile", "smoke"]) == 2
    assert "hw3 train p1" in capsys.readouterr().err


def test_train_takes_chapters_and_names(capsys):
    from hw3core import registry
    from hw3core.p1 import study as cifar_study

    def names(words: list[str]) -> list[str]:
        return [experiment.name for experiment in registry.select(words)]

    assert names(["p1"]) == sorted(cifar_study.EXPERIMENTS)
    assert names(["pipeline-check", "p1-bn", "p1", "pipeline-check"]) == ["pipeline-check", "p1-bn", *sorted(set(cifar_study.EXPERIMENTS) - {"p1-bn"})]
    assert names(["all"]) == sorted(registry.EXPERIMENTS)
    assert main(["train", "index", "--profile", "smoke"]) == 0  # the chapter whose one experiment is pipeline-check
    assert capsys.readouterr().out.startswith("pipeline-check [smoke]")


def test_unknown_experiment_is_a_clear_error(capsys):
    assert main(["train", "no-such", "--profile", "smoke"]) == 2
    assert "unknown experiment 'no-such'" in capsys.readouterr().err


def test_unknown_profile_in_the_environment_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("HW3_PROFILE", "fastest")
    assert main(["list"]) == 2
    assert "HW3_PROFILE='fastest' is not a profile of this book; use full, quick or smoke" in capsys.readouterr().err
