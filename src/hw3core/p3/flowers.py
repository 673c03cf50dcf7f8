"""Oxford 102 Flowers as uint8 tensors: official splits, a decode cache, and batch views.

`torchvision.datasets.Flowers102` reads the official train/val/test split (1,020 /
1,020 / 6,149 images). Each image is decoded once, its shorter side resized to `size`
and its centre square kept, and the split is cached as one uint8 tensor, so a re-render
loads it in a second instead of decoding 8,189 JPEGs again. From that tensor, views for
the networks are cut on whole batches (a centre crop, or a random resized crop with a
flip), in the spirit of airbench: no per-image Python in the training loop.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from functools import partial
from pathlib import Path

import numpy as np
import scipy.io
import torch
import torchvision
from PIL import Image
from scipy.io.matlab import MatReadError
from torch.nn import functional as F
from torch.utils.data import DataLoader
from torchvision.datasets.utils import check_integrity
from torchvision.transforms.v2 import functional as TF
from tqdm import tqdm  # not tqdm.auto: in a kernel it warns that ipywidgets is missing

from ..data import UNDECODABLE, ImageSet, TensorImages, cached_decode, stratified_subset, synthetic_images
from ..errors import DataError
from ..provenance import record_data
from ..settings import Settings

SPLITS = ("train", "val", "test")
# What setid.mat calls each split, and what the two split files hold (torchvision's Flowers102 reads them).
SPLIT_KEYS = dict(torchvision.datasets.Flowers102._splits_map)
SPLIT_FILES = {
    "imagelabels.mat": "it should hold 'labels', the class (1-102) of each image, in image-number order",
    "setid.mat": "it should hold 'trnid', 'valid' and 'tstid', the 1-based image numbers of the train, validation and test splits",
}
# What scipy.io.loadmat raises on a truncated, overwritten or foreign file (found by damaging the official ones).
UNREADABLE_MAT = (MatReadError, OSError, ValueError, TypeError, IndexError, KeyError, NotImplementedError, OverflowError, zlib.error, struct.error)
# The official split (Nilsback & Zisserman, 2008; torchvision's setid.mat): 10 images per
# class for training and for validation, the remaining 6,149 for testing.
OFFICIAL_SPLIT_SIZES = {"train": 1020, "val": 1020, "test": 6149}
# Random resized crops: fraction of the image area kept, and aspect-ratio range.
CROP_SCALE = (0.25, 1.0)
CROP_RATIO = (3 / 4, 4 / 3)
FLOWERS_CLASSES: tuple[str, ...] = tuple(torchvision.datasets.Flowers102.classes)
FLOWERS_LAYOUT = (
    "  <HW3_DATA_DIR>/flowers-102/jpg/image_00001.jpg ... image_08189.jpg\n"
    "  <HW3_DATA_DIR>/flowers-102/imagelabels.mat\n"
    "  <HW3_DATA_DIR>/flowers-102/setid.mat          (torchvision's Flowers102 layout)"
)


def square_image(image: Image.Image | torch.Tensor, size: int) -> torch.Tensor:
    """Shorter side resized to `size` (antialiased), then the centre `size`×`size` square, uint8 CHW."""
    square = TF.center_crop(TF.resize(TF.to_image(image), size, antialias=True), [size, size])
    return square.as_subclass(torch.Tensor)


def _official_split(split: str, settings: Settings, size: int) -> torchvision.datasets.Flowers102:
    """The split through torchvision, from the local copy or (when online) downloaded.

    A local copy with its split files is checked first (`check_split_files`), so a damaged
    one is named, not mistaken for a missing data set and downloaded over.
    """
    folder = settings.data_dir / "flowers-102"
    options = dict(split=split, transform=partial(square_image, size=size))
    if (folder / "jpg").is_dir() and all((folder / name).exists() for name in SPLIT_FILES):
        check_split_files(folder, split)
        try:
            return torchvision.datasets.Flowers102(str(settings.data_dir), download=False, **options)
        except RuntimeError as error:
            raise DataError(f"{_not_official(folder) or error}; copy it again from the Flowers102 download, or delete it so that torchvision downloads it") from error
    download = partial(torchvision.datasets.Flowers102, str(settings.data_dir), download=True, **options)
    return settings.download("Oxford 102 Flowers", FLOWERS_LAYOUT, download)


def _not_official(folder: Path) -> str | None:
    """Which split file differs from the official one (torchvision keeps their MD5s), if one does."""
    for key in ("label", "setid"):
        name, md5 = torchvision.datasets.Flowers102._file_dict[key]
        if not check_integrity(str(folder / name), md5):
            return f"{folder / name} is not the official file (its MD5 differs from the one torchvision checks)"
    return None


def check_split_files(folder: Path, split: str) -> None:
    """The split files agree with each other and with jpg/, or a DataError naming the file.

    imagelabels.mat labels every image with a class (1-102); setid.mat lists, per split,
    the 1-based numbers of its images. Each split names images that exist and are
    labelled, and holds every class that is labelled at all (the official split has 10
    or more images of each class in each split).
    """
    labels = _mat_numbers(folder / "imagelabels.mat", "labels")
    ids = _mat_numbers(folder / "setid.mat", SPLIT_KEYS[split])
    key = f"{folder / 'setid.mat'}'s {SPLIT_KEYS[split]}"
    if not 1 <= labels.min() <= labels.max() <= len(FLOWERS_CLASSES):
        raise DataError(f"{folder / 'imagelabels.mat'} has labels outside 1-{len(FLOWERS_CLASSES)}, the Flowers102 classes; it is not the original file, copy it again")
    if not 1 <= ids.min() <= ids.max() <= len(labels):
        bad = int(ids.max() if ids.max() > len(labels) else ids.min())
        raise DataError(
            f"{key} names image {bad}, but {folder / 'imagelabels.mat'} labels images 1-{len(labels)}; "
            "the two files are not from the same copy, copy both again"
        )
    absent = next((int(i) for i in ids if not (folder / "jpg" / f"image_{i:05d}.jpg").is_file()), None)
    if absent is not None:
        raise DataError(f"{key} names image {absent}, but {folder / 'jpg' / f'image_{absent:05d}.jpg'} is missing; copy the jpg folder again")
    unseen = sorted(set(labels.tolist()) - set(labels[ids - 1].tolist()))
    if unseen:
        more = f" or of {len(unseen) - 1} more" if len(unseen) > 1 else ""
        raise DataError(
            f"{key} holds no image of class {unseen[0]} ({FLOWERS_CLASSES[unseen[0] - 1]}){more}, though imagelabels.mat labels images with it; "
            "it is not the original split, copy setid.mat again"
        )


def _mat_numbers(path: Path, key: str) -> np.ndarray:
    """The whole numbers stored under `key` in the MATLAB file `path`, as a flat int64 array."""
    try:
        content = scipy.io.loadmat(path, squeeze_me=True)
    except UNREADABLE_MAT as error:
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{path} cannot be read as a MATLAB file ({why}); {SPLIT_FILES[path.name]}; copy the original again") from error
    values = np.atleast_1d(content.get(key, np.array([])))
    if values.size == 0 or values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
        raise DataError(f"{path} holds no list of whole numbers named {key!r}; {SPLIT_FILES[path.name]}; copy the original again")
    return values.astype(np.int64)


class _Checked(torch.utils.data.Dataset):
    """The split's images, with the path and error of an unreadable one instead of a crash.

    An exception raised in a DataLoader worker comes back as a wall of traceback that
    does not name the file; returning it as data lets the main process say which file.
    """

    def __init__(self, dataset: torchvision.datasets.Flowers102, size: int) -> None:
        self.dataset, self.size = dataset, size

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, str]:
        try:
            image, label = self.dataset[index]
            return image, label, ""
        except UNDECODABLE as error:
            return torch.zeros(3, self.size, self.size, dtype=torch.uint8), -1, f"{self.dataset._image_files[index]}: {error}"


def _decode(dataset: torchvision.datasets.Flowers102, size: int, desc: str) -> dict[str, torch.Tensor]:
    workers = min(8, os.cpu_count() or 1)
    loader = DataLoader(_Checked(dataset, size), batch_size=64, num_workers=workers if workers > 1 else 0)
    images, labels = [], []
    for batch, target, errors in tqdm(loader, desc=desc, disable=None, leave=False):
        bad = next((e for e in errors if e), None)
        if bad:
            raise DataError(f"{bad.partition(': ')[0]} is not a readable image ({bad.partition(': ')[2]}); replace it with the original file")
        images.append(batch)
        labels.append(target)
    return {"images": torch.cat(images), "labels": torch.cat(labels)}


def load_flowers(split: str, settings: Settings, size: int) -> ImageSet:
    """One official split as uint8 [N, 3, size, size] images and 0-based labels.

    The decoded tensor is cached under the cache folder, keyed by a fingerprint of the
    data folder's files and the size, so only the first call pays for the JPEG decoding
    and a changed folder is decoded again.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    folder = settings.data_dir / "flowers-102"
    if not folder.exists():
        _official_split(split, settings, size)  # downloads it, or says how to provide it
    cached = settings.layout.dataset(f"flowers102-{split}-{size}-{record_data(folder)}")
    stored = cached_decode(cached, lambda: _decode(_official_split(split, settings, size), size, desc=f"decode flowers {split}"))
    return ImageSet(stored["images"], stored["labels"], FLOWERS_CLASSES, "torchvision Flowers102 (official split)")


