"""Shared fixtures: an isolated cache per test, and one smoke render per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hw3core.settings import PROJECT_ROOT


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own cache, no data folder, no downloads, and the smoke profile."""
    monkeypatch.setenv("HW3_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HW3_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.setenv("HW3_OFFLINE", "1")
    monkeypatch.setenv("HW3_PROFILE", "smoke")
    monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    return tmp_path


@pytest.fixture
def one_thread():
    """Torch on one thread for modules of tiny tensors: on a small, shared CPU, thread
    hand-offs cost more than the arithmetic."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def smoke_book(smoke_render) -> Path:
    """The whole book rendered once under the smoke profile; returns its output folder."""
    return smoke_render[0]


@pytest.fixture(scope="session")
def smoke_render(tmp_path_factory: pytest.TempPathFactory):
    """The smoke render itself: (output folder, RenderResult with the executed chapters)."""
    from hw3render import render_book

    base = tmp_path_factory.mktemp("smoke-book")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HW3_CACHE_DIR", str(base / "cache"))
        patch.setenv("HW3_DATA_DIR", str(base / "no-data"))
        patch.setenv("HW3_OFFLINE", "1")
        patch.delenv("QUARTO_PROFILE", raising=False)
        result = render_book(PROJECT_ROOT, "smoke", output_dir=base / "_book")
    return base / "_book", result
