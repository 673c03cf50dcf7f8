"""The P1 chapter's sentences follow the numbers: each branch is chosen by the measured
values it describes, and the derived figures (standard error, most confused cells) are
checked against direct computation."""

import numpy as np
import pandas as pd

from hw3core import stats
from hw3core.p1 import text
from hw3core.data import CIFAR10_CLASSES


def summary(**values):
    base = {"test": 60.0, "best_val": 60.0, "best_epoch": 5, "epochs": 10, "train_last": 62.0, "val_last": 60.0, "gap_last": 2.0}
    return {**base, **values}


def confusion(cells: dict[tuple[str, str], int], correct: int = 100) -> pd.DataFrame:
    matrix = pd.DataFrame(np.eye(10, dtype=int) * correct, index=CIFAR10_CLASSES, columns=CIFAR10_CLASSES)
    for (true, predicted), count in cells.items():
        matrix.loc[true, predicted] = count
    return matrix


def test_baseline_fit_tells_underfitting_from_overfitting():
    under = text.baseline_fit(summary(train_last=55.0, val_last=58.0, gap_last=-3.0))
    over = text.baseline_fit(summary(train_last=70.0, val_last=58.0, gap_last=12.0))
    assert "ظرفیت کم" in under and "بیش‌برازش مدل پایه" not in under
    assert "12.00" in over and "بیش‌برازش" in over


N = 10_000  # test images: two standard errors of a difference near 60 % are about 1.4 points


def test_verdict_and_change_call_a_difference_within_the_band_a_tie():
    band = stats.noise_band(0.60, 0.60, N)
    assert text.verdict(60.0, 60.0 + 0.9 * band, N) == "tie" == text.verdict(60.0, 60.0 - 0.9 * band, N)
    assert text.verdict(60.0, 60.0 + 1.1 * band, N) == "up" and text.verdict(60.0, 60.0 - 1.1 * band, N) == "down"
    assert "برابر دانست" in text.change(60.0, 60.5, N) and f"{stats.noise_band(0.6, 0.605, N):.2f}" in text.change(60.0, 60.5, N)
    assert "بالا رفت" in text.change(60.0, 65.0, N) and "پایین آمد" in text.change(65.0, 60.0, N)
    assert "برابر دانست" in text.change(60.0, 65.0, 100)  # the same gap on 100 images is noise


def test_best_model_is_compared_with_the_baseline_unless_it_is_the_baseline():
    better = text.best_model("d", summary(test=75.0), summary(test=60.0), N)
    itself = text.best_model("b", summary(test=60.0), None, N)
    assert "(د)" in better and "75.00%" in better and "بالا رفت" in better
    assert "(ب)" in itself and "هیچ‌یک از شبکه‌ها" in itself and "نسبت به مدل پایه" not in itself


def test_a_part_letter_is_written_in_persian_abjad_order():
    assert [text.part_letter(letter) for letter in ("b", "c", "c'", "d", "e", "g")] == ["ب", "ج", "ج′", "د", "هـ", "ز"]


def test_depth_effect_has_a_sentence_for_each_outcome():
    b = summary(test=58.0)
    gained = text.depth_effect(b, summary(test=68.0), N)
    unfinished = text.depth_effect(b, summary(test=55.0, best_epoch=10, epochs=10), N)
    settled = text.depth_effect(b, summary(test=55.0, best_epoch=6, epochs=10), N)
    tie = text.depth_effect(b, summary(test=58.5, best_epoch=6, epochs=10), N)
    assert len({gained, unfinished, settled}) == 3 and "epoch آخر" in unfinished and tie == settled


def test_bn_reach_names_the_epochs_or_says_never():
    assert "epoch 3" in text.bn_reach(3, summary(best_epoch=9)) and "epoch 9" in text.bn_reach(3, summary(best_epoch=9))
    assert "نرسید" in text.bn_reach(None, summary())


