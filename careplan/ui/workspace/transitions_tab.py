"""Transitions and hospital stays: the age line to 18 (Year 9 marked) and delays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from careplan.models import DelayReason, HospitalStay
from careplan.models.dates import age_on, nth_birthday, school_year_start
from careplan.models.facts import Directory
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace import health_edits
from careplan.ui.workspace.tab_base import WorkspaceTab
from careplan.ui.workspace.tables import record_table

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace


def year9_start(birth: date) -> date:
    """1 September of the school year in which the person turns 14 (Year 9, NICE NG43)."""
    return school_year_start(nth_birthday(birth, 14))


class AgeLine(QWidget):
    """From age 10 to 18: today, the start of Year 9 and the 18th birthday."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.birth: date | None = None
        self.today = date.today()
        self.setAccessibleName(self.tr("Age line to 18"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_person(self, birth: date, today: date) -> None:
        self.birth, self.today = birth, today
        self.setAccessibleDescription(self.describe())
        self.update()

    def describe(self) -> str:
        if self.birth is None:
            return ""
        return self.tr("Year 9 starts %s; turns 18 on %s; today is age %d.") % (
            text.fmt_date(year9_start(self.birth)),
            text.fmt_date(nth_birthday(self.birth, 18)), age_on(self.birth, self.today))

    def sizeHint(self) -> QSize:
        return QSize(600, QFontMetrics(self.font()).height() * 5 + 12)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.birth is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fm = QFontMetrics(self.font())
        line = fm.height()
        start, end = nth_birthday(self.birth, 10), nth_birthday(self.birth, 18)
        span = (end - start).days
        left, right = 16, self.width() - 16
        y = line * 2 + 8

        def x_of(day: date) -> float:
            return left + (right - left) * min(max((day - start).days, 0), span) / span

        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 4))
        painter.drawLine(int(left), y, int(right), y)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        for age in range(10, 19):
            x = x_of(nth_birthday(self.birth, age))
            painter.drawLine(int(x), y - 5, int(x), y + 5)
            painter.drawText(QRectF(x - 20, y + 6, 40, line), Qt.AlignmentFlag.AlignCenter,
                             str(age))
        y9 = year9_start(self.birth)
        marks = [(y9, self.tr("Year 9: plan the transition"), "#a15c00", True),
                 (end, self.tr("18: adult services"), "#b3261e", True),
                 (self.today, self.tr("today"), "#3f5f8a", False)]
        for day, label, colour, above in marks:
            if not start <= day <= end:
                continue
            x = x_of(day)
            painter.setPen(QPen(QColor(colour), 3))
            painter.drawLine(int(x), y - 12, int(x), y + 12)
            w = fm.horizontalAdvance(label) + 4
            tx = min(max(x - w / 2, 0), self.width() - w)
            ty = y - 14 - line if above else y + line + 8
            painter.drawText(QRectF(tx, ty, w, line), Qt.AlignmentFlag.AlignCenter, label)
        painter.end()


