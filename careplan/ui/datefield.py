"""The one date field of the app: type a UK date, or pick one from a calendar.

What is typed is kept exactly as typed. It is read with the domain's parser
(careplan.models.dates.parse_uk_date: 15/11/2026, 15 Nov 2026, 15 November 2026...), so
a date is either exactly the one typed or refused with a sentence naming the field;
nothing is ever moved to another day (a spin box such as QDateEdit turns "15 Nov 2026"
into 1 Nov, and 31 February into 28 February, as it fixes up each part as it goes).
The calendar button writes the day chosen as text (``15 Nov 2026``).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from careplan.clock import today as england_today
from careplan.models.dates import DATE_FORMS, parse_uk_date
from careplan.ui import text

#: The colour of a problem (as the forms').
PROBLEM_COLOUR = "#b3261e"


class DateField(QWidget):
    """A line for a date and a button that opens a calendar.

    :meth:`value` reads the date (None when empty and optional); it raises ValueError
    naming the field when the text is not a date. ``problem`` is emitted when editing
    finishes with text that is not a date (empty string: the text is fine again).
    """

    problem = Signal(str)
    changed = Signal()

    def __init__(self, name: str, day: date | None = None, *, optional: bool = False,
                 today: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: The field as a refusal names it ("discharged on").
        self.name = name
        self.optional = optional
        self.today = today
        self.edit = QLineEdit(text.fmt_date(day))
        self.edit.setPlaceholderText(self.tr("e.g. %s") % DATE_FORMS.replace(" or ", ", ")
                                     + (self.tr(" (optional)") if optional else ""))
        self.edit.setAccessibleName(name)
        self.edit.setToolTip(self.tr("Type the date as %s, or choose it from the "
                                     "calendar.") % DATE_FORMS)
        self.edit.editingFinished.connect(self._finished)
        self.edit.textChanged.connect(lambda _t: self.changed.emit())
        self.button = QToolButton()
        self.button.setText("▾")
        self.button.setAccessibleName(self.tr("Choose %s from a calendar") % name)
        self.button.setToolTip(self.tr("Choose from a calendar"))
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.clicked.connect(self.open_calendar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)
        self.popup: QWidget | None = None
        self.calendar: QCalendarWidget | None = None

    # -- reading and writing -------------------------------------------------------------

    def text(self) -> str:
        return self.edit.text()

    def setText(self, value: str) -> None:  # noqa: N802 - as QLineEdit's
        self.edit.setText(value)

    def set_date(self, day: date | None) -> None:
        self.edit.setText(text.fmt_date(day))

    def setDate(self, day: QDate | date) -> None:  # noqa: N802 - as QDateEdit's
        if isinstance(day, QDate):
            day = date(day.year(), day.month(), day.day())
        self.set_date(day)

    def value(self) -> date | None:
        """The date typed, or None when the field is empty and optional.

        Raises:
            ValueError: naming the field, when the text is not a date or is missing.
        """
        day = parse_uk_date(self.edit.text(), self.name)
        if day is None and not self.optional:
            raise ValueError(f"{self.name}: is required (write it as {DATE_FORMS})")
        return day

    def problem_text(self) -> str:
        """Why the text is not a date; empty when it is one (or empty and optional)."""
        try:
            self.value()
        except ValueError as exc:
            return str(exc)
        return ""

    def _finished(self) -> None:
        problem = self.problem_text()
        self.edit.setStyleSheet(f"QLineEdit {{ border: 2px solid {PROBLEM_COLOUR}; }}"
                                if problem else "")
        self.problem.emit(problem)

    # -- the calendar ----------------------------------------------------------------------

    def open_calendar(self) -> None:
        """A calendar below the field, on the date typed (else today); the day chosen is
        written into the field as text."""
        try:
            start = self.value() or self.today or england_today()
        except ValueError:
            start = self.today or england_today()
        popup = QWidget(self, Qt.WindowType.Popup)
        calendar = QCalendarWidget(popup)
        calendar.setGridVisible(True)
        calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        calendar.setSelectedDate(QDate(start.year, start.month, start.day))
        calendar.setAccessibleName(self.tr("Calendar for %s") % self.name)
        calendar.activated.connect(lambda q: self._chosen(q))
        calendar.clicked.connect(lambda q: self._chosen(q))
        box = QVBoxLayout(popup)
        box.setContentsMargins(1, 1, 1, 1)
        box.addWidget(calendar)
        popup.adjustSize()
        popup.move(self.mapToGlobal(QPoint(0, self.height())))
        self.popup, self.calendar = popup, calendar
        popup.show()
        calendar.setFocus()

    def _chosen(self, day: QDate) -> None:
        self.setDate(day)
        self._finished()
        if self.popup is not None:
            self.popup.close()
            self.popup.deleteLater()
            self.popup = self.calendar = None
        self.edit.setFocus()


__all__ = ["DateField"]