def test_bn_story_reads_each_effect_from_the_comparison_that_isolates_it():
    n = 5000
    c = summary(best_val=70.0)
    shown = text.bn_story(c, summary(best_val=60.0, gap_last=2.0), summary(best_val=75.0, gap_last=5.0), n)
    assert "دیده می‌شود." in shown.split("دیده نمی‌شود")[0] and "بالا رفت" in shown  # BN makes the rate usable
    assert "5.00 واحد بیشتر شد" in shown and "منظم‌سازی از آن دیده نمی‌شود" in shown  # the gap grew: no regularising seen
    not_rescued = text.bn_story(c, summary(best_val=60.0), summary(best_val=60.5), n)
    assert "جبران نکرد" in not_rescued and "برابر دانست" in not_rescued
    no_need = text.bn_story(c, summary(best_val=70.2, gap_last=5.0), summary(best_val=74.0, gap_last=2.0), n)
    assert "نیاز نداشت" in no_need and "کمتر شد" in no_need and "سازگار" in no_need
    same_gap = text.bn_story(c, summary(best_val=70.0, gap_last=3.0), summary(best_val=70.0, gap_last=3.5), n)
    assert "در حد نوسان یکسان ماند" in same_gap and "دیده نمی‌شود" in same_gap
    diverged = text.bn_story(summary(best_val=70.0, gap_last=3.0), summary(best_val=14.3, gap_last=-0.1), summary(best_val=81.0, gap_last=0.5), n)
    assert "تقریباً چیزی نیاموخت" in diverged and "14.30%" in diverged and "دیده می‌شود" in diverged
    assert "نسبت به (ج)" in diverged and "از 3.00 به 0.50 واحد" in diverged  # the gap is read against (c), which learned


def test_gap_change_is_judged_against_the_validation_noise():
    n = 5000
    assert text.gap_change(summary(gap_last=2.0), summary(gap_last=6.0), n) == "بیشتر شد"
    assert text.gap_change(summary(gap_last=6.0), summary(gap_last=2.0), n) == "کمتر شد"
    assert text.gap_change(summary(gap_last=2.0), summary(gap_last=3.0), n) == "در حد نوسان یکسان ماند"


def test_bn_effect_follows_the_test_accuracy_at_equal_rate():
    helped = text.bn_effect(summary(test=68.0), summary(test=73.0), N)
    tie = text.bn_effect(summary(test=68.0), summary(test=68.4), N)
    hurt = text.bn_effect(summary(test=68.0), summary(test=64.0), N)
    assert len({helped, tie, hurt}) == 3 and "چنین نشد" in hurt and "در حد نوسان" in tie


def test_dropout_effect_follows_the_validation_accuracy_against_noise():
    n, d = 5000, summary(best_val=72.0, gap_last=4.0)
    helped = text.dropout_effect(d, summary(best_val=75.0), n)
    tie = text.dropout_effect(d, summary(best_val=72.5), n)
    slowed = text.dropout_effect(d, summary(best_val=68.0, best_epoch=12, epochs=12), n)
    hurt = text.dropout_effect(d, summary(best_val=68.0, best_epoch=8, epochs=12), n)
    assert "نه کمک کرد" in tie and "4.00" in slowed and "12 epoch" in slowed
    assert len({helped, tie, slowed, hurt}) == 4


def test_most_confused_and_pairs_read_the_matrix():
    matrix = confusion({("cat", "dog"): 30, ("dog", "cat"): 25, ("truck", "automobile"): 40, ("bird", "deer"): 10})
    assert text.most_confused(matrix) == ("truck", "automobile", 40)
    pairs = text.confused_pairs(matrix, top=2)
    assert pairs == [frozenset({"cat", "dog"}), frozenset({"truck", "automobile"})]  # 55 both ways beats 40
    assert text.pair_errors(matrix)[frozenset({"cat", "dog"})] == 55


def test_confusion_summary_names_only_the_lookalikes_the_matrix_shows():
    baseline = confusion({("ship", "airplane"): 50})
    alike = text.confusion_summary(confusion({("cat", "dog"): 30, ("dog", "cat"): 25, ("bird", "deer"): 10}), baseline)
    unlike = text.confusion_summary(
        confusion({("bird", "deer"): 30, ("frog", "horse"): 20, ("ship", "truck"): 15, ("cat", "dog"): 1}), baseline
    )
    assert "cat و dog (55 تصویر)" in alike and "airplane" in alike and "(50 تصویر)" in alike
    assert "automobile و truck در میان" not in alike and "شکل و پس‌زمینه" in alike  # truck/automobile is not in its top 3
    assert "هیچ‌کدام" in unlike and "هیچ‌کدام" not in alike and "bird و deer (30 تصویر)" in unlike
    assert "شکل و پس‌زمینه" not in unlike
    assert "هیچ خطایی" in text.confusion_summary(confusion({}), baseline)


def test_targets_note_judges_only_the_full_profile():
    assert "سنجیدنی نیستند" in text.targets_note("quick", 70.0, 80.0)
    met = text.targets_note("full", 65.0, 91.0)
    missed = text.targets_note("full", 62.0, 89.0)
    assert met.count("نرسید") == 0 and missed.count("نرسید") == 2


def test_source_note_names_the_copy_that_was_read():
    assert "JPEG" in text.source_note("image folder (lossy JPEG copy)")
    assert "مصنوعی" in text.source_note("synthetic (smoke profile)")
    assert "torchvision" in text.source_note("torchvision CIFAR10 (original pickles)")
