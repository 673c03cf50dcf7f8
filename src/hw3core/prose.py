"""Words shared by the chapters' text modules: how one measured value stands to another,
and a list as a Persian sentence writes it.

A sentence that compares two results must follow the numbers. `judged` is the one clause
every practical chapter uses to report a comparison of two models' accuracies, with the
verdict of the paired test (`stats.compare_paired`); `direction` returns the words for a
value that is not an accuracy (a silhouette, a gap). Each chapter's text module builds
its own sentence around the clause, saying what the result means for its question.
"""

from __future__ import annotations

from .stats import SIGNIFICANCE, Comparison


def direction(
    before: float,
    after: float,
    up: str = "بالا رفت",
    down: str = "پایین آمد",
    same: str = "تغییری نکرد",
    tolerance: float = 1e-9,
) -> str:
    """The words for how a value moved from `before` to `after`; within `tolerance` it is `same`."""
    if abs(after - before) <= tolerance:
        return same
    return up if after > before else down


def listing(items: list[str]) -> str:
    """Items as a Persian sentence lists them: «a»، «a و b»، «a، b و c»."""
    return items[0] if len(items) == 1 else "، ".join(items[:-1]) + " و " + items[-1]


def p_value(p: float) -> str:
    """A p-value as the prose writes it (math): three decimals, or below one in a thousand."""
    return "$p<0.001$" if p < 0.001 else f"$p={p:.3f}$"


TIE = "برابر در حد نوفه"
# The words of `judged` for a sentence that sets B beside A rather than following a change:
# "is higher / lower" (and, for the past, "was").
IS = ("بالاتر است", "پایین‌تر است", "با آن یکی است")
WAS = ("بالاتر بود", "پایین‌تر بود", "با آن یکی بود")


def judged(comparison: Comparison, up: str = "بالا رفت", down: str = "پایین آمد", same: str = "تغییری نکرد") -> str:
    """A clause for a sentence whose subject is B's accuracy next to A's: by how much it
    moved (`up` / `down`, the words for the two ways; `same` for no difference at all)
    and, in parentheses, the paired test's p-value, the number of seeds when there are
    several, and "equal within noise" when the test does not tell the two apart."""
    c = comparison
    if c.difference == 0:
        moved = same
    else:
        moved = f"{abs(c.difference):.2f} واحد درصد {up if c.difference > 0 else down}"
    evidence = [p_value(c.p_value)]
    if c.seeds > 1:
        evidence.append(f"میانگین {c.seeds} seed")
    if c.verdict == "tie":
        if c.p_value < SIGNIFICANCE:
            evidence.append("seedها هم‌جهت نبودند")
        evidence.append(TIE)
    return f"{moved} ({'؛ '.join(evidence)})"


def paired_rule(val_images: int, test_images: int) -> str:
    """How every comparison of two models is judged: said once, in the first practical chapter."""
    return (
        f"دو مدل همیشه روی همان تصاویر سنجیده می‌شوند ({val_images:,} تصویر اعتبارسنجی یا {test_images:,} تصویر آزمون)، پس اختلاف"
        " دقتشان را تصویر به تصویر می‌سنجیم: تنها تصاویری که یکی از دو مدل درست و دیگری نادرست طبقه‌بندی کرده است چیزی دربارهٔ"
        " تفاوت آن‌ها می‌گویند، و آزمون دقیق McNemar [@mcnemar1947note; @dietterich1998approximate] می‌پرسد آیا این تصاویر بیش از"
        f" آنچه شانس می‌دهد به سود یکی از دو مدل‌اند. اختلافی را واقعی می‌خوانیم که $p$ آن کمتر از {SIGNIFICANCE:g} باشد و بقیه را"
        f" {TIE} می‌شماریم. چون دو مدل روی تصاویر دشوار معمولاً با هم خطا می‌کنند، این آزمون اختلافی را هم که از دو خطای معیار"
        " هر دقت کوچک‌تر است می‌تواند از نوفه جدا کند."
    )


def device_name(device: str) -> str:
    """The kind of device a run trained on, as a sentence names it ("cpu" is «یک CPU», "cuda:0" «یک GPU»)."""
    kind = device.split(":")[0]
    return {"cpu": "یک CPU", "cuda": "یک GPU", "mps": "یک GPU اپل (MPS)"}.get(kind, f"دستگاه `{device}`")
