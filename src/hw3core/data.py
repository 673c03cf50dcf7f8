"""Image data kept as tensors: CIFAR-10 sources, splits, synthetic smoke data, batch loaders.

The training path follows airbench: a split lives as one uint8 tensor (on the training
device), and normalisation and augmentation (random crop with padding, horizontal
flip) run on whole batches. `torch.utils.data.DataLoader` is still the loader the
assignment asks for: it draws batches of indices from `BatchIndexSampler` and the
dataset returns the whole batch at once, so there is no per-image Python in the loop.

Data on disk is checked before it is used: the class folders of both splits against
CIFAR-10's (each holding an image, none a broken link or a name that is not UTF-8),
every image decoded and sized, the pickles complete and matching torchvision's
checksums, and each class large enough for the split asked of it; each problem is a
`DataError` naming the file. The
decoded copy of an image folder is cached under a fingerprint of its files, so adding,
removing or replacing an image decodes it again (and makes results from it stale).

A data config may cap every split it builds at a number of images (its "limit", see
`experiments.Experiment`); each study applies it through `ImageSet.at_most`, so the cap
means the same thing everywhere: at most that many images, spread evenly over the classes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torchvision
from PIL import Image
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision.datasets.folder import IMG_EXTENSIONS, has_file_allowed_extension
from torchvision.datasets.utils import check_integrity
from tqdm import tqdm  # not tqdm.auto: in a kernel it warns that ipywidgets is missing

from . import atomic
from .errors import DataError
from .images import rgb_tensor
from .provenance import broken_link, check_utf8, record_data
from .seeding import epoch_seed
from .settings import Settings

log = logging.getLogger("hw3.data")

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_LAYOUT = (
    "  <HW3_DATA_DIR>/cifar-10-batches-py/...      (torchvision's CIFAR10, the original pickles), or\n"
    "  <HW3_DATA_DIR>/cifar10/train/<class>/*.jpg  and  cifar10/test/<class>/*.jpg  (an image-folder copy)"
)
CIFAR10_PICKLES = ("batches.meta", *(f"data_batch_{i}" for i in range(1, 6)), "test_batch")
CIFAR10_SIZE = (32, 32)
# What Pillow raises for a file that is not an image, or is cut short (SyntaxError: some broken PNGs).
UNDECODABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


@dataclass(frozen=True)
class ImageSet:
    """uint8 images [N, C, H, W], int64 labels [N], class names, and where they came from."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray | torch.Tensor) -> "ImageSet":
        index = torch.as_tensor(np.asarray(indices), dtype=torch.long)
        return ImageSet(self.images[index], self.labels[index], self.classes, self.source)

    def at_most(self, limit: int | None, seed: int) -> "ImageSet":
        """At most `limit` of these images (all of them when `limit` is None): a data config's cap.

        A seeded subset dealt evenly over the classes (`evenly_dealt`), so every class is
        represented when `limit` is at least the number of classes.
        """
        if limit is None or limit >= len(self):
            return self
        return self.subset(evenly_dealt(self.labels, limit, seed))

    def only_classes(self, names: tuple[str, ...]) -> "ImageSet":
        """Keep the given classes, relabelled 0..len(names)-1 in the order given."""
        old = [self.classes.index(name) for name in names]
        keep = torch.isin(self.labels, torch.tensor(old))
        relabel = torch.full((len(self.classes),), -1, dtype=torch.long)
        relabel[old] = torch.arange(len(old))
        return ImageSet(self.images[keep], relabel[self.labels[keep]], tuple(names), self.source)


def read_rgb(path: Path) -> torch.Tensor:
    """One image file as uint8 RGB [3, H, W], or a DataError naming the file."""
    try:
        with Image.open(path) as image:
            image.load()
            return rgb_tensor(image)
    except UNDECODABLE as error:
        raise DataError(f"{path} is not a readable image ({error}); replace or delete it") from error


