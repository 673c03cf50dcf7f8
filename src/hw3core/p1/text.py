"""The Persian sentences of the P1 chapter that depend on what a run measured.

A claim such as "BatchNorm raised the accuracy" or "the baseline underfits" is only true
for some runs. Each function here reads the numbers (the summaries of
`p1.analysis.run_summary`, accuracies in percent) and returns the sentence that fits
them, so the chapter never states a direction its own tables contradict, whichever
profile or data built it. They are plain functions of numbers, tested branch by branch.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from ..profiles import Profile
from ..prose import direction
from ..stats import noise_band

Summary = dict[str, Any]

# The assignment's targets for the full profile: baseline >= 63 %, best model >= 90 % test accuracy.
TARGETS = {"baseline": 63.0, "best": 90.0}
# Accuracy (%) of guessing one of CIFAR-10's ten classes at random.
CHANCE = 100 / 10
# Class pairs that look alike at 32x32; the analysis checks whether the run confirms it.
LOOKALIKES = (("cat", "dog"), ("automobile", "truck"))
# The assignment's part letters as the Persian text writes them, in abjad order: (a) is (آ), (e) is (هـ).
PERSIAN_LETTERS = dict(zip("abcdefgh", ("آ", "ب", "ج", "د", "هـ", "و", "ز", "ح")))


def part_letter(letter: str) -> str:
    """A part's letter (`study.Part.letter`) as the Persian text writes it: "c" is "ج",
    and the ablation's "c'" is "ج′"."""
    return PERSIAN_LETTERS[letter[0]] + "′" * letter.count("'")


def source_note(source: str) -> str:
    """A callout (Markdown) saying which copy of CIFAR-10 the numbers were measured on."""
    if "lossy" in source:
        body = (
            "اعداد این فصل روی نسخهٔ image-folder از CIFAR-10 اندازه‌گیری شده‌اند، نه روی فایل‌های اصلی "
            "`torchvision.datasets.CIFAR10`؛ تصاویر این نسخه با JPEG (با اتلاف) فشرده شده‌اند و دقت‌ها روی آن "
            "ممکن است کمی کمتر از دادهٔ اصلی باشد."
        )
    elif "synthetic" in source:
        body = "داده‌های این اجرا مصنوعی‌اند (پروفایل smoke) و هیچ ربطی به تصاویر CIFAR-10 ندارند."
    else:
        body = "داده‌ها فایل‌های اصلی CIFAR-10 از `torchvision.datasets.CIFAR10` هستند."
    return f"::: {{.callout-note}}\n## منبع داده: {source}\n{body}\n:::\n"


def baseline_fit(b: Summary) -> str:
    """Underfitting or overfitting of the baseline, read from its last epoch."""
    if b["train_last"] < b["val_last"]:
        return (
            "دقت آموزش کمتر از دقت اعتبارسنجی ماند: مدل پایه با یک لایهٔ کانولوشن حتی دسته‌های داده‌افزایی‌شدهٔ آموزش را هم "
            "به‌خوبی برازش نمی‌کند؛ این نشانهٔ ظرفیت کم است، نه بیش‌برازش."
        )
    return f"دقت آموزش {b['gap_last']:.2f} واحد بالاتر از دقت اعتبارسنجی ماند؛ این فاصله اندازهٔ بیش‌برازش مدل پایه است."


def bn_reach(reach: int | None, c: Summary) -> str:
    """When (d) first matched the best validation accuracy of (c), if it did."""
    if reach is None:
        return "دقت اعتبارسنجی شبکهٔ (د) در هیچ epochی به بهترین دقت شبکهٔ (ج) نرسید."
    return f"دقت اعتبارسنجی شبکهٔ (د) در epoch {reach} به بهترین دقت شبکهٔ (ج) رسید؛ خود (ج) در epoch {c['best_epoch']} به آن رسیده بود."


# ---- comparisons judged against noise ---------------------------------------------

Verdict = Literal["up", "down", "tie"]


def verdict(before: float, after: float, n: int) -> Verdict:
    """How an accuracy (percent) moved between two runs, each measured on the same `n` images:
    up or down only beyond two standard errors of the difference (`stats.noise_band`), else a tie."""
    if abs(after - before) <= noise_band(before / 100, after / 100, n):
        return "tie"
    return "up" if after > before else "down"


