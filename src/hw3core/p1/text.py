"""The Persian sentences of the P1 chapter that depend on what a run measured.

A claim such as "BatchNorm raised the accuracy" or "the baseline underfits" is only true
for some runs. Each function here reads the numbers (the summaries of
`p1.analysis.run_summary`, accuracies in percent) and returns the sentence that fits
them, so the chapter never states a direction its own tables contradict, whichever
profile or data built it. They are plain functions of numbers, tested branch by branch.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..profiles import Profile
from ..stats import within_noise

Summary = dict[str, Any]

# The assignment's targets for the full profile: baseline >= 63 %, best model >= 90 % test accuracy.
TARGETS = {"baseline": 63.0, "best": 90.0}
# Class pairs that look alike at 32x32; the analysis checks whether the run confirms it.
LOOKALIKES = (("cat", "dog"), ("automobile", "truck"))


def source_note(source: str) -> str:
    """A callout (Markdown) saying which copy of CIFAR-10 the numbers were measured on."""
    if "lossy" in source:
        body = (
            "اعداد این فصل روی نسخهٔ image-folder از CIFAR-10 اندازه‌گیری شده‌اند که تصاویرش فشرده‌سازیِ "
            "JPEG (با اتلاف) از پیکسل‌های اصلی است، نه فایل‌های اصلیِ `torchvision.datasets.CIFAR10`؛ "
            "دقت‌ها روی این نسخه ممکن است کمی پایین‌تر از دادهٔ اصلی باشند."
        )
    elif "synthetic" in source:
        body = "داده‌های این اجرا مصنوعی‌اند (پروفایل smoke) و هیچ ربطی به تصاویر CIFAR-10 ندارند."
    else:
        body = "داده‌ها فایل‌های اصلیِ CIFAR-10 از `torchvision.datasets.CIFAR10` هستند."
    return f"::: {{.callout-note}}\n## منبع داده: {source}\n{body}\n:::\n"


def baseline_fit(b: Summary) -> str:
    """Underfitting or overfitting of the baseline, read from its last epoch."""
    if b["train_last"] < b["val_last"]:
        return (
            "دقت آموزش کمتر از دقت اعتبارسنجی ماند؛ مدل پایه با یک لایهٔ کانولوشن حتی دسته‌های افزونه‌شده را هم به‌خوبی برازش "
            "نمی‌کند، که نشانهٔ ظرفیت کم است، نه بیش‌برازش."
        )
    return f"دقت آموزش {b['gap_last']:.2f} واحد بالاتر از دقت اعتبارسنجی ماند، که اندازهٔ بیش‌برازش مدل پایه را نشان می‌دهد."


def bn_reach(reach: int | None, c: Summary) -> str:
    """When (d) first matched the best validation accuracy of (c), if it did."""
    if reach is None:
        return "دقت اعتبارسنجی شبکهٔ (د) در هیچ epochی به بهترین دقت شبکهٔ (ج) نرسید."
    return f"دقت اعتبارسنجی شبکهٔ (د) در epoch {reach} به بهترین دقت شبکهٔ (ج) رسید، که (ج) در epoch {c['best_epoch']} به آن رسیده بود."


def bn_effect(c: Summary, d: Summary) -> str:
    """Whether BatchNorm (with the higher rate it allows) did what it is expected to do."""
    if d["test"] > c["test"]:
        return "BatchNorm با پایدارکردن بهینه‌سازی و ممکن‌کردن نرخ یادگیری بالاتر همان کاری را کرد که از آن انتظار می‌رود."
    return (
        "از BatchNorm انتظار می‌رود با پایدارکردن بهینه‌سازی و ممکن‌کردن نرخ یادگیری بالاتر دقت را بهتر کند، "
        "اما در این اجرا چنین نشد."
    )


def dropout_effect(d: Summary, e: Summary) -> str:
    """What Dropout did to the best validation accuracy of (d), and the likely reason."""
    if e["best_val"] >= d["best_val"]:
        return "در این اجرا Dropout دقت اعتبارسنجی را پایین نیاورد و اندازهٔ اثرش همان است که در بالا آمد."
    if e["best_epoch"] == e["epochs"]:
        return (
            f"در این اجرا Dropout دقت را پایین آورد و بهترین دقت اعتبارسنجی شبکهٔ (هـ) در epoch آخر به دست آمد: Dropout برازش را کند "
            f"می‌کند، و در آموزشی به این کوتاهی ({e['epochs']} epoch، با فاصلهٔ آموزش و اعتبارسنجی {d['gap_last']:.2f} واحد "
            "برای شبکهٔ (د)) هزینهٔ این کندی از سود منظم‌سازی‌اش بیشتر شد."
        )
    return "در این اجرا Dropout دقت اعتبارسنجی را پایین آورد؛ منظم‌سازی‌ای که شبکه پیش از آن داشت کافی بود و Dropout تنها برازش را سخت‌تر کرد."


def depth_effect(b: Summary, c: Summary) -> str:
    """Whether the deeper, wider network of (c) turned its capacity into test accuracy."""
    if c["test"] > b["test"]:
        return "در این ساخت این ظرفیت بیشتر به دقت بالاتر تبدیل شد."
    if c["best_epoch"] == c["epochs"]:
        return (
            "در این ساخت اما ظرفیت بیشتر هنوز به دقت بالاتر تبدیل نشده است: بهترین دقت اعتبارسنجی شبکهٔ (ج) در epoch آخر به دست آمد، "
            "یعنی آموزشش با این تعداد تصویر و epoch هنوز تمام نشده بود؛ شبکهٔ چندلایه بدون نرمال‌سازی کندتر از مدل تک‌لایه همگرا می‌شود."
        )
    return "در این ساخت اما ظرفیت بیشتر به دقت بالاتر تبدیل نشد، با آن‌که آموزش شبکهٔ (ج) پیش از epoch آخر به بهترین دقتش رسیده بود."


def against_noise(difference: float, standard_error: float) -> str:
    """Whether a change in accuracy stands out from measurement noise (two standard errors)."""
    if within_noise(difference, standard_error):
        return "این تغییر از دو برابر خطای معیار کمتر است و نمی‌توان آن را معنادار دانست"
    return "این تغییر از دو برابر خطای معیار بیشتر است و به نوسان اندازه‌گیری نسبت‌دادنی نیست"


def most_confused(matrix: pd.DataFrame) -> tuple[str, str, int]:
    """The largest off-diagonal cell of a confusion matrix: (true class, predicted class, count)."""
    cells = matrix.stack()
    cells = cells[[true != predicted for true, predicted in cells.index]]
    (true, predicted), count = cells.idxmax(), cells.max()
    return str(true), str(predicted), int(count)


def confused_pairs(matrix: pd.DataFrame, top: int = 3) -> list[frozenset[str]]:
    """The `top` class pairs with the most errors between them, both directions added."""
    pairs: dict[frozenset[str], int] = {}
    for true in matrix.index:
        for predicted in matrix.columns:
            if true != predicted:
                pair = frozenset((true, predicted))
                pairs[pair] = pairs.get(pair, 0) + int(matrix.loc[true, predicted])
    return sorted(pairs, key=pairs.get, reverse=True)[:top]


def confusion_summary(best: pd.DataFrame, baseline: pd.DataFrame) -> str:
    """The largest error of the best model and of the baseline, and whether the classes that
    look alike at 32x32 are among the best model's most confused pairs."""
    true, predicted, count = most_confused(best)
    if count == 0:
        return "این مدل روی دادهٔ آزمون هیچ خطایی ندارد."
    base_true, base_predicted, base_count = most_confused(baseline)
    text = (
        f"بیشترین خطای آن پیش‌بینی {predicted} برای تصاویر {true} است ({count:,} تصویر)، "
        f"و بیشترین خطای مدل پایه پیش‌بینی {base_predicted} برای تصاویر {base_true} ({base_count:,} تصویر). "
    )
    top = confused_pairs(best)
    found = [" و ".join(pair) for pair in LOOKALIKES if frozenset(pair) in top]
    names = "، ".join(" و ".join(pair) for pair in LOOKALIKES)
    if found:
        return text + (
            f"جفت‌هایی که در وضوح $32\\times32$ شبیه هم‌اند ({names}) انتظار می‌رود بیشتر با هم اشتباه شوند، و در این مدل "
            f"{'، '.join(found)} در میان {len(top)} جفت کلاسی‌اند که بیشترین خطا (در هر دو جهت) میانشان رخ داده است."
        )
    return text + (
        f"انتظار می‌رود جفت‌هایی که در وضوح $32\\times32$ شبیه هم‌اند ({names}) بیشتر با هم اشتباه شوند، اما در این مدل هیچ‌کدام "
        f"در میان {len(top)} جفت کلاسی نیستند که بیشترین خطا میانشان رخ داده است."
    )


def targets_note(profile: Profile, baseline_test: float, best_test: float) -> str:
    """Whether this build met the full-profile targets, or why it cannot be judged by them."""
    if profile != "full":
        return (
            f"هدف‌های پروفایل full (دست‌کم {TARGETS['baseline']:.0f}% برای baseline و {TARGETS['best']:.0f}% برای بهترین مدل روی "
            f"دادهٔ آزمون) برای آموزش کامل روی GPU تعریف شده‌اند؛ این ساخت با پروفایل `{profile}` و داده و مدل کوچک‌شده "
            "اجرا شده است و اعدادش با آن هدف‌ها سنجیدنی نیستند."
        )

    def verdict(value: float, target: float) -> str:
        return "رسید" if value >= target else "نرسید"

    return (
        f"در این اجرای کامل، baseline با {baseline_test:.2f}% به هدف {TARGETS['baseline']:.0f}% {verdict(baseline_test, TARGETS['baseline'])} "
        f"و بهترین مدل با {best_test:.2f}% به هدف {TARGETS['best']:.0f}% {verdict(best_test, TARGETS['best'])}."
    )
