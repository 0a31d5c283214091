"""Questions asked before an export: the handoff audit's period and agency."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from careplan.ui import text
from careplan.ui.datefield import DateField


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

    def _date_edit(self, day: date, name: str) -> DateField:
        return DateField(name, day, today=day)

    def check(self) -> None:
        """Accept unless a date is not one or the period runs backwards (then say so,
        naming the field; what was typed stays)."""
        try:
            start, end = self.period()
        except ValueError as exc:
            message = str(exc)
            self.error.setText(message[:1].upper() + message[1:])
            return
        if start > end:
            self.error.setText(self.tr("From: %s is after To (%s).") % (
                text.fmt_date(start), text.fmt_date(end)))
            self.start.setFocus()
            return
        self.accept()

    def period(self) -> tuple[date, date]:
        """The period typed.

        Raises:
            ValueError: naming the field, when a date is not one.
        """
        start, end = self.start.value(), self.end.value()
        assert start is not None and end is not None  # required fields
        return start, end

    def agency_id(self) -> str | None:
        value = self.agency.currentData()
        return str(value) if value else None
