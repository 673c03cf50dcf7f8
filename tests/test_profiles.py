import pytest

from hw3core.profiles import UnknownProfileError, active_profile, check_profile, per_profile


def test_quarto_profile_wins_and_ignores_other_profiles(monkeypatch):
    monkeypatch.setenv("HW3_PROFILE", "full")
    monkeypatch.setenv("QUARTO_PROFILE", "production,quick")
    assert active_profile() == "quick"


def test_hw3_profile_is_used_outside_quarto(monkeypatch):
    monkeypatch.setenv("HW3_PROFILE", "quick")
    assert active_profile() == "quick"


def test_default_is_full(monkeypatch):
    monkeypatch.delenv("HW3_PROFILE")
    assert active_profile() == "full"


@pytest.mark.parametrize("variable", ["HW3_PROFILE", "QUARTO_PROFILE"])
def test_unknown_profile_is_named_with_the_valid_ones(monkeypatch, variable):
    monkeypatch.setenv(variable, "fast")
    with pytest.raises(UnknownProfileError, match="'fast'.*full, quick, smoke"):
        active_profile()


def test_per_profile_needs_every_profile():
    assert per_profile("smoke", full=3, quick=2, smoke=1) == 1
    with pytest.raises(TypeError, match="quick"):
        per_profile("full", full=3, smoke=1)
    with pytest.raises(UnknownProfileError):
        check_profile("Full")
