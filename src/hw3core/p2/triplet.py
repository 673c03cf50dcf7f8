"""Triplet learning: a seeded dataset of (anchor, positive, negative) images, hard-negative
mining inside a batch, the triplet loss on unit-norm embeddings, and the training steps
that plug into `training.fit`.

An epoch of `TripletImages` uses every image once as an anchor and draws, from
(seed, epoch), a positive of the same class (never the anchor itself) and a negative of
another class. Random triplets soon become easy: they already meet the margin and give
no gradient. The loss therefore keeps each dataset pair (anchor, positive) and picks a
semi-hard negative: FaceNet's condition is eq. (4) of Schroff et al. 2015, d(a, p) <
d(a, n) on squared distances, which orders negatives as plain distances do; which one
to take among several the paper does not say, and we take, as TensorFlow's
`triplet_semihard_loss` does, the closest of the 3B embeddings of the batch of another
class that is farther than the positive. When there is none the dataset's own negative
stays (our choice; TensorFlow takes the farthest negative). The hardest negative
outright (d(a, n) < d(a, p) allowed) collapses a network trained from scratch: all
embeddings gather in one spot where every loss equals the margin.

The loss is on plain Euclidean distances, as Hermans et al. 2017 use them (more stable
than squared ones, and the margin stays an absolute distance); FaceNet's own loss squares
them, and its margin 0.2, which the configs take, is a margin on squared distances.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import torch
from torch import nn
from torch.utils.data import Dataset

from ..data import TensorImages
from ..seeding import epoch_seed
from ..training import Step, StepResult, to_device


class Triplets(NamedTuple):
    """One batch: image tensors [B, C, H, W] and the labels of anchors and negatives."""

    anchor: torch.Tensor
    positive: torch.Tensor
    negative: torch.Tensor
    anchor_label: torch.Tensor
    negative_label: torch.Tensor


class TripletImages(Dataset):
    """`dataset[list_of_anchor_indices]` returns a whole `Triplets` batch.

    Images, normalisation and augmentation come from the wrapped `TensorImages`; the
    partners of every anchor are redrawn in `set_epoch` (fit calls it on the training
    loader), so a validation set keeps the triplets drawn for epoch 0.
    """

    def __init__(self, images: TensorImages, seed: int) -> None:
        labels = images.labels.cpu()
        if any(int((labels == c).sum()) < 2 for c in labels.unique()) or len(labels.unique()) < 2:
            raise ValueError("a triplet needs at least two classes and two images of every class")
        self.images, self.seed = images, seed
        self.set_epoch(0)

    def __len__(self) -> int:
        return len(self.images)

    def set_epoch(self, epoch: int) -> None:
        self.images.set_epoch(epoch)
        self.positives, self.negatives = draw_partners(self.images.labels.cpu(), epoch_seed(self.seed, epoch))

    def __getitem__(self, indices: list[int]) -> Triplets:
        index = torch.as_tensor(indices)
        anchor, anchor_label = self.images[index.tolist()]
        positive, _ = self.images[self.positives[index].tolist()]
        negative, negative_label = self.images[self.negatives[index].tolist()]
        return Triplets(anchor, positive, negative, anchor_label, negative_label)


def draw_partners(labels: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For every index a random same-class partner (not itself) and a random other-class one."""
    generator = torch.Generator().manual_seed(seed)
    positives = torch.empty_like(labels)
    negatives = torch.empty_like(labels)
    for c in labels.unique().tolist():
        members = torch.nonzero(labels == c).squeeze(1)
        others = torch.nonzero(labels != c).squeeze(1)
        n = len(members)
        shift = torch.randint(1, n, (n,), generator=generator)  # 1..n-1 steps away: never itself
        positives[members] = members[(torch.arange(n) + shift) % n]
        negatives[members] = others[torch.randint(0, len(others), (n,), generator=generator)]
    return positives, negatives


