"""Benchmark (not a test): what P1's data path costs, next to pure compute and next to the
usual per-image torchvision pipeline.

The same model takes the same number of SGD steps, through the trainer's own loop
(`training.run_epoch`), fed three ways:

1. tensor      - our path: the split is one uint8 tensor on the device; `TensorImages`
                 normalises, crops and flips whole batches; `tensor_loader` is a DataLoader
                 over batches of indices.
2. torchvision - the textbook path: a Dataset of PIL images with RandomCrop(32, padding=4),
                 RandomHorizontalFlip, ToTensor and Normalize per image, batched by a
                 DataLoader with worker processes (and pinned memory on CUDA).
3. compute     - no data path at all: one batch already on the device, reused every step.

It prints images per second and each path's time over compute-only (the "x compute-only"
column). The goal is a ratio of at most GPU_GOAL (1.05) for our path on a GPU, where the
trainer reads loss and hits once per epoch and never waits on the host between steps; on a
CPU the data path and the model share the same cores, so the ratio is reported but not
judged against the goal. The three paths take turns for
`--repeats` rounds and each keeps its fastest round, so load from other processes on a
shared machine disturbs the ratios less. Run it from the repository root:

    PYTHONPATH=src python benchmarks/p1_data_path.py              # P1's full-size ConvNet
    PYTHONPATH=src python benchmarks/p1_data_path.py --profile quick --steps 20
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from typing import Iterable

import pandas as pd
import torch
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from hw3core.p1 import study as cifar_study
from hw3core.data import CIFAR10_CLASSES, ImageSet, TensorImages, channel_stats, load_cifar10, synthetic_images, tensor_loader
from hw3core.settings import MissingDataError, get_settings
from hw3core.training import classification_step, on_device, run_epoch

GPU_GOAL = 1.05  # our path's time over compute-only on a GPU


class PILImages(Dataset):
    """What torchvision.datasets.CIFAR10 does: one HWC uint8 array per image, made a PIL
    image and transformed on every access."""

    def __init__(self, data: ImageSet, transform: T.Compose) -> None:
        self.images = data.images.permute(0, 2, 3, 1).numpy()
        self.labels = data.labels.tolist()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.images[i])), self.labels[i]


def training_images() -> ImageSet:
    try:
        return load_cifar10("train", get_settings())
    except MissingDataError:
        print("CIFAR-10 not found (set HW3_DATA_DIR); timing on synthetic images of the same shape")
        return synthetic_images(5000, CIFAR10_CLASSES, seed=0)


def time_steps(cfg: dict, batches: Iterable, steps: int, warmup: int, device: torch.device) -> float:
    """Seconds for `steps` training steps after `warmup` untimed ones, through the trainer's loop."""
    torch.manual_seed(0)
    model = on_device(cifar_study.build_model(cfg["model"]), device)
    recipe = cfg["train"]
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe["lr"] / 25, momentum=recipe["momentum"], nesterov=True)
    batches = iter(batches)
    run_epoch(model, itertools.islice(batches, warmup), classification_step, device, optimizer)
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    run_epoch(model, itertools.islice(batches, steps), classification_step, device, optimizer)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiment", default="p1-bn", choices=cifar_study.EXPERIMENTS)
    parser.add_argument("--profile", default="full", choices=("full", "quick", "smoke"))
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    device = get_settings().device
    cfg = cifar_study.config(args.experiment, args.profile)
    batch = cfg["train"]["batch_size"]
    data = training_images()
    needed = (args.steps + args.warmup) * batch
    if needed > len(data):
        raise SystemExit(f"{args.steps}+{args.warmup} steps of {batch} need {needed} images; the data has {len(data)}")
    mean, std = channel_stats(data.images)
    print(f"{args.experiment} [{args.profile}] on {device}: batch {batch}, {args.steps} timed steps, {len(data)} images ({data.source})")

    tensor = tensor_loader(TensorImages(data, mean, std, device, augment=True), batch, shuffle=True, drop_last=True)
    transform = T.Compose([T.RandomCrop(32, padding=4, padding_mode="reflect"), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(mean, std)])
    standard = DataLoader(
        PILImages(data, transform),
        batch_size=batch,
        shuffle=True,
        drop_last=True,
        num_workers=args.workers,
        pin_memory=device.type == "cuda",
        persistent_workers=args.workers > 0,
    )
    one = next(iter(tensor))
    paths = {
        "tensor (ours)": lambda: tensor,
        f"torchvision ({args.workers} workers)": lambda: standard,
        "compute only": lambda: itertools.repeat(one),
    }
    rounds: dict[str, list[float]] = {name: [] for name in paths}
    for round_ in range(args.repeats):
        for name, batches in paths.items():
            rounds[name].append(time_steps(cfg, batches(), args.steps, args.warmup, device))
        print(f"  round {round_ + 1}: " + ", ".join(f"{name} {times[-1]:.2f} s" for name, times in rounds.items()))
    seconds = {name: min(times) for name, times in rounds.items()}
    compute = seconds["compute only"]
    table = pd.DataFrame(
        {
            "path": list(seconds),
            "seconds": list(seconds.values()),
            "images/s": [args.steps * batch / s for s in seconds.values()],
            "x compute-only": [s / compute for s in seconds.values()],
        }
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    ratio = seconds["tensor (ours)"] / compute
    print(f"our data path costs {100 * (ratio - 1):+.1f} % over compute-only; the per-image path {100 * (seconds[table['path'][1]] / compute - 1):+.1f} %")
    if device.type == "cuda":
        print(f"ratio to compute-only {ratio:.3f}: {'within' if ratio <= GPU_GOAL else 'OVER'} the GPU goal of {GPU_GOAL}")
    else:
        print(f"ratio to compute-only {ratio:.3f} on {device.type} (the goal of {GPU_GOAL} is for a GPU; not judged here)")


if __name__ == "__main__":
    main()
