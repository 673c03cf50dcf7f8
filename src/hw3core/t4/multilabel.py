"""One object, two labels: softmax against independent sigmoids, YOLOv3's answer to T4 (b)."""

from __future__ import annotations

import pandas as pd
import torch


def multilabel_demo(
    classes: tuple[str, ...] = ("Person", "Woman", "Car", "Dog"),
    positives: tuple[str, ...] = ("Person", "Woman"),
    steps: int = 200,
    lr: float = 1.0,
) -> pd.DataFrame:
    """Fit one output vector to an object labelled both Person and Woman, with a softmax
    and cross-entropy (target split evenly over the true labels) or with one sigmoid and
    binary cross-entropy per class, by plain gradient descent from zero logits."""
    target = torch.tensor([float(c in positives) for c in classes])
    losses = {
        "softmax + CE": lambda z: torch.nn.functional.cross_entropy(z[None], (target / target.sum())[None]),
        "sigmoid + BCE": lambda z: torch.nn.functional.binary_cross_entropy_with_logits(z, target),
    }
    results = {}
    for head, loss in losses.items():
        logits = torch.zeros(len(classes), requires_grad=True)
        for _ in range(steps):
            (gradient,) = torch.autograd.grad(loss(logits), logits)
            logits = (logits - lr * gradient).detach().requires_grad_()
        with torch.no_grad():
            results[head] = (logits.softmax(0) if head == "softmax + CE" else logits.sigmoid()).numpy()
    return pd.DataFrame({"class": classes, "label": target.int().numpy(), **results})
