"""Case conference mode: F11, capture by keyboard, leaving saves the record."""

from __future__ import annotations

from pathlib import Path

import ui_world
from PySide6.QtCore import Qt
from ui_helpers import file_settings, settle, sign_in

from careplan.models import Action, CaseConference
from careplan.store import Store, find
from careplan.ui.mainwindow import MainWindow


def test_hold_a_case_conference(qtbot, qtmodeltester,  # type: ignore[no-untyped-def]
                                tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store)
    store.close()
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)
    ws = win.open_person(world.teen)
    win.act_conference.trigger()  # F11
    mode = ws.conference
    assert mode is not None and ws.stack.currentWidget() is mode
    assert "Handoff to Nina Clarke waiting" in mode.agenda.toPlainText()
    qtmodeltester.check(mode.attendee_model)
    mode.attendee_model.set_present(1, True)
    mode.others.setText("Mother, Advocate")
    qtbot.keyClicks(mode.decision, "Start the Care Act assessment now")
    qtbot.keyClick(mode.decision, Qt.Key.Key_Return)
    qtbot.keyClicks(mode.action_text, "Visit the college with Jordan")
    mode.owner.setCurrentIndex(mode.owner.findData(world.sam_social))
    qtbot.keyClick(mode.action_text, Qt.Key.Key_Return)
    assert mode.captured_model.rowCount() == 2
    win.act_conference.trigger()  # F11 again: save, and leave once saved
    settle(win)
    assert ws.conference is None and ws.stack.currentWidget() is ws.normal

    check = Store.open(path)
    try:
        [conf] = find(check, CaseConference, person_id=world.teen)
        assert conf.decisions == ("Start the Care Act assessment now",)
        assert set(conf.attendee_ids) == {world.sam_social, world.dr_shah}
        assert conf.other_attendees == ("Mother", "Advocate")
        assert conf.chair_id == world.sam_social and conf.agenda
        agreed = find(check, Action, conference_id=conf.id)
        assert [(a.description, a.owner_professional_id) for a in agreed] == [
            ("Visit the college with Jordan", world.sam_social)]
    finally:
        check.close()
    assert ws.conferences_tab.model.rowCount() == 1
    assert "Visit the college" in ws.conferences_tab.details.toPlainText()
