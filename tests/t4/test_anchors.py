"""Dimension clusters and direct location prediction of T4 (e) (hw3core.t4.anchors)."""

import numpy as np
import pytest
import torch
import torchvision

from hw3core import figures
from hw3core.t4 import anchors


def test_wh_iou_is_iou_of_centred_boxes():
    wh = anchors.synthetic_box_sizes(50, seed=1)
    priors = anchors.hand_picked_anchors()
    centred = lambda s: torch.tensor(np.concatenate([-s / 2, s / 2], 1))
    expected = torchvision.ops.box_iou(centred(wh), centred(priors)).numpy()
    np.testing.assert_allclose(anchors.wh_iou(wh, priors), expected, rtol=1e-9)


def test_box_sizes_are_seeded_and_valid():
    a = anchors.synthetic_box_sizes(500, seed=3)
    assert np.array_equal(a, anchors.synthetic_box_sizes(500, seed=3))
    assert not np.array_equal(a, anchors.synthetic_box_sizes(500, seed=4))
    assert a.shape == (500, 2) and (a > 0).all() and (a <= 1).all()


def test_iou_clusters_beat_euclidean_and_hand_picked_ones():
    wh = anchors.synthetic_box_sizes(600, seed=0)
    iou = anchors.kmeans_anchors(wh, 5, "iou")
    euclidean = anchors.kmeans_anchors(wh, 5, "euclidean")
    assert iou.shape == (5, 2) and (np.diff(iou.prod(axis=1)) > 0).all()
    assert anchors.mean_best_iou(wh, iou) > anchors.mean_best_iou(wh, euclidean)
    assert anchors.mean_best_iou(wh, iou) > anchors.mean_best_iou(wh, anchors.hand_picked_anchors())


def test_euclidean_kmeans_is_as_good_as_sklearns():
    from sklearn.cluster import KMeans

    wh = anchors.synthetic_box_sizes(600, seed=2)
    ours = anchors.kmeans_anchors(wh, 5, "euclidean")
    theirs = KMeans(5, n_init=5, random_state=0).fit(wh)
    our_inertia = ((wh[:, None] - ours[None]) ** 2).sum(2).min(1).sum()
    assert our_inertia <= theirs.inertia_ * 1.01


def test_anchor_curve_and_figure():
    wh = anchors.synthetic_box_sizes(300, seed=0)
    curve = anchors.anchor_curve(wh, range(1, 4))
    assert curve["k"].tolist() == [1, 2, 3]
    assert curve["IoU k-means"].iloc[0] == pytest.approx(curve["Euclidean k-means"].iloc[0])
    assert curve["IoU k-means"].iloc[-1] > curve["IoU k-means"].iloc[0]
    assert figures.audit(anchors.anchor_figure(wh, curve, k=3)) == []


def test_direct_location_prediction_stays_in_its_cell():
    t = torch.tensor([[8.0, -8.0, 0.0, 1.0], [-3.0, 3.0, 2.0, -1.0]])
    boxes = anchors.decode_direct(t, (6, 4), (3.0, 2.0))
    assert anchors.outside_cell(boxes[:, :2], (6, 4)) == 0
    torch.testing.assert_close(boxes[:, 2:], torch.tensor([[3.0, 2 * np.e], [3 * np.e**2, 2 / np.e]]))
    assert anchors.outside_cell(anchors.decode_offset(t, (6, 4), (3.0, 2.0))[:, :2], (6, 4)) == 1
    spread = anchors.centre_spread(500)
    assert anchors.outside_cell(spread["direct"][:, :2], (6, 6)) == 0
    assert anchors.outside_cell(spread["offset"][:, :2], (6, 6)) > 0.5
    assert figures.audit(anchors.centre_figure(spread)) == []
