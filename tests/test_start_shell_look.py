"""The first window (careplan.ui.shell) is made cheaply and yet nothing moves when the main
window takes its place: the sign-in panel, its fields and button, the plain-store banner,
the menus, the toolbar's "Not signed in" at its far end and the status bar are where the
main window then shows them. And a plain start's options (--db, --user) are read without
argparse exactly as argparse reads them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel, QLineEdit, QMainWindow, QPushButton, QToolButton, QWidget
from signin import ADMIN
from ui_helpers import file_settings

from careplan import cli
from careplan.ui.mainwindow import MainWindow
from careplan.ui.shell import StartWindow


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A plain store with the UI world and an administrator."""
    return ui_world.team_store(tmp_path / "team.db")


def _where(window: QMainWindow, widget: QWidget) -> QRect:
    """Where ``widget`` is drawn in ``window``."""
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def _visible(window: QMainWindow, kind: type[QWidget]) -> list[Any]:
    return [w for w in window.findChildren(kind) if w.isVisibleTo(window)]


def _layout(window: QMainWindow) -> dict[str, Any]:
    """Where the sign-in screen's parts are in ``window``."""
    title = next(w for w in _visible(window, QLabel) if w.text().startswith("Sign in to "))
    fields = {w.accessibleName(): _where(window, w) for w in _visible(window, QLineEdit)}
    sign_in = next(w for w in _visible(window, QPushButton) if w.text() == "Sign in")
    identity = next(w for w in _visible(window, QToolButton) if w.text() == "Not signed in")
    banner = next(w for w in _visible(window, QLabel) if w.objectName() == "plainBanner")
    return {"title": _where(window, title), "title font": title.fontInfo().pixelSize(),
            "fields": fields, "sign in": _where(window, sign_in),
            "identity": _where(window, identity), "banner": _where(window, banner),
            "menus": [a.text() for a in window.menuBar().actions()],
            "menu bar": _where(window, window.menuBar()),
            "status bar": _where(window, window.statusBar())}


@pytest.mark.parametrize("size", [(1360, 820), (760, 560)])
def test_nothing_moves_when_the_main_window_takes_over(
        qtbot: Any, tmp_path: Path, team: Path, size: tuple[int, int]) -> None:
    settings = file_settings(tmp_path)

    def make_window() -> MainWindow:
        window = MainWindow(settings, today=lambda: ui_world.TODAY)
        qtbot.addWidget(window)
        return window

    shell = StartWindow(str(team), settings, make_window, user=ADMIN)
    qtbot.addWidget(shell)
    shell.resize(*size)
    shell.show()
    qtbot.waitExposed(shell)
    before = _layout(shell)
    shell.begin()
    qtbot.waitUntil(lambda: shell.window is not None, timeout=20_000)
    window = shell.window
    qtbot.waitExposed(window)
    after = _layout(window)
    assert before["fields"].keys() == {"User name", "Password"}
    assert before == after


PLAIN = [[], ["--db", "team.db"], ["--db=team.db"], ["--db", "a store.db", "--user", "nina"],
         ["--user=nina", "--db", "team.db"], ["--db", ""], ["--db="], ["--user", "", "--db", "x"],
         ["--db=-odd.db"]]


def _argparse(argv: list[str]) -> argparse.Namespace | None:
    """What the app's own parser reads from ``argv`` (as careplan.cli did before)."""
    parser = cli._AppParser(prog="careplan", add_help=False)
    cli._add_app_options(parser, argparse.SUPPRESS)
    try:
        args, rest = parser.parse_known_args(argv)
    except cli._NotJustTheApp:
        return None
    if rest:
        return None
    args.command = None
    return args


@pytest.mark.parametrize("argv", PLAIN)
def test_a_plain_start_is_read_as_argparse_reads_it(argv: list[str]) -> None:
    plain = cli._plain_start(argv)
    assert plain is not None
    assert plain == _argparse(argv)
    assert cli._app_only(argv) == plain


@pytest.mark.parametrize("argv", [
    ["--us", "nina"], ["--db", "a.db", "--db", "b.db"], ["--as", "nina"], ["--db"],
    ["--db", "-"], ["--db", "--user"], ["--help"], ["flags"],
    ["--db", "a.db", "flags"], ["--unknown"]])
def test_anything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert cli._plain_start(argv) is None
    assert cli._app_only(argv) == _argparse(argv)
