"""Slow pure computations of the chapters, kept on disk between renders as experiments are.

Tracing torchvision's and YOLO's networks on the meta device (shapes, parameter and FLOP
counts) and k-means over boxes are deterministic, yet took seconds of every render of
the theory chapters. A function decorated with `on_disk` stores its result in the cache
under a key of everything that produces it: the function's code and the project code it
imports (`provenance.code_fingerprint`), its arguments, and the versions of the
libraries that define the networks and the arithmetic (torch, torchvision, numpy,
pandas). A call with the same key loads the result instead; any change computes it anew.

Results are written as JSON without pickle, so loading one runs no code: a DataFrame
column by column with its dtypes (Python's JSON keeps every float exactly), an ndarray
as nested lists with its dtype, and plain JSON values as they are. Anything else is a
programming error and raises TypeError at the first call.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from importlib import metadata
from typing import Any, Callable, TypeVar

import numpy as np
import pandas as pd

from . import atomic, provenance
from .settings import get_settings

F = TypeVar("F", bound=Callable[..., Any])
LIBRARIES = ("torch", "torchvision", "numpy", "pandas")


def _argument(value: Any) -> Any:
    """An argument as it enters the key: arrays by their bytes, everything else by repr."""
    if isinstance(value, np.ndarray):
        return ["ndarray", str(value.dtype), value.shape, hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()]
    return repr(value)


def key(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """What the result of `function(*args, **kwargs)` depends on, hashed (defaults filled in)."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    bound.apply_defaults()
    what = {
        "function": f"{function.__module__}.{function.__qualname__}",
        "code": provenance.code_fingerprint(function),
        "arguments": {name: _argument(value) for name, value in bound.arguments.items()},
        "libraries": {name: metadata.version(name) for name in LIBRARIES},
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def encode(value: Any) -> str:
    """`value` as the JSON text kept on disk; TypeError for what JSON cannot hold."""
    if isinstance(value, pd.DataFrame):
        default_index = isinstance(value.index, pd.RangeIndex) and value.index.equals(pd.RangeIndex(len(value)))
        stored = {
            "kind": "frame",
            "columns": value.columns.tolist(),
            "dtypes": [str(t) for t in value.dtypes],
            "index": None if default_index else {"name": value.index.name, "values": value.index.tolist()},
            "data": [value.iloc[:, i].tolist() for i in range(value.shape[1])],
        }
    elif isinstance(value, np.ndarray):
        stored = {"kind": "array", "dtype": str(value.dtype), "data": value.tolist()}
    else:
        stored = {"kind": "json", "data": value}
    try:
        return json.dumps(stored, ensure_ascii=False)
    except TypeError:
        raise TypeError(f"memo.on_disk stores DataFrames, arrays and JSON values; this one holds a {type(value).__name__} it cannot") from None


def decode(text: str) -> Any:
    stored = json.loads(text)
    if stored["kind"] == "frame":
        columns = [pd.Series(data, dtype=dtype) for dtype, data in zip(stored["dtypes"], stored["data"])]
        frame = pd.concat(columns, axis=1, keys=range(len(columns))) if columns else pd.DataFrame()
        frame.columns = stored["columns"]
        if stored["index"] is not None:
            frame.index = pd.Index(stored["index"]["values"], name=stored["index"]["name"])
        return frame
    if stored["kind"] == "array":
        return np.array(stored["data"], dtype=stored["dtype"])
    return stored["data"]


def on_disk(function: F) -> F:
    """`function`, its results kept in the cache by `key` (see the module docstring)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        path = get_settings().layout.memo_result(f"{function.__module__}.{function.__qualname__}", key(function, args, kwargs))
        try:
            return decode(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):  # not there yet, or unreadable: compute it
            pass
        text = encode(function(*args, **kwargs))
        atomic.write_bytes(path, text.encode())
        return decode(text)  # what a later render will load, so the first one sees the same

    return wrapper  # type: ignore[return-value]
