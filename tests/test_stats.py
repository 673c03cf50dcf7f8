"""The paired comparison every practical chapter judges its differences with, checked
against statsmodels' McNemar test and against hand-counted cases."""

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from hw3core import stats
from outcomes import outcomes


@pytest.mark.parametrize(
    "table",
    [(900, 30, 50, 20), (1800, 12, 9, 179), (50, 0, 7, 3), (40, 5, 5, 0), (7000, 300, 240, 2460), (10, 1, 0, 2)],
)
def test_the_p_value_is_statsmodels_exact_mcnemar(table):
    both, a_only, b_only, neither = table
    a, b = outcomes(*table)
    reference = mcnemar([[both, a_only], [b_only, neither]], exact=True).pvalue
    assert stats.compare_paired(a, b).p_value == pytest.approx(reference, rel=1e-9)


def test_hand_counted_case():
    # 100 images: 70 both right, 4 only A, 16 only B, 10 neither.
    a, b = outcomes(70, 4, 16, 10)
    c = stats.compare_paired(a, b)
    assert (c.accuracy_a, c.accuracy_b, c.difference) == pytest.approx((74.0, 86.0, 12.0))
    assert (c.a_only, c.b_only, c.images, c.seeds) == (4, 16, 100, 1)
    # the per-image difference is +1 on 16 images, -1 on 4: variance 0.2 - 0.12**2
    assert c.standard_error == pytest.approx(100 * math.sqrt((0.2 - 0.12**2) / 100))
    # P(X <= 4) * 2 for X ~ Binomial(20, 1/2): (1 + 20 + 190 + 1140 + 4845) * 2 / 2**20
    assert c.p_value == pytest.approx(2 * 6196 / 2**20)
    assert c.verdict == "b"
    assert stats.compare_paired(b, a).verdict == "a"


def test_no_discordant_pair_is_a_tie_with_p_one():
    a, b = outcomes(60, 0, 0, 40)
    c = stats.compare_paired(a, b)
    assert (c.p_value, c.difference, c.standard_error, c.verdict) == (1.0, 0.0, 0.0, "tie")


def test_a_small_difference_on_few_images_is_a_tie_and_the_level_decides():
    a, b = outcomes(80, 3, 8, 9)  # p = 0.227
    assert stats.compare_paired(a, b).verdict == "tie"
    assert stats.compare_paired(a, b, level=0.3).verdict == "b"


def test_a_paired_test_sees_a_difference_that_independent_errors_hide():
    # 2,000 images, the two models disagree on 30 only, all in B's favour: 1.5 points,
    # under two standard errors of two independent accuracies near 90 %, but every
    # disagreement goes one way.
    a, b = outcomes(1780, 0, 30, 190)
    c = stats.compare_paired(a, b)
    independent = math.hypot(stats.standard_error(c.accuracy_a / 100, 2000), stats.standard_error(c.accuracy_b / 100, 2000))
    assert c.difference < 2 * independent and c.verdict == "b" and c.p_value < 1e-8


def test_seeds_add_their_discordant_pairs_and_must_agree():
    rows = [outcomes(170, 5, 25, 0) for _ in range(3)]
    a, b = np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])
    c = stats.compare_paired(a, b)
    assert (c.a_only, c.b_only, c.seeds, c.images) == (15, 75, 3, 200)
    assert c.p_value == pytest.approx(mcnemar([[510, 15], [75, 0]], exact=True).pvalue)
    assert c.seed_differences == pytest.approx((10.0, 10.0, 10.0)) and c.verdict == "b"
    # one seed pointing the other way: no verdict, however small the pooled p-value
    flipped = outcomes(170, 25, 5, 0)
    a[2], b[2] = flipped
    mixed = stats.compare_paired(a, b)
    assert mixed.p_value < stats.SIGNIFICANCE and not mixed.seeds_agree and mixed.verdict == "tie"


def test_outcomes_of_different_images_are_refused():
    with pytest.raises(ValueError, match="same images"):
        stats.compare_paired(np.ones(10, bool), np.ones(11, bool))


def test_mean_and_spread_over_seeds():
    assert stats.mean_and_spread([90.0, 92.0, 94.0]) == pytest.approx((92.0, 2.0))
    assert stats.mean_and_spread([91.0]) == (91.0, None)


def test_standard_error_of_an_accuracy():
    assert stats.standard_error(0.9, 5000) == pytest.approx(100 * math.sqrt(0.9 * 0.1 / 5000))


def test_within_noise_is_two_standard_errors_either_way():
    se = stats.standard_error(0.7, 10000)
    assert stats.within_noise(2 * se, se) and stats.within_noise(-2 * se, se)
    assert not stats.within_noise(2.01 * se, se) and not stats.within_noise(-2.01 * se, se)
