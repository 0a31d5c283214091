"""Plan versions in the Plan tab, driven through its cells, buttons and Edit ▸ Undo:
progress keeps every signature; a change to what was signed shows as a draft with its
changes; issuing it makes the next version; undo gives back signatures and versions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_helpers import file_settings, settle, sign_in, when_modal

from careplan.models import Action, CarePlan, Need, PlanSignOff, Professional
from careplan.models.enums import ActionStatus
from careplan.store import Store, find, get
from careplan.store.casework import sign_plan
from careplan.ui.mainwindow import MainWindow
from careplan.ui.workspace import PersonWorkspace

RECORD_TABLES = ("care_plans", "needs", "outcomes", "actions", "plan_signoffs",
                 "plan_versions")


@pytest.fixture
def setup(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Jordan's plan, version 1, signed by both agencies of the team (children's social
    care and the GP practice); Sam Okafor (children's social care) at the keyboard."""
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store)
    for pro in (world.sam_social, world.dr_shah):
        sign_plan(store, get(store, CarePlan, world.teen_plan), get(store, Professional, pro),
                  datetime(2025, 3, 1, 9))
    store.close()
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)
    other = Store.open(path)
    yield win, world, other
    other.close()


def _signatures(store: Store, plan_id: str) -> list[tuple[str, int]]:
    return sorted((s.agency_id, s.plan_version) for s in find(store, PlanSignOff,
                                                               plan_id=plan_id))


def _rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    return {t: [{k: v for k, v in r.items() if k not in ("version", "updated_at",
                                                           "updated_by")}
                for r in store.query(f"SELECT * FROM {t} ORDER BY id")]
            for t in RECORD_TABLES}


def _set_cell(ws: PersonWorkspace, table: str, record_id: str, column: int,
              value: object) -> None:
    model = getattr(ws.plan_tab, f"{table}_model")
    row = next(n for n, r in enumerate(model.records) if r.id == record_id)
    assert model.setData(model.index(row, column), value)


def _need_id(other: Store, world: ui_world.World) -> str:
    return find(other, Need, plan_id=world.teen_plan)[0].id


def _answer(seen: list[str], button: QMessageBox.StandardButton) -> None:
    def fill(box: Any) -> None:
        seen.append(f"{box.text()}\n{box.informativeText()}")
        box.button(button).click()
    when_modal(fill)


