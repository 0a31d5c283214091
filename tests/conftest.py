"""Shared fixtures. Qt must be headless before any QApplication exists."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from careplan.store import Store  # noqa: E402


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty in-memory store."""
    s = Store.open(":memory:")
    yield s
    s.close()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A path for a real store file (not yet created)."""
    return tmp_path / "store.db"
