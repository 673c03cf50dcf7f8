"""The Persian sentences of the P1 chapter that depend on what a run measured.

A claim such as "BatchNorm raised the accuracy" or "the baseline underfits" is only true
for some runs. Each function here reads the numbers (the summaries of
`p1.analysis.run_summary`, accuracies in percent, and the paired comparisons of
`comparisons.compare`) and returns the sentence that fits them, so the chapter never
states a direction its own tables contradict, whichever profile or data built it. Every
comparison of two models is reported through `prose.judged` with the paired test's
verdict, once, and the sentence around it says what the result means for P1's question.
They are plain functions of numbers, tested branch by branch.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..profiles import Profile
from ..prose import IS, device_name, judged
from ..stats import Comparison, standard_error, within_noise

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


def profile_paragraph(profile: Profile, seeds: int) -> str:
    """What this chapter's profile means for reading its numbers (`seeds`: runs per model)."""
    runs = (
        "هر مدل یک بار (با یک seed) آموزش دیده است، پس هر عدد حاصل یک اجراست."
        if seeds == 1
        else f"هر مدل با {seeds} seed آموزش دیده است؛ دقت‌ها میانگین این اجراهاست و نمودارها و جدول‌های هر epoch اجرای نخست را نشان می‌دهند."
    )
    if profile == "full":
        return f"اعداد این فصل از پروفایل `full` است، یعنی همان آزمایشی که صورت تمرین خواسته است. {runs}"
    if profile == "smoke":
        return "اعداد این فصل از پروفایل `smoke` با دادهٔ مصنوعی است و تنها درستی کد را می‌آزماید؛ هیچ نتیجه‌ای از آن‌ها گرفته نمی‌شود."
    return (
        f"اعداد این فصل از پروفایل `{profile}` است: همان داده و همان خانوادهٔ مدل‌ها، اما با شبکه‌های باریک‌تر و epochهای کمتر تا"
        " آموزش روی CPU شدنی باشد (@tbl-p1-splits و @tbl-p1-recipes). پس دقت‌ها از هدف تمرین پایین‌ترند و از مقایسه‌ها تنها جهت"
        f" اثرها را می‌توان به پروفایل `full` تعمیم داد، نه اندازه‌شان. {runs}"
    )


def logit_scale_item(scale: float, full_scale: float) -> str:
    """The bullet on a constant factor for the logits of (c)-(e), as this profile's config has it."""
    if scale != 1:
        return (
            f"logitها در عدد ثابت ${scale:g}$ ضرب می‌شوند (ستون logit scale در @tbl-p1-recipes)، همان ضرب نهایی ResNet مسابقهٔ"
            " DAWNBench [@page2018dawnbench]. به برداشت ما این ضریب، همراه با label smoothing، نمی‌گذارد logitها در نرخ یادگیری بالا"
            " زود بزرگ شوند و softmax اشباع شود."
        )
    return (
        "در این پروفایل logitها ضریبی ندارند (ستون logit scale در @tbl-p1-recipes برابر 1 است)؛ پروفایل `full` آن‌ها را، مانند"
        f" ضرب نهایی ResNet مسابقهٔ DAWNBench [@page2018dawnbench]، در ${full_scale:g}$ ضرب می‌کند."
    )


def baseline_fit(b: Summary) -> str:
    """Underfitting or overfitting of the baseline, read from its last epoch."""
    if b["train_last"] < b["val_last"]:
        return (
            "دقت آموزش کمتر از دقت اعتبارسنجی ماند: مدل پایه با یک لایهٔ کانولوشن حتی دسته‌های داده‌افزایی‌شدهٔ آموزش را هم "
            "به‌خوبی برازش نمی‌کند؛ این نشانهٔ ظرفیت کم است، نه بیش‌برازش."
        )
    return f"دقت آموزش {b['gap_last']:.2f} واحد بالاتر از دقت اعتبارسنجی ماند؛ این فاصله اندازهٔ بیش‌برازش مدل پایه است."


def still_rising(run: Summary) -> bool:
    """Whether the run's best validation accuracy came at its last epoch: it was still
    improving when its epochs ran out, so its accuracy is not the network's ceiling."""
    return run["best_epoch"] == run["epochs"]


