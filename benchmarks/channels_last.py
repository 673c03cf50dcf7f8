"""Benchmark (not a test): a training step in channels-first against channels-last memory.

Why `training.CHANNELS_LAST_DEVICES` includes the CPU: for the book's convolutional
networks (P1's ConvNets at the quick widths, MobileNetV2 as P3 (e) trains it), it times
forward + backward + SGD step on random inputs both ways and prints the speed-up, best of
`--repeats` rounds so that other load on a shared machine disturbs the ratio less.

    PYTHONPATH=src python benchmarks/channels_last.py [--device cuda]
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch
from torch import nn
from torchvision import models

from hw3core.p1.models import ConvNet

NETWORKS: dict[str, tuple[Callable[[], nn.Module], int, int]] = {
    # name: (builder, batch, input size)
    "P1 ConvNet + BN 16-32-64-128": (lambda: ConvNet((16, 32, 64, 128), 128, batchnorm=True), 256, 32),
    "P1 ConvNet 16-32-64-128": (lambda: ConvNet((16, 32, 64, 128), 128), 256, 32),
    "MobileNetV2 at 96 px": (lambda: models.mobilenet_v2(num_classes=102), 64, 96),
}


def step_seconds(build: Callable[[], nn.Module], batch: int, size: int, layout: torch.memory_format, device: torch.device, steps: int) -> float:
    torch.manual_seed(0)
    model = build().to(device).to(memory_format=layout)
    x = torch.randn(batch, 3, size, size, device=device).contiguous(memory_format=layout)
    y = torch.randint(0, 10, (batch,), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for i in range(steps + 2):  # two warm-up steps
        if i == 2:
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    device = torch.device(args.device)
    print(f"{'network':32} {'channels-first s/step':>22} {'channels-last s/step':>21} {'speed-up':>9}")
    for name, (build, batch, size) in NETWORKS.items():
        first, last = (
            min(step_seconds(build, batch, size, layout, device, args.steps) for _ in range(args.repeats))
            for layout in (torch.contiguous_format, torch.channels_last)
        )
        print(f"{name:32} {first:22.3f} {last:21.3f} {first / last:8.2f}x")


if __name__ == "__main__":
    main()
