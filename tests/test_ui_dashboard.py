"""The manager dashboard: figures from a worker, charts, a bar opens its persons."""

from __future__ import annotations

from pathlib import Path

import ui_world
from PySide6.QtCharts import QHorizontalBarSeries
from ui_helpers import file_settings, sign_in

from careplan.store import Store
from careplan.ui.dashboard import Dashboard
from careplan.ui.mainwindow import MainWindow


def test_dashboard_charts_and_click_through(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store)
    store.close()
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path)
    win.show_dashboard()
    board = win.tabs.currentWidget()
    assert isinstance(board, Dashboard)
    qtbot.waitUntil(lambda: board.data is not None, timeout=10000)
    data = board.data
    assert [(b.label, b.person_ids) for b in data.delays_by_days if b.value] == [
        ("7–13 days", [world.older])]
    assert [b.label for b in data.delays_by_agency] == ["Adult Social Care"]
    assert [(b.label, b.person_ids) for b in data.disputes if b.value] == [
        ("4–8 weeks", [world.dual])]
    assert [b.person_ids for b in data.birthdays] == [[world.teen]]
    assert len(board.charts) == 7
    # Clicking the delayed-discharge bar lists the person behind it in the caseload.
    view = board.charts[4]  # delayed discharges by days delayed
    series = view.chart().series()[0]
    assert isinstance(series, QHorizontalBarSeries)
    bars = series.barSets()[0]
    index = next(i for i in range(bars.count()) if bars.at(i) > 0)
    bars.clicked.emit(index)
    assert win.tabs.currentWidget() is win.caseload
    assert [win.model.person_id(r) for r in range(win.model.rowCount())] == [world.older]
