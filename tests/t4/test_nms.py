"""IoU and non-maximum suppression of T4 (c) (hw3core.t4.nms) against torchvision.ops."""

import pytest
import torch
import torchvision

from hw3core import figures
from hw3core.t4 import nms


def random_boxes(n: int, generator: torch.Generator, clusters: int = 4) -> torch.Tensor:
    """Boxes bunched around a few centres, so that many overlap (like raw detections)."""
    centres = torch.rand(clusters, 2, generator=generator) * 80 + 10
    pick = torch.randint(0, clusters, (n,), generator=generator)
    xy = centres[pick] + torch.randn(n, 2, generator=generator) * 4
    wh = torch.rand(n, 2, generator=generator) * 30 + 5
    return torch.cat([xy - wh / 2, xy + wh / 2], 1)


@pytest.mark.parametrize("seed", range(5))
def test_box_iou_matches_torchvision(seed):
    g = torch.Generator().manual_seed(seed)
    a, b = random_boxes(30, g), random_boxes(17, g)
    torch.testing.assert_close(nms.box_iou(a, b), torchvision.ops.box_iou(a, b))


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_nms_matches_torchvision(seed, threshold):
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(60, g)
    scores = torch.rand(60, generator=g)
    assert scores.unique().numel() == scores.numel()  # ties excluded: their order is arbitrary
    ours = nms.nms(boxes, scores, threshold)
    assert torch.equal(ours, torchvision.ops.nms(boxes, scores, threshold))
    assert len(ours) < len(boxes)


@pytest.mark.parametrize("seed", range(10))
def test_per_class_nms_matches_torchvision(seed):
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(60, g)
    scores = torch.rand(60, generator=g)
    classes = torch.randint(0, 3, (60,), generator=g)
    ours = nms.batched_nms(boxes, scores, classes, 0.5)
    assert torch.equal(ours, torchvision.ops.batched_nms(boxes, scores, classes, 0.5))
    assert len(ours) > len(nms.nms(boxes, scores, 0.5))


def test_nms_of_nothing_is_nothing():
    empty = torch.empty(0, 4)
    assert nms.nms(empty, torch.empty(0), 0.5).numel() == 0
    assert nms.batched_nms(empty, torch.empty(0), torch.empty(0, dtype=torch.long), 0.5).numel() == 0


def test_scene_nms_keeps_one_box_per_object():
    scene = nms.synthetic_scene()
    keep = nms.batched_nms(scene.boxes, scene.scores, scene.classes, 0.5)
    assert len(keep) == len(scene.truth)
    best_match = nms.box_iou(scene.boxes[keep], scene.truth).argmax(dim=1)
    assert sorted(best_match.tolist()) == list(range(len(scene.truth)))
    fig = nms.nms_figure(scene)
    assert f"{len(keep)} boxes" in fig.axes[1].get_title()
    assert figures.audit(fig) == []


def test_the_raw_detections_panel_has_a_key_to_its_colours():
    scene = nms.synthetic_scene()
    fig = nms.nms_figure(scene)
    left, (legend,) = fig.axes[0], fig.legends
    assert [t.get_text() for t in legend.get_texts()] == list(scene.class_names)
    # each entry's colour is the colour of that class's boxes in the panel
    box_colour = {int(c): patch.get_edgecolor()[:3] for c, patch in zip(scene.classes, left.patches)}
    assert [tuple(h.get_edgecolor()[:3]) for h in legend.legend_handles] == [tuple(box_colour[c]) for c in range(len(scene.class_names))]
