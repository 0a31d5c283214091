"""My work in the window: the first tab after sign-in, its count in its title, a row
opening the person's right tab with the record chosen, and the list following the
changes the writer reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_helpers import file_settings, settle, sign_in, when_modal

from careplan.models import Action, Handoff
from careplan.store import Store, get
from careplan.store.casework import answer_handoff
from careplan.store.mywork import WorkKind
from careplan.store.repo import update
from careplan.ui.mainwindow import MainWindow
from careplan.ui.mywork import MyWorkView
from careplan.ui.tablemodel import RecordTableModel


@pytest.fixture
def team(tmp_path: Path) -> tuple[Path, ui_world.World]:
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store)
    # Sam's action is due tomorrow: on his list beside the plan he has to sign.
    update(store, get(store, Action, world.teen_action).evolve(
        due_date=ui_world.TODAY + timedelta(days=1)), "test")
    store.close()
    return path, world


def _window(qtbot: Any, tmp_path: Path) -> MainWindow:
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    return win


def _open_row(qtbot: Any, view: MyWorkView, kind: WorkKind) -> None:
    row = next(i for i, w in enumerate(view.items()) if w.kind is kind)
    view.table.setCurrentIndex(view.model.index(row, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)


def _chosen(view: Any) -> Any:
    model = view.model()
    assert isinstance(model, RecordTableModel)
    rows = view.selectionModel().selectedRows()
    return model.records[rows[0].row()] if rows else None


def test_first_tab_with_a_count_and_a_row_opens_the_handoff(
        qtbot: Any, tmp_path: Path, team: tuple[Path, ui_world.World]) -> None:
    path, world = team
    win = _window(qtbot, tmp_path)
    sign_in(qtbot, win, path, world.nina_nurse)
    view = win.my_work
    assert isinstance(view, MyWorkView)
    assert win.tabs.widget(0) is view and win.tabs.currentWidget() is view
    assert win.tabs.tabText(0) == "My work (1)"
    [item] = view.items()
    assert item.kind is WorkKind.HANDOFF and item.overdue
    assert view.model.data(view.model.index(0, 3)) == "answer by 8 Mar 2025 (late)"
    _open_row(qtbot, view, WorkKind.HANDOFF)
    ws = win.current_workspace()
    assert ws is not None and ws.person_id == world.teen
    assert ws.tabs.currentWidget() is ws.handoffs_tab
    assert _chosen(ws.handoffs_tab.view).id == world.handoff
    # Answered from elsewhere (another connection through the writer): the list follows.
    win.edits.runner.submit("Accept", lambda s: answer_handoff(
        s, get(s, Handoff, world.handoff), True, datetime(2025, 3, 10, 9), world.nina_nurse))
    settle(win)
    # The handoff drops out; the action it handed over (due tomorrow) is now hers.
    qtbot.waitUntil(lambda: [w.kind for w in view.items()] == [WorkKind.ACTION])
    assert win.tabs.tabText(0) == "My work (1)"
    assert not win.close_tab(0)  # My work is not closed like a person
    win.close()


def test_an_action_and_a_signature_open_the_plan_tab(
        qtbot: Any, qtmodeltester: Any, tmp_path: Path,
        team: tuple[Path, ui_world.World]) -> None:
    path, world = team
    win = _window(qtbot, tmp_path)
    sign_in(qtbot, win, path, world.sam_social)
    view = win.my_work
    assert win.tabs.tabText(0) == "My work (2)"
    assert [w.kind for w in view.items()] == [WorkKind.ACTION, WorkKind.SIGNATURE]
    qtmodeltester.check(view.model)
    _open_row(qtbot, view, WorkKind.ACTION)
    ws = win.current_workspace()
    assert ws.tabs.currentWidget() is ws.plan_tab
    assert _chosen(ws.plan_tab.actions_view).id == world.teen_action
    # Signing from the plan tab takes the signature off the list.
    win.tabs.setCurrentWidget(view)
    _open_row(qtbot, view, WorkKind.SIGNATURE)
    assert win.current_workspace() is ws and ws.tabs.currentWidget() is ws.plan_tab
    when_modal(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    ws.plan_tab.sign_button.click()
    settle(win)
    qtbot.waitUntil(lambda: win.tabs.tabText(0) == "My work (1)")
    qtmodeltester.check(view.model)
    win.close()


def test_an_administrator_without_a_professional_is_told_why_the_list_is_empty(
        qtbot: Any, tmp_path: Path, team: tuple[Path, ui_world.World]) -> None:
    path, _world = team
    win = _window(qtbot, tmp_path)
    sign_in(qtbot, win, path)
    assert win.tabs.tabText(0) == "My work (0)"
    assert "belongs to no professional" in win.my_work.said.text()
    win.close()
