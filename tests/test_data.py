"""The tensor data path: splits, sampler, batch augmentation, CIFAR-10 sources."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from hw3core import data
from hw3core.settings import MissingDataError, get_settings


def test_stratified_split_is_seeded_disjoint_and_proportional():
    labels = torch.arange(10).repeat_interleave(50)
    train, val = data.stratified_split(labels, 0.2, seed=1)
    again, _ = data.stratified_split(labels, 0.2, seed=1)
    assert np.array_equal(train, again)
    assert set(train).isdisjoint(val) and len(train) + len(val) == 500
    assert np.bincount(labels[val].numpy()).tolist() == [10] * 10


def test_a_limit_deals_the_images_evenly_over_the_classes_and_is_seeded():
    """Classes of 30, 5, 2 and 40 images capped at 16: the class of 2 gives both, the
    others 4 or 5 each; fewer images than classes: one each of that many classes."""
    labels = torch.tensor([0] * 30 + [1] * 5 + [2] * 2 + [3] * 40)
    images = data.ImageSet(torch.zeros(len(labels), 1, 1, 1, dtype=torch.uint8), labels, ("a", "b", "c", "d"), "test")
    limited = images.at_most(16, seed=3)
    counts = torch.bincount(limited.labels, minlength=4).tolist()
    assert len(limited) == 16 and counts[2] == 2 and sorted(counts) == [2, 4, 5, 5]
    chosen = data.evenly_dealt(labels, 16, seed=3)
    assert len(set(chosen.tolist())) == 16 and np.array_equal(chosen, data.evenly_dealt(labels, 16, seed=3))
    assert not np.array_equal(chosen, data.evenly_dealt(labels, 16, seed=4))
    assert sorted(labels[data.evenly_dealt(labels, 3, seed=0)].tolist()) in ([0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3])
    assert images.at_most(None, seed=3) is images and images.at_most(len(images), seed=3) is images


def test_sampler_covers_every_index_once_per_epoch_and_reshuffles():
    sampler = data.BatchIndexSampler(103, 10, shuffle=True, seed=5)
    first = [i for batch in sampler for i in batch]
    sampler.set_epoch(1)
    second = [i for batch in sampler for i in batch]
    assert sorted(first) == sorted(second) == list(range(103))
    assert first != second and len(sampler) == 11
    sampler.set_epoch(0)
    assert [i for batch in sampler for i in batch] == first


def test_augment_batch_is_a_crop_of_the_padded_image_maybe_flipped():
    x = torch.rand(6, 3, 8, 8)
    out = data.augment_batch(x, torch.Generator().manual_seed(0), pad=2)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="reflect")
    for i in range(len(x)):
        crops = [padded[i, :, dy : dy + 8, dx : dx + 8] for dy in range(5) for dx in range(5)]
        assert any(torch.equal(out[i], c) or torch.equal(out[i], c.flip(2)) for c in crops)


def test_tensor_loader_is_a_dataloader_of_normalised_batches():
    images = data.synthetic_images(6, data.CIFAR10_CLASSES, seed=0)
    mean, std = data.channel_stats(images.images)
    dataset = data.TensorImages(images, mean, std, torch.device("cpu"))
    loader = data.tensor_loader(dataset, 16, shuffle=False)
    assert isinstance(loader, DataLoader)
    batches = list(loader)
    assert [len(y) for _, y in batches] == [16, 16, 16, 12]
    x = torch.cat([b[0] for b in batches])
    assert x.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert x.std(dim=(0, 2, 3)).sub(1).abs().max() < 1e-2


def test_only_classes_relabels_in_the_given_order():
    images = data.synthetic_images(3, data.CIFAR10_CLASSES, seed=0)
    pair = images.only_classes(("automobile", "airplane"))
    assert pair.classes == ("automobile", "airplane") and len(pair) == 6
    assert torch.equal(pair.labels.sort().values, torch.tensor([0, 0, 0, 1, 1, 1]))
    assert torch.equal(pair.images[pair.labels == 1], images.images[images.labels == 0])


def _fake_cifar_folder(root: Path) -> None:
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for name in data.CIFAR10_CLASSES:
            folder = root / "cifar10" / split / name
            folder.mkdir(parents=True)
            for k in range(2):
                Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(folder / f"{k:04d}.png")


def test_image_folder_copy_loads_in_official_class_order(tmp_path: Path, monkeypatch):
    _fake_cifar_folder(tmp_path / "data")
    monkeypatch.setenv("HW3_DATA_DIR", str(tmp_path / "data"))
    loaded = data.load_cifar10("train", get_settings())
    assert loaded.images.shape == (20, 3, 32, 32) and loaded.images.dtype == torch.uint8
    assert loaded.classes == data.CIFAR10_CLASSES and loaded.labels.tolist() == [c for c in range(10) for _ in range(2)]
    assert "image folder" in loaded.source
    again = data.load_cifar10("train", get_settings())
    assert torch.equal(again.images, loaded.images), "the decoded tensor is cached"


def test_missing_cifar_names_the_setting_and_the_layout():
    with pytest.raises(MissingDataError, match="HW3_DATA_DIR(.|\n)*cifar10/train/<class>"):
        data.load_cifar10("train", get_settings())


def test_a_failed_download_is_reported_as_missing_data(monkeypatch):
    """Online but unreachable: the network error is chained under the one actionable message."""
    monkeypatch.delenv("HW3_OFFLINE", raising=False)

    def unreachable():
        raise ConnectionError("no route to host")

    with pytest.raises(MissingDataError, match="could not be downloaded(.|\n)*HW3_DATA_DIR(.|\n)*LAYOUT") as error:
        get_settings().download("A data set", "  LAYOUT", unreachable)
    assert isinstance(error.value.__cause__, ConnectionError)
    assert get_settings().download("A data set", "  LAYOUT", lambda: "fetched") == "fetched"


def test_offline_never_tries_to_download(monkeypatch):
    monkeypatch.setenv("HW3_OFFLINE", "1")

    def fetch():
        raise AssertionError("a download was attempted although HW3_OFFLINE is set")

    with pytest.raises(MissingDataError, match="HW3_OFFLINE is set"):
        get_settings().download("A data set", "  LAYOUT", fetch)
