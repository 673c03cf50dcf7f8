"""The Persian words and sentences of the P2 chapter that depend on what the runs measured.

Whether the triplet regime's clusters came out tighter, whether two accuracies differ by
more than noise, which regime reached the target first: each is true only for some runs.
Every function here reads the numbers of `p2.analysis.facts` (accuracies in percent) and
returns the words that fit them, so the chapter never states a direction its own tables
contradict, whichever profile or data built it. Differences of accuracy are judged by
the paired test over the seeds (`comparisons.compare`, reported through `prose.judged`),
as in P1's text; only times, which no paired test covers, are judged against two
standard deviations of their own noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..profiles import Profile
from ..prose import IS, WAS, device_name, direction, judged, listing
from ..stats import NOISE_STANDARD_ERRORS, Comparison
from .models import DEEPEST

NAMES = {"cross-entropy": "آنتروپی متقاطع", "triplet": "triplet (سپس لایهٔ تمام‌متصل)", "combined": "ترکیبی (triplet + CE)"}
# How the comparison table words each verdict of `stats.compare_paired` for regimes A and B.
VERDICT_NAMES = {"b": "{b} بهتر", "a": "{a} بهتر", "tie": "برابر در حد نوفه"}
# Silhouettes lie in [-1, 1]; two regimes closer than this are called equally compact.
SILHOUETTE_TOLERANCE = 0.01

PerRegime = dict[str, float]


def or_never(value: Any, digits: int = 1) -> str:
    """A convergence entry for a table or the prose: the value, or 'never reached' (نرسید)."""
    if value is None:
        return "نرسید"
    return value if isinstance(value, str) else f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


def winner(values: PerRegime, highest: bool = True) -> str:
    """The Persian name of the regime with the highest (or lowest) value."""
    pick = max(values, key=values.get) if highest else min(values, key=values.get)
    return NAMES[pick]


def most_compact(silhouette: PerRegime) -> str:
    """A clause naming the regime with the highest silhouette, or the regimes that share it
    within SILHOUETTE_TOLERANCE (0.587 against 0.588 is no ranking)."""
    best = max(silhouette.values())
    top = [NAMES[regime] for regime, value in silhouette.items() if best - value < SILHOUETTE_TOLERANCE]
    if len(top) == 1:
        return f"بیشترین silhouette از آن رژیم {top[0]} بود"
    return f"رژیم‌های {' و '.join(top)} بیشترین silhouette را داشتند (اختلافشان کمتر از {SILHOUETTE_TOLERANCE} است)"


def first_in_epochs(convergence_of: dict[str, dict[str, Any]], what: str) -> str:
    """A clause: which regime's `what` ("centroid" or "classifier") reached the target in the
    fewest epochs, or that several did in the same epoch, or that none did."""
    reached = {regime: c[f"{what}_epoch_count"] for regime, c in convergence_of.items() if c[f"{what}_epoch_count"] is not None}
    if not reached:
        return "هیچ رژیمی به هدف نرسید"
    fewest = min(reached.values())
    first = [NAMES[regime] for regime, epochs in reached.items() if epochs == fewest]
    if len(first) == 1:
        return f"رژیم {first[0]} در کمترین تعداد epoch ({fewest}) به هدف رسید"
    return f"رژیم‌های {' و '.join(first)} در تعداد epoch یکسانی ({fewest}) به هدف رسیدند و از این نظر برابرند"


def first_in_seconds(convergence_of: dict[str, dict[str, Any]], what: str) -> str:
    """A clause: which regime's `what` reached the target first in seconds, named only when
    its lead over the runner-up is beyond two standard deviations of the difference of
    their times (`analysis.time_noise`); otherwise that the times tie within noise."""
    reached = {regime: c for regime, c in convergence_of.items() if c[f"{what}_seconds"] is not None}
    if len(reached) < 2:
        return "مقایسه‌ای ممکن نیست، چون کمتر از دو رژیم به هدف رسیدند"
    first, second = sorted(reached, key=lambda regime: reached[regime][f"{what}_seconds"])[:2]
    lead = reached[second][f"{what}_seconds"] - reached[first][f"{what}_seconds"]
    band = NOISE_STANDARD_ERRORS * float(np.hypot(reached[first][f"{what}_seconds_noise"], reached[second][f"{what}_seconds_noise"]))
    if lead <= band:
        return (
            f"اختلاف زودترین دو رژیم ({lead:,.1f} ثانیه) از نوسان زمان epochها ({band:,.1f} ثانیه) کمتر است، "
            "پس از این نظر برنده‌ای نمی‌توان نام برد"
        )
    return f"رژیم {NAMES[first]} {lead:,.1f} ثانیه زودتر رسید که از نوسان زمان epochها ({band:,.1f} ثانیه) بیشتر است"


def lossy_note(source: str) -> str:
    """A sentence saying whether the images are CIFAR-10's own or a re-compressed copy.

    Never empty: Quarto leaves an inline expression whose value is "" on the page as
    code (quarto-cli src/core/execute-inline.ts replaces only truthy values).
    """
    if "synthetic" in source:
        return "این تصاویر مصنوعی‌اند و فقط برای آزمودن کد ساخته شده‌اند."
    if "image folder" not in source:
        return "تصاویر همان فایل‌های اصلی CIFAR-10 هستند."
    return "این نسخه تصاویر اصلی را دوباره با JPEG (با اتلاف) فشرده کرده است، پس دقت‌ها ممکن است کمی کمتر از دقت روی فایل‌های اصلی CIFAR-10 باشد."


def timing_note(device: str) -> str:
    """A clause (after the epoch times) naming the device; on a CPU, that its times are noisy.

    Never empty, for the reason given in `lossy_note`.
    """
    if not device.startswith("cpu"):
        return f"؛ این زمان‌ها روی {device_name(device)} اندازه گرفته شده‌اند"
    return (
        f"؛ این زمان‌ها روی {device_name(device)} اندازه گرفته شده‌اند که کارهای دیگر هم می‌توانستند هم‌زمان روی آن اجرا شوند، پس"
        " زمان هر epoch با بار ماشین نوسان دارد و تنها مرتبهٔ بزرگی‌شان قابل اتکاست"
    )


def profile_paragraph(profile: Profile, seeds: int) -> str:
    """What this chapter's profile means for reading its numbers (`seeds`: runs per regime)."""
    runs = (
        f"هر رژیم با {seeds} seed آموزش دیده است: دقت‌ها و دیگر اندازه‌های دادهٔ آزمون میانگین این اجراهاست و منحنی‌ها، نقشه‌های"
        " ویژگی و نمایش‌های دوبعدی اجرای نخست را نشان می‌دهند."
        if seeds > 1
        else "هر رژیم تنها با یک seed آموزش دیده است، پس هیچ عددی میانگین چند اجرا نیست."
    )
    if profile == "full":
        return f"این فصل سه رژیم را با همان تنظیماتی مقایسه می‌کند که صورت تمرین خواسته است (پروفایل `full`). {runs}"
    if profile == "smoke":
        return f"در پروفایل `smoke` سه رژیم روی دادهٔ مصنوعی و برای چند گام آموزش می‌بینند تا مسیر کد آزموده شود؛ هیچ مقایسه‌ای معنا ندارد. {runs}"
    return (
        f"سه رژیم این فصل با پروفایل `{profile}` آموزش دیده‌اند: همان دادهٔ واقعی، با شبکه‌ای باریک‌تر و epochهای کمتر تا آموزش روی"
        " CPU شدنی باشد. دقت‌ها را نمی‌توان با هدف پروفایل `full` سنجید؛ آنچه از این اجرا پیداست ترتیب رژیم‌ها و جهت اختلاف‌هاست،"
        f" نه اندازهٔ دقیقشان. {runs}"
    )


