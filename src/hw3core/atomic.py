"""Writes that never leave a half-written file behind.

Each writer puts the bytes in a temporary file in the same folder and renames it over
the target: a rename within one file system is atomic, so a reader (or a resumed run)
sees the old file or the new one, never a torn one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import torch


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False).encode())


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    write_bytes(path, frame.to_csv(index=False).encode())


def torch_save(obj: Any, path: Path) -> None:
    """`torch.save` through an in-memory buffer, then an atomic write."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes(path, buffer.getvalue())


def torch_load(path: Path) -> Any:
    """Load tensors and plain containers only (`weights_only=True`): no pickled code runs."""
    return torch.load(path, map_location="cpu", weights_only=True)
