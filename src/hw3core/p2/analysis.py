"""What the P2 chapter shows, read from the three regimes' runs: the tables of parts 3
and 4 (test results, convergence, layer probes) and `facts`, every number its prose
quotes, which `p2.text` turns into the sentences that depend on them.

Each regime is trained with several seeds (`seeding.over_seeds`): the measurements of the
test images (accuracy, loss, silhouette, probes) are means over the seeds, with their
standard deviation where the table shows it, and two regimes are compared seed by seed
on the same test images (`comparisons.compare`). What comes from one run's files (the
per-epoch curves, the feature maps, the 2-D views, the convergence table) is the first
seed's, which the captions say.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from ..cache import Artifacts
from ..comparisons import compare
from ..experiments import result
from ..profiles import Profile
from ..settings import get_settings
from ..stats import Comparison, mean_and_spread, standard_error
from ..training import parameter_count
from .models import LAYERS, Classifier, Extractor
from .study import CLASSES, EXPERIMENTS, REGIMES, experiment_name
from .text import NAMES, VERDICT_NAMES, or_never


def results(profile: Profile | None = None) -> dict[str, Artifacts]:
    """The cached artifacts of every regime (trained first if missing), in the order of `study.REGIMES`."""
    profile = profile or get_settings().profile
    return {regime: result(EXPERIMENTS[experiment_name(regime)], profile) for regime in REGIMES}


def shared_config(runs: dict[str, Artifacts]) -> dict[str, Any]:
    """The config all regimes share (the cross-entropy run's), after checking that they
    differ in nothing but the regime and a regime's own extra stages (the triplet regime's
    "head"): the chapter's comparison is only fair if data, network and recipe are the same."""
    shared = set.intersection(*(set(artifacts.config) for artifacts in runs.values()))

    def common(cfg: dict[str, Any]) -> dict[str, Any]:
        train = {key: value for key, value in cfg["train"].items() if key != "regime"}
        return {**{key: value for key, value in cfg.items() if key in shared}, "train": train}

    first, *others = (artifacts.config for artifacts in runs.values())
    if any(common(cfg) != common(first) for cfg in others):
        raise ValueError("the P2 regimes were trained with different data, network or recipe; retrain them with `hw3 train p2`")
    return first


def first_reach(accuracy: pd.Series, seconds: pd.Series, target: float) -> tuple[int | None, float | None]:
    """(epochs, cumulative training seconds) until `accuracy` first reaches `target`; None if never."""
    hits = np.flatnonzero(accuracy.to_numpy() >= target)
    if len(hits) == 0:
        return None, None
    return int(hits[0]) + 1, float(seconds.cumsum().iloc[hits[0]])


def _classifier_history(artifacts: Artifacts) -> pd.DataFrame:
    """The history of the stage that trained the classifier (the triplet regime's second)."""
    return artifacts.history("history-linear.csv" if artifacts.path("history-linear.csv").exists() else "history.csv")


def _best_at_last_epoch(history: pd.DataFrame) -> bool:
    """Whether validation accuracy peaked at the last epoch: still improving when training ended."""
    return int(history["val_acc"].to_numpy().argmax()) == len(history) - 1


def training_seconds(artifacts: Artifacts) -> float:
    """Seconds spent in training epochs (the triplet regime's two stages together)."""
    seconds = artifacts.history()["seconds"].sum()
    if artifacts.path("history-linear.csv").exists():
        seconds += artifacts.history("history-linear.csv")["seconds"].sum()
    return float(seconds)


def time_noise(seconds: pd.Series, epochs: int) -> float:
    """The standard deviation of the time `epochs` epochs take, from the spread of the epoch
    times in `seconds` (epochs taken as independent draws; 0 with fewer than two epochs).

    On a shared CPU an epoch's seconds vary several-fold with the load, so a time to the
    target is only called faster when the lead is beyond this noise.
    """
    spread = float(seconds.std(ddof=1)) if len(seconds) > 1 else 0.0
    return float(np.sqrt(epochs)) * spread


