"""The P2 chapter's sentences follow the numbers: every branch is chosen by the measured
values it describes (accuracies in percent, silhouettes, probe spreads, convergence)."""

import pytest

from hw3core.p2 import text
from outcomes import A_BETTER, B_BETTER, TIE




def per_regime(ce: float, triplet: float, combined: float) -> dict[str, float]:
    return {"cross-entropy": ce, "triplet": triplet, "combined": combined}


def test_or_never_formats_reached_values_and_says_never():
    assert text.or_never(None) == "نرسید"
    assert text.or_never(3) == "3" and text.or_never("4 + 2") == "4 + 2"
    assert text.or_never(1234.56) == "1,234.6" and text.or_never(1.234, digits=2) == "1.23"


def test_most_compact_ranks_only_beyond_the_tolerance():
    assert text.most_compact({"cross-entropy": 0.286, "triplet": 0.588, "combined": 0.55}) == "بیشترین silhouette از آن رژیم triplet (سپس لایهٔ تمام‌متصل) بود"
    tied = text.most_compact({"cross-entropy": 0.286, "triplet": 0.588, "combined": 0.587})
    assert tied.startswith("رژیم‌های triplet (سپس لایهٔ تمام‌متصل) و ترکیبی") and "0.01" in tied and "آنتروپی" not in tied


def test_winner_names_the_regime():
    values = per_regime(0.2, 0.5, 0.4)
    assert text.winner(values) == text.NAMES["triplet"] and text.winner(values, highest=False) == text.NAMES["cross-entropy"]


def reach(epochs, seconds=None, noise=0.0):
    return {"centroid_epoch_count": epochs, "centroid_seconds": seconds, "centroid_seconds_noise": noise}


def test_first_in_epochs_names_one_regime_a_tie_or_none():
    one = {"cross-entropy": reach(4), "triplet": reach(None), "combined": reach(3)}
    assert text.NAMES["combined"] in text.first_in_epochs(one, "centroid") and "(3)" in text.first_in_epochs(one, "centroid")
    tied = {"cross-entropy": reach(4), "triplet": reach(4), "combined": reach(5)}
    words = text.first_in_epochs(tied, "centroid")
    assert "برابرند" in words and text.NAMES["cross-entropy"] in words and text.NAMES["triplet"] in words
    assert "هیچ رژیمی" in text.first_in_epochs({"triplet": reach(None)}, "centroid")


def test_first_in_seconds_names_a_winner_only_beyond_the_noise_of_epoch_times():
    # 11.3 s against 11.4 s with epochs that vary by seconds: no winner
    noisy = {"cross-entropy": reach(4, 11.3, 3.0), "triplet": reach(4, 11.4, 3.0), "combined": reach(4, 30.0, 3.0)}
    assert "برنده‌ای نمی‌توان نام برد" in text.first_in_seconds(noisy, "centroid")
    clear = {"cross-entropy": reach(4, 11.3, 0.5), "triplet": reach(4, 20.0, 0.5)}
    words = text.first_in_seconds(clear, "centroid")
    assert text.NAMES["cross-entropy"] in words and "8.7" in words and "زودتر رسید" in words
    assert "کمتر از دو رژیم" in text.first_in_seconds({"cross-entropy": reach(4, 11.3), "triplet": reach(None)}, "centroid")


def test_source_and_timing_notes_say_what_applies_and_are_never_empty():
    notes = [text.lossy_note(s) for s in ("image folder (lossy JPEG copy)", "torchvision CIFAR10 (original pickles)", "synthetic (smoke profile)")]
    assert "JPEG" in notes[0] and "اصلی" in notes[1] and "مصنوعی" in notes[2]
    assert len(set(notes)) == 3
    assert text.timing_note("cpu").startswith("؛") and "CPU" in text.timing_note("cpu")
    assert text.timing_note("cuda").startswith("؛") and "یک GPU" in text.timing_note("cuda")


def test_spread_with_depth_has_three_outcomes():
    assert text.spread_with_depth({"stage1": 1.0, "stage3": 4.0}) == "می‌رسد"
    assert text.spread_with_depth({"stage1": 4.0, "stage3": 1.0}) == "کم می‌شود"
    assert text.spread_with_depth({"stage1": 2.0, "stage3": 2.0}) == "ثابت می‌ماند"


