"""A small form that builds a domain record, and refuses to close while it is invalid.

``build`` turns the form's values into the record; the record's own validation (or
``build``) raises ValueError naming the field, which is shown in the form, right below
that field. With a ``save`` step (see :meth:`RecordForm.saving`) the form stays open,
with everything the user typed, until the store has taken the record; a refusal (a
rule, a lock held too long, someone else's change) is shown in the form instead of
closing it. Every dialog that asks before a write is one of these
(careplan.ui.workspace.dialogs.StepDialog too), so none loses what was typed.

Dates are typed in a :class:`~careplan.ui.datefield.DateField`: exactly the date typed,
or a sentence saying why it is not one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, cast

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from careplan.ui.datefield import PROBLEM_COLOUR, DateField
from careplan.ui.listmodels import ChoiceList

log = logging.getLogger(__name__)

#: Hands the built record to the store: (record, on saved, on refused).
Save = Callable[[Any, Callable[[], None], Callable[[Exception], None]], None]


def words(label: str) -> str:
    """A form label as a refusal names the field: ``"Discharge &ready date:"`` ->
    ``"discharge ready date"``."""
    return label.replace("&&", "\0").replace("&", "").replace("\0", "&").strip() \
        .rstrip(":").strip().lower()


class RecordForm(QDialog):
    """Fields are added by name; :meth:`record` is the built record once accepted."""

    def __init__(self, title: str, intro: str, build: Callable[[RecordForm], Any],
                 parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.build = build
        self.built: Any = None
        #: The day date fields open their calendar on when they are empty.
        self.today = today
        self.fields: dict[str, QWidget] = {}
        #: What a refusal may call each field (its name, label and aliases) -> field name.
        self._names: dict[str, str] = {}
        self.form = QFormLayout(self)
        note = QLabel(intro)
        note.setWordWrap(True)
        self.form.addRow(note)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {PROBLEM_COLOUR}")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Why it cannot be saved"))
        #: The field the error sits below (None: above the buttons).
        self.error_field: str | None = None
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.check)
        self.buttons.rejected.connect(self.reject)
        self._save: Save | None = None
        self.is_saving = False
        self._finished = False

    # -- fields ------------------------------------------------------------------------------

    def _row(self, name: str, label: str, widget: QWidget, also: Iterable[str] = ()) -> None:
        widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        self.fields[name] = widget
        for alias in (name.replace("_", " "), words(label), *also):
            self._names.setdefault(alias.lower(), name)
        self.form.addRow(label, widget)

    def add_text(self, name: str, label: str, value: str = "", hint: str = "",
                 also: Iterable[str] = ()) -> QLineEdit:
        edit = QLineEdit(value)
        edit.setPlaceholderText(hint)
        self._row(name, label, edit, also)
        return edit

    def add_note(self, name: str, label: str, value: str = "", lines: int = 4,
                 also: Iterable[str] = ()) -> QPlainTextEdit:
        """A text of several lines (Tab moves on, as in the other fields)."""
        edit = QPlainTextEdit(value)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(self.fontMetrics().height() * lines + 12)
        self._row(name, label, edit, also)
        return edit

    def add_choice(self, name: str, label: str,
                   choices: Sequence[tuple[str, Any]], current: Any = None,
                   also: Iterable[str] = ()) -> QComboBox:
        combo = QComboBox()
        for text, value in choices:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        self._row(name, label, combo, also)
        return combo

    def add_check(self, name: str, label: str, checked: bool = False,
                  also: Iterable[str] = ()) -> QCheckBox:
        box = QCheckBox(label)
        box.setChecked(checked)
        self.fields[name] = box
        for alias in (name.replace("_", " "), words(label), *also):
            self._names.setdefault(alias.lower(), name)
        self.form.addRow(box)
        return box

    def add_checklist(self, name: str, label: str, choices: Sequence[tuple[str, Any]],
                      checked: Iterable[Any] = (), also: Iterable[str] = ()) -> ChoiceList:
        """Several of a list (funding streams, agencies): each a checkable line."""
        box = ChoiceList(checkable=True)
        box.set_rows(choices, checked)
        box.setFixedHeight(min(6, max(2, len(choices))) * (self.fontMetrics().height() + 6)
                           + 6)
        self._row(name, label, box, also)
        return box

    def add_date(self, name: str, label: str, day: date | None, *, optional: bool = False,
                 also: Iterable[str] = ()) -> DateField:
        """A date typed UK-style or chosen from a calendar (:class:`DateField`); empty
        is allowed only when ``optional``."""
        field = DateField(words(label), day, optional=optional, today=self.today)
        field.problem.connect(lambda problem, n=name: self._date_problem(n, problem))
        self._row(name, label, field, also)
        return field

    def add_widget(self, name: str, label: str, widget: QWidget,
                   also: Iterable[str] = ()) -> QWidget:
        self._row(name, label, widget, also)
        return widget

    def finish(self) -> None:
        """Call once the fields are added: the error line and the buttons go last."""
        if self._finished:
            return
        self._finished = True
        self.form.addRow(self.error)
        self.form.addRow(self.buttons)

    def exec(self) -> int:
        self.finish()
        return super().exec()

    # -- values --------------------------------------------------------------------------------

    def text(self, name: str) -> str:
        widget = self.fields[name]
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText().strip()
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def choice(self, name: str) -> Any:
        widget = self.fields[name]
        assert isinstance(widget, QComboBox)
        return widget.currentData()

    def checked(self, name: str) -> Any:
        """A check box's state, or the values ticked in a checklist (in its order)."""
        widget = self.fields[name]
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        assert isinstance(widget, ChoiceList)
        return widget.choices.checked_values()

    def day(self, name: str) -> date:
        """The date typed in a required date field.

        Raises:
            ValueError: naming the field, when it is empty or not a date.
        """
        day = self.day_or_none(name)
        if day is None:  # pragma: no cover - a required field raises in value()
            raise ValueError(f"{words(name)}: is required")
        return day

    def day_or_none(self, name: str) -> date | None:
        """The date typed in a date field; None when an optional one is empty."""
        widget = self.fields[name]
        assert isinstance(widget, DateField)
        return widget.value()

    # -- checking and saving -------------------------------------------------------------------

    def saving(self, save: Save) -> None:
        """Save the built record through ``save`` before closing (see the module)."""
        self._save = save

    def check(self) -> None:
        """Build the record; on a ValueError show it (next to the field it names) and
        stay open. Then save it, if a save step was given, and close once it is saved."""
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
        self._place_error(None)
        self.error.setText(self.tr("Saving…"))
        try:
            self._save(self.built, self._saved, self._not_saved)
        except ValueError as exc:  # the write could not even be put together
            self._not_saved(exc)

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

    def field_named(self, message: str) -> str | None:
        """The field a refusal names (``"discharged on: …"``), if it is one of the form's:
        by its name, its label or an alias, or the longest of those the message's field
        begins with."""
        head, sep, _ = message.partition(":")
        if not sep:
            return None
        key = head.strip().lower()
        if key in self._names:
            return self._names[key]
        starts = [k for k in self._names if key.startswith(k + " ")]
        return self._names[max(starts, key=len)] if starts else None

    def _say(self, message: str) -> None:
        """Show ``message`` below the field it names (else above the buttons), and put
        the cursor in that field; what was typed stays as it was."""
        name = self.field_named(message)
        self._place_error(name)
        self.error.setText(message[:1].upper() + message[1:])
        if name is not None:
            self.fields[name].setFocus()

    def _date_problem(self, name: str, problem: str) -> None:
        """A date field finished with text that is not a date: say so below it at once
        (and take the sentence away once it is a date)."""
        if problem:
            self._place_error(name)
            self.error.setText(problem[:1].upper() + problem[1:])
        elif self.error_field == name:
            self.error.setText("")

    def _place_error(self, name: str | None) -> None:
        """Move the error line below the field ``name`` (None: above the buttons)."""
        if not self._finished or name == self.error_field:
            return
        row = self._row_of(self.error)
        if row >= 0:
            self.form.takeRow(row)
        at = self._row_of(self.buttons) if name is None \
            else self._row_of(self.fields[name]) + 1
        self.form.insertRow(at, self.error)
        self.error.show()
        self.error_field = name

    def _row_of(self, widget: QWidget) -> int:
        position = cast(tuple[int, Any], self.form.getWidgetPosition(widget))
        return int(position[0])

    def reject(self) -> None:
        if not self.is_saving:  # the save decides: closing now would hide its outcome
            super().reject()
