"""T4's sentence on YOLOv3's place in its paper's COCO table follows the table (t4.text, t4.coco)."""

import pandas as pd

from hw3core.t4 import coco, text


def test_the_papers_table_has_both_kinds_of_detector():
    assert set(coco.TABLE3["stage"]) == {"two-stage", "one-stage"}
    assert (coco.TABLE3["stage"] == "two-stage").sum() == 4


def test_standing_splits_the_other_methods_at_yolov3s_score():
    above, below = coco.standing(coco.TABLE3, "AP50")
    assert sorted(above["AP50"]) == [59.1, 59.1, 61.1] and len(above) + len(below) == len(coco.TABLE3) - 1
    assert (below["AP50"] <= 57.9).all()


def test_the_sentence_names_what_is_above_and_counts_what_is_below():
    sentence = text.coco_standing(coco.TABLE3)
    ap, ap50 = sentence.split("؛")
    # in AP every two-stage method is ahead, so they are named as a whole stage with their range
    assert "با 33.0" in ap and "هر 4 روش دومرحله‌ای (34.7 تا 36.8)" in ap and "RetinaNet با ResNeXt-101-FPN (40.8)" in ap
    assert "SSD513 (31.2)" in ap.split("پایین‌تر است")[1]
    # in AP50 only three are ahead; three two-stage methods are behind
    assert "Faster R-CNN w FPN (59.1)" in ap50 and "3 روش دومرحله‌ای (55.5 تا 57.7)" in ap50


def test_the_sentence_follows_another_table():
    table = pd.DataFrame(
        [("A", "x", "two-stage", 10.0, 20.0), ("B", "y", "one-stage", 5.0, 30.0), (coco.YOLOV3, "z", "one-stage", 12.0, 10.0)],
        columns=coco.TABLE3.columns,
    )
    ap, ap50 = text.coco_standing(table).split("؛")
    assert "از همهٔ روش‌های دیگر جدول بالاتر است" in ap
    assert "از همهٔ روش‌های دیگر جدول پایین‌تر است" in ap50