def test_separability_with_depth_needs_every_regime_to_rise():
    rising = {r: {"stage1": 60.0, "stage3": 90.0} for r in ("cross-entropy", "triplet")}
    assert text.separability_with_depth(rising) == "بیشتر می‌شود"
    rising["triplet"] = {"stage1": 80.0, "stage3": 70.0}
    assert text.separability_with_depth(rising) == "همه‌جا یکنواخت بیشتر نمی‌شود"
    assert text.best_deep_probe(rising) == text.NAMES["cross-entropy"]


@pytest.mark.parametrize(
    ("triplet", "words"),
    [(0.50, "فشرده‌تر و جداتر"), (0.30, "کمتر فشرده"), (0.405, "به همان اندازه فشرده")],
)
def test_triplet_clusters_against_cross_entropy(triplet, words):
    assert text.triplet_clusters(per_regime(0.40, triplet, 0.0)) == words


def test_accuracy_verdict_has_a_sentence_per_verdict_of_the_paired_test():
    sentences = {c.verdict: text.accuracy_verdict(c) for c in (B_BETTER, TIE, A_BETTER)}
    assert len(set(sentences.values())) == 3
    assert "برابر در حد نوفه" in sentences["tie"] and "هر دو تابع زیان" in sentences["tie"]
    assert "بالاتر است" in sentences["b"] and "پایین‌تر است" in sentences["a"]


def test_generalisation_and_combined_accuracy_follow_the_verdict():
    assert text.generalisation(A_BETTER) == "از triplet بالاتر بود"  # triplet (B) is worse than cross-entropy (A)
    assert text.generalisation(B_BETTER) == "از triplet پایین‌تر بود"
    assert text.generalisation(TIE) == "با triplet برابر در حد نوفه بود"
    assert "بالاتر بود" in text.combined_accuracy(B_BETTER) and "برابر در حد نوفه" in text.combined_accuracy(TIE)


def test_profile_and_validation_notes():
    quick, single = text.profile_paragraph("quick", 3), text.profile_paragraph("full", 1)
    assert "3 seed" in quick and "میانگین" in quick and "`quick`" in quick
    assert "یک seed" in single and "صورت تمرین" in single and "`smoke`" in text.profile_paragraph("smoke", 2)
    assert "2,000 تصویر" in text.validation_note(2000, 0.44) and "0.44 واحد درصد" in text.validation_note(2000, 0.44)
    assert text.with_spread(96.5, 0.123) == "96.50 ± 0.12" and text.with_spread(96.5, None) == "96.50"


@pytest.mark.parametrize(
    ("combined", "words"),
    [(0.45, "از آنتروپی متقاطع بیشتر بود"), (0.35, "از آنتروپی متقاطع کمتر بود"), (0.395, "با آنتروپی متقاطع هم‌اندازه بود")],
)
def test_combined_silhouette_against_cross_entropy(combined, words):
    assert text.combined_silhouette(per_regime(0.40, 0.0, combined)) == words


def test_combined_story_has_a_sentence_for_each_outcome():
    tighter, alike = per_regime(0.40, 0.0, 0.50), per_regime(0.40, 0.0, 0.405)
    stories = {
        (a, s): text.combined_story(comparison, sil)
        for a, comparison in (("same", TIE), ("moved", B_BETTER))
        for s, sil in (("tighter", tighter), ("alike", alike))
    }
    assert len(set(stories.values())) == 4
    assert "نه در دقت" in stories["same", "tighter"]
    assert "نه دقت را تغییر داد" in stories["same", "alike"]
    assert "هم دقت را جابه‌جا کرد و هم" in stories["moved", "tighter"]
    assert "بی‌آنکه خوشه‌ها فشرده‌تر شوند" in stories["moved", "alike"]


def test_regimes_still_improving_are_named_and_none_is_said_too():
    both = text.still_rising(["cross-entropy", "combined"])
    assert f"{text.NAMES['cross-entropy']} و {text.NAMES['combined']} تا epoch آخر بالا می‌رفت" in both and "بودجهٔ آموزش" in both
    none = text.still_rising([])
    assert "پیش از epoch آخر به بیشینه رسید" in none and "بالا می‌رفت" not in none
