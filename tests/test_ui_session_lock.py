"""The session lock, driven through real widgets: after the idle time (a short one,
through the setting) every window is covered, an open form keeps what was typed in it,
the password is asked again for the same account only (wrong ones count towards the
lockout), and "Sign out" closes the store instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from signin import PASSWORD
from ui_helpers import file_settings, sign_in, when_modal

from careplan.models.accounts import WRONG
from careplan.store import Store
from careplan.ui import settings as keys
from careplan.ui.mainwindow import MainWindow
from careplan.ui.session_lock import LOCKED_TITLE, Cover, UnlockDialog
from careplan.ui.workspace.forms import RecordForm

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
IDLE_S = 2  # the setting, for these tests
WAIT_MS = 20_000
TYPED = "Somewhere quiet to live, near his sister"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def setup(qtbot: Any, tmp_path: Path, clock: Clock
          ) -> Iterator[tuple[MainWindow, ui_world.World, Path]]:
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    settings = file_settings(tmp_path)
    settings.set(keys.LOCK_AFTER_SECONDS, IDLE_S)
    win = MainWindow(settings, today=lambda: ui_world.TODAY, now=clock)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)
    yield win, world, path


def _dialog(win: MainWindow) -> UnlockDialog:
    dialog = win.lock.dialog
    assert dialog is not None and dialog.isVisible(), "the password is not asked for"
    return dialog


def _covered(widget: QWidget) -> bool:
    """Whether a cover lies over the whole of ``widget``, on top of its other children."""
    covers = [c for c in widget.children() if isinstance(c, Cover) and c.isVisible()]
    if not covers:
        return False
    on_top = [w for w in widget.children() if isinstance(w, QWidget) and w.isVisible()
              and not w.isWindow()][-1]
    return on_top is covers[0] and covers[0].geometry() == widget.rect()


def _unlock(qtbot: Any, win: MainWindow, password: str) -> str:
    form = _dialog(win).credentials
    form.password.setText(password)
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    assert form.password.text() == ""
    qtbot.waitUntil(lambda: not win.lock.locked or not form.busy, timeout=WAIT_MS)
    return "" if not win.lock.locked else form.message.text()


def _nudge(qtbot: Any, widget: QWidget) -> None:
    """A key press, as someone at the keyboard makes (a click() in code is no input)."""
    qtbot.keyClick(widget, Qt.Key.Key_Shift)


def _in_form(fill: Callable[[RecordForm], None]) -> None:
    when_modal(fill)  # type: ignore[arg-type]


def test_idle_locks_every_window_and_an_open_form_keeps_its_text(
        qtbot: Any, setup: tuple[MainWindow, ui_world.World, Path]) -> None:
    win, world, path = setup
    ws = win.open_person(world.teen)
    title = win.windowTitle()
    seen: dict[str, Any] = {}

    def fill(form: RecordForm) -> None:
        field = form.fields["description"]
        field.setFocus()
        qtbot.keyClicks(field, TYPED)
        form_title = form.windowTitle()
        qtbot.waitUntil(lambda: win.lock.locked, timeout=IDLE_S * 1000 + WAIT_MS)
        dialog = _dialog(win)
        seen["covered"] = (_covered(win), _covered(form))
        seen["titles"] = (win.windowTitle(), form.windowTitle())
        seen["modal"] = QApplication.activeModalWidget() is dialog
        seen["user"] = (dialog.credentials.user.text(), dialog.credentials.user.isReadOnly())
        seen["wrong"] = _unlock(qtbot, win, "not my password")
        seen["still"] = win.lock.locked and _covered(form)
        seen["right"] = _unlock(qtbot, win, PASSWORD)
        seen["after"] = (_covered(win), _covered(form), win.windowTitle(), form.windowTitle(),
                         form_title)
        seen["kept"] = field.text()  # type: ignore[attr-defined]
        form.check()  # saves what was typed before the lock

    _in_form(fill)
    _nudge(qtbot, ws)
    ws.plan_tab.add_need.click()
    assert seen["covered"] == (True, True)
    assert seen["titles"] == (LOCKED_TITLE, LOCKED_TITLE)
    assert seen["modal"] and seen["user"] == ("sam.okafor", True)
    assert seen["wrong"] == WRONG and seen["still"]
    assert seen["right"] == ""
    covered_win, covered_form, win_title, form_title, before = seen["after"]
    assert (covered_win, covered_form, win_title, form_title) == (False, False, title, before)
    assert seen["kept"] == TYPED
    with Store.open(path, create=False) as store:
        assert store.query("SELECT 1 FROM needs WHERE description = ?", (TYPED,))
        outcomes = [r["outcome"] for r in store.query(
            "SELECT outcome FROM sign_ins ORDER BY at, rowid")]
    assert outcomes[-2:] == ["wrong password", "signed in"]  # the lock's, recorded
    assert win.account is not None and not win.lock.locked


def test_input_keeps_the_session_open(
        qtbot: Any, setup: tuple[MainWindow, ui_world.World, Path]) -> None:
    win, _, _ = setup
    assert win.caseload is not None
    search = win.caseload.search
    for _ in range(2 * IDLE_S * 4):  # twice the idle time, typing every quarter second
        qtbot.keyClick(search, Qt.Key.Key_A)
        qtbot.wait(250)
        assert not win.lock.locked
    qtbot.waitUntil(lambda: win.lock.locked, timeout=IDLE_S * 1000 + WAIT_MS)


def test_wrong_passwords_at_the_lock_count_towards_the_lockout(
        qtbot: Any, setup: tuple[MainWindow, ui_world.World, Path], clock: Clock) -> None:
    win, _, path = setup
    win.act_lock.trigger()  # File ▸ Lock (Ctrl+L) locks at once
    assert win.lock.locked and _covered(win)
    for n in range(5):
        clock.at = T0 + timedelta(seconds=n)
        assert _unlock(qtbot, win, f"wrong {n}") == WRONG
    clock.at = T0 + timedelta(seconds=30)
    assert _unlock(qtbot, win, PASSWORD) == \
        "Too many failed sign-ins with this user name; try again in 34 seconds."
    qtbot.keyClick(_dialog(win), Qt.Key.Key_Escape)  # Escape does not unlock
    assert win.lock.locked and _dialog(win).isVisible()
    clock.at = T0 + timedelta(seconds=70)
    assert _unlock(qtbot, win, PASSWORD) == ""
    assert not win.lock.locked and not _covered(win)
    with Store.open(path, create=False) as store:
        outcomes = [r["outcome"] for r in store.query(
            "SELECT outcome FROM sign_ins WHERE username = 'sam.okafor' ORDER BY at, rowid")]
    assert outcomes[-7:] == ["wrong password"] * 5 + ["locked", "signed in"]


def test_a_window_opened_while_locked_is_covered_too(
        qtbot: Any, setup: tuple[MainWindow, ui_world.World, Path]) -> None:
    win, _, _ = setup
    win.act_lock.trigger()
    box = QMessageBox(QMessageBox.Icon.Warning, "Not saved", "A save failed meanwhile",
                      parent=win)
    box.setWindowModality(Qt.WindowModality.ApplicationModal)
    box.show()
    qtbot.waitUntil(lambda: _covered(box) and QApplication.activeModalWidget() is
                    win.lock.dialog, timeout=WAIT_MS)
    assert _unlock(qtbot, win, PASSWORD) == ""
    assert not _covered(box) and box.isVisible()  # nothing is closed by the lock
    box.accept()


def test_sign_out_from_the_lock_closes_the_store_and_its_forms(
        qtbot: Any, setup: tuple[MainWindow, ui_world.World, Path]) -> None:
    win, world, path = setup
    ws = win.open_person(world.teen)

    def fill(form: RecordForm) -> None:
        qtbot.keyClicks(form.fields["description"], "Not to be saved")
        win.act_lock.trigger()
        qtbot.mouseClick(_dialog(win).sign_out, Qt.MouseButton.LeftButton)

    _in_form(fill)
    _nudge(qtbot, ws)
    ws.plan_tab.add_need.click()  # returns once the form was closed by the sign-out
    qtbot.waitUntil(lambda: win.account is None, timeout=WAIT_MS)
    assert win.sign_in_page is not None and win.sign_in_page.credentials.user.text() == \
        "sam.okafor"
    assert not win.lock.locked and win.lock.dialog is None and not _covered(win)
    assert win.model is None and not win.workspaces() and win.edits.runner is None
    assert win.store is not None and win.store.path == str(path)
    with Store.open(path, create=False) as store:
        assert not store.query("SELECT 1 FROM needs WHERE description = 'Not to be saved'")