def embed(extractor: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Unit-norm embeddings: the extractor's pooled features divided by their L2 norm."""
    return nn.functional.normalize(extractor(x).float(), dim=1)


def semi_hard_negatives(anchor: torch.Tensor, positive: torch.Tensor, anchor_labels: torch.Tensor, pool: torch.Tensor, pool_labels: torch.Tensor) -> torch.Tensor:
    """Index into `pool` of each anchor's semi-hard negative, or -1 where none is farther than the positive.

    Semi-hard (FaceNet's eq. (4), the same order on plain distances): of another class,
    and farther from the anchor than the positive, d(a, n) > d(a, p); of those, the
    closest, as TensorFlow's `triplet_semihard_loss` takes it.
    """
    distances = torch.cdist(anchor, pool)
    d_ap = (anchor - positive).norm(dim=1, keepdim=True)
    excluded = (anchor_labels[:, None] == pool_labels[None, :]) | (distances <= d_ap)
    nearest = distances.masked_fill(excluded, float("inf")).min(dim=1)
    return torch.where(torch.isfinite(nearest.values), nearest.indices, -1)


def mined_triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, pool: torch.Tensor, anchor_labels: torch.Tensor, pool_labels: torch.Tensor, margin: float) -> torch.Tensor:
    """Triplet loss of (anchor, positive, semi-hard negative from the pool, else `negative`)."""
    with torch.no_grad():
        chosen = semi_hard_negatives(anchor, positive, anchor_labels, pool, pool_labels)
    mined = torch.where((chosen >= 0)[:, None], pool[chosen.clamp(min=0)], negative)
    return nn.functional.triplet_margin_loss(anchor, positive, mined, margin=margin)


def satisfied(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float) -> torch.Tensor:
    """How many triplets already meet the margin, d(a, p) + margin < d(a, n), as a 0-d
    tensor on the device (see `training.StepResult`)."""
    d_ap = (anchor - positive).norm(dim=1)
    d_an = (anchor - negative).norm(dim=1)
    return (d_ap + margin < d_an).sum()


def _embed_triplets(extractor: nn.Module, batch: Triplets) -> tuple[torch.Tensor, torch.Tensor]:
    """Features of the 3B images in one forward pass (one BatchNorm batch) and their labels."""
    device = next(extractor.parameters()).device
    x = to_device(torch.cat([batch.anchor, batch.positive, batch.negative]), device)
    labels = torch.cat([batch.anchor_label, batch.anchor_label, batch.negative_label]).to(device)
    return extractor(x).float(), labels


def _triplet_terms(features: torch.Tensor, labels: torch.Tensor, margin: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mined triplet loss over a 3B batch, and how many of the dataset's own triplets meet the margin."""
    embeddings = nn.functional.normalize(features, dim=1)
    anchor, positive, negative = embeddings.chunk(3)
    b = len(anchor)
    loss = mined_triplet_loss(anchor, positive, negative, embeddings, labels[:b], labels, margin)
    return loss, satisfied(anchor.detach(), positive.detach(), negative.detach(), margin)


def triplet_step(model: nn.Module, batch: Triplets, margin: float) -> StepResult:
    """Triplet loss alone on the extractor's embeddings; 'correct' = dataset triplets meeting the margin."""
    features, labels = _embed_triplets(model, batch)
    loss, hits = _triplet_terms(features, labels, margin)
    return StepResult(loss, hits, len(batch.anchor))


def combined_step(model: nn.Module, batch: Triplets, margin: float) -> StepResult:
    """L_triplet + L_CE through the whole model at once; 'correct' = anchors classified right.

    The cross-entropy term is taken on the anchors only: they are exactly the images and
    batches of the cross-entropy regime, so the one difference from it is the triplet term.
    """
    features, labels = _embed_triplets(model.extractor, batch)
    triplet, _ = _triplet_terms(features, labels, margin)
    b = len(batch.anchor)
    logits = model.head(features[:b])
    cross_entropy = nn.functional.cross_entropy(logits.float(), labels[:b])
    return StepResult(triplet + cross_entropy, (logits.argmax(1) == labels[:b]).sum(), b)


def step_with_margin(step: Callable[..., StepResult], margin: float) -> Step:
    """`step` with its margin bound, in the two-argument form `fit` expects."""
    return partial(step, margin=margin)
