"""The P1 chapter's sentences follow the numbers: each branch is chosen by the measured
values or the paired test's verdict it describes, and the derived figures (most confused
cells) are checked against direct computation."""

import numpy as np
import pandas as pd

from hw3core.p1 import text
from hw3core.data import CIFAR10_CLASSES
from outcomes import A_BETTER, B_BETTER, TIE


def summary(**values):
    base = {"test": 60.0, "test_flip": None, "best_val": 60.0, "best_epoch": 5, "epochs": 10, "train_last": 62.0, "val_last": 60.0, "gap_last": 2.0}
    return {**base, **values}


def test_the_comparisons_of_the_tests_have_the_verdicts_they_are_named_for():
    assert (B_BETTER.verdict, TIE.verdict, A_BETTER.verdict) == ("b", "tie", "a")


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


def test_profile_paragraph_says_what_each_profile_means_and_which_numbers_are_single_runs():
    quick, full, smoke = text.profile_paragraph("quick", 1), text.profile_paragraph("full", 3), text.profile_paragraph("smoke", 2)
    assert "`quick`" in quick and "یک seed" in quick and "نه اندازه‌شان" in quick
    assert "صورت تمرین" in full and "3 seed" in full and "میانگین" in full
    assert "مصنوعی" in smoke and len({quick, full, smoke}) == 3


def test_logit_scale_item_follows_the_profile_config():
    scaled, plain = text.logit_scale_item(0.125, 0.125), text.logit_scale_item(1.0, 0.125)
    assert "$0.125$ ضرب می‌شوند" in scaled and "به برداشت ما" in scaled and "`full`" not in scaled
    assert "ضریبی ندارند" in plain and "برابر 1" in plain and "`full`" in plain and "$0.125$" in plain


def test_training_ends_names_the_runs_still_improving():
    rising, settled = summary(best_epoch=10, epochs=10), summary(best_epoch=6, epochs=10)
    every = text.training_ends({"b": rising, "c": rising, "c'": rising})
    some = text.training_ends({"b": settled, "d": rising, "c'": rising})
    none = text.training_ends({"b": settled, "c": settled})
    assert "هر 3 مدل" in every and "ناتمام" in every
    assert "(ج′)، (د)" in some and "(ب)" not in some  # listed in the book's order: b, c, c', d, e
    assert "هیچ مدلی" in none


def test_capacity_on_validation_has_a_sentence_per_verdict():
    sentences = {c.verdict: text.capacity_on_validation(c) for c in (B_BETTER, TIE, A_BETTER)}
    assert len(set(sentences.values())) == 3
    assert "بهتر آموخت" in sentences["b"] and "برابر در حد نوفه" in sentences["tie"] and "هنوز مناسب نیست" in sentences["a"]
    assert f"{B_BETTER.difference:.2f} واحد درصد بالا رفت" in sentences["b"]


def test_a_part_letter_is_written_in_persian_abjad_order():
    assert [text.part_letter(letter) for letter in ("b", "c", "c'", "d", "e", "g")] == ["ب", "ج", "ج′", "د", "هـ", "ز"]


def test_depth_effect_has_a_sentence_for_each_outcome():
    gained = text.depth_effect(B_BETTER, summary())
    unfinished = text.depth_effect(A_BETTER, summary(best_epoch=10, epochs=10))
    settled = text.depth_effect(A_BETTER, summary(best_epoch=6, epochs=10))
    tie = text.depth_effect(TIE, summary(best_epoch=6, epochs=10))
    assert len({gained, unfinished, settled}) == 3 and "epoch آخر" in unfinished and tie == settled


def test_rate_effect_reads_the_rate_alone():
    broke = text.rate_effect(A_BETTER, summary(best_val=11.0))
    hurt = text.rate_effect(A_BETTER, summary(best_val=55.0))
    same = text.rate_effect(TIE, summary(best_val=55.0))
    helped = text.rate_effect(B_BETTER, summary(best_val=65.0))
    assert len({broke, hurt, same, helped}) == 4 and "آموزش‌ناپذیر" in broke and "تنظیم نشده" in helped


def test_bn_reach_names_the_epochs_or_says_never():
    assert "epoch 3" in text.bn_reach(3, summary(best_epoch=9)) and "epoch 9" in text.bn_reach(3, summary(best_epoch=9))
    assert "نرسید" in text.bn_reach(None, summary())


