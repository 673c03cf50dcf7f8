"""YOLO v1-v3 output depths, shapes and layer counts of chapter T4, read off real modules."""

import pytest
import torch

from hw3core.t4 import yolo


def test_output_depth_formulas():
    assert yolo.v1_depth(boxes=2, classes=yolo.VOC_CLASSES) == 30  # the paper's 7×7×30 on PASCAL VOC
    assert yolo.v1_depth(boxes=2, classes=80) == 2 * 5 + 80
    assert yolo.v3_depth(anchors=3, classes=80) == 3 * (5 + 80)


@pytest.mark.parametrize("classes", [20, 80])
def test_yolov1_output_is_s_by_s_by_depth(classes):
    shape = yolo.output_shapes(yolo.build("YOLOv1", classes), 448)
    assert shape == [(7, 7, yolo.v1_depth(2, classes))]


@pytest.mark.parametrize("size", [320, 416, 608])
def test_yolov2_and_v3_shapes_follow_the_strides(size):
    v2 = yolo.output_shapes(yolo.build("YOLOv2", 20), size)
    assert v2 == [(5 * (5 + 20), size // 32, size // 32)]
    v3 = yolo.output_shapes(yolo.build("YOLOv3"), size)
    assert v3 == [(yolo.v3_depth(), size // stride, size // stride) for stride in (32, 16, 8)]
    grids = [size // s for s in (32, 16, 8)]
    assert yolo.predicted_boxes("YOLOv3", v3) == 3 * sum(g * g for g in grids)


def test_meta_shapes_equal_a_real_forward():
    torch.manual_seed(0)
    with torch.no_grad():
        real = yolo.YOLOv3(classes=2).eval()(torch.zeros(1, 3, 64, 64))
    assert [tuple(t.shape[1:]) for t in real] == yolo.output_shapes(yolo.build("YOLOv3", 2), 64)


def test_yolov1_cannot_take_other_sizes():
    with pytest.raises(RuntimeError):
        yolo.output_shapes(yolo.build("YOLOv1"), 608)


def test_output_table_at_paper_sizes():
    table = yolo.output_table().set_index("version")
    assert table.loc["YOLOv1", "depth per scale"] == yolo.v1_depth()
    assert table.loc["YOLOv1", "boxes per image"] == 7 * 7 * 2
    assert table.loc["YOLOv3", "depth per scale"] == yolo.v3_depth()
    assert table.loc["YOLOv3", "output tensor(s)"] == ", ".join(f"{g}×{g}×{yolo.v3_depth()}" for g in (13, 26, 52))
    # v1's head is reshaped channels last, v2's convolution is channels first: both read H×W×C
    assert table.loc["YOLOv1", "output tensor(s)"] == f"7×7×{yolo.v1_depth()}"
    assert table.loc["YOLOv2", "output tensor(s)"] == f"13×13×{5 * (5 + yolo.COCO_CLASSES)}"


def test_multiscale_table_counts_boxes():
    table = yolo.multiscale_table(sizes=(320, 448, 608))
    grids = table["input"] // 32
    assert (table["v2 boxes"] == grids**2 * 5).all()
    assert (table["v3 boxes"] == 3 * (grids**2 + (2 * grids) ** 2 + (4 * grids) ** 2)).all()
    assert table["YOLOv1"].str.endswith("runs").tolist() == [False, True, False]


def test_multiscale_schedule_changes_size_every_few_batches():
    schedule = yolo.multiscale_schedule(200, seed=1)
    assert schedule == yolo.multiscale_schedule(200, seed=1)
    assert set(schedule) <= set(yolo.MULTISCALE_SIZES) and len(set(schedule)) > 3
    every = yolo.MULTISCALE_EVERY
    windows = [schedule[i : i + every] for i in range(0, 200, every)]
    assert all(len(set(w)) == 1 for w in windows)
    assert min(yolo.MULTISCALE_SIZES) == 320 and max(yolo.MULTISCALE_SIZES) == 608
    assert all(s % 32 == 0 for s in yolo.MULTISCALE_SIZES)


def test_architecture_counts():
    table = yolo.architecture_table().set_index("version")
    assert table.loc["YOLOv1", "conv"] == 24 and table.loc["YOLOv1", "FC"] == 2
    assert table.loc["YOLOv3", "max-pool"] == 0
    assert table.loc["YOLOv3", "residual"] == sum(yolo.DARKNET53_BLOCKS)
    assert 2 ** table.loc["YOLOv3", "stride-2 conv"] == 32
    model = yolo.build("YOLOv3")
    backbone = [model.stem, model.s2, model.s4, model.s8, model.s16, model.s32]
    backbone_convs = sum(isinstance(m, torch.nn.Conv2d) for part in backbone for m in part.modules())
    assert backbone_convs + 1 == 53  # Darknet-53: 52 convolutions + the classifier's FC layer
    assert table.loc["YOLOv3", "conv"] == 75  # layers of the released yolov3.cfg
