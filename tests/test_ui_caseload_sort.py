"""Sorting a caseload kept in a file runs in a worker: the window stays responsive, the
table shows it is busy, and only the newest sort's order lands."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_world
from PySide6.QtCore import Qt

from careplan.store import Store
from careplan.store import caseload as q
from careplan.ui.caseload_model import COLUMNS, PERSON_ID_ROLE, CaseloadModel, sort_pool
from careplan.ui.caseload_view import CaseloadPanel

LEAD = COLUMNS.index(q.SortKey.LEAD)
REVIEW = COLUMNS.index(q.SortKey.REVIEW)


@pytest.fixture
def file_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store, extra_persons=200)
    yield store, world
    sort_pool().waitForDone()
    store.close()


def _ids(model: CaseloadModel) -> list[str]:
    return [model.index(r, 0).data(PERSON_ID_ROLE) for r in range(model.rowCount())]


def test_sort_runs_in_a_worker_and_shows_busy(qtbot, qtmodeltester, file_store) -> None:  # type: ignore[no-untyped-def]
    store, world = file_store
    model = CaseloadModel(store, ui_world.TODAY)
    model.set_query(ui_world.query(store))
    panel = CaseloadPanel(model)
    qtbot.addWidget(panel)
    panel.show()
    before = _ids(model)
    busy: list[bool] = []
    model.busy_changed.connect(busy.append)
    panel.table.sortByColumn(LEAD, Qt.SortOrder.AscendingOrder)
    # The call returned at once: the old order is still on screen and the panel says why.
    assert model.busy and _ids(model) == before
    assert panel.count.text() == "Sorting by lead professional…"
    assert panel.table.viewport().cursor().shape() == Qt.CursorShape.BusyCursor
    qtbot.waitUntil(lambda: not model.busy)
    assert busy == [True, False]
    expected = q.person_ids(store, ui_world.query(store, sort=q.SortKey.LEAD), ui_world.TODAY)
    assert _ids(model) == expected
    assert expected[:2] != before[:2]  # the leads ("Dr Asha Shah", ...) come first
    assert panel.count.text() == "203 persons"
    qtmodeltester.check(model)


def test_a_newer_sort_or_query_wins(qtbot, file_store) -> None:  # type: ignore[no-untyped-def]
    store, _ = file_store
    model = CaseloadModel(store, ui_world.TODAY)
    model.set_query(ui_world.query(store))
    model.sort(LEAD)
    model.sort(REVIEW, Qt.SortOrder.DescendingOrder)  # before the first has answered
    qtbot.waitUntil(lambda: not model.busy)
    sort_pool().waitForDone()
    qtbot.wait(20)  # let any late answer of the first sort arrive: it must be dropped
    review = ui_world.query(store, sort=q.SortKey.REVIEW, descending=True)
    assert _ids(model) == q.person_ids(store, review, ui_world.TODAY)

    model.sort(LEAD)
    model.set_query(ui_world.query(store, search="jordan"))  # a search while the sort runs
    assert not model.busy
    sort_pool().waitForDone()
    qtbot.wait(20)
    assert model.rowCount() == 1


def test_selection_follows_the_person_across_a_sort(qtbot, file_store) -> None:  # type: ignore[no-untyped-def]
    store, world = file_store
    model = CaseloadModel(store, ui_world.TODAY)
    model.set_query(ui_world.query(store))
    panel = CaseloadPanel(model)
    qtbot.addWidget(panel)
    panel.table.selectRow(model.row_of(world.dual))
    panel.table.sortByColumn(REVIEW, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: not model.busy)
    assert panel.current_person_id() == world.dual
