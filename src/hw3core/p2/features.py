"""Reading an extractor's features: stage outputs caught by forward hooks, unit-norm
embeddings of a whole split, and the measures P2 compares the regimes by — the
nearest-centroid accuracy of the embeddings, a linear probe of any features, and 2-D
views (PCA, t-SNE) of the test embeddings.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import TSNE
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..data import TensorImages
from ..training import autocast, map_batches, to_device
from .models import LAYERS, Extractor
from .triplet import embed

BATCH = 500  # images per forward pass when a whole split is read


@torch.no_grad()
def capture_feature_maps(
    extractor: Extractor,
    x: torch.Tensor,
    layers: tuple[str, ...] = LAYERS,
    reduce: Callable[[torch.Tensor], torch.Tensor] = lambda out: out,
) -> dict[str, torch.Tensor]:
    """Outputs of the named stages for the batch `x` (through `reduce`), caught by forward hooks, on the CPU."""
    maps: dict[str, torch.Tensor] = {}
    hooks = [
        getattr(extractor, name).register_forward_hook(
            lambda _m, _i, out, name=name: maps.__setitem__(name, reduce(out).float().cpu())
        )
        for name in layers
    ]
    was_training = extractor.training
    extractor.eval()
    try:
        with autocast(x.device):
            extractor(x)
    finally:
        for hook in hooks:
            hook.remove()
        extractor.train(was_training)
    return maps


@torch.no_grad()
def embeddings(extractor: Extractor, images: TensorImages, device: torch.device) -> torch.Tensor:
    """Unit-norm embeddings of a whole split (no augmentation), on the CPU.

    A whole-split pass goes through `map_batches`, so a rehearsal keeps its full shape.
    """
    extractor.eval()

    def embedded(part: slice) -> torch.Tensor:
        x, _ = images[list(range(part.start, part.stop))]
        with autocast(device):
            return embed(extractor, to_device(x, device)).cpu()

    return map_batches(embedded, len(images), BATCH)


def pooled_layers(extractor: Extractor, images: TensorImages, device: torch.device) -> dict[str, np.ndarray]:
    """Every stage's feature maps averaged over space (one vector per image), for a whole split."""

    def pooled(part: slice) -> dict[str, torch.Tensor]:
        x, _ = images[list(range(part.start, part.stop))]
        return capture_feature_maps(extractor, to_device(x, device), reduce=lambda out: out.mean(dim=(2, 3)))

    return {name: maps.numpy() for name, maps in map_batches(pooled, len(images), BATCH).items()}


def nearest_centroid_accuracy(reference: torch.Tensor, reference_labels: torch.Tensor, query: torch.Tensor, query_labels: torch.Tensor) -> float:
    """Accuracy of labelling each query by the closest class mean of the reference embeddings."""
    classes = reference_labels.unique()
    centroids = torch.stack([reference[reference_labels == c].mean(0) for c in classes])
    predicted = classes[torch.cdist(query, centroids).argmin(1)]
    return float((predicted == query_labels.cpu()).float().mean())


def linear_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    """Test accuracy of a logistic regression on standardised features: how linearly separable they are."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(probe.fit(train_x, train_y).score(test_x, test_y))


def project_2d(points: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """PCA and t-SNE views of the embeddings.

    t-SNE runs on one thread: its OpenMP loop, contending with PyTorch's threads on a
    small machine, ran many times slower than serial. Its perplexity stays below a third
    of the points, and 500 iterations settle two classes of 2,000 points.
    """
    perplexity = min(30.0, (len(points) - 1) / 3)
    with threadpool_limits(1):
        tsne = TSNE(2, init="pca", perplexity=perplexity, max_iter=500, random_state=seed).fit_transform(points)
    return {"pca": PCA(2, random_state=seed).fit_transform(points), "tsne": tsne}
