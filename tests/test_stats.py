"""The noise of an accuracy measured on a finite test set, and the band (two standard
errors) inside which both practical chapters call a difference noise."""

import math

import pytest

from hw3core import stats


def test_standard_error_of_an_accuracy():
    assert stats.standard_error(0.9, 5000) == pytest.approx(100 * math.sqrt(0.9 * 0.1 / 5000))


def test_within_noise_is_two_standard_errors_either_way():
    se = stats.standard_error(0.7, 10000)
    assert stats.within_noise(2 * se, se) and stats.within_noise(-2 * se, se)
    assert not stats.within_noise(2.01 * se, se) and not stats.within_noise(-2.01 * se, se)


def test_difference_standard_error_adds_the_two_variances():
    a, b, n = 0.8, 0.7, 2000
    expected = 100 * math.sqrt(a * (1 - a) / n + b * (1 - b) / n)
    assert stats.difference_standard_error(a, b, n) == pytest.approx(expected)
    assert stats.noise_band(a, b, n) == pytest.approx(2 * expected)
    # more images, a narrower band
    assert stats.noise_band(a, b, 4 * n) == pytest.approx(stats.noise_band(a, b, n) / 2)
