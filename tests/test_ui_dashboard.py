"""The manager dashboard: figures from a worker, charts, a bar opens its persons."""

from __future__ import annotations

from pathlib import Path

import ui_world
from PySide6.QtCharts import QHorizontalBarSeries
from ui_helpers import file_settings, sign_in

from careplan.store import Store
from careplan.store.visibility import viewer_for
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
    sign_in(qtbot, win, path, world.dr_shah)  # the practice may see everyone
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


def test_charts_counted_in_sql_paint_before_the_flags(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, monkeypatch) -> None:
    import threading

    from careplan.ui import dashboard

    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    go = threading.Event()
    real = dashboard.load_flags

    def held(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboard, "load_flags", held)
    with Store.open(path, create=False) as store:  # an agency that may see everyone
        reader = viewer_for(store, world.sam_social)
    board = Dashboard(str(path), ui_world.TODAY, viewer=reader)
    qtbot.addWidget(board)
    qtbot.waitUntil(lambda: len(board.charts) == 7, timeout=10000)
    # Every chart is on screen while the flags are checked; the flag charts say so.
    assert board.data is None
    titles = [view.chart().title() for view in board.charts]
    assert titles[0].endswith("checking flags…") and titles[2].endswith("checking flags…")
    assert "Checking flags" in board.status.text()
    delays = board.charts[4]
    go.set()
    qtbot.waitUntil(lambda: board.data is not None, timeout=30000)
    # Only the flag charts were replaced, in their places.
    assert len(board.charts) == 7 and board.charts[4] is delays
    assert board.charts[0].chart().title() == "Flags by kind"
    assert board.data.flags_by_code and board.data.flags_by_agency
    # A flag bar still lists the persons behind it.
    series = board.charts[0].chart().series()[0]
    assert isinstance(series, QHorizontalBarSeries)
    bars = series.barSets()[0]
    shown = list(reversed(board.data.flags_by_code))
    with qtbot.waitSignal(board.open_persons) as opened:
        bars.clicked.emit(0)
    assert opened.args == [shown[0].person_ids, f"Flags by kind: {shown[0].label}"]
    assert "-" not in shown[0].label  # a flag in words ("Turning 18"), not its code
    with Store.open(path, create=False) as store:
        persons = {row[0] for row in store.conn.execute("SELECT id FROM persons")}
    assert shown[0].person_ids and set(shown[0].person_ids) <= persons
    assert world.older in {p for b in board.data.flags_by_code for p in b.person_ids}
