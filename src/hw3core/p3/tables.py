"""P3 (c)-(e) results as the chapter shows them: final accuracies, the comparison of (d), parameters.

Parameter counts are read from PyTorch on models built on the meta device (shapes, no
memory, no weights), so they are exact whether or not any weights file is present.
Cells that would need missing weights are "—", never a number.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import torch

from .. import experiments
from ..cache import Artifacts
from ..comparisons import compare
from ..profiles import Profile
from ..settings import get_settings
from ..stats import Comparison
from .flowers import SPLITS
from .network import TransferNet, parameter_counts, transfer_net
from .study import EXPERIMENTS, class_count, features_config, features_name
from .weights import BACKBONES, MissingWeights

Outcomes = dict[str, Artifacts | MissingWeights]


def final_table(results: dict[str, Artifacts]) -> pd.DataFrame:
    """Loss and accuracy (%) on train, validation and test for each finished model."""
    rows = []
    for label, artifacts in results.items():
        for split in SPLITS:
            final = artifacts.metrics["final"][split]
            rows.append({"model": label, "split": split, "loss": final["loss"], "accuracy (%)": 100 * final["accuracy"]})
    return pd.DataFrame(rows)


def meta_transfer_net(name: str, profile: Profile) -> TransferNet:
    """Backbone + new head built on the meta device: its shapes and counts, no memory, no weights."""
    with torch.device("meta"):
        return transfer_net(BACKBONES[name], class_count(features_config(profile, name)["data"]), 0.2, False, get_settings())


def frozen_parameters(name: str, profile: Profile) -> dict[str, int]:
    """Total and trainable parameters of backbone + new head, as PyTorch counts them."""
    return parameter_counts(meta_transfer_net(name, profile))


def feature_width(name: str) -> int:
    """Width of the features the frozen backbone hands to the head."""
    return meta_transfer_net(name, "full").head[1].in_features


def parameter_summary(profile: Profile) -> dict[str, Any]:
    """The numbers of (d)'s parameter analysis: counts, size relative to MobileNetV2,
    the share of each network that trains (%), and the weights of VGG16's first fully
    connected layer (most of its parameters)."""
    counts = {name: frozen_parameters(name, profile) for name in BACKBONES}
    smallest = counts["mobilenet_v2"]["total"]
    return {
        "counts": counts,
        "ratio": {name: c["total"] / smallest for name, c in counts.items()},
        "share": {name: 100 * c["trainable"] / c["total"] for name, c in counts.items()},
        "fc6": meta_transfer_net("vgg16", profile).extractor.classifier[0].weight.numel(),
    }


def frozen_summaries(outcomes: Outcomes, profile: Profile | None = None) -> dict[str, dict[str, float]]:
    """Train and test accuracy (%) and feature-extraction seconds of each frozen run that has a result."""
    profile = profile or get_settings().profile
    return {
        name: {
            "train": 100 * outcome.metrics["final"]["train"]["accuracy"],
            "test": 100 * outcome.metrics["final"]["test"]["accuracy"],
            "extraction_seconds": experiments.result(EXPERIMENTS[features_name(name)], profile).metrics["extraction_seconds"],
        }
        for name, outcome in outcomes.items()
        if isinstance(outcome, Artifacts)
    }


def comparison_table(outcomes: Outcomes, profile: Profile | None = None) -> pd.DataFrame:
    """(d): parameters and feature widths read from PyTorch, feature-extraction time, accuracies
    ("—" where a run would need missing weights)."""
    profile = profile or get_settings().profile
    rows = []
    for name, outcome in outcomes.items():
        counts = frozen_parameters(name, profile)
        row = {
            "backbone": BACKBONES[name].title,
            "parameters": f"{counts['total']:,}",
            "trainable": f"{counts['trainable']:,}",
            "width": f"{feature_width(name):,}",  # from the architecture: known without weights
        }
        if isinstance(outcome, MissingWeights):
            row |= {"extract (s)": "—", **{f"{split} (%)": "—" for split in SPLITS}}
        else:
            extraction = experiments.result(EXPERIMENTS[features_name(name)], profile).metrics
            final = outcome.metrics["final"]
            row |= {
                "extract (s)": f"{extraction['extraction_seconds']:.1f}",
                **{f"{split} (%)": f"{100 * final[split]['accuracy']:.1f}" for split in SPLITS},
            }
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy_rows(outcomes: Outcomes, scratch: Artifacts, profile: Profile | None = None) -> pd.DataFrame:
    """Every finished model of P3 with its parameters and test accuracy (for the size plot)."""
    profile = profile or get_settings().profile
    rows = []
    for name, outcome in outcomes.items():
        if isinstance(outcome, Artifacts):
            counts = frozen_parameters(name, profile)
            accuracy = 100 * outcome.metrics["final"]["test"]["accuracy"]
            rows.append({"model": f"{BACKBONES[name].title} (frozen)", "parameters": counts["total"], "trainable": counts["trainable"], "accuracy": accuracy})
    counts = scratch.metrics["parameters"]
    accuracy = 100 * scratch.metrics["final"]["test"]["accuracy"]
    rows.append({"model": "MobileNetV2 (scratch)", "parameters": counts["total"], "trainable": counts["trainable"], "accuracy": accuracy})
    return pd.DataFrame(rows)


def against_best(outcomes: Outcomes) -> dict[str, Comparison]:
    """(d): every other frozen backbone against the one with the highest test accuracy, on the
    same test images (`comparisons.compare`; B is the other backbone, A the best); empty
    when a backbone has no result."""
    ready = {name: o for name, o in outcomes.items() if isinstance(o, Artifacts)}
    if len(ready) < len(outcomes):
        return {}
    accuracy = {name: o.metrics["final"]["test"]["accuracy"] for name, o in ready.items()}
    best = max(accuracy, key=accuracy.get)
    return {name: compare(ready[best], o) for name, o in ready.items() if name != best}


def frozen_input_size(cfg: dict[str, Any]) -> int:
    """The side (px) of the images a frozen run's backbone sees: the config's crop, else its weights' own."""
    return cfg["features"]["crop"] or BACKBONES[cfg["model"]["backbone"]].weights.transforms().crop_size[0]