def cached_decode(path: Path, decode: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`decode()`'s tensors, kept at `path`; an unreadable copy is moved aside and redone."""
    if path.exists():
        try:
            return atomic.torch_load(path)
        except atomic.UNREADABLE as error:
            moved = atomic.set_aside(path)
            log.warning("decoded data %s is unreadable (%s); moved to %s, decoding again", path, atomic.why_unreadable(error), moved)
    stored = decode()
    atomic.torch_save(stored, path)
    return stored


def check_classes(folder: Path, expected: Sequence[str]) -> None:
    """The class folders under `folder` are exactly `expected`, and each holds an image."""
    if not folder.is_dir():
        raise DataError(f"{folder} is missing; an image-folder copy needs train/ and test/, each with one folder per class")
    for path in folder.iterdir():
        check_utf8(path)
        if path.is_symlink() and not path.exists():
            raise broken_link(path)
    found = sorted(p.name for p in folder.iterdir() if p.is_dir())
    missing, extra = [c for c in expected if c not in found], [c for c in found if c not in expected]
    if missing or extra:
        parts = [f"missing {', '.join(missing)}" if missing else "", f"unexpected {', '.join(extra)}" if extra else ""]
        raise DataError(
            f"{folder}: class folders differ from the expected {len(expected)} ({'; '.join(p for p in parts if p)}); "
            f"it needs exactly {', '.join(expected)}"
        )
    empty = [c for c in expected if not _holds_an_image(folder / c)]
    if empty:
        raise DataError(
            f"{folder}: no image files in {', '.join(empty)} (ImageFolder reads {' '.join(IMG_EXTENSIONS)}); every class folder needs its images"
        )


def _holds_an_image(folder: Path) -> bool:
    """Whether ImageFolder finds an image under `folder` (it walks into subfolders and links)."""
    return any(has_file_allowed_extension(name, IMG_EXTENSIONS) for _, _, names in os.walk(folder, followlinks=True) for name in names)


def _decode_folder(root: Path, classes: Sequence[str], size: tuple[int, int]) -> dict[str, Any]:
    """Every image under root/<class>/ (as ImageFolder lists them), checked for its size."""
    samples = torchvision.datasets.ImageFolder.make_dataset(str(root), {c: i for i, c in enumerate(classes)}, extensions=IMG_EXTENSIONS)
    images = []
    for path, _ in tqdm(samples, desc=f"decode {root.name}", disable=None):
        image = read_rgb(Path(path))
        if tuple(image.shape[1:]) != size:
            raise DataError(f"{path} is {image.shape[2]}x{image.shape[1]} pixels, CIFAR-10 images are {size[1]}x{size[0]}; replace or delete it")
        images.append(image)
    return {"images": torch.stack(images), "labels": torch.tensor([label for _, label in samples]), "classes": list(classes)}


def _load_pickles(folder: Path, split: str, settings: Settings) -> ImageSet:
    missing = [name for name in CIFAR10_PICKLES if not (folder / name).is_file()]
    if missing:
        raise DataError(
            f"{folder} is incomplete (no {', '.join(missing)}); copy the whole cifar-10-batches-py folder "
            "from the CIFAR-10 python archive, or delete it so that torchvision downloads it"
        )
    record_data(folder)
    try:
        dataset = torchvision.datasets.CIFAR10(str(settings.data_dir), train=split == "train", download=False)
    except (RuntimeError, *atomic.UNREADABLE) as error:
        official = torchvision.datasets.CIFAR10
        checksums = [*official.train_list, *official.test_list, [official.meta["filename"], official.meta["md5"]]]
        damaged = [name for name, md5 in checksums if not check_integrity(str(folder / name), md5)]
        what = f"{', '.join(damaged)} in {folder} fail torchvision's checksum" if damaged else f"{folder} cannot be read ({error})"
        raise DataError(f"{what}; copy the folder again from the CIFAR-10 python archive, or delete it so that torchvision downloads it") from error
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()
    return ImageSet(images, torch.tensor(dataset.targets), tuple(dataset.classes), "torchvision CIFAR10 (original pickles)")


def load_cifar10(split: str, settings: Settings) -> ImageSet:
    """The official train (50,000) or test (10,000) split, from the pickles or an image folder.

    The image-folder copy is decoded once and kept as a tensor in the cache, under a
    fingerprint of its files, so later loads take a fraction of a second and any change
    to the folder is noticed. Both splits' class folders are checked on every load: a
    class missing from one of them would otherwise train on nine classes without a word.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    pickles = settings.data_dir / "cifar-10-batches-py"
    copy = settings.data_dir / "cifar10"
    if pickles.exists():
        return _load_pickles(pickles, split, settings)
    if copy.exists():
        for part in ("train", "test"):
            check_classes(copy / part, CIFAR10_CLASSES)
        folder = copy / split
        cached = settings.layout.dataset(f"cifar10-{split}-{record_data(folder)}")
        stored = cached_decode(cached, partial(_decode_folder, folder, CIFAR10_CLASSES, CIFAR10_SIZE))
        return ImageSet(stored["images"], stored["labels"], tuple(stored["classes"]), "image folder (lossy JPEG copy)")
    download = partial(torchvision.datasets.CIFAR10, str(settings.data_dir), train=True, download=True)
    settings.download("CIFAR-10", CIFAR10_LAYOUT, download)
    return load_cifar10(split, settings)


def synthetic_images(n_per_class: int, classes: tuple[str, ...], seed: int, size: int = 32) -> ImageSet:
    """Tiny learnable stand-in data for the smoke profile: each class a colour and a stripe.

    Its numbers mean nothing; it exists so every code path runs in seconds.
    """
    generator = torch.Generator().manual_seed(seed)
    k = len(classes)
    labels = torch.arange(k).repeat_interleave(n_per_class)
    hues = torch.rand(k, 3, 1, 1, generator=generator) * 160 + 40
    images = hues[labels].expand(-1, -1, size, size).clone()
    stripe = (torch.arange(k) * size // k)
    for i, label in enumerate(labels.tolist()):
        images[i, :, stripe[label] : stripe[label] + max(size // k, 2), :] = 230
    images += torch.randn(images.shape, generator=generator) * 25
    return ImageSet(images.clamp(0, 255).to(torch.uint8), labels, tuple(classes), "synthetic (smoke profile)")


def _too_few(labels: torch.Tensor, needed: int, what: str) -> None:
    counts = torch.bincount(labels)
    present = [c for c in range(len(counts)) if counts[c] > 0]
    short = [c for c in present if counts[c] < needed]
    if short:
        raise DataError(
            f"too few images for {what}: class {short[0]} has {int(counts[short[0]])}, at least {needed} are needed "
            f"({len(short)} of {len(present)} classes fall short); add images to the data folder, or use a profile that takes fewer"
        )


def stratified_split(labels: torch.Tensor, val_size: int | float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation indices with the same class proportions in both parts."""
    classes = int((torch.bincount(labels) > 0).sum())
    n_val = val_size if isinstance(val_size, int) else int(np.ceil(val_size * len(labels)))
    _too_few(labels, -(-n_val // classes) + 1, f"a stratified split of {n_val} validation images over {classes} classes")
    indices = np.arange(len(labels))
    train, val = train_test_split(indices, test_size=val_size, stratify=labels.numpy(), random_state=seed)
    return np.sort(train), np.sort(val)


def stratified_subset(labels: torch.Tensor, per_class: int, seed: int) -> np.ndarray:
    """`per_class` seeded indices of every class (for the reduced quick profile)."""
    _too_few(labels, per_class, f"a subset of {per_class} images per class")
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(labels.numpy() == c), per_class, replace=False) for c in labels.unique().tolist()]
    return np.sort(np.concatenate(picks))


def evenly_dealt(labels: torch.Tensor, count: int, seed: int) -> np.ndarray:
    """`count` seeded indices spread over the classes as evenly as they allow, sorted.

    Dealt like cards: each class's items are shuffled, then one is taken from each class
    in turn (the classes in a seeded order) until `count` are taken; a class that runs out
    is skipped. With `count` >= the number of classes, every class is represented.
    """
    rng = np.random.default_rng(seed)
    y = labels.numpy()
    hands = [rng.permutation(np.flatnonzero(y == c)) for c in rng.permutation(np.unique(y))]
    dealt = [hand[turn] for turn in range(max(map(len, hands), default=0)) for hand in hands if turn < len(hand)]
    return np.sort(np.array(dealt[:count], dtype=np.int64))


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and std in [0, 1] units, from the training images only."""
    x = images.float().div(255)
    return x.mean(dim=(0, 2, 3)).tolist(), x.std(dim=(0, 2, 3)).tolist()


def augment_batch(x: torch.Tensor, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop after reflect padding, and a random horizontal flip, for a whole batch."""
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, :]
    cropped = padded[torch.arange(n, device=x.device)[:, None, None], :, rows, cols].permute(0, 3, 1, 2)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


