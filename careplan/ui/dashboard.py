"""The manager dashboard: where the system is failing people, drawn with QtCharts.

The figures are computed in workers with their own store connections: those counted in
SQL first (the first paint waits only for them), the flags (the rules over the caseload)
beside them, filling in the two flag charts when found. Clicking a bar shows the persons
behind it in the caseload.
"""

from __future__ import annotations

import math
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

from careplan.models.flags import FlagCode, flag_label
from careplan.store import Store
from careplan.store import dashboard as figures
from careplan.store.dashboard import AnswerTimes, Bar
from careplan.store.visibility import Viewer, shareable_persons
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
    #: How many persons the figures count (those shared with the reader's agency).
    persons: int = 0


def flag_candidates(store: Store, today: date, visible: set[str]
                    ) -> dict[str, set[FlagCode]]:
    """Those of the persons some rule might flag today whom the reader may see, each
    with the codes of the rules that might."""
    from careplan.store import flagdata
    from careplan.store.overrides import thresholds_in_force

    if not visible:
        return {}
    found = flagdata.candidates_by_code(store, today, thresholds_in_force(store))
    return {pid: rules for pid, rules in found.items() if pid in visible}


def _visible(store: Store, viewer: Viewer, today: date) -> set[str]:
    """The persons whose records may be shared with the reader's agency (none without)."""
    return (shareable_persons(store, viewer.agency_id, today)
            if viewer.agency_id is not None else set())


def compute_figures(path: str, today: date, job: workers.Job, viewer: Viewer,
                    key: bytes | None = None) -> DashboardData:
    """The figures counted in SQL (no flags), for the first paint: runs in a pool thread
    with its own connection; never touches a widget. Counts only the persons whose
    records may be shared with the reader's agency."""
    store = Store.open(path, create=False, key=key)
    try:
        data = DashboardData()
        steps = 4
        visible = _visible(store, viewer, today)
        data.persons = len(visible)
        job.report(0, steps, "Handoff answer times")
        data.answer_times = figures.handoff_answer_times(store, visible)[:10]
        job.report(1, steps, "Referral disputes")
        data.disputes = figures.referral_disputes_by_age(store, today, visible)
        job.report(2, steps, "18th birthdays")
        data.birthdays = figures.eighteenth_birthdays(store, today, visible)
        job.report(3, steps, "Delayed discharges")
        data.delays_by_days, data.delays_by_agency = figures.delayed_discharges(store, today,
                                                                                visible)
        job.report(4, steps, "")
        return data
    finally:
        store.close()


def compute_flags(path: str, today: date, job: workers.Job, viewer: Viewer,
                  key: bytes | None = None) -> tuple[list[Bar], list[Bar]]:
    """The flags by code and by agency in the team (the top 10): the flag rules run over
    the persons shared with the reader's agency, in a pool thread with its own
    connection."""
    store = Store.open(path, create=False, key=key)
    try:
        job.report(0, 1, "Flags")
        visible = _visible(store, viewer, today)
        flags = load_flags(store, today, job,
                           chosen=flag_candidates(store, today, visible))
        job.check()
        # Each bar names its flag in words, as the chips and filters do.
        by_code = [Bar(flag_label(bar.label), bar.value, bar.person_ids)
                   for bar in figures.flags_by_code(flags)]
        by_agency = figures.flags_by_agency(store, today, flags, limit=10)
        job.report(1, 1, "")
        return by_code, by_agency
    finally:
        store.close()


def compute(path: str, today: date, job: workers.Job, viewer: Viewer,
            key: bytes | None = None) -> DashboardData:
    """Every figure at once (the widget shows the SQL ones before the flags are in)."""
    data = compute_figures(path, today, job, viewer, key)
    data.flags_by_code, data.flags_by_agency = compute_flags(path, today, job, viewer, key)
    return data


#: Where the flag charts are among the dashboard's charts.
_BY_CODE, _BY_AGENCY = 0, 2