def training_ends(runs: dict[str, Summary]) -> str:
    """Which runs (by part letter) were still improving at their last epoch, and what that means for the chapter."""
    rising = sorted((letter for letter, run in runs.items() if still_rising(run)), key=lambda letter: (letter[0], letter.count("'")))
    letters = "، ".join(f"({part_letter(letter)})" for letter in rising)
    if len(rising) == len(runs):
        return (
            f"بهترین epoch هر {len(runs)} مدل این فصل epoch آخرشان است (ستون still rising در @tbl-p1-test): دقت اعتبارسنجی هیچ‌کدام"
            " تا پایان آموزش از بالا رفتن نایستاد. پس این دقت‌ها سقف این شبکه‌ها نیستند و هر مقایسهٔ این فصل مقایسهٔ دو آموزش"
            " ناتمام است."
        )
    if rising:
        return (
            f"مدل‌های {letters} در epoch آخرشان به بهترین دقت اعتبارسنجی رسیدند، یعنی هنوز بهتر می‌شدند که آموزششان تمام شد"
            " (ستون still rising در @tbl-p1-test)؛ بقیه پیش از پایان آموزش به سقف خود رسیده بودند."
        )
    return "هیچ مدلی بهترین دقت اعتبارسنجی‌اش را در epoch آخر نداشت: همه پیش از پایان آموزش به سقف خود رسیده بودند."


def capacity_on_validation(comparison: Comparison) -> str:
    """(b) -> (c) on validation: what the bigger network and its recipe did with the same data."""
    clause = judged(comparison)
    return {
        "b": f"یعنی دقت اعتبارسنجی {clause}: شبکهٔ چهارلایه با دستور آموزش تازه‌اش از همین داده بهتر آموخت.",
        "tie": f"یعنی دقت اعتبارسنجی {clause}: با این تعداد epoch ظرفیت بیشتر هنوز در دقت اعتبارسنجی دیده نمی‌شود.",
        "a": f"یعنی دقت اعتبارسنجی {clause}: شبکهٔ بزرگ‌تر در این آموزش کوتاه بدتر آموخت، پس دستور آموزشش برای آن هنوز مناسب نیست.",
    }[comparison.verdict]


def bn_reach(reach: int | None, c: Summary) -> str:
    """When (d) first matched the best validation accuracy of (c), if it did."""
    if reach is None:
        return "دقت اعتبارسنجی شبکهٔ (د) در هیچ epochی به بهترین دقت شبکهٔ (ج) نرسید."
    return f"دقت اعتبارسنجی شبکهٔ (د) در epoch {reach} به بهترین دقت شبکهٔ (ج) رسید؛ خود (ج) در epoch {c['best_epoch']} به آن رسیده بود."


def barely_learned(run: Summary) -> bool:
    """Best validation accuracy under twice the CHANCE of guessing one of ten classes: the run
    did not learn, so its other numbers (its train-validation gap) describe no fit."""
    return run["best_val"] < 2 * CHANCE


def bn_story(rate: Comparison, alone: Comparison, c: Summary, c_fast: Summary, d: Summary, n_val: int) -> str:
    """What BatchNorm did, each effect read from the one comparison that isolates it, on the
    validation images: BatchNorm alone is (c') -> (d) (`alone`), at the same peak rate;
    whether BatchNorm is what makes that rate usable is (c) -> (c') (`rate`) next to it;
    and whether it regularised is the train-validation gap of (c') against (d)."""
    if barely_learned(c_fast) and alone.verdict == "b":
        rate_text = (
            f"شبکهٔ بدون BatchNorm در نرخ بالاتر تقریباً چیزی نیاموخت (بهترین دقت اعتبارسنجی {c_fast['best_val']:.2f}%، "
            f"در برابر {CHANCE:.0f}% حدس تصادفی) و BatchNorm در همان نرخ آن را آموزش‌پذیر کرد: این‌که BatchNorm نرخ بالاتر را ممکن"
            " می‌کند در این اجرا دیده می‌شود."
        )
    elif rate.verdict == "a" and alone.verdict == "b":
        rate_text = (
            "نرخ بالاتر به شبکهٔ بدون BatchNorm آسیب زد و BatchNorm در همان نرخ آن را بهتر از (ج) کرد: این‌که BatchNorm نرخ بالاتر را"
            " ممکن می‌کند در این اجرا دیده می‌شود."
        )
    elif rate.verdict == "a":
        rate_text = "نرخ بالاتر به شبکهٔ بدون BatchNorm آسیب زد، اما BatchNorm در همان نرخ این آسیب را جبران نکرد."
    else:
        rate_text = (
            "شبکهٔ بدون BatchNorm در نرخ بالاتر آسیبی ندید، پس در این اجرا این نرخ به BatchNorm نیاز نداشت و این‌که BatchNorm نرخ"
            " بالاتر را ممکن می‌کند دیده نمی‌شود."
        )
    # A network that learned nothing fits nothing either: its gap says nothing of regularising,
    # so the gap is then read against (c), at its own rate.
    before, which = (c, " (نسبت به (ج)، چون (ج′) چیزی نیاموخت)") if barely_learned(c_fast) else (c_fast, "")
    gap = gap_change(before, d, n_val)
    gap_text = f"فاصلهٔ دقت آموزش و اعتبارسنجی در epoch آخر با BatchNorm{which} از {before['gap_last']:.2f} به {d['gap_last']:.2f} واحد {gap}؛ " + (
        "این با اثر منظم‌ساز نویز آمار دسته سازگار است." if gap == "کمتر شد" else "پس اثر منظم‌سازی از آن دیده نمی‌شود."
    )
    return f"در نرخ برابر، یعنی از (ج′) به (د) که تنها در BatchNorm فرق دارند، بهترین دقت اعتبارسنجی {judged(alone)}. {rate_text} {gap_text}"


