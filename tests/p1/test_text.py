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


def test_depth_effect_has_a_sentence_for_each_outcome():
    b = summary(test=58.0)
    gained = text.depth_effect(b, summary(test=68.0))
    unfinished = text.depth_effect(b, summary(test=55.0, best_epoch=10, epochs=10))
    settled = text.depth_effect(b, summary(test=55.0, best_epoch=6, epochs=10))
    assert len({gained, unfinished, settled}) == 3 and "epoch آخر" in unfinished


def test_bn_reach_names_the_epochs_or_says_never():
    assert "epoch 3" in text.bn_reach(3, summary(best_epoch=9)) and "epoch 9" in text.bn_reach(3, summary(best_epoch=9))
    assert "نرسید" in text.bn_reach(None, summary())


def test_bn_effect_follows_the_test_accuracy():
    helped = text.bn_effect(summary(test=68.0), summary(test=73.0))
    did_not = text.bn_effect(summary(test=68.0), summary(test=67.0))
    assert helped != did_not and "چنین نشد" in did_not and "چنین نشد" not in helped


def test_dropout_effect_follows_the_validation_accuracy():
    d = summary(best_val=72.0, gap_last=4.0)
    kept = text.dropout_effect(d, summary(best_val=72.5))
    slowed = text.dropout_effect(d, summary(best_val=70.0, best_epoch=12, epochs=12))
    hurt = text.dropout_effect(d, summary(best_val=70.0, best_epoch=8, epochs=12))
    assert "پایین نیاورد" in kept and "4.00" in slowed and "12 epoch" in slowed
    assert len({kept, slowed, hurt}) == 3


def test_noise_verdict_follows_two_standard_errors():
    se = stats.standard_error(0.7, 10000)
    assert "کمتر" in text.against_noise(1.5 * se, se) and "کمتر" in text.against_noise(-2 * se, se)
    assert "بیشتر" in text.against_noise(-2.5 * se, se)


def test_most_confused_and_pairs_read_the_matrix():
    matrix = confusion({("cat", "dog"): 30, ("dog", "cat"): 25, ("truck", "automobile"): 40, ("bird", "deer"): 10})
    assert text.most_confused(matrix) == ("truck", "automobile", 40)
    pairs = text.confused_pairs(matrix, top=2)
    assert pairs == [frozenset({"cat", "dog"}), frozenset({"truck", "automobile"})]  # 55 both ways beats 40


def test_confusion_summary_checks_the_lookalike_claim():
    baseline = confusion({("ship", "airplane"): 50})
    alike = text.confusion_summary(confusion({("cat", "dog"): 30, ("dog", "cat"): 25, ("bird", "deer"): 10}), baseline)
    unlike = text.confusion_summary(
        confusion({("bird", "deer"): 30, ("frog", "horse"): 20, ("ship", "truck"): 15, ("cat", "dog"): 1}), baseline
    )
    assert "cat و dog" in alike and "airplane" in alike and "(50 تصویر)" in alike
    assert "هیچ‌کدام" in unlike and "هیچ‌کدام" not in alike
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
