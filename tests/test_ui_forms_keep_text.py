"""A form keeps what was typed when its save is refused: the handoff dialog (it closed on
a refusal, and the note typed was lost) stays open with the note, and says why below the
field concerned; the same for the other step dialogs (decline, refer, make lead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from ui_helpers import settle, switch_user, when_modal

from careplan.models import Handoff
from careplan.models.enums import HandoffStatus
from careplan.store import find
from careplan.ui.workspace.dialogs import StepDialog

NOTE = "Sam is on leave from Monday; Nina knows the family and the college."


@pytest.fixture
def setup(signed_in_world):  # type: ignore[no-untyped-def]
    win, world, other, _ = signed_in_world("sam_social")
    return win, world, other


def _close_message_boxes(seen: list[str]) -> Callable[[], None]:
    """Close (and note) any message box while the test runs: a refusal said in a
    message box instead of the form would otherwise wait for a click. Returns the stop."""
    timer = QTimer()

    def look() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QMessageBox):
            seen.append(widget.text())
            widget.close()

    timer.timeout.connect(look)
    timer.start(20)
    return timer.stop


def _press_ok(dialog: StepDialog) -> None:
    dialog._check()
    while dialog.is_saving:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def test_a_refused_handoff_keeps_the_note_and_says_why(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """The action already has a handoff waiting for an answer: the store refuses a second
    one. The dialog stays open with the receiver and the note typed, and says why."""
    win, world, other = setup
    ws = win.open_person(world.teen)
    row = next(n for n, a in enumerate(ws.plan_tab.action_model.records)
               if a.id == world.teen_action)
    ws.plan_tab.actions_view.selectRow(row)
    seen: list[str] = []
    stop = _close_message_boxes(seen)
    state: dict[str, Any] = {}

    def fill(widget: QWidget) -> None:
        assert isinstance(widget, StepDialog)
        dialog = widget
        assert dialog.choice is not None and dialog.text is not None and dialog.date
        dialog.choice.setCurrentIndex(dialog.choice.findData(world.nina_nurse))
        dialog.text.setPlainText(NOTE)
        dialog.date.setText("31/02/2025")  # not a date: said below the date, nothing sent
        _press_ok(dialog)
        state["bad date"] = (dialog.isVisible(), dialog.error.text(), dialog.error_field)
        dialog.date.setText("14 Mar 2025")
        _press_ok(dialog)  # the store refuses: one is already waiting
        state["refused"] = (dialog.isVisible(), dialog.error.text(),
                            dialog.text.toPlainText(), dialog.chosen(), dialog.date.text())
        dialog.reject()

    when_modal(fill)
    ws.plan_tab.hand_over.click()
    settle(win)
    stop()
    assert state["bad date"] == (
        True, "Answer by: '31/02/2025' is not a date (February 2025 has 28 days)", "date")
    assert state["refused"] == (
        True, "Handoff: one is already waiting for an answer for this", NOTE,
        world.nina_nurse, "14 Mar 2025")
    assert seen == []  # said in the form, not in a message box after it closed
    assert [h.status for h in find(other, Handoff, person_id=world.teen)] == [
        HandoffStatus.PROPOSED]  # only the one that was there


def test_declining_asks_for_the_reason_in_place(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """A decline without a reason is refused in the dialog, which stays open; the reason
    then typed is the one saved with the answer."""
    win, world, other = setup
    seen: list[str] = []
    stop = _close_message_boxes(seen)
    switch_user(qtbot, win, world.nina_nurse)  # the handoff is addressed to her
    ws = win.open_person(world.teen)
    ws.tabs.setCurrentWidget(ws.handoffs_tab)
    reasons: list[tuple[bool, str, str | None]] = []

    def decline(widget: QWidget) -> None:
        assert isinstance(widget, StepDialog) and widget.text is not None
        _press_ok(widget)  # no reason yet: refused in place
        reasons.append((widget.isVisible(), widget.error.text(), widget.error_field))
        widget.text.setPlainText("Not until the assessment is done")
        _press_ok(widget)

    when_modal(decline)
    ws.handoffs_tab.decline.click()
    settle(win)
    stop()
    assert reasons == [(True, "Reason: please say why (it is kept in the record).", "text")]
    declined = find(other, Handoff, person_id=world.teen)[0]
    assert declined.status is HandoffStatus.DECLINED
    assert declined.answer_reason == "Not until the assessment is done"
    assert seen == []
