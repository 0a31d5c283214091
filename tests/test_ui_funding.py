"""The Funding tab and the Budgets view on a fresh demo store, through real widgets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCharts import QHorizontalBarSeries, QPieSeries
from PySide6.QtCore import Qt
from ui_helpers import file_settings, sign_in

from careplan.demo.build import build_demo
from careplan.models import Person
from careplan.models.costing import pounds
from careplan.store import Store, find
from careplan.ui.budgets import BudgetsView
from careplan.ui.mainwindow import MainWindow

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("funding") / "demo.db"
    with Store.open(path) as store:
        build_demo(store, persons=150, seed=4, today=TODAY)
    return path


@pytest.fixture
def win(qtbot, tmp_path: Path, demo_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(file_settings(tmp_path), today=lambda: TODAY)
    qtbot.addWidget(w)
    w.show()
    with Store.open(demo_path, create=False) as store:  # a manager of adult social care
        manager = str(store.conn.execute(
            "SELECT a.professional_id FROM accounts a JOIN professionals p "
            "ON p.id = a.professional_id JOIN agencies g ON g.id = p.agency_id "
            "WHERE a.role = 'manager' AND g.name LIKE '%Adult Social Care' "
            "ORDER BY a.username LIMIT 1").fetchone()[0])
    sign_in(qtbot, w, demo_path, manager, role="manager")
    return w


def _person_id(path: Path, given: str, family: str) -> str:
    with Store.open(path, create=False) as s:
        return find(s, Person, given_name=given, family_name=family)[0].id


def _texts(model, column: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_funding_tab_shows_the_dispute_behind_the_discharge(qtbot, qtmodeltester, win,  # type: ignore[no-untyped-def]
                                                            demo_path: Path) -> None:
    ws = win.open_person(_person_id(demo_path, "Margaret", "Okafor"))
    ws.tabs.setCurrentWidget(ws.funding_tab)
    tab = ws.funding_tab
    qtmodeltester.check(tab.costs)
    qtmodeltester.check(tab.budgets)
    assert _texts(tab.costs, 0) == ["Start home care package (4 calls a day)",
                                    "Deliver hospital bed and hoist"]
    funding = tab.costs.index(0, 5)
    assert funding.data().startswith("disputed between Northbridge Council Adult Social Care "
                                     "and NHS Northbridge Integrated Care Board since")
    assert funding.data(Qt.ItemDataRole.ForegroundRole) is not None  # shown as an alert
    assert "£588.00 weekly" in _texts(tab.costs, 1)
    assert "Funding disputed for 1 action" in tab.summary.text()
    assert tab.budgets.rowCount() == 0


def test_funding_tab_shows_the_overcommitted_personal_budget(qtmodeltester, win,  # type: ignore[no-untyped-def]
                                                             demo_path: Path) -> None:
    ws = win.open_person(_person_id(demo_path, "Helen", "Marsh"))
    ws.tabs.setCurrentWidget(ws.funding_tab)
    tab = ws.funding_tab
    qtmodeltester.check(tab.budgets)
    assert tab.budgets.rowCount() == 1
    position = tab.budgets.record(0)
    assert position.overcommitted
    assert tab.budgets.index(0, 3).data() == "£20,000.00"
    assert tab.budgets.index(0, 5).data() == pounds(position.remaining)
    assert position.remaining < 0
    assert tab.budgets.index(0, 6).data() == "Council personal budgets, Personal health budgets"
    assert any("(personal budget)" in t for t in _texts(tab.costs, 6))


def test_budgets_view_shows_budgets_charts_and_disputes(qtbot, qtmodeltester, win) -> None:  # type: ignore[no-untyped-def]
    win.show_budgets()
    view = win.tabs.currentWidget()
    assert isinstance(view, BudgetsView)
    qtbot.waitUntil(lambda: view.report is not None, timeout=20000)
    qtmodeltester.check(view.budgets)
    qtmodeltester.check(view.disputes)
    partners = [(r.budget, r.partner) for r in view.budgets.records]
    assert ("Riverside Better Care Fund", "whole budget") in partners
    assert ("Riverside mental health and housing", "Northbridge Homes") in partners
    pooled = [r for r in view.budgets.records if r.arrangement == "pooled"
              and r.partner != "whole budget"]
    assert pooled and all(r.spent_to_date is None for r in pooled)
    assert "Margaret Okafor" in _texts(view.disputes, 0)
    assert len(view.charts) == 4
    bars = view.charts[0].chart().series()[0]
    assert isinstance(bars, QHorizontalBarSeries)
    report = view.report
    assert report is not None
    drawn = sum(bars.barSets()[0].at(i) for i in range(bars.barSets()[0].count()))
    top = sum(v for *_, v, _ in report.stream_rows()[:10])
    assert abs(drawn - top / 100) < 0.01
    pie = view.charts[3].chart().series()[0]
    assert isinstance(pie, QPieSeries) and pie.count() == 3
    assert "prevention share" in view.status.text()
    win.show_budgets()  # a second time: the same view comes to the front
    assert win.tabs.currentWidget() is view
