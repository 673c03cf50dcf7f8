"""Reading P2's features: hooks catch the stage outputs, embeddings are unit-norm and batch
independent, the nearest-centroid and probe accuracies are what they claim."""

import numpy as np
import pytest
import torch

from hw3core.data import TensorImages, synthetic_images
from hw3core.p2 import features
from hw3core.p2.models import LAYERS, Extractor

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


def test_hooks_catch_the_stage_outputs():
    torch.manual_seed(0)
    extractor = Extractor([4, 6, 8], convs_per_stage=2).eval()
    x = torch.randn(3, 3, 32, 32)
    maps = features.capture_feature_maps(extractor, x)
    with torch.no_grad():
        s1 = extractor.stage1(x)
        s2 = extractor.stage2(extractor.pool(s1))
        s3 = extractor.stage3(extractor.pool(s2))
    for name, expected in zip(LAYERS, (s1, s2, s3)):
        assert torch.allclose(maps[name], expected)
    assert torch.allclose(s3.mean(dim=(2, 3)), extractor(x))


def test_embeddings_and_pooled_layers_read_the_whole_split_in_order(monkeypatch):
    monkeypatch.setattr(features, "BATCH", 7)  # several batches, the last one short
    torch.manual_seed(0)
    extractor = Extractor([4, 6, 8], convs_per_stage=1)
    split = TensorImages(synthetic_images(10, ("airplane", "automobile"), seed=2), [0.5] * 3, [0.25] * 3, torch.device("cpu"))
    points = features.embeddings(extractor, split, torch.device("cpu"))
    x, _ = split[list(range(len(split)))]
    with torch.no_grad():
        direct = extractor(x)
    assert torch.allclose(points, torch.nn.functional.normalize(direct, dim=1), atol=1e-6)
    pooled = features.pooled_layers(extractor, split, torch.device("cpu"))
    assert {name: a.shape for name, a in pooled.items()} == {"stage1": (20, 4), "stage2": (20, 6), "stage3": (20, 8)}
    assert np.allclose(pooled["stage3"], direct.numpy(), atol=1e-6)


def test_nearest_centroid_accuracy():
    reference = torch.tensor([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0], [-0.8, 0.2]])
    labels = torch.tensor([0, 0, 1, 1])
    query = torch.tensor([[0.7, 0.7], [-0.2, 0.9], [0.1, -1.0]])
    assert features.nearest_centroid_accuracy(reference, labels, query, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)


def test_linear_probe_separates_what_is_separable():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 50)
    separable = rng.normal(size=(100, 3)) + labels[:, None] * 6.0
    noise = rng.normal(size=(100, 3))
    assert features.linear_probe(separable, labels, separable, labels) == 1.0
    assert features.linear_probe(noise[::2], labels[::2], noise[1::2], labels[1::2]) < 0.8
