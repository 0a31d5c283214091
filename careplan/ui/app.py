"""Starting the desktop client: the QApplication, the first window, the main window.

:func:`run` shows the store's sign-in screen before the domain, the store and the main
window are imported (careplan.ui.shell.StartWindow), then imports them while the
password is typed; the main window (careplan.ui.mainwindow) takes the shell's place once
they are. This module imports only PySide6 and the shell: ``MainWindow`` here is the main
window's class, imported when first asked for (tests may put another in its place).
"""

from __future__ import annotations

# The standard library's modules the first window needs, imported before PySide6: its
# import hook reads the source of every module imported after it (json's four cost the
# first window about 1 ms more after it than before it).
import json  # noqa: F401
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication

from careplan import __version__
from careplan.ui import plurals
from careplan.ui.settings import APPLICATION, ORGANISATION, Settings
from careplan.ui.shell import StartWindow

if TYPE_CHECKING:
    from datetime import date


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


def __getattr__(name: str) -> Any:
    """``MainWindow``: careplan.ui.mainwindow's, imported when first asked for."""
    if name == "MainWindow":
        from careplan.ui.mainwindow import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def start(store_path: Path, today: Callable[[], date] | None = None,
          user: str | None = None,
          imported: Callable[[], None] | None = None) -> StartWindow:
    """Show the first window on ``store_path`` (its sign-in screen, with ``user`` filled
    in) and start importing the rest once it is painted; ``imported`` runs once the rest
    is imported, before the main window is made. ``today``: the main window's day (the
    machine's by default). Returns the first window."""
    application()
    settings = Settings()

    def make_window() -> Any:
        if imported is not None:
            imported()
        window_class = sys.modules[__name__].MainWindow
        if today is None:
            return window_class(settings, user=user)
        return window_class(settings, today=today, user=user)

    shell = StartWindow(str(store_path), settings, make_window, user=user)
    shell.show()
    shell.begin()
    return shell


def run(store_path: Path, today: Callable[[], date] | None = None,
        user: str | None = None, imported: Callable[[], None] | None = None) -> int:
    """Open the app on ``store_path`` (see :func:`start`) and run the event loop; return
    the exit status."""
    app = application()
    shell = start(store_path, today=today, user=user, imported=imported)
    code = int(app.exec())
    if shell.failed is not None:  # a bug importing the rest or making the main window
        raise shell.failed
    return code
