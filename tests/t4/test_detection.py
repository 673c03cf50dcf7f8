"""IoU, NMS, anchor clustering and box decoding of chapter T4, against torchvision.ops."""

import numpy as np
import pytest
import torch
import torchvision
from matplotlib.figure import Figure

from hw3core.t4 import detection


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
    torch.testing.assert_close(detection.box_iou(a, b), torchvision.ops.box_iou(a, b))


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_nms_matches_torchvision(seed, threshold):
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(60, g)
    scores = torch.rand(60, generator=g)
    assert scores.unique().numel() == scores.numel()  # ties excluded: their order is arbitrary
    ours = detection.nms(boxes, scores, threshold)
    assert torch.equal(ours, torchvision.ops.nms(boxes, scores, threshold))
    assert len(ours) < len(boxes)


@pytest.mark.parametrize("seed", range(10))
def test_per_class_nms_matches_torchvision(seed):
    g = torch.Generator().manual_seed(seed)
    boxes = random_boxes(60, g)
    scores = torch.rand(60, generator=g)
    classes = torch.randint(0, 3, (60,), generator=g)
    ours = detection.batched_nms(boxes, scores, classes, 0.5)
    assert torch.equal(ours, torchvision.ops.batched_nms(boxes, scores, classes, 0.5))
    assert len(ours) > len(detection.nms(boxes, scores, 0.5))


def test_nms_of_nothing_is_nothing():
    empty = torch.empty(0, 4)
    assert detection.nms(empty, torch.empty(0), 0.5).numel() == 0
    assert detection.batched_nms(empty, torch.empty(0), torch.empty(0, dtype=torch.long), 0.5).numel() == 0


def test_scene_nms_keeps_one_box_per_object():
    scene = detection.synthetic_scene()
    keep = detection.batched_nms(scene.boxes, scene.scores, scene.classes, 0.5)
    assert len(keep) == len(scene.truth)
    best_match = detection.box_iou(scene.boxes[keep], scene.truth).argmax(dim=1)
    assert sorted(best_match.tolist()) == list(range(len(scene.truth)))
    fig = detection.nms_figure(scene)
    assert f"{len(keep)} boxes" in fig.axes[1].get_title()


def test_wh_iou_is_iou_of_centred_boxes():
    wh = detection.synthetic_box_sizes(50, seed=1)
    anchors = detection.hand_picked_anchors()
    centred = lambda s: torch.tensor(np.concatenate([-s / 2, s / 2], 1))
    expected = torchvision.ops.box_iou(centred(wh), centred(anchors)).numpy()
    np.testing.assert_allclose(detection.wh_iou(wh, anchors), expected, rtol=1e-9)


def test_box_sizes_are_seeded_and_valid():
    a = detection.synthetic_box_sizes(500, seed=3)
    assert np.array_equal(a, detection.synthetic_box_sizes(500, seed=3))
    assert not np.array_equal(a, detection.synthetic_box_sizes(500, seed=4))
    assert a.shape == (500, 2) and (a > 0).all() and (a <= 1).all()


def test_iou_clusters_beat_euclidean_and_hand_picked_ones():
    wh = detection.synthetic_box_sizes(600, seed=0)
    iou = detection.kmeans_anchors(wh, 5, "iou")
    euclidean = detection.kmeans_anchors(wh, 5, "euclidean")
    assert iou.shape == (5, 2) and (np.diff(iou.prod(axis=1)) > 0).all()
    assert detection.mean_best_iou(wh, iou) > detection.mean_best_iou(wh, euclidean)
    assert detection.mean_best_iou(wh, iou) > detection.mean_best_iou(wh, detection.hand_picked_anchors())


def test_euclidean_kmeans_is_as_good_as_sklearns():
    from sklearn.cluster import KMeans

    wh = detection.synthetic_box_sizes(600, seed=2)
    ours = detection.kmeans_anchors(wh, 5, "euclidean")
    theirs = KMeans(5, n_init=5, random_state=0).fit(wh)
    our_inertia = ((wh[:, None] - ours[None]) ** 2).sum(2).min(1).sum()
    assert our_inertia <= theirs.inertia_ * 1.01


def test_anchor_curve_and_figure():
    wh = detection.synthetic_box_sizes(300, seed=0)
    curve = detection.anchor_curve(wh, range(1, 4))
    assert curve["k"].tolist() == [1, 2, 3]
    assert curve["IoU k-means"].iloc[0] == pytest.approx(curve["Euclidean k-means"].iloc[0])
    assert curve["IoU k-means"].iloc[-1] > curve["IoU k-means"].iloc[0]
    assert isinstance(detection.anchor_figure(wh, curve, k=3), Figure)


def test_sigmoids_let_one_object_be_person_and_woman():
    table = detection.multilabel_demo().set_index("class")
    assert table["softmax + CE"].sum() == pytest.approx(1.0, abs=1e-5)
    assert (table.loc[["Person", "Woman"], "softmax + CE"] <= 0.5 + 1e-6).all()
    assert (table.loc[["Person", "Woman"], "sigmoid + BCE"] > 0.9).all()
    assert (table.loc[["Car", "Dog"], "sigmoid + BCE"] < 0.1).all()


def test_direct_location_prediction_stays_in_its_cell():
    t = torch.tensor([[8.0, -8.0, 0.0, 1.0], [-3.0, 3.0, 2.0, -1.0]])
    boxes = detection.decode_direct(t, (6, 4), (3.0, 2.0))
    assert detection.outside_cell(boxes[:, :2], (6, 4)) == 0
    torch.testing.assert_close(boxes[:, 2:], torch.tensor([[3.0, 2 * np.e], [3 * np.e**2, 2 / np.e]]))
    assert detection.outside_cell(detection.decode_offset(t, (6, 4), (3.0, 2.0))[:, :2], (6, 4)) == 1
    spread = detection.centre_spread(500)
    assert detection.outside_cell(spread["direct"][:, :2], (6, 6)) == 0
    assert detection.outside_cell(spread["offset"][:, :2], (6, 6)) > 0.5
    assert isinstance(detection.centre_figure(spread), Figure)
