"""Sentences of T4 that follow a table: where YOLOv3 stands among the detectors of its paper.

The ranking is read from `t4.coco.TABLE3`, so the sentence names exactly the methods the
chapter's table shows above and below YOLOv3, with their numbers.
"""

from __future__ import annotations

import pandas as pd

from ..prose import listing
from .coco import YOLOV3, standing

STAGES = {"two-stage": "دومرحله‌ای", "one-stage": "یک‌مرحله‌ای"}


def _name(row: pd.Series, table: pd.DataFrame) -> str:
    """The method, with its backbone where the table has the method twice (RetinaNet)."""
    twice = (table["method"] == row["method"]).sum() > 1
    return f"{row['method']} با {row['backbone']}" if twice else row["method"]


def _named(rows: pd.DataFrame, table: pd.DataFrame, metric: str) -> str:
    """Each method with its score; a whole stage of the table as «هر 4 روش دومرحله‌ای (… تا …)»."""
    parts = []
    for stage, group in rows.groupby("stage", sort=False):
        everyone = ((table["stage"] == stage) & (table["method"] != YOLOV3)).sum()
        if len(group) > 1 and len(group) == everyone:
            parts.append(f"هر {len(group)} روش {STAGES[stage]} ({group[metric].min():.1f} تا {group[metric].max():.1f})")
        else:
            parts += [f"{_name(row, table)} ({row[metric]:.1f})" for _, row in group.sort_values(metric).iterrows()]
    return listing(parts)


def _counted(rows: pd.DataFrame, table: pd.DataFrame, metric: str) -> str:
    """Methods per stage as a count and a range, or by name where a stage has one or two."""
    parts = []
    for stage, group in rows.groupby("stage", sort=False):
        if len(group) <= 2:
            parts.append(_named(group, table, metric))
        else:
            parts.append(f"{len(group)} روش {STAGES[stage]} ({group[metric].min():.1f} تا {group[metric].max():.1f})")
    return listing(parts)


def _rank(table: pd.DataFrame, metric: str) -> str:
    own = table.loc[table["method"] == YOLOV3, metric].item()
    above, below = standing(table, metric)
    if above.empty:
        return f"با {own:.1f} از همهٔ روش‌های دیگر جدول بالاتر است"
    if below.empty:
        return f"با {own:.1f} از همهٔ روش‌های دیگر جدول پایین‌تر است"
    return f"با {own:.1f} از {_named(above, table, metric)} پایین‌تر است و از {_counted(below, table, metric)} بالاتر"


def coco_standing(table: pd.DataFrame) -> str:
    """Where YOLOv3 stands in AP and in AP50 among the other rows of its paper's Table 3."""
    return (
        f"در AP، میانگین روی آستانه‌های IoU از 0.5 تا 0.95، YOLOv3 {_rank(table, 'AP')}؛ "
        f"در AP50، با آستانهٔ IoU برابر 0.5، {_rank(table, 'AP50')}."
    )