def validation_note(n_val: int, standard_error: float) -> str:
    """How large the validation split is and how finely it can rank epochs and regimes."""
    return (
        f"اعتبارسنجی {n_val:,} تصویر دارد: خطای معیار دقتی در حد دقت‌های این فصل روی آن {standard_error:.2f} واحد درصد است،"
        " پس اختلاف‌های یک واحد درصدی میان epochها و رژیم‌ها را از نوفه جدا می‌کند."
    )


def with_spread(mean: float, spread: float | None) -> str:
    """An accuracy over seeds as the prose writes it: "96.55 ± 0.12" (standard deviation), or the one run's value."""
    return f"{mean:.2f}" if spread is None else f"{mean:.2f} ± {spread:.2f}"


# ---- part 3: the layers and the embeddings ------------------------------------------


def spread_with_depth(spread: dict[str, float]) -> str:
    """How the gap between the regimes' probes moves from `stage1` to the deepest stage."""
    return direction(spread["stage1"], spread[DEEPEST], "می‌رسد", "کم می‌شود", "ثابت می‌ماند", tolerance=0.0)


def separability_with_depth(probe: dict[str, dict[str, float]]) -> str:
    """Whether every regime's probe accuracy is at least as high at the deepest stage as at `stage1`."""
    if all(layers["stage1"] <= layers[DEEPEST] for layers in probe.values()):
        return "بیشتر می‌شود"
    return "همه‌جا یکنواخت بیشتر نمی‌شود"