class TransitionsTab(WorkspaceTab):
    SHOWS = frozenset({
        "agencies", "assessments", "care_team_members", "conditions", "delay_reasons",
        "hospital_stays", "persons", "professionals"})

    def build(self) -> None:
        ws = self.ws
        tr = self.tr

        def d() -> Directory:
            return ws.pf.directory
        self.age_title = QLabel()
        self.age_title.setWordWrap(True)
        self.age_line = AgeLine()
        self.stays = RecordTableModel[HospitalStay]([
            Column(tr("Hospital"), lambda s: d().agency_name(s.hospital_id)),
            Column(tr("Admitted"), lambda s: text.fmt_date(s.admitted_on)),
            Column(tr("Discharge ready"), lambda s: text.fmt_date(s.discharge_ready_on)),
            Column(tr("Discharged"), lambda s: text.fmt_date(s.discharged_on)
                   or tr("still in hospital")),
            Column(tr("Pathway"), lambda s: "" if s.pathway is None else str(int(s.pathway))),
            Column(tr("Days delayed"), lambda s: str(s.days_delayed(ws.today)),
                   alert=lambda s: s.days_delayed(ws.today) > 0 and s.discharged_on is None),
            Column(tr("Admission"), lambda s: s.admission_method.value
                   if s.admission_method else ""),
            Column(tr("Mental Health Act"), lambda s: s.mha_section.value
                   if s.mha_section else ""),
        ], self)
        self.reasons = RecordTableModel[DelayReason]([
            Column(tr("Why discharge is delayed"), lambda r: r.reason),
            Column(tr("Agency that owns clearing it"),
                   lambda r: d().agency_name(r.owner_agency_id)),
            Column(tr("Recorded"), lambda r: text.fmt_date(r.recorded_on)),
        ], self)
        self.stays_view = record_table(self.stays, tr("Hospital stays"))
        self.stays_view.selectionModel().currentRowChanged.connect(lambda *_: self._reasons())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{tr('Turning 18')}</b>"))
        layout.addWidget(self.age_title)
        layout.addWidget(self.age_line)
        layout.addWidget(QLabel(f"<b>{tr('Hospital stays')}</b>"))
        layout.addWidget(self.stays_view, 1)
        self.add_stay = QPushButton(tr("Record a hospital stay…"))
        self.add_stay.clicked.connect(lambda: health_edits.record_stay(ws))
        self.edit_stay = QPushButton(tr("Change the stay…"))
        self.edit_stay.clicked.connect(self._change_stay)
        self.ready_button = QPushButton(tr("Discharge &ready date…"))
        self.ready_button.clicked.connect(
            lambda: self._on_stay(health_edits.set_discharge_ready))
        self.reason_button = QPushButton(tr("Add a &delay reason…"))
        self.reason_button.clicked.connect(lambda: self._on_stay(health_edits.add_delay_reason))
        self.discharge_button = QPushButton(tr("Record the disc&harge…"))
        self.discharge_button.clicked.connect(
            lambda: self._on_stay(health_edits.record_discharge))
        stay_buttons = QHBoxLayout()
        for button in (self.add_stay, self.edit_stay, self.ready_button, self.reason_button,
                       self.discharge_button):
            stay_buttons.addWidget(button)
        stay_buttons.addStretch(1)
        layout.addLayout(stay_buttons)
        layout.addWidget(record_table(self.reasons, tr("Delay reasons")), 1)

    def _change_stay(self) -> None:
        index = self.stays_view.currentIndex()
        if not index.isValid():
            self.ws.refused(self.tr("hospital stay: choose the stay to change first"))
            return
        health_edits.record_stay(self.ws, self.stays.record(index.row()))

    def _on_stay(self, step: Callable[[PersonWorkspace, HospitalStay], bool]) -> None:
        index = self.stays_view.currentIndex()
        if not index.isValid():
            self.ws.refused(self.tr("hospital stay: choose the stay first"))
            return
        step(self.ws, self.stays.record(index.row()))

    def _reasons(self) -> None:
        index = self.stays_view.currentIndex()
        stay = self.stays.record(index.row()) if index.isValid() else None
        self.reasons.set_records(self.ws.pf.delay_reasons.get(stay.id, []) if stay else [])

    def fill(self) -> None:
        pf, today = self.ws.pf, self.ws.today
        birth = pf.person.birth_date
        eighteen = nth_birthday(birth, 18)
        if eighteen > today:
            self.age_line.set_person(birth, today)
            self.age_line.show()
            self.age_title.setText(self.tr(
                "Turns 18 on <b>%s</b> (in %s). Transition planning starts in Year 9 (%s), "
                "NICE NG43.") % (text.fmt_date(eighteen), text.days_text((eighteen - today).days),
                                 text.fmt_date(year9_start(birth))))
        else:
            self.age_line.hide()
            self.age_title.setText(self.tr("Turned 18 on %s.") % text.fmt_date(eighteen))
        self.stays.set_records(pf.stays)
        if self.stays.rowCount():
            self.stays_view.selectRow(0)
        self._reasons()
