"""YOLOv3's comparison on COCO, as its paper prints it: T4 (f).

The numbers are the paper's Table 3 (Redmon & Farhadi 2018), which it took from the
RetinaNet paper: COCO test-dev AP (averaged over IoU thresholds 0.5 to 0.95) and AP50
(IoU 0.5), two-stage detectors above, one-stage below. They are quotations, kept as data
so that the sentence which ranks YOLOv3 among them (`t4.text.coco_standing`) is computed
from the table the chapter shows, not retyped beside it.
"""

from __future__ import annotations

import pandas as pd

YOLOV3 = "YOLOv3 608×608"

TABLE3 = pd.DataFrame(
    [
        ("Faster R-CNN+++", "ResNet-101-C4", "two-stage", 34.9, 55.7),
        ("Faster R-CNN w FPN", "ResNet-101-FPN", "two-stage", 36.2, 59.1),
        ("Faster R-CNN by G-RMI", "Inception-ResNet-v2", "two-stage", 34.7, 55.5),
        ("Faster R-CNN w TDM", "Inception-ResNet-v2-TDM", "two-stage", 36.8, 57.7),
        ("YOLOv2", "DarkNet-19", "one-stage", 21.6, 44.0),
        ("SSD513", "ResNet-101-SSD", "one-stage", 31.2, 50.4),
        ("DSSD513", "ResNet-101-DSSD", "one-stage", 33.2, 53.3),
        ("RetinaNet", "ResNet-101-FPN", "one-stage", 39.1, 59.1),
        ("RetinaNet", "ResNeXt-101-FPN", "one-stage", 40.8, 61.1),
        (YOLOV3, "Darknet-53", "one-stage", 33.0, 57.9),
    ],
    columns=["method", "backbone", "stage", "AP", "AP50"],
)


def standing(table: pd.DataFrame, metric: str, method: str = YOLOV3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The other rows of `table` that score above `method` on `metric`, and those that do not."""
    own = table.loc[table["method"] == method, metric].item()
    others = table[table["method"] != method]
    return others[others[metric] > own], others[others[metric] <= own]