def synthetic_flowers(split: str, classes: int, per_class: dict[str, int], size: int) -> ImageSet:
    """Flowers-like stand-in for the smoke profile: `classes` learnable colour classes.

    All splits are cut from one synthetic set, so a class looks the same in each of them.
    """
    total = sum(per_class[name] for name in SPLITS)
    everything = synthetic_images(total, FLOWERS_CLASSES[:classes], seed=0, size=size)
    start = sum(per_class[name] for name in SPLITS[: SPLITS.index(split)])
    within = torch.arange(len(everything)) % total
    keep = (within >= start) & (within < start + per_class[split])
    return everything.subset(torch.nonzero(keep).flatten())


def flowers_split(split: str, data: dict, settings: Settings) -> ImageSet:
    """A split as the data config says: real or synthetic, whole or a stratified subset.

    `data` holds `source` ("flowers102" or "synthetic"), `store` (stored square side),
    and optionally `per_class` ({split: images per class}, for reduced profiles) and
    `limit` (at most that many images, taken last).
    """
    seed = SPLITS.index(split)
    if data["source"] == "synthetic":
        images = synthetic_flowers(split, data["classes"], data["per_class"], data["store"])
    else:
        per_class = (data.get("per_class") or {}).get(split)
        images = load_flowers(split, settings, data["store"])
        if per_class is not None:
            images = images.subset(stratified_subset(images.labels, per_class, seed))
    return images.at_most(data.get("limit"), seed)