class Dashboard(QWidget):
    open_persons = Signal(list, str)
    #: Every chart is in (the flags included).
    loaded = Signal()

    def __init__(self, path: str, today: date, window: QWidget | None = None, *,
                 viewer: Viewer, key: bytes | None = None) -> None:
        super().__init__()
        self.path, self.today, self.window_ = path, today, window
        self.viewer, self.key = viewer, key
        self.setAccessibleName(self.tr("Manager dashboard"))
        self.grid = QGridLayout()
        inner = QWidget()
        inner.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.status = QLabel(self.tr("Counting…"))
        self.status.setWordWrap(True)  # it names the reader's agency: a long name wraps
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        self.charts: list[QChartView] = []
        #: Every figure, once all are in (None until then, and after a failure).
        self.data: DashboardData | None = None
        self._figures: DashboardData | None = None
        self._flags: tuple[list[Bar], list[Bar]] | None = None
        self._failed = self._waiting = False
        self._round = 0
        self.reload()

    def reload(self) -> None:
        """Count again: the SQL figures and the flags in two workers, so that the charts
        counted in SQL are painted without waiting for the flag rules."""
        self._round += 1
        n = self._round
        self._figures, self._flags, self._failed = None, None, False
        #: The charts on screen wait for the flags (the flag charts say so).
        self._waiting = False
        workers.start_in_window(
            self.window_, self, self.tr("Dashboard"),
            lambda j: compute_figures(self.path, self.today, j, self.viewer, self.key),
            lambda data: self._arrived(n, figures_=data), lambda msg: self._failure(n, msg))
        workers.start_in_window(
            self.window_, self, self.tr("Dashboard flags"),
            lambda j: compute_flags(self.path, self.today, j, self.viewer, self.key),
            lambda bars: self._arrived(n, flags=bars), lambda msg: self._failure(n, msg))

    def _failure(self, n: int, message: str) -> None:
        if n != self._round:
            return
        self._failed = True
        self.data = None
        self.status.setText(self.tr("The dashboard could not be computed: %s") % message)

    def _arrived(self, n: int, figures_: DashboardData | None = None,
                 flags: tuple[list[Bar], list[Bar]] | None = None) -> None:
        if n != self._round or self._failed:
            return
        if figures_ is not None:
            self._figures = figures_
        if flags is not None:
            self._flags = flags
        if self._figures is None:
            return  # the flags came first: shown with the rest
        if self._flags is None:
            self._show(self._figures, pending=True)
            self._waiting = True
            self.status.setText(self.tr("Checking flags… Click a bar to see the persons "
                                        "behind it."))
            return
        data = self._figures
        data.flags_by_code, data.flags_by_agency = self._flags
        if self._waiting:  # the other charts are on screen: only the flag charts change
            self._waiting = False
            self._fill_flags(data)
            self._done(data)
        else:
            self.show_data(data)

    def _fill_flags(self, data: DashboardData) -> None:
        """Put the flag charts of ``data`` in place of those waiting for the flags."""
        for n, bars in ((_BY_CODE, data.flags_by_code), (_BY_AGENCY, data.flags_by_agency)):
            title, colour = self._flag_chart_specs()[n]
            old = self.charts[n]
            view = self._bar_chart(title, bars, colour)  # appended to self.charts
            self.charts.pop()
            self.charts[n] = view
            self.grid.replaceWidget(old, view)
            old.deleteLater()

    def show_data(self, data: DashboardData) -> None:
        """Show every figure of ``data``."""
        self._show(data, pending=False)
        self._done(data)

    def _done(self, data: DashboardData) -> None:
        self.data = data
        if not self.viewer.sees_anyone:
            self.status.setText(self.viewer.nobody())
        else:
            self.status.setText(self.tr(
                "Counting the %s persons whose records are shared with %s. Click a bar to "
                "see the persons behind it.") % (f"{data.persons:,}", self.viewer.name))
        self.loaded.emit()

    def _show(self, data: DashboardData, pending: bool) -> None:
        """Draw the charts of ``data``; with ``pending``, the flag charts say the flags
        are being checked."""
        for view in self.charts:
            self.grid.removeWidget(view)
            view.deleteLater()
        self.charts = []
        tr = self.tr
        flag_specs = self._flag_chart_specs()
        specs: list[tuple[str, list[Bar], str]] = [
            (*flag_specs[_BY_CODE][:1], data.flags_by_code, flag_specs[_BY_CODE][1]),
            (tr("Referral disputes by time in dispute"), data.disputes, "#7a4f9a"),
            (*flag_specs[_BY_AGENCY][:1], data.flags_by_agency, flag_specs[_BY_AGENCY][1]),
            (tr("18th birthdays in the next 12 months"), data.birthdays, "#3f5f8a"),
            (tr("Delayed discharges by days delayed"), data.delays_by_days, "#b3261e"),
            (tr("Delayed discharges by agency owning the delay"), data.delays_by_agency,
             "#a15c00"),
        ]
        flag_charts = {_BY_CODE, _BY_AGENCY}
        # Charts whose labels are agency names get the full width; the others pair up.
        wide = {2, 5}
        row = col = 0
        for n, (title, bars, colour) in enumerate(specs):
            view = self._bar_chart(title, bars, colour,
                                   pending=pending and n in flag_charts)
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

    def _flag_chart_specs(self) -> dict[int, tuple[str, str]]:
        """The flag charts' titles and colours, by their place among the charts."""
        return {_BY_CODE: (self.tr("Flags by kind"), "#b3261e"),
                _BY_AGENCY: (self.tr("Flags by agency in the team"), "#a15c00")}

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

    def _bar_chart(self, title: str, bars: list[Bar], colour: str,
                   pending: bool = False) -> QChartView:
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
        if pending:
            chart.setTitle(title + " — " + self.tr("checking flags…"))
        elif not bars:
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
