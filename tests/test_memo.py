"""Results kept between renders: loaded only under the key of what produced them, and the
same value whether computed now or loaded."""

import json

import numpy as np
import pandas as pd
import pytest

from hw3core import memo
from hw3core.settings import get_settings

CALLS = []


@memo.on_disk
def table(rows: int, scale: float = 0.1) -> pd.DataFrame:
    CALLS.append((rows, scale))
    return pd.DataFrame({"name": [f"r{i}" for i in range(rows)], "n": list(range(rows)), "x": [i * scale for i in range(rows)], "ok": [True] * rows})


@memo.on_disk
def centroids(points: np.ndarray) -> np.ndarray:
    CALLS.append(points.shape)
    return points.mean(axis=0, keepdims=True) / 3


def test_a_kept_result_is_computed_once_and_then_loaded_exactly():
    CALLS.clear()
    first, again, explicit = table(4), table(4), table(4, scale=0.1)
    assert CALLS == [(4, 0.1)]  # the default filled in: one key for all three calls
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(explicit, pd.DataFrame({"name": ["r0", "r1", "r2", "r3"], "n": [0, 1, 2, 3], "x": [0.0, 0.1, 0.2, 0.30000000000000004], "ok": [True] * 4}))
    table(4, scale=0.2)
    assert CALLS == [(4, 0.1), (4, 0.2)]


def test_arrays_are_keyed_by_their_contents():
    CALLS.clear()
    a = np.arange(6, dtype=np.float64).reshape(3, 2)
    first = centroids(a)
    np.testing.assert_array_equal(centroids(a.copy()), first)
    centroids(a + 1)
    assert CALLS == [(3, 2), (3, 2)] and first.dtype == np.float64 and first[0, 1] == 1.0


def test_a_changed_library_version_or_unreadable_file_computes_anew(monkeypatch):
    CALLS.clear()
    table(2)
    stored = next((get_settings().cache_dir / "memo").rglob("*.json"))
    stored.write_text("{not json")
    table(2)
    assert json.loads(stored.read_text())["kind"] == "frame"
    monkeypatch.setattr(memo, "LIBRARIES", memo.LIBRARIES + ("pytest",))
    table(2)
    assert len(CALLS) == 3


def test_what_cannot_be_stored_without_pickle_is_refused():
    @memo.on_disk
    def odd() -> object:
        return {1, 2}

    with pytest.raises(TypeError, match="set"):
        odd()


def test_the_first_call_returns_what_later_calls_load():
    """A tuple becomes a JSON list on disk: the first call gets the list too, not the tuple."""

    @memo.on_disk
    def sizes() -> dict:
        return {"grid": (13, 26, 52)}

    assert sizes() == sizes() == {"grid": [13, 26, 52]}