def center_views(images: torch.Tensor, size: int) -> torch.Tensor:
    """The centre `size`×`size` crop of stored squares, as floats in [0, 1]."""
    offset = (images.shape[-1] - size) // 2
    return images[..., offset : offset + size, offset : offset + size].float() / 255


def random_resized_views(
    images: torch.Tensor,
    size: int,
    generator: torch.Generator,
    scale: tuple[float, float] = CROP_SCALE,
    ratio: tuple[float, float] = CROP_RATIO,
) -> torch.Tensor:
    """Random resized crops (area fraction in `scale`, aspect in `ratio`) with random flips.

    One affine sampling grid per image, all sampled at once by `grid_sample`: the crop,
    the rescale to `size` and the flip are a single batched bilinear resampling.
    """
    n = len(images)
    area = torch.empty(n).uniform_(*scale, generator=generator)
    aspect = torch.empty(n).uniform_(math.log(ratio[0]), math.log(ratio[1]), generator=generator).exp()
    width, height = (area * aspect).sqrt().clamp(max=1), (area / aspect).sqrt().clamp(max=1)
    shift_x = (torch.rand(n, generator=generator) * 2 - 1) * (1 - width)
    shift_y = (torch.rand(n, generator=generator) * 2 - 1) * (1 - height)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = width * flip, shift_x
    theta[:, 1, 1], theta[:, 1, 2] = height, shift_y
    grid = F.affine_grid(theta.to(images.device), [n, images.shape[1], size, size], align_corners=False)
    return F.grid_sample(images.float() / 255, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


class FlowerViews(TensorImages):
    """A split held on `device`; `dataset[list_of_indices]` returns a normalised batch of views.

    With `augment` the views are random resized crops with flips, reseeded per epoch
    (so a resumed run sees the same crops); without, the centre crop. Storage, epoch
    seeding and length come from `TensorImages`; only the views differ.
    """

    def __init__(
        self,
        data: ImageSet,
        size: int,
        mean: list[float],
        std: list[float],
        device: torch.device,
        augment: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__(data, mean, std, device, augment, seed)
        self.size = size
        # the views are floats in [0, 1], so the statistics stay in [0, 1] units
        self.mean, self.std = self.mean / 255, self.std / 255

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.as_tensor(indices, device=self.images.device)
        images = self.images[index]
        views = random_resized_views(images, self.size, self.generator) if self.augment else center_views(images, self.size)
        return (views - self.mean) / self.std, self.labels[index]

