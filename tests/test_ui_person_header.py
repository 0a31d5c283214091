"""Whose record is open (HAZ-022): the header and the tab say who, and two persons of one
name opened side by side are told apart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import ui_world
from PySide6.QtCore import Qt
from ui_helpers import file_settings, sign_in

from careplan.models import CareTeamMember, Consent, Person
from careplan.models.enums import ConsentStatus, Role
from careplan.store import Store, add, get
from careplan.ui.mainwindow import MainWindow


@pytest.fixture
def namesakes(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The neighbourhood with a second Ryan Price on Dr Shah's caseload."""
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store)
    ryan = get(store, Person, world.dual)
    other = add(store, Person(given_name="Ryan", family_name="Price",
                              birth_date=date(2001, 3, 5), nhs_number="4857773457"),
                ui_world.ACTOR)
    add(store, CareTeamMember(person_id=other.id, professional_id=world.dr_shah,
                              role=Role.GP, start_date=ui_world.SHARED_SINCE,
                              is_lead=True), ui_world.ACTOR)
    add(store, Consent(person_id=other.id, agency_id=world.gp, status=ConsentStatus.GIVEN,
                       recorded_on=ui_world.SHARED_SINCE, recorded_by=world.dr_shah),
        ui_world.ACTOR)
    store.close()
    assert ryan.nhs_number is None  # the demo's Ryan Price has no NHS number recorded
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.dr_shah)
    return win, world, other.id


def _open_by_double_click(qtbot, win, person_id: str):  # type: ignore[no-untyped-def]
    table, model = win.caseload.table, win.model
    index = model.index(model.row_of(person_id), 0)
    table.scrollTo(index)
    centre = table.visualRect(index).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    ws = win.current_workspace()
    assert ws is not None and ws.person_id == person_id
    return ws


def test_header_says_whose_record_is_open(qtbot, namesakes) -> None:  # type: ignore[no-untyped-def]
    win, world, other = namesakes
    first = _open_by_double_click(qtbot, win, world.dual)
    assert first.header.name.text() == "Ryan Price"
    assert "born 14 Sep 1994" in first.header.facts.text()
    assert "NHS number not recorded" in first.header.facts.text()
    win.tabs.setCurrentWidget(win.caseload)
    second = _open_by_double_click(qtbot, win, other)
    assert second is not first
    assert second.header.name.text() == "Ryan Price"
    assert "born 5 Mar 2001" in second.header.facts.text()
    assert "NHS number 485 777 3457" in second.header.facts.text()
    assert "Lead professional: Dr Asha Shah" in second.header.facts.text()


def test_two_open_namesakes_have_tabs_told_apart(qtbot, namesakes) -> None:  # type: ignore[no-untyped-def]
    win, world, other = namesakes
    first = win.open_person(world.dual)
    assert win.tabs.tabText(win.tabs.indexOf(first)) == "Ryan Price"
    second = win.open_person(other)
    titles = {win.tabs.tabText(win.tabs.indexOf(ws)) for ws in (first, second)}
    assert titles == {"Ryan Price (born 14 Sep 1994)", "Ryan Price (born 5 Mar 2001)"}
    assert win.tabs.tabToolTip(win.tabs.indexOf(second)) == \
        "Ryan Price, born 5 Mar 2001, NHS number 485 777 3457"
    assert win.close_tab(win.tabs.indexOf(second))
    assert win.tabs.tabText(win.tabs.indexOf(first)) == "Ryan Price"
