"""No write runs on the GUI thread: the window's own connection only reads, and every
test fails if the app's code writes on the GUI thread through any connection (see the
``no_gui_thread_writes`` fixture in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_world
from ui_helpers import file_settings, settle, sign_in

from careplan.models import Agency
from careplan.store import Store, add, find
from careplan.ui.mainwindow import MainWindow


def test_the_windows_connection_refuses_a_write_as_a_bug(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        ui_world.build(store)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    sign_in(qtbot, win, path)
    assert win.store is not None
    with pytest.raises(RuntimeError, match="only reads; every edit goes through the writer"):
        add(win.store, Agency(name="Not here", sector="health"), "me")
    assert win.edits.runner is not None
    win.edits.runner.submit("Add", lambda s: add(s, Agency(name="Here", sector="health"),
                                                   "me"))
    settle(win)
    assert "Here" in [a.name for a in find(win.store, Agency)]


def test_app_code_writing_on_the_gui_thread_fails_the_test(tmp_path: Path) -> None:
    """The guard itself: a write reached from careplan.ui code on the GUI thread."""
    namespace = {"__name__": "careplan.ui.somewhere", "add": add, "Agency": Agency}
    exec("def save(store):\n    add(store, Agency(name='x', sector='health'), 'me')\n",
         namespace)
    with Store.open(tmp_path / "s.db") as store, \
            pytest.raises(AssertionError, match="a write ran on the GUI thread, from "
                                                "careplan.ui.somewhere"):
        namespace["save"](store)  # type: ignore[operator]
