"""Small dialogs for the deliberate acts: hand over, decline, redirect, refer, decide."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from careplan.models.enums import DeclineReason, NeedDomain


class StepDialog(QDialog):
    """A form with any of: a choice of team/professional, a date, a reason code, a text."""

    def __init__(self, title: str, intro: str, parent: QWidget | None = None, *,
                 choice_label: str = "", choices: Sequence[tuple[str, Any]] = (),
                 date_label: str = "", default_date: date | None = None,
                 reason_codes: bool = False, domain: bool = False,
                 text_label: str = "", text_required: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.text_required = text_required
        form = QFormLayout(self)
        note = QLabel(intro)
        note.setWordWrap(True)
        form.addRow(note)
        self.choice = QComboBox() if choice_label else None
        if self.choice is not None:
            for label, value in choices:
                self.choice.addItem(label, value)
            self.choice.setAccessibleName(choice_label.replace("&", ""))
            form.addRow(choice_label, self.choice)
        self.domain = QComboBox() if domain else None
        if self.domain is not None:
            for d in NeedDomain:
                self.domain.addItem(d.value, d.value)
            self.domain.setAccessibleName(self.tr("Need"))
            form.addRow(self.tr("&Need:"), self.domain)
        self.date = QDateEdit() if date_label else None
        if self.date is not None:
            day = default_date or date.today()
            self.date.setDate(QDate(day.year, day.month, day.day))
            self.date.setCalendarPopup(True)
            self.date.setDisplayFormat("d MMM yyyy")
            self.date.setAccessibleName(date_label.replace("&", ""))
            form.addRow(date_label, self.date)
        self.code = QComboBox() if reason_codes else None
        if self.code is not None:
            for reason in DeclineReason:
                self.code.addItem(reason.value, reason.value)
            self.code.setAccessibleName(self.tr("Kind of reason"))
            form.addRow(self.tr("&Kind of reason:"), self.code)
        self.text = QPlainTextEdit() if text_label else None
        if self.text is not None:
            self.text.setTabChangesFocus(True)
            self.text.setAccessibleName(text_label.replace("&", ""))
            self.text.setFixedHeight(self.fontMetrics().height() * 4 + 12)
            form.addRow(text_label, self.text)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _check(self) -> None:
        if self.text_required and not self.reason():
            self.error.setText(self.tr("Reason: please say why (it is kept in the record)."))
            assert self.text is not None
            self.text.setFocus()
            return
        self.accept()

    def chosen(self) -> Any:
        return self.choice.currentData() if self.choice is not None else None

    def day(self) -> date | None:
        if self.date is None:
            return None
        q = self.date.date()
        return date(q.year(), q.month(), q.day())

    def reason(self) -> str:
        return self.text.toPlainText().strip() if self.text is not None else ""

    def reason_code(self) -> DeclineReason | None:
        return DeclineReason(self.code.currentData()) if self.code is not None else None

    def need_domain(self) -> NeedDomain | None:
        return NeedDomain(self.domain.currentData()) if self.domain is not None else None


def default_answer_by(today: date) -> date:
    """Five working days ahead (weekends skipped)."""
    day, added = today, 0
    while added < 5:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


__all__ = ["StepDialog", "default_answer_by"]
