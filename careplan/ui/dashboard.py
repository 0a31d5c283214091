"""The manager dashboard: where the system is failing people, drawn with QtCharts.

The figures are computed in a worker with its own store connection; clicking a bar
shows the persons behind it in the caseload.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from careplan.store import Store
from careplan.store import dashboard as figures
from careplan.store.dashboard import AnswerTimes, Bar
from careplan.ui import workers
from careplan.ui.flagsource import load_flags


@dataclass(slots=True)
class DashboardData:
    flags_by_code: list[Bar] = field(default_factory=list)
    flags_by_agency: list[Bar] = field(default_factory=list)
    answer_times: list[AnswerTimes] = field(default_factory=list)
    disputes: list[Bar] = field(default_factory=list)
    birthdays: list[Bar] = field(default_factory=list)
    delays_by_days: list[Bar] = field(default_factory=list)
    delays_by_agency: list[Bar] = field(default_factory=list)


def compute(path: str, today: date, job: workers.Job, key: bytes | None = None
            ) -> DashboardData:
    """Runs in a pool thread with its own connection; never touches a widget."""
    store = Store.open(path, create=False, key=key)
    try:
        data = DashboardData()
        steps = 5
        job.report(0, steps, "Flags")
        flags = load_flags(store, today, job)
        agencies = figures.team_agencies(store, today)
        by_code: dict[str, list[str]] = defaultdict(list)
        by_agency: dict[str, list[str]] = defaultdict(list)
        for flag in flags:
            code = str(getattr(flag.code, "value", flag.code))
            by_code[code].append(flag.person_id)
            for agency in agencies.get(flag.person_id, ()):
                by_agency[agency].append(flag.person_id)
        data.flags_by_code = figures._bars(by_code)
        data.flags_by_agency = figures._bars(by_agency)[:10]
        job.report(1, steps, "Handoff answer times")
        data.answer_times = figures.handoff_answer_times(store)[:10]
        job.report(2, steps, "Referral disputes")
        data.disputes = figures.referral_disputes_by_age(store, today)
        job.report(3, steps, "18th birthdays")
        data.birthdays = figures.eighteenth_birthdays(store, today)
        job.report(4, steps, "Delayed discharges")
        data.delays_by_days, data.delays_by_agency = figures.delayed_discharges(store, today)
        job.report(5, steps, "")
        return data
    finally:
        store.close()


class Dashboard(QWidget):
    open_persons = Signal(list, str)
    loaded = Signal()

    def __init__(self, path: str, today: date, window: QWidget | None = None, *,
                 key: bytes | None = None) -> None:
        super().__init__()
        self.path, self.today, self.window_ = path, today, window
        self.key = key
        self.setAccessibleName(self.tr("Manager dashboard"))
        self.grid = QGridLayout()
        inner = QWidget()
        inner.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.status = QLabel(self.tr("Counting…"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        self.charts: list[QChartView] = []
        self.data: DashboardData | None = None
        self.reload()

    def reload(self) -> None:
        workers.start_in_window(
            self.window_, self, self.tr("Dashboard"),
            lambda j: compute(self.path, self.today, j, self.key), self.show_data,
            lambda msg: self.status.setText(
                self.tr("The dashboard could not be computed: %s") % msg))

    def show_data(self, data: DashboardData) -> None:
        self.data = data
        for view in self.charts:
            self.grid.removeWidget(view)
            view.deleteLater()
        self.charts = []
        tr = self.tr
        self.status.setText(tr("Click a bar to see the persons behind it."))
        specs: list[tuple[str, list[Bar], str]] = [
            (tr("Flags by code"), data.flags_by_code, "#b3261e"),
            (tr("Referral disputes by time in dispute"), data.disputes, "#7a4f9a"),
            (tr("Flags by agency in the team"), data.flags_by_agency, "#a15c00"),
            (tr("18th birthdays in the next 12 months"), data.birthdays, "#3f5f8a"),
            (tr("Delayed discharges by days delayed"), data.delays_by_days, "#b3261e"),
            (tr("Delayed discharges by agency owning the delay"), data.delays_by_agency,
             "#a15c00"),
        ]
        # Charts whose labels are agency names get the full width; the others pair up.
        wide = {2, 5}
        row = col = 0
        for n, (title, bars, colour) in enumerate(specs):
            view = self._bar_chart(title, bars, colour)
            if n in wide:
                row += col
                self.grid.addWidget(view, row, 0, 1, 2)
                row, col = row + 1, 0
            else:
                self.grid.addWidget(view, row, col)
                row, col = (row + 1, 0) if col else (row, 1)
        self.grid.addWidget(self._answer_chart(data.answer_times), row + col, 0, 1, 2)
        self.grid.setColumnStretch(0, 1)
        self.grid.setColumnStretch(1, 1)
        self.loaded.emit()

    def _chart(self, title: str) -> QChart:
        chart = QChart()
        chart.setTitle(title)
        font = self.font()
        font.setBold(True)
        chart.setTitleFont(font)
        chart.legend().hide()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        return chart

    def _view(self, chart: QChart, title: str, rows: int) -> QChartView:
        view = QChartView(chart)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setAccessibleName(title)
        view.setMinimumHeight(max(240, 60 + rows * (self.fontMetrics().height() + 14)))
        self.charts.append(view)
        return view

    def _bar_chart(self, title: str, bars: list[Bar], colour: str) -> QChartView:
        chart = self._chart(title)
        bars = list(reversed(bars))  # horizontal bars draw bottom-up
        bar_set = QBarSet(title)
        bar_set.setColor(QColor(colour))
        bar_set.setLabelColor(QColor("#202124"))
        for bar in bars:
            bar_set.append(bar.value)
        series = QHorizontalBarSeries()
        series.append(bar_set)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append([b.label for b in bars] or [self.tr("none")])
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_y)
        axis_x = _count_axis(max([b.value for b in bars] or [1]))
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_x)
        bar_set.clicked.connect(
            lambda i: self.open_persons.emit(bars[i].person_ids, f"{title}: {bars[i].label}"))
        if not bars:
            chart.setTitle(title + " — " + self.tr("none"))
        return self._view(chart, title, len(bars))

    def _answer_chart(self, times: list[AnswerTimes]) -> QChartView:
        title = self.tr("Handoff answer times per agency (days: median and 90th percentile)")
        chart = self._chart(title)
        times = list(reversed(times))
        median, p90 = QBarSet(self.tr("median")), QBarSet(self.tr("90th percentile"))
        median.setColor(QColor("#3f5f8a"))
        p90.setColor(QColor("#a15c00"))
        for t in times:
            median.append(round(t.median, 1))
            p90.append(round(t.p90, 1))
        series = QHorizontalBarSeries()
        series.append(median)
        series.append(p90)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append([t.agency for t in times] or [self.tr("none answered yet")])
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_y)
        axis_x = QValueAxis()
        axis_x.setRange(0, max([t.p90 for t in times] or [1]) * 1.2 + 1)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_x)
        chart.legend().show()
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        for bar_set in (median, p90):
            bar_set.clicked.connect(lambda i: self.open_persons.emit(
                times[i].person_ids, f"{title}: {times[i].agency}"))
        return self._view(chart, title, len(times) * 2)


def _count_axis(top: float) -> QValueAxis:
    """An axis of whole counts with room for the value labels past the longest bar."""
    step = max(1, math.ceil(top / 5))
    end = step * (math.ceil(top * 1.15 / step) + 1)
    axis = QValueAxis()
    axis.setRange(0, end)
    axis.setTickCount(end // step + 1)
    axis.setLabelFormat("%d")
    return axis