def change(before: float, after: float, n: int) -> str:
    """A clause for a sentence whose subject is an accuracy: by how much it moved from
    `before` to `after` (percent, on `n` images), and the verdict against the noise band."""
    band, moved = noise_band(before / 100, after / 100, n), abs(after - before)
    noise = f"دو خطای معیار اختلاف روی {n:,} تصویر {band:.2f} واحد است"
    outcome = verdict(before, after, n)
    if outcome == "tie":
        return f"{moved:.2f} واحد درصد تغییر کرد که در حد نوسان است ({noise})؛ پس دو دقت را باید برابر دانست"
    return f"{moved:.2f} واحد درصد {'بالا رفت' if outcome == 'up' else 'پایین آمد'} که از حد نوسان بیشتر است ({noise})"


def best_model(letter: str, best: Summary, baseline: Summary | None, n: int) -> str:
    """The best model by validation accuracy (of the part whose letter is `letter`) with its
    test accuracy, against the baseline's on `n` images; `baseline` is None when it is the best."""
    text = f"بهترین مدل به معیار دقت اعتبارسنجی مدل بخش ({part_letter(letter)}) است با دقت آزمون {best['test']:.2f}%"
    if baseline is None:
        return text + "؛ یعنی در این ساخت هیچ‌یک از شبکه‌های بعدی از مدل پایه بهتر نشد."
    return text + f"؛ نسبت به مدل پایه دقت آزمون {change(baseline['test'], best['test'], n)}."


def depth_effect(b: Summary, c: Summary, n: int) -> str:
    """Whether the network and recipe of (c) turned their capacity into test accuracy (on `n` images)."""
    outcome = verdict(b["test"], c["test"], n)
    if outcome == "up":
        return "در این ساخت این ظرفیت بیشتر به دقت آزمون بالاتری انجامید."
    if c["best_epoch"] == c["epochs"]:
        return (
            "اما در این ساخت ظرفیت بیشتر هنوز به دقت آزمون بالاتری نینجامیده است: بهترین دقت اعتبارسنجی شبکهٔ (ج) در epoch آخر "
            "به دست آمد، یعنی آموزشش با این تعداد تصویر و epoch هنوز به پایان نرسیده بود."
        )
    return "اما در این ساخت ظرفیت بیشتر به دقت آزمون بالاتری نینجامید، با آن‌که آموزش شبکهٔ (ج) پیش از epoch آخر به بهترین دقتش رسیده بود."


def barely_learned(run: Summary) -> bool:
    """Best validation accuracy under twice the CHANCE of guessing one of ten classes: the run
    did not learn, so its other numbers (its train-validation gap) describe no fit."""
    return run["best_val"] < 2 * CHANCE


def bn_story(c: Summary, c_fast: Summary, d: Summary, n: int) -> str:
    """What BatchNorm did, each effect read from the one comparison that isolates it (on the
    `n` validation images): BatchNorm alone is (c') -> (d), at the same peak rate; whether
    BatchNorm is what makes that rate usable is (c) -> (c') next to (c') -> (d); and whether
    it regularised is the train-validation gap of (c') against (d)."""
    alone = verdict(c_fast["best_val"], d["best_val"], n)
    rate = verdict(c["best_val"], c_fast["best_val"], n)
    if barely_learned(c_fast) and alone == "up":
        rate_text = (
            f"شبکهٔ بدون BatchNorm در نرخ بالاتر تقریباً چیزی نیاموخت (بهترین دقت اعتبارسنجی {c_fast['best_val']:.2f}%، "
            f"در برابر {CHANCE:.0f}% حدس تصادفی) و BatchNorm در همان نرخ آن را آموزش‌پذیر کرد؛ "
            "این‌که BatchNorm نرخ بالاتر را ممکن می‌کند در این اجرا دیده می‌شود."
        )
    elif rate == "down" and alone == "up":
        rate_text = (
            "شبکهٔ بدون BatchNorm در نرخ بالاتر بدتر آموخت و BatchNorm در همان نرخ آن را بیش از حد نوسان بهتر کرد؛ "
            "این‌که BatchNorm نرخ بالاتر را ممکن می‌کند در این اجرا دیده می‌شود."
        )
    elif rate == "down":
        rate_text = "نرخ بالاتر به شبکهٔ بدون BatchNorm آسیب زد، اما BatchNorm در همان نرخ این آسیب را بیش از حد نوسان جبران نکرد."
    else:
        rate_text = (
            "شبکهٔ بدون BatchNorm در نرخ بالاتر هم آسیبی ندید، پس در این اجرا این نرخ به BatchNorm نیاز نداشت و این‌که "
            "BatchNorm نرخ بالاتر را ممکن می‌کند دیده نمی‌شود."
        )
    # A network that learned nothing fits nothing either: its gap says nothing of regularising,
    # so the gap is then read against (c), at its own rate.
    before, which = (c, " (نسبت به (ج)، چون (ج′) چیزی نیاموخت)") if barely_learned(c_fast) else (c_fast, "")
    gap = gap_change(before, d, n)
    gap_text = f"فاصلهٔ دقت آموزش و اعتبارسنجی در epoch آخر با BatchNorm{which} از {before['gap_last']:.2f} به {d['gap_last']:.2f} واحد {gap}؛ " + (
        "این با اثر منظم‌ساز نویز آمار دسته سازگار است." if gap == "کمتر شد" else "پس در این اجرا اثر منظم‌سازی از آن دیده نمی‌شود."
    )
    return (
        f"در نرخ برابر، یعنی از (ج′) به (د) که تنها در BatchNorm فرق دارند، بهترین دقت اعتبارسنجی "
        f"{change(c_fast['best_val'], d['best_val'], n)}. {rate_text} {gap_text}"
    )


