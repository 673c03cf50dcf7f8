"""Image data kept as tensors: CIFAR-10 sources, splits, synthetic smoke data, batch loaders.

The training path follows airbench: a split lives as one uint8 tensor (on the training
device), and normalisation and augmentation (random crop with padding, horizontal
flip) run on whole batches. `torch.utils.data.DataLoader` is still the loader the
assignment asks for: it draws batches of indices from `BatchIndexSampler` and the
dataset returns the whole batch at once, so there is no per-image Python in the loop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torchvision
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm.auto import tqdm

from . import atomic, cut_short
from .seeding import epoch_seed
from .settings import Settings

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_LAYOUT = (
    "  <HW3_DATA_DIR>/cifar-10-batches-py/...      (torchvision's CIFAR10, the original pickles), or\n"
    "  <HW3_DATA_DIR>/cifar10/train/<class>/*.jpg  and  cifar10/test/<class>/*.jpg  (an image-folder copy)"
)


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

    def only_classes(self, names: tuple[str, ...]) -> "ImageSet":
        """Keep the given classes, relabelled 0..len(names)-1 in the order given."""
        old = [self.classes.index(name) for name in names]
        keep = torch.isin(self.labels, torch.tensor(old))
        relabel = torch.full((len(self.classes),), -1, dtype=torch.long)
        relabel[old] = torch.arange(len(old))
        return ImageSet(self.images[keep], relabel[self.labels[keep]], tuple(names), self.source)


def _decode_folder(root: Path) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    folder = torchvision.datasets.ImageFolder(str(root))
    images = np.stack([np.asarray(folder.loader(path)) for path, _ in tqdm(folder.samples, desc=f"decode {root.name}", disable=None)])
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.tensor(folder.targets), tuple(folder.classes)


def load_cifar10(split: str, settings: Settings) -> ImageSet:
    """The official train (50,000) or test (10,000) split, from the pickles or an image folder.

    The image-folder copy is decoded once and kept as a tensor in the cache, so later
    loads take a fraction of a second.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    pickles = settings.data_dir / "cifar-10-batches-py"
    folder = settings.data_dir / "cifar10" / split
    if pickles.exists():
        dataset = torchvision.datasets.CIFAR10(str(settings.data_dir), train=split == "train", download=False)
        images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()
        return ImageSet(images, torch.tensor(dataset.targets), tuple(dataset.classes), "torchvision CIFAR10 (original pickles)")
    if folder.exists():
        tag = hashlib.sha256(str(folder).encode()).hexdigest()[:10]
        cached = settings.cache_dir / "datasets" / f"cifar10-{split}-{tag}.pt"
        if cached.exists():
            stored = atomic.torch_load(cached)
        else:
            images, labels, classes = _decode_folder(folder)
            stored = {"images": images, "labels": labels, "classes": list(classes)}
            atomic.torch_save(stored, cached)
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


def stratified_split(labels: torch.Tensor, val_size: int | float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation indices with the same class proportions in both parts."""
    indices = np.arange(len(labels))
    train, val = train_test_split(indices, test_size=val_size, stratify=labels.numpy(), random_state=seed)
    return np.sort(train), np.sort(val)


def stratified_subset(labels: torch.Tensor, per_class: int, seed: int) -> np.ndarray:
    """`per_class` seeded indices of every class (for the reduced quick profile)."""
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(labels.numpy() == c), per_class, replace=False) for c in labels.unique().tolist()]
    return np.sort(np.concatenate(picks))


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
    """Yields lists of indices, reshuffled per epoch from (seed, epoch) so resumes are exact.

    A rehearsal (cut_short) keeps only the first few batches, trimmed; `len` stays the
    real count, so schedules built from it are the real run's.
    """

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
        kept = (batch for batch in batches if len(batch) == self.batch_size or not self.drop_last)
        real_images = len(self) * self.batch_size if self.drop_last else self.n
        yield from cut_short.trimmed(kept, real_images, training=self.shuffle)

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1


def tensor_loader(dataset: Dataset, batch_size: int, shuffle: bool, seed: int = 0, drop_last: bool = False) -> DataLoader:
    """A DataLoader over whole-batch indices (automatic batching off: the dataset batches)."""
    sampler = BatchIndexSampler(len(dataset), batch_size, shuffle, seed, drop_last)
    return DataLoader(dataset, sampler=sampler, batch_size=None)
