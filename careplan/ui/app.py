"""Starting the desktop client: the QApplication, the main window, the first store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QApplication

from careplan import __version__
from careplan.ui import plurals
from careplan.ui.mainwindow import MainWindow
from careplan.ui.settings import APPLICATION, ORGANISATION, Settings


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName("CarePlan")
    plurals.install()
    return app


def run(store_path: Path, today: Callable[[], date] = date.today,
        user: str | None = None) -> int:
    """Open the window on ``store_path`` (its sign-in screen, with ``user`` filled in)
    and run the event loop; return the exit status."""
    app = application()
    window = MainWindow(Settings(), today=today, user=user)
    window.show()
    window.open_store(store_path)
    return int(app.exec())