def test_bn_story_reads_each_effect_from_the_comparison_that_isolates_it():
    n = 5000
    c = summary(best_val=70.0)
    shown = text.bn_story(A_BETTER, B_BETTER, c, summary(best_val=60.0, gap_last=2.0), summary(best_val=75.0, gap_last=5.0), n)
    assert "دیده می‌شود." in shown.split("دیده نمی‌شود")[0] and "بالا رفت" in shown  # BN makes the rate usable
    assert "5.00 واحد بیشتر شد" in shown and "منظم‌سازی از آن دیده نمی‌شود" in shown  # the gap grew: no regularising seen
    not_rescued = text.bn_story(A_BETTER, TIE, c, summary(best_val=60.0), summary(best_val=60.5), n)
    assert "جبران نکرد" in not_rescued and "برابر در حد نوفه" in not_rescued
    no_need = text.bn_story(TIE, B_BETTER, c, summary(best_val=70.2, gap_last=5.0), summary(best_val=74.0, gap_last=2.0), n)
    assert "نیاز نداشت" in no_need and "کمتر شد" in no_need and "سازگار" in no_need
    same_gap = text.bn_story(TIE, TIE, c, summary(best_val=70.0, gap_last=3.0), summary(best_val=70.0, gap_last=3.5), n)
    assert "در حد نوفه یکسان ماند" in same_gap and "دیده نمی‌شود" in same_gap
    diverged = text.bn_story(A_BETTER, B_BETTER, summary(best_val=70.0, gap_last=3.0), summary(best_val=14.3, gap_last=-0.1), summary(best_val=81.0, gap_last=0.5), n)
    assert "تقریباً چیزی نیاموخت" in diverged and "14.30%" in diverged and "دیده می‌شود" in diverged
    assert "نسبت به (ج)" in diverged and "از 3.00 به 0.50 واحد" in diverged  # the gap is read against (c), which learned


def test_gap_change_is_judged_against_the_validation_noise():
    n = 5000
    assert text.gap_change(summary(gap_last=2.0), summary(gap_last=6.0), n) == "بیشتر شد"
    assert text.gap_change(summary(gap_last=6.0), summary(gap_last=2.0), n) == "کمتر شد"
    assert text.gap_change(summary(gap_last=2.0), summary(gap_last=3.0), n) == "در حد نوفه یکسان ماند"


def test_bn_effect_has_a_sentence_per_verdict():
    helped, tie, hurt = (text.bn_effect(c) for c in (B_BETTER, TIE, A_BETTER))
    assert len({helped, tie, hurt}) == 3 and "خلاف آن" in hurt and "برابر در حد نوفه" in tie


def test_dropout_is_not_judged_on_a_run_still_improving():
    d, settled = summary(best_val=72.0, gap_last=4.0), summary(best_epoch=6, epochs=10)
    short = text.dropout_effect(B_BETTER, d, summary(best_epoch=10, epochs=10), 30)
    assert "کوتاه است" in short and "`full`" in short and "30 epoch" in short and "یکی از دو مدل" in short
    both = text.dropout_effect(TIE, summary(best_epoch=10, epochs=10), summary(best_epoch=10, epochs=10), 30)
    assert "هر دو مدل" in both
    judged = {c.verdict: text.dropout_effect(c, d, settled, 30) for c in (B_BETTER, TIE, A_BETTER)}
    assert len(set(judged.values())) == 3 and "جای منظم‌سازی" in judged["b"] and "نه کمک کرد" in judged["tie"]
    assert all("کوتاه است" not in sentence for sentence in judged.values())
    on_test = text.dropout_on_test(A_BETTER, d, summary(best_epoch=10, epochs=10))
    assert "نمی‌سنجد" in on_test
    assert len({text.dropout_on_test(c, d, settled) for c in (B_BETTER, TIE, A_BETTER)}) == 3


def test_best_model_is_compared_with_the_baseline_unless_it_is_the_baseline():
    better = text.best_model("d", summary(test=75.0, test_flip=75.5), B_BETTER)
    itself = text.best_model("b", summary(test=60.0), None)
    assert "(د)" in better and "75.00%" in better and "flip TTA 75.50%" in better and "بالاتر است" in better
    assert "(ب)" in itself and "بهتر نکرد" in itself and "مدل پایه دقت" not in itself and "flip" not in itself


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
    assert "سنجیدنی نیست" in text.targets_note("quick", 70.0, 80.0)
    met = text.targets_note("full", 65.0, 91.0)
    missed = text.targets_note("full", 62.0, 89.0)
    assert met.count("نرسید") == 0 and missed.count("نرسید") == 2


def test_training_time_names_the_kind_of_device():
    assert "یک CPU" in text.training_time(1234.5, "cpu") and "1,234" in text.training_time(1234.5, "cpu")
    assert "یک GPU" in text.training_time(60.0, "cuda:0")


def test_source_note_names_the_copy_that_was_read():
    assert "JPEG" in text.source_note("image folder (lossy JPEG copy)")
    assert "مصنوعی" in text.source_note("synthetic (smoke profile)")
    assert "torchvision" in text.source_note("torchvision CIFAR10 (original pickles)")
