"""Oxford 102 Flowers: the official split through torchvision, the decode cache, batch views."""

import os
from pathlib import Path

import pytest
import scipy.io
import torch
import torchvision
from PIL import Image

from hw3core.errors import DataError
from hw3core.p3 import flowers
from hw3core.settings import MissingDataError, get_settings

# image id -> (label 1..3, size (h, w), colour): ids are 1-based as in the official files
FAKE = {i: (1 + (i - 1) % 3, (40 + 3 * i, 60 - 2 * i), (20 * i, 255 - 20 * i, 100)) for i in range(1, 10)}
SETID = {"trnid": [1, 2, 3], "valid": [4, 5, 6], "tstid": [9, 8, 7]}


def fake_flowers(root: Path) -> Path:
    """A tiny copy in torchvision's layout: jpg/image_NNNNN.jpg, imagelabels.mat, setid.mat."""
    base = root / "flowers-102"
    (base / "jpg").mkdir(parents=True)
    for image_id, (_, (h, w), colour) in FAKE.items():
        Image.new("RGB", (w, h), colour).save(base / "jpg" / f"image_{image_id:05d}.jpg", quality=95)
    scipy.io.savemat(base / "imagelabels.mat", {"labels": [[FAKE[i][0] for i in sorted(FAKE)]]})
    scipy.io.savemat(base / "setid.mat", {k: [v] for k, v in SETID.items()})
    return root


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    root = fake_flowers(tmp_path / "data")
    monkeypatch.setenv("HW3_DATA_DIR", str(root))
    # torchvision checks the md5 of the real .mat files, which a crafted copy cannot match
    monkeypatch.setattr(torchvision.datasets.Flowers102, "_check_integrity", lambda self: True)
    return root


@pytest.mark.parametrize("split,key", [("train", "trnid"), ("val", "valid"), ("test", "tstid")])
def test_official_split_of_a_fake_copy_loads_in_setid_order(fake_root, split, key):
    data = flowers.load_flowers(split, get_settings(), size=16)
    assert data.images.shape == (3, 3, 16, 16) and data.images.dtype == torch.uint8
    assert data.labels.tolist() == [FAKE[i][0] - 1 for i in SETID[key]]
    colours = data.images.float().mean(dim=(2, 3))
    expected = torch.tensor([FAKE[i][2] for i in SETID[key]], dtype=torch.float)
    assert torch.allclose(colours, expected, atol=4)  # the right file at the right index (JPEG tolerance)
    assert len(data.classes) == 102


def test_decoded_split_is_cached_and_decoded_again_when_the_files_change(fake_root, monkeypatch):
    first = flowers.load_flowers("test", get_settings(), size=16)
    decode = flowers._decode
    with monkeypatch.context() as patch:
        patch.setattr(flowers, "_decode", lambda *a, **k: pytest.fail("decoded again although no file changed"))
        again = flowers.load_flowers("test", get_settings(), size=16)
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    jpeg = sorted((fake_root / "flowers-102" / "jpg").iterdir())[-1]
    os.utime(jpeg, ns=(jpeg.stat().st_atime_ns, jpeg.stat().st_mtime_ns + 10**9))
    calls = []
    monkeypatch.setattr(flowers, "_decode", lambda *a, **k: calls.append(1) or decode(*a, **k))
    assert torch.equal(flowers.load_flowers("test", get_settings(), size=16).images, first.images)
    assert calls == [1], "a replaced file is noticed"
    assert list((get_settings().cache_dir / "datasets").glob("flowers102-test-16-*.pt"))


def test_missing_copy_offline_names_the_layout():
    with pytest.raises(MissingDataError, match=r"flowers-102/imagelabels\.mat") as error:
        flowers.load_flowers("train", get_settings(), size=16)
    assert "HW3_OFFLINE" in str(error.value)


def _save_setid(base: Path, **changed) -> None:
    scipy.io.savemat(base / "setid.mat", {k: [v] for k, v in {**SETID, **changed}.items() if v is not None})


