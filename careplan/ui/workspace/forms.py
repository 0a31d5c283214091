"""A small form that builds a domain record, and refuses to close while it is invalid.

``build`` turns the form's values into the record; the record's own validation (or
``build``) raises ValueError naming the field, which is shown in the form. With a
``save`` step (see :meth:`RecordForm.saving`) the form stays open, with everything the
user typed, until the store has taken the record; a refusal (a lock held too long,
someone else's change) is shown in the form instead of closing it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

log = logging.getLogger(__name__)

#: Hands the built record to the store: (record, on saved, on refused).
Save = Callable[[Any, Callable[[], None], Callable[[Exception], None]], None]


class RecordForm(QDialog):
    """Fields are added by name; :meth:`record` is the built record once accepted."""

    def __init__(self, title: str, intro: str, build: Callable[[RecordForm], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.build = build
        self.built: Any = None
        self.fields: dict[str, QWidget] = {}
        self.form = QFormLayout(self)
        note = QLabel(intro)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Why it cannot be saved"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.check)
        self.buttons.rejected.connect(self.reject)
        self._save: Save | None = None
        self.is_saving = False

    def _row(self, name: str, label: str, widget: QWidget) -> None:
        widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        self.fields[name] = widget
        self.form.addRow(label, widget)

    def add_text(self, name: str, label: str, value: str = "", hint: str = "") -> QLineEdit:
        edit = QLineEdit(value)
        edit.setPlaceholderText(hint)
        self._row(name, label, edit)
        return edit

    def add_choice(self, name: str, label: str,
                   choices: Sequence[tuple[str, Any]], current: Any = None) -> QComboBox:
        combo = QComboBox()
        for text, value in choices:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        self._row(name, label, combo)
        return combo

    def add_date(self, name: str, label: str, day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("d MMM yyyy")
        self._row(name, label, edit)
        return edit

    def finish(self) -> None:
        """Call once the fields are added: the error line and the buttons go last."""
        self.form.addRow(self.error)
        self.form.addRow(self.buttons)

    def text(self, name: str) -> str:
        widget = self.fields[name]
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def choice(self, name: str) -> Any:
        widget = self.fields[name]
        assert isinstance(widget, QComboBox)
        return widget.currentData()

    def day(self, name: str) -> date:
        widget = self.fields[name]
        assert isinstance(widget, QDateEdit)
        q = widget.date()
        return date(q.year(), q.month(), q.day())

    def saving(self, save: Save) -> None:
        """Save the built record through ``save`` before closing (see the module)."""
        self._save = save

    def check(self) -> None:
        """Build the record; on a ValueError show it (naming the field) and stay open.
        Then save it, if a save step was given, and close once it is saved."""
        if self.is_saving:
            return
        try:
            self.built = self.build(self)
        except ValueError as exc:
            self._say(str(exc))
            return
        if self._save is None:
            self.accept()
            return
        self.is_saving = True
        self.buttons.setEnabled(False)
        self.error.setText(self.tr("Saving…"))
        self._save(self.built, self._saved, self._not_saved)

    def _saved(self) -> None:
        self.is_saving = False
        self.accept()

    def _not_saved(self, error: Exception) -> None:
        self.is_saving = False
        self.buttons.setEnabled(True)
        if isinstance(error, ValueError | OSError) or type(error).__module__.startswith(
                "careplan.store"):
            self._say(str(error))
        else:
            log.error("Unexpected error while saving", exc_info=error)
            self._say(self.tr("An unexpected error stopped the save; it was logged."))

    def _say(self, message: str) -> None:
        self.error.setText(message[:1].upper() + message[1:])

    def reject(self) -> None:
        if not self.is_saving:  # the save decides: closing now would hide its outcome
            super().reject()