def convergence(artifacts: Artifacts) -> dict[str, Any]:
    """When the embedding (nearest-centroid) and the classifier first reach the target on validation.

    For the triplet regime the classifier exists only in stage 2, so its epochs are
    'stage-1 epochs + stage-2 epochs' and its seconds include all of stage 1. Next to the
    shown values it keeps the epoch counts as numbers (`*_epoch_count`, for comparing
    regimes) and the noise of the seconds (`*_seconds_noise`, `time_noise`).
    """
    target = artifacts.config["train"]["target_acc"]
    history = artifacts.history()
    centroid = artifacts.history("embedding-history.csv")["centroid_val_acc"]
    centroid_epochs, centroid_seconds = first_reach(centroid, history["seconds"], target)
    if artifacts.path("history-linear.csv").exists():
        linear = artifacts.history("history-linear.csv")
        epochs, seconds = first_reach(linear["val_acc"], linear["seconds"], target)
        classifier_epochs = None if epochs is None else f"{len(history)} + {epochs}"
        classifier_count = None if epochs is None else len(history) + epochs
        classifier_seconds = None if seconds is None else seconds + float(history["seconds"].sum())
        classifier_noise = None if epochs is None else float(np.hypot(time_noise(history["seconds"], len(history)), time_noise(linear["seconds"], epochs)))
    else:
        classifier_count, classifier_seconds = first_reach(history["val_acc"], history["seconds"], target)
        classifier_epochs = None if classifier_count is None else str(classifier_count)
        classifier_noise = None if classifier_count is None else time_noise(history["seconds"], classifier_count)
    return {
        "centroid_epochs": centroid_epochs,
        "centroid_epoch_count": centroid_epochs,
        "centroid_seconds": centroid_seconds,
        "centroid_seconds_noise": None if centroid_epochs is None else time_noise(history["seconds"], centroid_epochs),
        "classifier_epochs": classifier_epochs,
        "classifier_epoch_count": classifier_count,
        "classifier_seconds": classifier_seconds,
        "classifier_seconds_noise": classifier_noise,
    }


def split_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """How many images each split holds (the same for every regime)."""
    sizes = next(iter(runs.values())).metrics["sizes"]
    return pd.DataFrame({"بخش": ["آموزش", "اعتبارسنجی", "آزمون"], "تعداد تصویر": [sizes["train"], sizes["val"], sizes["test"]]})


def per_seed(artifacts: Artifacts, key: str) -> list[Any]:
    """One metric of a run, seed by seed (the metrics of every seed, `seeding.over_seeds`)."""
    return [metrics[key] for metrics in artifacts.metrics["seeds"].values()]


def seed_mean(artifacts: Artifacts, key: str, scale: float = 1.0) -> float:
    """A run's metric averaged over its seeds (times `scale`: 100 for a percentage)."""
    return mean_and_spread([scale * value for value in per_seed(artifacts, key)])[0]


def seed_spread(artifacts: Artifacts, key: str, scale: float = 1.0) -> float | None:
    """The sample standard deviation over seeds of a run's metric (None for one seed)."""
    return mean_and_spread([scale * value for value in per_seed(artifacts, key)])[1]


def summary_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Test accuracy and loss, separability of the test embeddings, and training time, per
    regime: means over the seeds, and the standard deviation of the accuracy over them."""
    rows = []
    for regime, artifacts in runs.items():
        rows.append(
            {
                "رژیم": NAMES[regime],
                "دقت آزمون (%)": seed_mean(artifacts, "test_acc", 100),
                "انحراف معیار دقت": seed_spread(artifacts, "test_acc", 100),
                "زیان CE آزمون": seed_mean(artifacts, "test_loss"),
                "silhouette": seed_mean(artifacts, "silhouette"),
                "linear probe روی embedding (%)": seed_mean(artifacts, "embedding_probe_acc", 100),
                "زمان آموزش seed نخست (s)": training_seconds(artifacts),
            }
        )
    return pd.DataFrame(rows)


# The pairs of regimes the chapter compares: (A, B), B judged against A.
PAIRS = (("cross-entropy", "triplet"), ("cross-entropy", "combined"), ("triplet", "combined"))


def regime_comparisons(runs: dict[str, Artifacts]) -> dict[tuple[str, str], Comparison]:
    """Every pair of `PAIRS` compared on the test images, seed k against seed k."""
    return {(a, b): compare(runs[a], runs[b], "test") for a, b in PAIRS}


def comparison_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Part 3: each pair of regimes on the test images, with the paired test that judges it."""
    rows = []
    for (a, b), c in regime_comparisons(runs).items():
        rows.append(
            {
                "A": NAMES[a],
                "B": NAMES[b],
                "B − A (واحد درصد)": c.difference,
                "خطای معیار": c.standard_error,
                "فقط A درست": c.a_only,
                "فقط B درست": c.b_only,
                "p": c.p_value,
                "حکم": VERDICT_NAMES[c.verdict].format(a=NAMES[a], b=NAMES[b]),
            }
        )
    return pd.DataFrame(rows)


