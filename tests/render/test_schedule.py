"""Chapters start longest first, by the seconds the last render of the profile measured, so
that the longest one is not started last and left running alone at the end."""

import importlib
import json
from pathlib import Path

from hw3core import layout

execute = importlib.import_module("hw3render.execute")  # the package exports a function of that name


def test_the_longest_chapters_of_the_last_render_start_first_and_new_ones_before_them(tmp_path):
    sources = [Path("index.qmd"), Path("report/t1.qmd"), Path("report/p2.qmd"), Path("report/new.qmd")]
    assert execute.longest_first(sources, tmp_path, "smoke") == sources  # nothing measured yet: the book's order
    execute._remember({Path("index.qmd"): 0.9, Path("report/t1.qmd"): 4.0, Path("report/p2.qmd"): 12.5}, tmp_path, "smoke")
    assert execute.longest_first(sources, tmp_path, "smoke") == [Path("report/new.qmd"), Path("report/p2.qmd"), Path("report/t1.qmd"), Path("index.qmd")]
    assert execute.longest_first(sources, tmp_path, "quick") == sources  # each profile has its own times
    execute._remember({Path("index.qmd"): 20.0}, tmp_path, "smoke")  # a later render updates, keeps the rest
    stored = json.loads(layout.chapter_timings(tmp_path, "smoke").read_text())
    assert stored == {"index.qmd": 20.0, "report/t1.qmd": 4.0, "report/p2.qmd": 12.5}