def test_completing_an_action_in_the_plan_tab_keeps_every_signature(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """The reported defect: completing one action made version 2 and wiped every
    agency's signature."""
    win, world, other = setup
    ws = win.open_person(world.teen)
    signed = _signatures(other, world.teen_plan)
    assert signed == sorted([(world.children, 1), (world.gp, 1)])
    _set_cell(ws, "action", world.teen_action, 4, ActionStatus.COMPLETED.value)
    settle(win)
    assert get(other, Action, world.teen_action).status is ActionStatus.COMPLETED
    assert get(other, CarePlan, world.teen_plan).plan_version == 1
    assert _signatures(other, world.teen_plan) == signed
    tab = ws.plan_tab
    summary = tab.summary.text()
    assert "<b>Plan version 1</b>" in summary and "Not yet signed by" not in summary
    assert "Children's Social Care (Sam Okafor" in summary and "Riverside Surgery" in summary
    assert tab.versions.text() == "No changes since version 1 was issued."
    assert not tab.issue_button.isEnabled()
    assert tab.sign_button.text() == "Signed for your agency"


def test_editing_a_need_shows_a_draft_with_its_changes(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    need_id = _need_id(other, world)
    _set_cell(ws, "need", need_id, 0, "Plan the move to adult services, with college")
    settle(win)
    tab = ws.plan_tab
    qtbot.waitUntil(tab.issue_button.isEnabled)
    assert get(other, CarePlan, world.teen_plan).plan_version == 1
    assert _signatures(other, world.teen_plan) == sorted([(world.children, 1),
                                                          (world.gp, 1)])
    shown = tab.versions.text()
    assert "<b>Draft of version 2</b>: 1 change not yet issued for sign-off; version 1 " \
           "stays in force until it is." in shown
    assert ("Need “Plan the move to adult services” now reads “Plan the move to adult "
            "services, with college”") in shown
    assert tab.issue_button.text() == "&Issue version 2 for sign-off…"
    row = next(n for n, r in enumerate(tab.need_model.records) if r.id == need_id)
    tip = tab.need_model.data(tab.need_model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Not yet issued: Need “Plan the move") and "version 2" in tip
    # Version 1 is what is signed: the signature stays valid, nothing asks to sign again.
    assert tab.sign_button.text() == "Signed for your agency"


def test_issuing_the_draft_lists_its_changes_and_makes_version_2(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    _set_cell(ws, "action", world.teen_action, 3, "20 Apr 2025")
    settle(win)
    tab = ws.plan_tab
    qtbot.waitUntil(tab.issue_button.isEnabled)
    seen: list[str] = []
    _answer(seen, QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(tab.issue_button, Qt.MouseButton.LeftButton)
    settle(win)
    assert seen[0].startswith("Issue version 2 of Jordan Baker's plan for sign-off?")
    assert ("• Action “Care Act assessment before 18th birthday”: when 19 Apr 2025 → "
            "20 Apr 2025") in seen[0]
    assert "Signatures on version 1 are kept." in seen[0]
    plan = get(other, CarePlan, world.teen_plan)
    assert (plan.plan_version, plan.version_since) == (2, ui_world.TODAY)
    assert _signatures(other, world.teen_plan) == sorted([(world.children, 1),
                                                          (world.gp, 1)])
    qtbot.waitUntil(tab.sign_button.isEnabled)
    assert tab.sign_button.text() == "&Sign version 2"
    assert "<b>Plan version 2</b> in force since 10 Mar 2025" in tab.summary.text()
    assert "Not yet signed by: Children's Social Care, Riverside Surgery" in \
        tab.summary.text()
    shown = tab.versions.text()
    assert shown.startswith("No changes since version 2 was issued.")
    assert "<b>What version 2 changed</b> from version 1:" in shown
    assert not tab.issue_button.isEnabled()


def test_declining_to_issue_changes_nothing(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    _set_cell(ws, "need", _need_id(other, world), 0, "Moving to adult services")
    settle(win)
    qtbot.waitUntil(ws.plan_tab.issue_button.isEnabled)
    before = _rows(other)
    seen: list[str] = []
    _answer(seen, QMessageBox.StandardButton.No)
    qtbot.mouseClick(ws.plan_tab.issue_button, Qt.MouseButton.LeftButton)
    settle(win)
    assert seen and _rows(other) == before


def test_edit_undo_gives_back_every_signature_and_version(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """The reported defect: undoing the edit brought the content back but not the
    signatures. Undo each edit in turn (progress, a signed change, issuing version 2)
    and the store is as it was before it, signatures included."""
    win, world, other = setup
    ws = win.open_person(world.teen)
    start = _rows(other)
    _set_cell(ws, "action", world.teen_action, 4, ActionStatus.COMPLETED.value)
    settle(win)
    completed = _rows(other)
    _set_cell(ws, "need", _need_id(other, world), 0, "Moving to adult services")
    settle(win)
    drafted = _rows(other)
    qtbot.waitUntil(ws.plan_tab.issue_button.isEnabled)
    _answer([], QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(ws.plan_tab.issue_button, Qt.MouseButton.LeftButton)
    settle(win)
    assert get(other, CarePlan, world.teen_plan).plan_version == 2
    assert win.undo_group.activeStack().count() == 3
    for expected in (drafted, completed, start):
        win.act_undo.trigger()
        settle(win)
        assert _rows(other) == expected
        assert _signatures(other, world.teen_plan) == sorted([(world.children, 1),
                                                              (world.gp, 1)])
    qtbot.waitUntil(lambda: "Plan version 1" in ws.plan_tab.summary.text())
    assert "Not yet signed by" not in ws.plan_tab.summary.text()
    assert ws.plan_tab.versions.text() == "No changes since version 1 was issued."
    for _ in range(3):
        win.act_redo.trigger()
    settle(win)
    assert get(other, CarePlan, world.teen_plan).plan_version == 2
