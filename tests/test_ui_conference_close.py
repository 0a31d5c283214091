"""Case conference mode (issue 16): closing the person (Ctrl+W) while something captured
is not saved asks — save, discard or stay; agreed actions take a due date as well as an
owner; the chair is always an attendee."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_helpers import file_settings, settle, sign_in, when_modal

from careplan.models import Action, CaseConference
from careplan.store import Store, find
from careplan.ui.mainwindow import MainWindow

WINDOWS: list[MainWindow] = []


@pytest.fixture(autouse=True)
def _close_without_asking() -> Iterator[None]:
    """The test's window is closed here, once whatever it left captured is dropped
    (closing would ask about it, and no one would answer)."""
    yield
    for win in WINDOWS:
        ws = win.current_workspace()
        mode = ws.conference if ws is not None else None
        if mode is not None:
            mode.decisions.clear()
            mode.new_actions.clear()
            mode.decision.clear()
            mode.action_text.clear()
        win.close()
        win.deleteLater()
    WINDOWS.clear()


def _conference(qtbot: Any, tmp_path: Path) -> tuple[MainWindow, Any, Path, ui_world.World]:
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    WINDOWS.append(win)
    with qtbot.waitExposed(win):
        win.show()
    sign_in(qtbot, win, path, world.sam_social)
    ws = win.open_person(world.teen)
    win.act_conference.trigger()  # F11
    assert ws.conference is not None
    return win, ws, path, world


def _decide(qtbot: Any, mode: Any, words: str) -> None:
    qtbot.keyClicks(mode.decision, words)
    qtbot.keyClick(mode.decision, Qt.Key.Key_Return)


def _ctrl_w(qtbot: Any, win: MainWindow, answer: QMessageBox.StandardButton) -> list[str]:
    """Press Ctrl+W, answering the question (if one comes) with ``answer``; return the
    questions asked."""
    asked: list[str] = []

    def reply(box: Any) -> None:
        asked.append(box.text())
        box.button(answer).click()

    when_modal(reply, tries=300)
    assert QKeySequence("Ctrl+W") in win.act_close_tab.shortcuts()
    win.activateWindow()  # the window has the keyboard again after an earlier question
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    qtbot.keyClick(win, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(asked))
    return asked


def _conferences(path: Path, person: str) -> list[CaseConference]:
    with Store.open(path, create=False) as check:
        return find(check, CaseConference, person_id=person)


def test_ctrl_w_asks_and_cancel_stays(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, ws, path, world = _conference(qtbot, tmp_path)
    mode = ws.conference
    _decide(qtbot, mode, "Ask adult services to join the team")
    assert mode.unsaved()
    asked = _ctrl_w(qtbot, win, QMessageBox.StandardButton.Cancel)
    assert asked == ["The case conference for Jordan Baker is not saved yet. Save its record "
                     "before closing?"]
    assert ws.conference is mode and win.current_workspace() is ws  # nothing closed
    assert mode.decisions == ["Ask adult services to join the team"]
    assert _conferences(path, world.teen) == []
    _ctrl_w(qtbot, win, QMessageBox.StandardButton.Discard)  # asked again; now let go
    qtbot.waitUntil(lambda: win.current_workspace() is not ws)


def test_ctrl_w_discard_closes_without_a_record(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, ws, path, world = _conference(qtbot, tmp_path)
    mode = ws.conference
    qtbot.keyClicks(mode.action_text, "Typed but not entered")  # typed text counts too
    _ctrl_w(qtbot, win, QMessageBox.StandardButton.Discard)
    qtbot.waitUntil(lambda: win.current_workspace() is not ws)
    assert _conferences(path, world.teen) == []


def test_ctrl_w_save_keeps_the_record(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, ws, path, world = _conference(qtbot, tmp_path)
    _decide(qtbot, ws.conference, "Start the Care Act assessment now")
    _ctrl_w(qtbot, win, QMessageBox.StandardButton.Save)
    settle(win)
    qtbot.waitUntil(lambda: win.current_workspace() is not ws)
    [conference] = _conferences(path, world.teen)
    assert conference.decisions == ("Start the Care Act assessment now",)


def test_nothing_captured_leaves_without_a_question(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, ws, path, world = _conference(qtbot, tmp_path)
    assert not ws.conference.unsaved()
    assert ws.conference.confirm_leave()  # no question: there is nothing to lose
    assert ws.conference is None
    assert _conferences(path, world.teen) == []


def test_an_action_takes_a_due_date_and_an_owner(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, ws, path, world = _conference(qtbot, tmp_path)
    mode = ws.conference
    today = ui_world.TODAY
    assert mode.due_date() == today + timedelta(days=14)  # unless changed
    due = date(2025, 6, 30)
    assert due > today
    mode.due.setText("")
    qtbot.keyClicks(mode.due.edit, "30/06/2025")  # typed day first, as every date field
    qtbot.keyClicks(mode.action_text, "Visit the college with Jordan")
    mode.owner.setCurrentIndex(mode.owner.findData(world.dr_shah))
    qtbot.keyClick(mode.action_text, Qt.Key.Key_Return)
    owner = ws.pf.directory.professionals[world.dr_shah].name
    assert mode.captured_model.stringList() == [
        f"Action: Visit the college with Jordan — {owner}, due 30 Jun 2025"]
    win.act_conference.trigger()  # F11: save and leave
    settle(win)
    with Store.open(path, create=False) as check:
        [conference] = find(check, CaseConference, person_id=world.teen)
        [action] = find(check, Action, conference_id=conference.id)
    assert (action.owner_professional_id, action.due_date) == (world.dr_shah, due)


def test_the_chair_is_an_attendee_even_unticked(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, ws, path, world = _conference(qtbot, tmp_path)
    mode = ws.conference
    model = mode.attendee_model
    assert world.sam_social in model.present_ids()  # ticked to start with
    for row in range(model.rowCount()):
        model.set_present(row, False)  # everyone unticked, the chair too
    assert model.present_ids() == []
    assert mode.attendee_ids() == [world.sam_social]
    _decide(qtbot, mode, "Review in a month")
    win.act_conference.trigger()
    settle(win)
    [conference] = _conferences(path, world.teen)
    assert conference.chair_id == world.sam_social
    assert conference.attendee_ids == (world.sam_social,)


def test_a_due_date_that_is_not_a_date_or_is_past_is_refused(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, ws, path, world = _conference(qtbot, tmp_path)
    mode = ws.conference
    said: list[str] = []
    yesterday = ui_world.TODAY - timedelta(days=1)
    for typed in ("31/02/2025", yesterday.strftime("%d/%m/%Y")):
        mode.due.setText(typed)
        qtbot.keyClicks(mode.action_text, "Ring the GP")
        qtbot.keyClick(mode.action_text, Qt.Key.Key_Return)
        assert mode.due_problem.isVisibleTo(mode)  # said below the line, no dialog
        said.append(mode.due_problem.text())
    assert said[0] == ("Due date: '31/02/2025' is not a date (February 2025 has 28 days)")
    assert said[1].startswith("Due date: ") and said[1].endswith("is before today")
    assert mode.new_actions == [] and mode.captured_model.stringList() == []
    assert mode.action_text.text() == "Ring the GP" * 2  # kept, to fix the date and retry
    mode.due.setText("30/06/2025")
    qtbot.keyClick(mode.action_text, Qt.Key.Key_Return)
    assert not mode.due_problem.isVisibleTo(mode) and len(mode.new_actions) == 1