def gap_change(before: Summary, after: Summary, n: int) -> str:
    """How the last epoch's train-validation gap moved between two runs: "grew" or "shrank"
    only beyond two standard errors of the difference of their validation accuracies (on `n`
    images; the training accuracy, on many more images, adds little noise), else the same."""
    band = noise_band(before["val_last"] / 100, after["val_last"] / 100, n)
    return direction(before["gap_last"], after["gap_last"], "بیشتر شد", "کمتر شد", "در حد نوسان یکسان ماند", tolerance=band)


def bn_effect(c_fast: Summary, d: Summary, n: int) -> str:
    """BatchNorm's effect on test accuracy (on `n` images) at equal peak rate, (c') -> (d)."""
    return {
        "up": "در نرخ برابر BatchNorm دقت آزمون را بیش از نوسان بالا برد.",
        "tie": "در نرخ برابر تفاوت دقت آزمون با و بدون BatchNorm در حد نوسان است: در این اجرا BatchNorm به‌تنهایی دقت آزمون را تغییر نداد.",
        "down": "در نرخ برابر دقت آزمون با BatchNorm بیش از نوسان پایین‌تر بود: از BatchNorm بهبود انتظار می‌رود، اما در این اجرا چنین نشد.",
    }[verdict(c_fast["test"], d["test"], n)]


def dropout_effect(d: Summary, e: Summary, n: int) -> str:
    """What Dropout did to the best validation accuracy of (d) (on `n` images), and the likely reason."""
    outcome = verdict(d["best_val"], e["best_val"], n)
    if outcome == "up":
        return "در این اجرا Dropout دقت اعتبارسنجی را بیش از نوسان بالا برد: لایه‌های تمام‌متصل هنوز جای منظم‌سازی داشتند."
    if outcome == "tie":
        return "در این اجرا تفاوت بهترین دقت اعتبارسنجی با Dropout و بدون آن در حد نوسان است: Dropout نه کمک کرد و نه آسیب زد."
    if e["best_epoch"] == e["epochs"]:
        return (
            f"در این اجرا Dropout دقت را بیش از نوسان پایین آورد و بهترین دقت اعتبارسنجی شبکهٔ (هـ) در epoch آخر به دست آمد: Dropout "
            f"برازش را کند می‌کند و در آموزشی به این کوتاهی ({e['epochs']} epoch، با فاصلهٔ آموزش و اعتبارسنجی {d['gap_last']:.2f} واحد "
            "برای شبکهٔ (د)) بهای این کندی از سود منظم‌سازی‌اش بیشتر بود."
        )
    return (
        "در این اجرا Dropout دقت اعتبارسنجی را بیش از نوسان پایین آورد؛ منظم‌سازی‌ای که شبکه پیش از آن داشت کافی بود و "
        "Dropout تنها برازش را سخت‌تر کرد."
    )


