"""Helpers for driving real modal dialogs from pytest-qt tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from careplan.ui.settings import Settings


def when_modal(fill: Callable[[QWidget], None], tries: int = 1500) -> None:
    """Once a modal dialog is up, hand it to ``fill`` (which must close it)."""

    def poll(left: int = tries) -> None:
        widget = QApplication.activeModalWidget()
        if widget is not None:
            fill(widget)
        elif left:
            QTimer.singleShot(10, lambda: poll(left - 1))

    QTimer.singleShot(0, poll)


def file_settings(folder: Path) -> Settings:
    """Settings kept in a file of the test's own, never the user's."""
    return Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))


def settle(window: object) -> None:
    """Wait until every edit the window handed to its writer is saved and its changes
    reached the views (edits run off the GUI thread)."""
    runner = window.edits.runner  # type: ignore[attr-defined]
    if runner is not None:
        assert runner.flush(), "an edit did not finish"