def convergence_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Epochs and seconds until validation accuracy first reaches the profile's target."""
    rows = []
    for regime, artifacts in runs.items():
        c = convergence(artifacts)
        rows.append(
            {
                "رژیم": NAMES[regime],
                "nearest-centroid: epoch": or_never(c["centroid_epochs"]),
                "nearest-centroid: ثانیه": or_never(c["centroid_seconds"]),
                "طبقه‌بند: epoch": or_never(c["classifier_epochs"]),
                "طبقه‌بند: ثانیه": or_never(c["classifier_seconds"]),
                "ثانیه در هر epoch": float(artifacts.history()["seconds"].mean()),
            }
        )
    return pd.DataFrame(rows)


def layer_probe_table(runs: dict[str, Artifacts]) -> pd.DataFrame:
    """Linear-probe test accuracy (%) of each stage's spatially averaged feature maps, per regime."""
    frame = pd.DataFrame({"لایه": list(LAYERS)})
    for regime, artifacts in runs.items():
        frame[NAMES[regime]] = [100 * artifacts.metrics["layer_probe"][layer] for layer in LAYERS]
    return frame


def facts(runs: dict[str, Artifacts]) -> dict[str, Any]:
    """The numbers the chapter's prose quotes, per regime where they differ, read from the
    artifacts (accuracies in percent; measurements of the test images are means over the
    seeds, "acc_sd" the standard deviation of the accuracy; the rest is the first seed's)."""

    def per(get: Callable[[Artifacts], Any]) -> dict[str, Any]:
        return {regime: get(artifacts) for regime, artifacts in runs.items()}

    cfg = shared_config(runs)
    sizes = runs["cross-entropy"].metrics["sizes"]
    model = Classifier(Extractor(cfg["model"]["widths"], cfg["model"]["convs_per_stage"]), len(CLASSES))
    probe = per(lambda a: {layer: mean_and_spread([100 * p[layer] for p in per_seed(a, "layer_probe")])[0] for layer in LAYERS})
    stage_one = runs["triplet"].history()
    centroid_one = runs["triplet"].history("embedding-history.csv")["centroid_val_acc"]
    best_val = per(lambda a: 100 * float(_classifier_history(a)["val_acc"].max()))
    return {
        "acc": per(lambda a: seed_mean(a, "test_acc", 100)),
        "acc_sd": per(lambda a: seed_spread(a, "test_acc", 100)),
        "seeds": len(cfg["seeds"]),
        "compared": regime_comparisons(runs),
        "loss": per(lambda a: seed_mean(a, "test_loss")),
        "silhouette": per(lambda a: seed_mean(a, "silhouette")),
        "embedding_probe": per(lambda a: seed_mean(a, "embedding_probe_acc", 100)),
        "probe": probe,
        # how far apart the regimes' probes are, stage by stage (percentage points)
        "spread": {layer: max(p[layer] for p in probe.values()) - min(p[layer] for p in probe.values()) for layer in LAYERS},
        "seconds": per(training_seconds),
        "epoch_seconds": per(lambda a: float(a.history()["seconds"].mean())),
        "convergence": per(convergence),
        "target": 100 * cfg["train"]["target_acc"],
        "best_val": best_val,
        # regimes whose classifier was best on validation at its last epoch (first seed)
        "still_rising": [regime for regime, artifacts in runs.items() if _best_at_last_epoch(_classifier_history(artifacts))],
        # the standard error of a validation accuracy like the regimes' best, on this validation split
        "val_standard_error": standard_error(float(np.mean(list(best_val.values()))) / 100, sizes["val"]),
        "triplet_stage_one": {  # first and last epoch of the triplet regime's first stage
            "loss": (float(stage_one["train_loss"].iloc[0]), float(stage_one["train_loss"].iloc[-1])),
            "margin_met": (100 * float(stage_one["train_acc"].iloc[0]), 100 * float(stage_one["train_acc"].iloc[-1])),
            "centroid": (100 * float(centroid_one.iloc[0]), 100 * float(centroid_one.iloc[-1])),
        },
        "sizes": sizes,
        "parameters": parameter_count(model),
        "head_parameters": parameter_count(model.head),
        "source": runs["cross-entropy"].metrics["source"],
        "device": runs["cross-entropy"].metrics["device"],
        "run_seconds": sum(a.metrics["run_seconds"] for a in runs.values()),
    }