def gap_change(before: Summary, after: Summary, n_val: int) -> str:
    """How the last epoch's train-validation gap moved between two runs: "grew" or "shrank"
    only beyond two standard errors of the difference of their validation accuracies, taken
    as independent (the cautious band: the gap is no accuracy of the same images, which the
    paired test would need; the training accuracy, on many more images, adds little noise)."""
    error = math.hypot(standard_error(before["val_last"] / 100, n_val), standard_error(after["val_last"] / 100, n_val))
    moved = after["gap_last"] - before["gap_last"]
    if within_noise(moved, error):
        return "در حد نوفه یکسان ماند"
    return "بیشتر شد" if moved > 0 else "کمتر شد"


def dropout_effect(comparison: Comparison, d: Summary, e: Summary, full_epochs: int) -> str:
    """(d) -> (e) on validation: what Dropout did, or, when either run was still improving at
    its last epoch, that this run is too short to judge it (the full profile trains
    `full_epochs`)."""
    clause = judged(comparison)
    if still_rising(d) or still_rising(e):
        return (
            f"با Dropout بهترین دقت اعتبارسنجی {clause}. اما این اجرا برای داوری دربارهٔ Dropout کوتاه است: دقت اعتبارسنجی"
            f" {'هر دو مدل' if still_rising(d) and still_rising(e) else 'یکی از دو مدل'} تا epoch آخر هنوز بالا می‌رفت، و در آموزشی"
            " که هنوز به بیش‌برازش نرسیده است Dropout تنها برازش را کند می‌کند؛ سود منظم‌سازی‌اش آن‌جا پیدا می‌شود که شبکه داده را"
            f" حفظ کند. پاسخ این پرسش با پروفایل `full` است که همین دو شبکه را {full_epochs} epoch آموزش می‌دهد."
        )
    return {
        "b": f"با Dropout بهترین دقت اعتبارسنجی {clause}: لایه‌های تمام‌متصل هنوز جای منظم‌سازی داشتند.",
        "tie": f"با Dropout بهترین دقت اعتبارسنجی {clause}: منظم‌سازی‌ای که شبکه پیش از آن داشت کافی بود و Dropout نه کمک کرد و نه آسیب زد.",
        "a": f"با Dropout بهترین دقت اعتبارسنجی {clause}: منظم‌سازی‌ای که شبکه داشت کافی بود و Dropout تنها برازش را سخت‌تر کرد.",
    }[comparison.verdict]


# ---- part (f): each change judged on the test images ----------------------------------


def depth_effect(comparison: Comparison, c: Summary) -> str:
    """(b) -> (c) on the test images: whether the network and recipe of (c) turned their capacity into accuracy."""
    if comparison.verdict == "b":
        return (
            "این ظرفیت بیشتر به دقت آزمون بالاتر انجامید: ویژگی‌های سلسله‌مراتبی چهار لایه کلاس را بهتر از ویژگی‌های سطحی یک لایه"
            " پیش‌بینی کردند."
        )
    if still_rising(c):
        return (
            "اما ظرفیت بیشتر هنوز به دقت آزمون بالاتری نینجامیده است: دقت اعتبارسنجی شبکهٔ (ج) تا epoch آخر بالا می‌رفت، یعنی"
            " آموزشش با این تعداد epoch هنوز به پایان نرسیده بود."
        )
    return "اما ظرفیت بیشتر به دقت آزمون بالاتری نینجامید، با آن‌که آموزش شبکهٔ (ج) پیش از epoch آخر به بهترین دقتش رسیده بود."