# ---- the confusion matrix ---------------------------------------------------------


def most_confused(matrix: pd.DataFrame) -> tuple[str, str, int]:
    """The largest off-diagonal cell of a confusion matrix: (true class, predicted class, count)."""
    cells = matrix.stack()
    cells = cells[[true != predicted for true, predicted in cells.index]]
    (true, predicted), count = cells.idxmax(), cells.max()
    return str(true), str(predicted), int(count)


def pair_errors(matrix: pd.DataFrame) -> dict[frozenset[str], int]:
    """Errors between every pair of classes, both directions added."""
    pairs: dict[frozenset[str], int] = {}
    for true in matrix.index:
        for predicted in matrix.columns:
            if true != predicted:
                pair = frozenset((true, predicted))
                pairs[pair] = pairs.get(pair, 0) + int(matrix.loc[true, predicted])
    return pairs


def confused_pairs(matrix: pd.DataFrame, top: int = 3) -> list[frozenset[str]]:
    """The `top` class pairs with the most errors between them, both directions added."""
    errors = pair_errors(matrix)
    return sorted(errors, key=errors.get, reverse=True)[:top]


def _pair(pair: frozenset[str]) -> str:
    return " و ".join(sorted(pair))


def confusion_summary(best: pd.DataFrame, baseline: pd.DataFrame) -> str:
    """The largest error of the best model and of the baseline, the best model's most
    confused pairs as its matrix counts them, and the look-alike explanation for exactly
    those look-alike pairs that are among them (no pair is named that the matrix does not show)."""
    true, predicted, count = most_confused(best)
    if count == 0:
        return "این مدل روی دادهٔ آزمون هیچ خطایی ندارد."
    base_true, base_predicted, base_count = most_confused(baseline)
    errors, top = pair_errors(best), confused_pairs(best)
    listed = "، ".join(f"{_pair(pair)} ({errors[pair]:,} تصویر)" for pair in top)
    text = (
        f"بیشترین خطای آن پیش‌بینی {predicted} برای تصاویر {true} است ({count:,} تصویر) "
        f"و بیشترین خطای مدل پایه پیش‌بینی {base_predicted} برای تصاویر {base_true} ({base_count:,} تصویر). "
        f"بیشترین خطا (در هر دو جهت) میان این {len(top)} جفت کلاس رخ داده است: {listed}. "
    )
    found = [_pair(frozenset(pair)) for pair in LOOKALIKES if frozenset(pair) in top]
    if found:
        return text + (
            f"از جفت‌هایی که در وضوح $32\\times32$ شبیه هم‌اند، {'، '.join(found)} در میان این‌هاست: دو کلاس شکل و پس‌زمینهٔ "
            "مشابهی دارند و در این وضوح جزئیاتی که آن‌ها را از هم جدا می‌کند تنها چند پیکسل است."
        )
    names = "، ".join(_pair(frozenset(pair)) for pair in LOOKALIKES)
    return text + f"جفت‌هایی که در وضوح $32\\times32$ شبیه هم‌اند ({names}) هیچ‌کدام در میان این‌ها نیستند."


def targets_note(profile: Profile, baseline_test: float, best_test: float) -> str:
    """Whether this build met the full-profile targets, or why it cannot be judged by them."""
    if profile != "full":
        return (
            f"هدف‌های پروفایل full (دست‌کم {TARGETS['baseline']:.0f}% برای مدل پایه و {TARGETS['best']:.0f}% برای بهترین مدل روی "
            f"دادهٔ آزمون) برای آموزش کامل روی GPU تعریف شده‌اند؛ این ساخت با پروفایل `{profile}` و داده و مدل کوچک‌شده "
            "اجرا شده است و اعدادش با آن هدف‌ها سنجیدنی نیستند."
        )

    def verdict(value: float, target: float) -> str:
        return "رسید" if value >= target else "نرسید"

    return (
        f"در این اجرای کامل، مدل پایه با {baseline_test:.2f}% به هدف {TARGETS['baseline']:.0f}% {verdict(baseline_test, TARGETS['baseline'])} "
        f"و بهترین مدل با {best_test:.2f}% به هدف {TARGETS['best']:.0f}% {verdict(best_test, TARGETS['best'])}."
    )
