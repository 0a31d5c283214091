"""Questions asked before an export: the handoff audit's period and agency."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from careplan.ui import text


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(edit: QDateEdit) -> date:
    q = edit.date()
    return date(q.year(), q.month(), q.day())


class AuditDialog(QDialog):
    """The period (default: the 90 days to today) and, optionally, one agency."""

    def __init__(self, today: date, agencies: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Handoff audit"))
        self.setMinimumWidth(460)
        form = QFormLayout(self)
        intro = QLabel(self.tr(
            "Every handoff proposed in the period, answer times per agency, ownership gaps "
            "and referral disputes, printed as a PDF."))
        intro.setWordWrap(True)
        form.addRow(intro)
        self.start = self._date_edit(today - timedelta(days=90), self.tr("From"))
        self.end = self._date_edit(today, self.tr("To"))
        form.addRow(self.tr("&From:"), self.start)
        form.addRow(self.tr("&To:"), self.end)
        self.agency = QComboBox()
        self.agency.setAccessibleName(self.tr("Agency"))
        self.agency.addItem(self.tr("All agencies"), None)
        for name, agency_id in agencies:
            self.agency.addItem(name, agency_id)
        form.addRow(self.tr("&Agency:"), self.agency)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _date_edit(self, day: date, name: str) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("d MMM yyyy")
        edit.setAccessibleName(name)
        return edit

    def check(self) -> None:
        """Accept unless the period runs backwards (then say so, naming the field)."""
        start, end = self.period()
        if start > end:
            self.error.setText(self.tr("From: %s is after To (%s).") % (
                text.fmt_date(start), text.fmt_date(end)))
            self.start.setFocus()
            return
        self.accept()

    def period(self) -> tuple[date, date]:
        return _day(self.start), _day(self.end)

    def agency_id(self) -> str | None:
        value = self.agency.currentData()
        return str(value) if value else None
