"""Every experiment of the book, found by name or chapter: the one module that knows all studies.

Each study lists its experiments as a plain value (`EXPERIMENTS`, by name) and its own
code hands those `Experiment` objects to `experiments.result`. This module imports the
studies by name, so the import graph (and a reader) sees every one, and gives the
commands that take names from a user (`hw3 train`, `list`, `rehearse`) and the render's
pre-render step (`training_plan`) one lookup. Nothing a study imports comes here: the studies
import `experiments`, and this module imports them.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from . import pipeline_check
from .errors import UserError
from .experiments import Experiment, by_name
from .p1 import study as p1
from .p2 import study as p2
from .p3 import study as p3

# The book's studies, each with its EXPERIMENTS; a new study is one more entry here.
STUDIES = (pipeline_check, p1, p2, p3)
EXPERIMENTS: Mapping[str, Experiment] = MappingProxyType(
    by_name(*(experiment for study in STUDIES for experiment in study.EXPERIMENTS.values()))
)


class UnknownExperimentError(UserError, KeyError):
    """A name that is no experiment or chapter of the book."""


def get(name: str) -> Experiment:
    """The experiment called `name`, or one line listing the known names."""
    if name not in EXPERIMENTS:
        raise UnknownExperimentError(f"unknown experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS))}")
    return EXPERIMENTS[name]


def of_chapters(chapters: set[str]) -> list[Experiment]:
    """The experiments whose chapter (p1, p2, p3, index) is among `chapters`, in name order."""
    return [EXPERIMENTS[name] for name in sorted(EXPERIMENTS) if EXPERIMENTS[name].chapter in chapters]


def select(words: list[str]) -> list[Experiment]:
    """The experiments a user typed: `all`, a chapter (`p1`, `p2`, ...), or names.

    A chapter stands for all of its experiments, so a GPU box can fill the cache of one
    question with one command; the order is kept and repeats are dropped.
    """
    chosen: list[Experiment] = []
    for word in words:
        if word == "all":
            matches = [EXPERIMENTS[name] for name in sorted(EXPERIMENTS)]
        else:
            matches = of_chapters({word}) or [get(word)]
        chosen += [experiment for experiment in matches if experiment not in chosen]
    return chosen
