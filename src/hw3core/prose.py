"""Words shared by the chapters' text modules: how one measured value stands to another,
and a list as a Persian sentence writes it.

A sentence that compares two results must follow the numbers; `direction` returns the
Persian words that fit them, so P1's and P2's text modules decide "rose, fell or stayed"
the same way, each with its own words for the three cases.
"""

from __future__ import annotations


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