def best_deep_probe(probe: dict[str, dict[str, float]]) -> str:
    """The regime whose deepest stage the linear probe separates best."""
    return winner({regime: layers[DEEPEST] for regime, layers in probe.items()})


def triplet_clusters(silhouette: PerRegime) -> str:
    """How compact the triplet regime's clusters were next to cross-entropy's."""
    return direction(
        silhouette["cross-entropy"], silhouette["triplet"],
        "فشرده‌تر و جداتر", "کمتر فشرده", "به همان اندازه فشرده", tolerance=SILHOUETTE_TOLERANCE,
    )


def accuracy_verdict(comparison: Comparison) -> str:
    """Part 3: triplet's test accuracy against cross-entropy's, judged by the paired test."""
    sentence = f"در برابر آنتروپی متقاطع، دقت آزمون triplet {judged(comparison, *IS)}"
    return {
        "a": f"{sentence}: طبقه‌بندی که با همان برچسب‌ها و هم‌زمان با ویژگی‌ها آموخته شده است این‌جا برتری دارد.",
        "b": f"{sentence}: ویژگی‌هایی که triplet برای فاصله‌ها ساخت، برای جدا کردن همین دو کلاس هم بهتر بودند.",
        "tie": f"{sentence}: در این مسئلهٔ دوکلاسه هر دو تابع زیان به یک دقت رسیدند.",
    }[comparison.verdict]


def generalisation(comparison: Comparison) -> str:
    """How cross-entropy's test accuracy stood to triplet's (`comparison`: triplet against cross-entropy)."""
    return {
        "a": "از triplet بالاتر بود",
        "b": "از triplet پایین‌تر بود",
        "tie": "با triplet برابر در حد نوفه بود",
    }[comparison.verdict]


# ---- part 4: the combined loss ------------------------------------------------------


def combined_accuracy(comparison: Comparison) -> str:
    """How the combined regime's test accuracy stood to cross-entropy's (`comparison`: combined against cross-entropy)."""
    return f"در برابر آنتروپی متقاطع {judged(comparison, *WAS)}"


def combined_silhouette(silhouette: PerRegime) -> str:
    """How the combined regime's silhouette stood to cross-entropy's."""
    return direction(
        silhouette["cross-entropy"], silhouette["combined"],
        "از آنتروپی متقاطع بیشتر بود", "از آنتروپی متقاطع کمتر بود", "با آنتروپی متقاطع هم‌اندازه بود",
        tolerance=SILHOUETTE_TOLERANCE,
    )


def combined_story(comparison: Comparison, silhouette: PerRegime) -> str:
    """What the triplet term added to cross-entropy: accuracy beyond noise, tighter clusters, both or neither
    (`comparison`: combined against cross-entropy on the test images)."""
    same_accuracy = comparison.verdict == "tie"
    tighter = silhouette["combined"] > silhouette["cross-entropy"] + SILHOUETTE_TOLERANCE
    return {
        (True, True): "پس در این مسئلهٔ دوکلاسه، که آنتروپی متقاطع به‌تنهایی ویژگی‌های کافی برای طبقه‌بندی می‌سازد، بهرهٔ ترکیب در کیفیت embedding دیده می‌شود و نه در دقت.",
        (True, False): "پس جملهٔ triplet نه دقت را تغییر داد و نه فشردگی خوشه‌ها را به‌طور محسوسی؛ آنتروپی متقاطع به‌تنهایی بر هندسهٔ embedding هم غالب بود.",
        (False, True): "پس جملهٔ triplet هم دقت را جابه‌جا کرد و هم خوشه‌ها را فشرده‌تر کرد.",
        (False, False): "پس جملهٔ triplet دقت را جابه‌جا کرد بی‌آنکه خوشه‌ها فشرده‌تر شوند.",
    }[(same_accuracy, tighter)]


def still_rising(regimes: list[str]) -> str:
    """What it means for part 3 that `regimes` (names as in `NAMES`' keys) were still
    improving on validation at their last epoch (an inline value is never empty: Quarto
    would leave the expression on the page)."""
    if not regimes:
        return "در اجرای نخست، دقت اعتبارسنجی طبقه‌بند هر سه رژیم پیش از epoch آخر به بیشینه رسید: epochهای این پروفایل برای هر سه بس بود."
    return (
        f"در اجرای نخست، دقت اعتبارسنجی طبقه‌بند {listing([NAMES[r] for r in regimes])} تا epoch آخر بالا می‌رفت؛"
        " پس با epochهای بیشتر شاید بالاتر هم می‌رفت، و حکم‌های این بخش دربارهٔ همین بودجهٔ آموزش است، نه توان نهایی هر تابع زیان."
    )