@pytest.mark.parametrize(
    "damage, split, expected",
    [
        (lambda b: (b / "setid.mat").write_bytes(b"<html>a captive portal</html>" * 10), "train",
         r"setid.mat cannot be read as a MATLAB file \(.*\); it should hold 'trnid', 'valid' and 'tstid', the 1-based image numbers"),
        (lambda b: (b / "setid.mat").write_bytes((b / "setid.mat").read_bytes()[:150]), "train", r"setid.mat cannot be read as a MATLAB file"),
        (lambda b: (b / "imagelabels.mat").write_bytes(b""), "val", r"imagelabels.mat cannot be read as a MATLAB file \(.*\); it should hold 'labels', the class \(1-102\) of each image"),
        (lambda b: _save_setid(b, tstid=None), "test", r"setid.mat holds no list of whole numbers named 'tstid'; it should hold 'trnid'"),
        (lambda b: scipy.io.savemat(b / "setid.mat", {**{k: [v] for k, v in SETID.items()}, "valid": "four five six"}), "val", r"setid.mat holds no list of whole numbers named 'valid'"),
        (lambda b: _save_setid(b, tstid=[9, 8, 12]), "test", r"setid.mat's tstid names image 12, but .*/imagelabels.mat labels images 1-9; the two files are not from the same copy"),
        (lambda b: (b / "jpg" / "image_00008.jpg").unlink(), "test", r"setid.mat's tstid names image 8, but .*/jpg/image_00008.jpg is missing; copy the jpg folder again"),
        (lambda b: scipy.io.savemat(b / "imagelabels.mat", {"labels": [[0, 1, 2, 3, 1, 2, 3, 1, 2]]}), "train", r"imagelabels.mat has labels outside 1-102, the Flowers102 classes"),
        (lambda b: _save_setid(b, trnid=[1, 2, 4]), "train", r"setid.mat's trnid holds no image of class 3 \(canterbury bells\), though imagelabels.mat labels images with it; it is not the original split"),
    ],
    ids=["setid-not-a-mat-file", "setid-truncated", "labels-empty", "split-key-absent", "split-not-numbers", "split-past-the-labels", "split-image-missing", "labels-out-of-range", "class-absent-from-a-split"],
)
def test_a_damaged_split_file_is_named_with_what_it_should_hold(fake_root, damage, split, expected):
    damage(fake_root / "flowers-102")
    with pytest.raises(DataError, match=expected) as error:
        flowers.load_flowers(split, get_settings(), size=16)
    assert "\n" not in str(error.value) and "not found" not in str(error.value)


def test_split_files_that_are_not_the_official_ones_are_named_not_called_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("HW3_DATA_DIR", str(fake_flowers(tmp_path / "data")))  # well-formed, but not the official bytes
    with pytest.raises(DataError, match=r"flowers-102/imagelabels.mat is not the official file \(its MD5 differs .*\); copy it again"):
        flowers.load_flowers("train", get_settings(), size=16)


def test_square_image_keeps_the_centre_of_the_shorter_side():
    image = torch.zeros(3, 40, 80, dtype=torch.uint8)
    image[:, :, 20:60] = 255  # the centre square is white, the sides black
    square = flowers.square_image(image, 20)
    assert square.shape == (3, 20, 20) and square.float().mean() > 250


def test_random_resized_view_of_the_whole_image_is_the_image_or_its_mirror():
    images = torch.randint(0, 256, (6, 3, 12, 12), dtype=torch.uint8)
    views = flowers.random_resized_views(images, 12, torch.Generator().manual_seed(0), scale=(1, 1), ratio=(1, 1))
    x = images.float() / 255
    for view, image in zip(views, x):
        assert torch.allclose(view, image, atol=1e-5) or torch.allclose(view, image.flip(-1), atol=1e-5)
    flipped = [not torch.allclose(v, i, atol=1e-5) for v, i in zip(views, x)]
    assert any(flipped) and not all(flipped)


def test_random_resized_views_are_seeded_and_differ_between_epochs():
    images = torch.randint(0, 256, (4, 3, 20, 20), dtype=torch.uint8)
    dataset = flowers.FlowerViews(flowers.ImageSet(images, torch.arange(4), ("a",) * 4, "t"), 16, [0.5] * 3, [0.25] * 3, torch.device("cpu"), augment=True)
    dataset.set_epoch(3)
    first, _ = dataset[[0, 1, 2, 3]]
    dataset.set_epoch(3)
    again, _ = dataset[[0, 1, 2, 3]]
    dataset.set_epoch(4)
    other, _ = dataset[[0, 1, 2, 3]]
    assert first.shape == (4, 3, 16, 16) and torch.equal(first, again) and not torch.equal(first, other)


def test_centre_views_are_the_normalised_centre_crop():
    images = torch.randint(0, 256, (2, 3, 10, 10), dtype=torch.uint8)
    dataset = flowers.FlowerViews(flowers.ImageSet(images, torch.arange(2), ("a", "b"), "t"), 6, [0.5] * 3, [0.25] * 3, torch.device("cpu"))
    x, y = dataset[[1, 0]]
    expected = (images[[1, 0], :, 2:8, 2:8].float() / 255 - 0.5) / 0.25
    assert torch.allclose(x, expected) and y.tolist() == [1, 0]


def test_synthetic_splits_share_their_classes():
    per_class = {"train": 4, "val": 2, "test": 2}
    train = flowers.synthetic_flowers("train", 3, per_class, 16)
    val = flowers.synthetic_flowers("val", 3, per_class, 16)
    assert len(train) == 12 and len(val) == 6 and train.classes == flowers.FLOWERS_CLASSES[:3]
    for c in range(3):
        a = train.images[train.labels == c].float().mean(dim=(0, 2, 3))
        b = val.images[val.labels == c].float().mean(dim=(0, 2, 3))
        assert torch.allclose(a, b, atol=12)  # same class colour in both splits
    assert not any(torch.equal(t, v) for t in train.images for v in val.images)
