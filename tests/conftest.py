"""Shared fixtures. Qt must be headless before any QApplication exists."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys  # noqa: E402
import threading  # noqa: E402
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


def _from_ui_code() -> str | None:
    """The first frame of the desktop app's code on the stack, if any."""
    frame = sys._getframe(2)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("careplan.ui"):
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


@pytest.fixture(autouse=True)
def no_gui_thread_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test fails if the desktop app's code writes on the GUI thread: edits run on
    the writer thread (careplan.ui.runner). Tests' own setup writes are not the app's."""
    real = Store._check_writable

    def guarded(self: Store) -> None:
        if threading.current_thread() is threading.main_thread():
            where = _from_ui_code()
            if where is not None:
                raise AssertionError(f"a write ran on the GUI thread, from {where}")
        real(self)

    monkeypatch.setattr(Store, "_check_writable", guarded)
