"""The Budgets view for managers: pooled and aligned budgets with contributions, spend and
variance; spend by stream and by agency; free against means-tested; the prevention share.

The figures are the funding report's (``careplan.export.funding_data``), computed in a
worker with its own store connection. Money stays in integer pence until it is drawn:
charts take pounds as floats only at the very end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QPieSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from careplan.export.funding_data import Dispute, FundingReport, funding_report, share
from careplan.models.costing import pounds, whole_pounds
from careplan.models.funding import CareType
from careplan.store import Store
from careplan.store.visibility import Viewer
from careplan.ui import text, workers
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace.tables import record_table

#: Bars shown per chart (the rest are in the funding report).
TOP = 10
_PIE_COLOURS = ("#3f5f8a", "#a15c00", "#7a4f9a")


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """One partner's line (or the whole budget's) of a pooled or aligned budget."""

    budget: str
    arrangement: str
    partner: str
    contributed: int
    spent_to_date: int | None
    forecast: int | None
    variance: int | None


def budget_rows(r: FundingReport) -> list[BudgetRow]:
    rows = []
    for j in r.joint:
        b = j.budget
        for p in j.partners:
            rows.append(BudgetRow(b.name, b.arrangement.value,
                                  r.book.agency_names.get(p.agency_id, "?"), p.contributed,
                                  p.spent_to_date, p.forecast, p.variance))
        rows.append(BudgetRow(b.name, b.arrangement.value, "whole budget", j.contributed,
                              j.spent_to_date, j.forecast, j.variance))
    return rows


def compute(path: str, today: date, job: workers.Job, viewer: Viewer,
            key: bytes | None = None) -> FundingReport:
    """Runs in a pool thread with its own connection; never touches a widget. The sums
    count all the money; persons are named only when shared with the reader's agency (a
    reader of no agency is shown no one)."""
    job.report(0, 1, "Funding")
    store = Store.open(path, create=False, key=key)
    try:
        return funding_report(store, today, audience_id=viewer.agency_id or "",
                              audience=viewer.name, reader_agency_id=viewer.agency_id)
    finally:
        store.close()


def _money(pence: int | None) -> str:
    return "–" if pence is None else pounds(pence)


class BudgetsView(QWidget):
    loaded = Signal()

    def __init__(self, path: str, today: date, window: QWidget | None = None, *,
                 viewer: Viewer, key: bytes | None = None) -> None:
        super().__init__()
        self.path, self.today, self.window_ = path, today, window
        self.viewer, self.key = viewer, key
        self.setAccessibleName(self.tr("Budgets"))
        tr = self.tr
        self.status = QLabel(tr("Adding up…"))
        self.status.setWordWrap(True)
        self.budgets = RecordTableModel[BudgetRow]([
            Column(tr("Budget"), lambda b: b.budget),
            Column(tr("Arrangement"), lambda b: b.arrangement),
            Column(tr("Partner"), lambda b: b.partner),
            Column(tr("Contribution"), lambda b: pounds(b.contributed)),
            Column(tr("Spent to date"), lambda b: _money(b.spent_to_date)),
            Column(tr("Forecast"), lambda b: _money(b.forecast)),
            Column(tr("Variance"), lambda b: _money(b.variance),
                   alert=lambda b: b.variance is not None and b.variance < 0),
        ], self)
        self.disputes = RecordTableModel[Dispute]([
            Column(tr("Person"), lambda d: d.person),
            Column(tr("Action"), lambda d: d.action),
            Column(tr("Agencies in dispute"), lambda d: d.agencies),
            Column(tr("Since"), lambda d: text.fmt_date(d.since)),
            Column(tr("This year"), lambda d: pounds(d.this_year)),
            Column(tr("Hospital discharge"),
                   lambda d: tr("delayed: the dispute may be holding it up")
                   if d.discharge_delayed else "", alert=lambda d: d.discharge_delayed),
        ], self)
        self.grid = QGridLayout()
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addWidget(QLabel(f"<b>{tr('Pooled and aligned budgets')}</b>"))
        self.budgets_view = record_table(self.budgets, tr("Pooled and aligned budgets"))
        inner_layout.addWidget(self.budgets_view)
        inner_layout.addLayout(self.grid)
        inner_layout.addWidget(QLabel(f"<b>{tr('Funding disputes')}</b>"))
        inner_layout.addWidget(record_table(self.disputes, tr("Funding disputes"), stretch=1))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        self.charts: list[QChartView] = []
        self.report: FundingReport | None = None
        self.reload()

    def reload(self) -> None:
        workers.start_in_window(
            self.window_, self, self.tr("Budgets"),
            lambda j: compute(self.path, self.today, j, self.viewer, self.key), self.show_report,
            lambda msg: self.status.setText(self.tr("The budgets could not be added up: %s") % msg))

    def show_report(self, r: FundingReport) -> None:
        self.report = r
        y = r.year
        period = r.period[:1].upper() + r.period[1:]
        self.status.setText(self.tr(
            "%s: public money %s planned, %s to date; self-funded %s; %s disputed; "
            "prevention share %s of public money.") % (
            period, pounds(y.public), pounds(r.to_date.public), pounds(y.total - y.public),
            pounds(y.disputed), share(y.by_care_type.get(CareType.PREVENTIVE, 0), y.public))
            + (" " + r.withheld_note if r.withheld_note else ""))
        self.budgets.set_records(budget_rows(r))
        # Every partner's line in sight: the table is short and sits in a scroll area.
        rows = self.budgets.rowCount()
        self.budgets_view.setMinimumHeight(
            self.budgets_view.horizontalHeader().height() + 4
            + rows * (self.fontMetrics().height() + 10))
        self.disputes.set_records(r.disputes)
        for view in self.charts:
            self.grid.removeWidget(view)
            view.deleteLater()
        self.charts = []
        tr = self.tr
        streams = [(name, year) for name, _, _, _, year, _ in r.stream_rows()][:TOP]
        agencies = [(name, year) for name, year, _ in r.payer_rows()][:TOP]
        self.grid.addWidget(self._bars(tr("Spend by funding stream this year (£)"), streams,
                                       "#3f5f8a"), 0, 0, 1, 2)
        self.grid.addWidget(self._bars(tr("Spend by agency this year (£)"), agencies,
                                       "#a15c00"), 1, 0, 1, 2)
        self.grid.addWidget(self._pie(tr("Free, means-tested and grant"),
                                      [(n, v) for n, v, _ in r.principle_rows()]), 2, 0)
        self.grid.addWidget(self._pie(tr("Preventive, reactive and institutional"),
                                      [(n, v) for n, v, _ in r.care_rows()]), 2, 1)
        self.grid.setColumnStretch(0, 1)
        self.grid.setColumnStretch(1, 1)
        self.loaded.emit()

    def _chart(self, title: str) -> QChart:
        chart = QChart()
        chart.setTitle(title)
        font = self.font()
        font.setBold(True)
        chart.setTitleFont(font)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        return chart

    def _view(self, chart: QChart, title: str, height: int) -> QChartView:
        view = QChartView(chart)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setAccessibleName(title)
        view.setMinimumHeight(height)
        self.charts.append(view)
        return view

    def _bars(self, title: str, values: list[tuple[str, int]], colour: str) -> QChartView:
        chart = self._chart(title)
        chart.legend().hide()
        values = list(reversed(values))  # horizontal bars draw bottom-up
        bar_set = QBarSet(title)
        bar_set.setColor(QColor(colour))
        for _, pence in values:
            bar_set.append(pence / 100)  # pounds, for drawing only
        series = QHorizontalBarSeries()
        series.append(bar_set)
        chart.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append([f"{name} ({whole_pounds(p)})" for name, p in values]
                      or [self.tr("none")])
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_y)
        axis_x = QValueAxis()
        axis_x.setRange(0, max([p / 100 for _, p in values] or [1]) * 1.1)
        axis_x.setLabelFormat("%.0f")
        axis_x.applyNiceNumbers()
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_x)
        rows = max(1, len(values))
        return self._view(chart, title, max(240, 60 + rows * (self.fontMetrics().height() + 14)))

    def _pie(self, title: str, values: list[tuple[str, int]]) -> QChartView:
        chart = self._chart(title)
        series = QPieSeries()
        total = sum(v for _, v in values)
        for (name, pence), colour in zip(values, _PIE_COLOURS, strict=False):
            piece = series.append(f"{name} {share(pence, total)}", pence / 100)
            piece.setColor(QColor(colour))
        chart.addSeries(series)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        return self._view(chart, title, 280)
