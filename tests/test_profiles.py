import pytest

from hw3core.profiles import UnknownProfileError, check_profile, per_profile


def test_per_profile_needs_every_profile():
    assert per_profile("smoke", full=3, quick=2, smoke=1) == 1
    with pytest.raises(TypeError, match="quick"):
        per_profile("full", full=3, smoke=1)
    with pytest.raises(UnknownProfileError):
        check_profile("Full")