def rate_effect(comparison: Comparison, c_fast: Summary) -> str:
    """(c) -> (c') on the test images: the peak rate alone, in the network without BatchNorm."""
    if comparison.verdict == "a":
        if barely_learned(c_fast):
            return "شبکهٔ بدون BatchNorm در نرخ (د) آموزش‌ناپذیر شد؛ نرخ پایین‌تر (ج) برای این شبکه لازم بود."
        return "نرخ بالاتر به شبکهٔ بدون BatchNorm آسیب زد، پس نرخ پایین‌تر (ج) برای آن انتخاب درستی بود."
    if comparison.verdict == "tie":
        return "نرخ بالاتر به‌تنهایی دقت آزمون شبکهٔ بدون BatchNorm را تغییر نداد؛ شکنندگی‌ای که نرخ پایین‌تر (ج) برایش فرض شده بود دیده نمی‌شود."
    return "نرخ بالاتر به‌تنهایی شبکهٔ بدون BatchNorm را بهتر کرد: نرخ (ج)، که تنظیم نشده بود، برای آن کم بود."


def bn_effect(comparison: Comparison) -> str:
    """(c') -> (d) on the test images: BatchNorm alone, at equal peak rate."""
    return {
        "b": "در نرخ برابر، BatchNorm به‌تنهایی دقت آزمون را بالا برد.",
        "tie": "در نرخ برابر، دقت آزمون با BatchNorm و بدون آن برابر در حد نوفه است: BatchNorm به‌تنهایی دقت آزمون را تغییر نداد.",
        "a": "در نرخ برابر، دقت آزمون با BatchNorm پایین‌تر بود: از BatchNorm بهبود انتظار می‌رود، اما این اجرا خلاف آن را نشان می‌دهد.",
    }[comparison.verdict]


def dropout_on_test(comparison: Comparison, d: Summary, e: Summary) -> str:
    """(d) -> (e) on the test images: Dropout's effect, or that this run is too short to tell."""
    if still_rising(d) or still_rising(e):
        return "همان محدودیت اعتبارسنجی این‌جا هم هست: با آموزشی که هنوز بهتر می‌شد، این عدد سود منظم‌سازی Dropout را نمی‌سنجد."
    return {
        "b": "Dropout دقت آزمون را هم بالا برد: لایه‌های تمام‌متصل هنوز بیش‌برازش داشتند.",
        "tie": "Dropout دقت آزمون را هم تغییر نداد، همان نتیجهٔ اعتبارسنجی: منظم‌سازی‌ای که شبکه پیش از آن داشت کافی بود.",
        "a": "Dropout دقت آزمون را پایین آورد: کندی برازش بیش از سود منظم‌سازی‌اش بود.",
    }[comparison.verdict]


def best_model(letter: str, best: Summary, against_baseline: Comparison | None) -> str:
    """The best model by validation accuracy (of the part whose letter is `letter`) with its
    test accuracy, against the baseline's; `against_baseline` is None when it is the baseline."""
    flip = f" (با flip TTA {best['test_flip']:.2f}%)" if best.get("test_flip") is not None else ""
    text = f"بهترین مدل به معیار دقت اعتبارسنجی مدل بخش ({part_letter(letter)}) است با دقت آزمون {best['test']:.2f}%{flip}"
    if against_baseline is None:
        return text + "؛ یعنی هیچ‌یک از تغییرهای بخش‌های (ج) تا (هـ) مدل پایه را بهتر نکرد."
    return text + f"؛ دقت آزمونش در برابر مدل پایه {judged(against_baseline, *IS)}."


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
    """Whether this run met the full-profile targets, or why it cannot be judged by them."""
    if profile != "full":
        return (
            f"هدف‌های تمرین (دست‌کم {TARGETS['baseline']:.0f}% برای مدل پایه و {TARGETS['best']:.0f}% برای بهترین مدل روی دادهٔ آزمون)"
            f" برای پروفایل `full` است؛ اعداد این فصل از پروفایل `{profile}` با مدل‌های کوچک‌شده و epochهای کمتر است و با آن هدف‌ها"
            " سنجیدنی نیست."
        )

    def reached(value: float, target: float) -> str:
        return "رسید" if value >= target else "نرسید"

    return (
        f"مدل پایه با {baseline_test:.2f}% به هدف {TARGETS['baseline']:.0f}% {reached(baseline_test, TARGETS['baseline'])} "
        f"و بهترین مدل با {best_test:.2f}% به هدف {TARGETS['best']:.0f}% {reached(best_test, TARGETS['best'])}."
    )


def training_time(seconds: float, device: str) -> str:
    """How long the five runs trained, on which kind of device, and how far to trust the figure."""
    return (
        f"آموزش پنج مدل (چهار بخش و (ج′)) روی‌هم {seconds:,.0f} ثانیه روی {device_name(device)} طول کشید (ستون train time در"
        " @tbl-p1-test). این زمان ساعت دیواری است و به بار ماشین در لحظهٔ اجرا بستگی دارد، پس تنها مرتبهٔ بزرگی آن قابل اتکاست."
    )
