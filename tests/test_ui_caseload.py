"""The caseload page driven through real widgets; its model checked by qtmodeltester."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_world
from PySide6.QtCore import Qt
from ui_helpers import file_settings, sign_in

from careplan.store import Store
from careplan.store import caseload as q
from careplan.ui.caseload_model import COLUMNS, PERSON_ID_ROLE, CaseloadModel
from careplan.ui.flagview import FlagSummary
from careplan.ui.mainwindow import MainWindow


@pytest.fixture
def world_path(tmp_path: Path) -> tuple[Path, ui_world.World]:
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store, extra_persons=300)
    store.close()
    return path, world


@pytest.fixture
def window(qtbot, tmp_path: Path, world_path):  # type: ignore[no-untyped-def]
    path, world = world_path
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.dr_shah)
    return win


def test_model_passes_qtmodeltester(qtmodeltester, store: Store) -> None:  # type: ignore[no-untyped-def]
    ui_world.build(store, extra_persons=300)
    model = CaseloadModel(store, ui_world.TODAY)
    model.set_query(ui_world.query(store))
    qtmodeltester.check(model)
    model.sort(COLUMNS.index(q.SortKey.REVIEW), Qt.SortOrder.DescendingOrder)
    model.set_flags({model.person_id(0): FlagSummary((("critical", 1),), (
        ("critical", "coordinator-missing", "No lead professional"),))})
    qtmodeltester.check(model)


def test_model_reads_rows_a_block_at_a_time(store: Store) -> None:
    ui_world.build(store, extra_persons=600)
    model = CaseloadModel(store, ui_world.TODAY)
    model.set_query(ui_world.query(store))
    assert model.rowCount() == 603
    assert model.index(500, 0).data()
    assert set(model._blocks) == {500 // model.BLOCK}  # nothing else was read


def test_lists_persons_with_nhs_number_334(window, world_path) -> None:  # type: ignore[no-untyped-def]
    _, world = world_path
    model = window.model
    row = model.row_of(world.teen)
    nhs_col = COLUMNS.index(q.SortKey.NHS_NUMBER)
    assert model.index(row, nhs_col).data() == "943 476 5919"
    assert model.index(row, COLUMNS.index(q.SortKey.LEAD)).data() == "Sam Okafor"
    assert window.caseload.count.text() == "303 persons"


def test_typing_an_nhs_number_with_spaces_finds_the_person(qtbot, window, world_path) -> None:  # type: ignore[no-untyped-def]
    _, world = world_path
    panel = window.caseload
    qtbot.keyClicks(panel.search, "943 476 5919")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    assert window.model.person_id(0) == world.teen
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    ws = window.current_workspace()
    assert ws is not None and ws.person_id == world.teen


def test_header_click_sorts_in_sql(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    age = COLUMNS.index(q.SortKey.AGE)
    window.caseload.table.sortByColumn(age, Qt.SortOrder.DescendingOrder)
    model = window.model
    qtbot.waitUntil(lambda: not model.busy)
    ages = [int(model.index(r, age).data()) for r in range(model.rowCount())]
    assert ages == sorted(ages, reverse=True)
    assert model.query.sort is q.SortKey.AGE and model.query.descending


def test_my_caseload_filter(qtbot, window, world_path) -> None:  # type: ignore[no-untyped-def]
    _, world = world_path
    panel = window.caseload
    panel.scope.setCurrentIndex(panel.scope.findData("mine"))
    ids = {window.model.person_id(r) for r in range(window.model.rowCount())}
    assert ids == {world.teen, world.older, world.dual}


def test_flag_filters_use_the_summaries(qtbot, window, world_path) -> None:  # type: ignore[no-untyped-def]
    _, world = world_path
    panel = window.caseload
    panel.set_flags({world.older: FlagSummary((("critical", 1),), (
        ("critical", "discharge-delayed", "Ready for discharge 9 days ago"),))})
    panel.flag_code.setCurrentIndex(panel.flag_code.findData("discharge-delayed"))
    assert window.model.rowCount() == 1
    assert window.model.index(0, 0).data(PERSON_ID_ROLE) == world.older
    panel.flag_code.setCurrentIndex(0)
    panel.severity.setCurrentIndex(panel.severity.findData("warning"))
    assert window.model.rowCount() == 1


def test_double_click_opens_the_workspace(qtbot, window, world_path) -> None:  # type: ignore[no-untyped-def]
    _, world = world_path
    table = window.caseload.table
    row = window.model.row_of(world.dual)
    table.scrollTo(window.model.index(row, 0))
    rect = table.visualRect(window.model.index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_workspace().person_id == world.dual


def test_sorting_by_flags_puts_the_most_urgent_first(qtbot, window, world_path) -> None:  # type: ignore[no-untyped-def]
    _, world = world_path
    with qtbot.waitSignal(window.flags_loaded, timeout=30000):
        pass  # the engine's flags first, then the test's
    window.caseload.set_flags({
        world.older: FlagSummary((("warning", 2),), ()),
        world.dual: FlagSummary((("critical", 1),), ()),
    })
    flags = COLUMNS.index(q.SortKey.FLAGS)
    window.caseload.table.sortByColumn(flags, Qt.SortOrder.DescendingOrder)
    model = window.model
    qtbot.waitUntil(lambda: not model.busy)
    assert [model.person_id(0), model.person_id(1)] == [world.dual, world.older]
    names = [model.index(r, 0).data() for r in range(2, model.rowCount())]
    assert names == sorted(names)  # the unflagged stay in name order
