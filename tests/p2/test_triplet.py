"""The triplet dataset, the semi-hard mining and the loss, checked against PyTorch."""

import pytest
import torch
from torch import nn

from hw3core.data import TensorImages, synthetic_images, tensor_loader
from hw3core.p2.triplet import (
    TripletImages,
    combined_step,
    embed,
    mined_triplet_loss,
    satisfied,
    semi_hard_negatives,
    triplet_step,
)

CLASSES = ("airplane", "automobile")


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


def images(n_per_class: int = 20, seed: int = 0, augment: bool = False) -> TensorImages:
    data = synthetic_images(n_per_class, CLASSES, seed=seed)
    return TensorImages(data, [0.5] * 3, [0.25] * 3, torch.device("cpu"), augment=augment, seed=seed)


def test_triplets_pair_same_class_positive_and_other_class_negative():
    dataset = TripletImages(images(), seed=3)
    labels = dataset.images.labels
    for epoch in range(3):
        dataset.set_epoch(epoch)
        index = torch.arange(len(labels))
        assert (labels[dataset.positives] == labels).all()
        assert (dataset.positives != index).all()
        assert (labels[dataset.negatives] != labels).all()


def test_a_batch_holds_the_drawn_partners_and_their_labels():
    plain = images()
    dataset = TripletImages(plain, seed=1)
    chosen = [0, 5, 21, 39]
    batch = dataset[chosen]
    assert torch.equal(batch.anchor, plain[chosen][0])
    assert torch.equal(batch.positive, plain[dataset.positives[chosen].tolist()][0])
    assert torch.equal(batch.negative, plain[dataset.negatives[chosen].tolist()][0])
    assert torch.equal(batch.anchor_label, plain.labels[chosen])
    assert (batch.negative_label != batch.anchor_label).all()


def test_triplets_are_deterministic_given_the_seed_and_change_with_it():
    def epoch_batches(seed: int, epoch: int) -> list:
        dataset = TripletImages(images(augment=True, seed=seed), seed=seed)
        loader = tensor_loader(dataset, 16, shuffle=True, seed=seed)
        loader.sampler.set_epoch(epoch)
        dataset.set_epoch(epoch)
        return [torch.cat([b.anchor, b.positive, b.negative]) for b in loader]

    first, again = epoch_batches(7, 2), epoch_batches(7, 2)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, epoch_batches(8, 2)))
    assert not all(torch.equal(a, b) for a, b in zip(first, epoch_batches(7, 3)))


def test_a_class_with_one_image_is_refused():
    data = synthetic_images(5, CLASSES, seed=0)
    lonely = data.subset(torch.tensor([0, 1, 2, 5]))
    with pytest.raises(ValueError, match="two images of every class"):
        TripletImages(TensorImages(lonely, [0.5] * 3, [0.25] * 3, torch.device("cpu")), seed=0)


def random_batch(seed: int, b: int = 12, dim: int = 6):
    g = torch.Generator().manual_seed(seed)
    pool = nn.functional.normalize(torch.randn(3 * b, dim, generator=g), dim=1)
    labels = torch.randint(0, 2, (b,), generator=g)
    negative_labels = 1 - labels
    pool_labels = torch.cat([labels, labels, negative_labels])
    anchor, positive, negative = pool.chunk(3)
    return anchor, positive, negative, pool, labels, pool_labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_semi_hard_negative_is_the_closest_other_class_point_beyond_the_positive(seed):
    anchor, positive, _, pool, labels, pool_labels = random_batch(seed)
    chosen = semi_hard_negatives(anchor, positive, labels, pool, pool_labels)
    for i in range(len(anchor)):
        d_ap = float((anchor[i] - positive[i]).norm())
        candidates = [
            (float((anchor[i] - pool[j]).norm()), j)
            for j in range(len(pool))
            if pool_labels[j] != labels[i] and float((anchor[i] - pool[j]).norm()) > d_ap
        ]
        assert int(chosen[i]) == (min(candidates)[1] if candidates else -1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mined_loss_equals_pytorch_triplet_margin_loss_on_the_mined_triplets(seed):
    anchor, positive, negative, pool, labels, pool_labels = random_batch(seed)
    chosen = semi_hard_negatives(anchor, positive, labels, pool, pool_labels)
    mined = torch.stack([pool[j] if j >= 0 else negative[i] for i, j in enumerate(chosen.tolist())])
    expected = nn.functional.triplet_margin_loss(anchor, positive, mined, margin=0.3)
    assert torch.allclose(mined_triplet_loss(anchor, positive, negative, pool, labels, pool_labels, 0.3), expected)
    assert torch.allclose(nn.TripletMarginLoss(margin=0.3)(anchor, positive, mined), expected)


def test_mining_falls_back_to_the_dataset_negative_when_all_negatives_are_closer():
    anchor = torch.tensor([[1.0, 0.0]])
    positive = torch.tensor([[-1.0, 0.0]])  # as far as a unit vector can be
    negative = torch.tensor([[0.0, 1.0]])
    pool = torch.cat([anchor, positive, negative])
    labels, pool_labels = torch.tensor([0]), torch.tensor([0, 0, 1])
    assert semi_hard_negatives(anchor, positive, labels, pool, pool_labels).tolist() == [-1]
    loss = mined_triplet_loss(anchor, positive, negative, pool, labels, pool_labels, 0.2)
    assert torch.allclose(loss, nn.functional.triplet_margin_loss(anchor, positive, negative, margin=0.2))


def test_embeddings_are_unit_norm():
    extractor = nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    x = torch.randn(7, 3, 16, 16) * 3
    assert torch.allclose(embed(extractor, x).norm(dim=1), torch.ones(7), atol=1e-5)


def test_satisfied_counts_triplets_that_meet_the_margin():
    a = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    p = torch.tensor([[0.1, 0.0], [0.5, 0.0]])
    n = torch.tensor([[0.5, 0.0], [0.6, 0.0]])
    assert satisfied(a, p, n, margin=0.2) == 1  # 0.1 + 0.2 < 0.5, but 0.5 + 0.2 > 0.6


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.extractor = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(4, 2)


def test_steps_report_their_losses_and_counts():
    torch.manual_seed(0)
    model = Tiny()
    batch = TripletImages(images(5), seed=0)[list(range(10))]
    triplet = triplet_step(model.extractor, batch, margin=0.2)
    combined = combined_step(model, batch, margin=0.2)
    logits = model.head(model.extractor(batch.anchor))
    cross_entropy = nn.functional.cross_entropy(logits, batch.anchor_label)
    assert triplet.count == combined.count == 10
    assert torch.allclose(combined.loss, triplet.loss + cross_entropy, atol=1e-5)
    assert combined.correct == int((logits.argmax(1) == batch.anchor_label).sum())
    e = [embed(model.extractor, x) for x in (batch.anchor, batch.positive, batch.negative)]
    assert triplet.correct == satisfied(*e, margin=0.2)