class TensorImages(Dataset):
    """A split as one tensor on `device`; `dataset[list_of_indices]` returns a normalised batch."""

    def __init__(
        self,
        data: ImageSet,
        mean: list[float],
        std: list[float],
        device: torch.device,
        augment: bool = False,
        seed: int = 0,
    ) -> None:
        self.images = data.images.to(device)
        self.labels = data.labels.to(device)
        self.mean = torch.tensor(mean, device=device).view(1, -1, 1, 1) * 255
        self.std = torch.tensor(std, device=device).view(1, -1, 1, 1) * 255
        self.augment, self.seed = augment, seed
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        self.generator.manual_seed(epoch_seed(self.seed, epoch))

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.as_tensor(indices, device=self.images.device)
        x = (self.images[index].float() - self.mean) / self.std
        if self.augment:
            x = augment_batch(x, self.generator)
        return x, self.labels[index]


class BatchIndexSampler(Sampler[list[int]]):
    """Yields lists of indices, reshuffled per epoch from (seed, epoch) so resumes are exact."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int = 0, drop_last: bool = False) -> None:
        self.n, self.batch_size, self.shuffle, self.seed, self.drop_last = n, batch_size, shuffle, seed, drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        order = (
            torch.randperm(self.n, generator=torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch)))
            if self.shuffle
            else torch.arange(self.n)
        )
        batches = (order[start : start + self.batch_size].tolist() for start in range(0, self.n, self.batch_size))
        yield from (batch for batch in batches if len(batch) == self.batch_size or not self.drop_last)

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1


def tensor_loader(dataset: Dataset, batch_size: int, shuffle: bool, seed: int = 0, drop_last: bool = False) -> DataLoader:
    """A DataLoader over whole-batch indices (automatic batching off: the dataset batches)."""
    sampler = BatchIndexSampler(len(dataset), batch_size, shuffle, seed, drop_last)
    return DataLoader(dataset, sampler=sampler, batch_size=None)
