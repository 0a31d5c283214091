"""Small dialogs for the deliberate acts: hand over, decline, redirect, refer, decide.

A :class:`StepDialog` is a :class:`~careplan.ui.workspace.forms.RecordForm`: asked
through :meth:`PersonWorkspace.ask <careplan.ui.workspace.PersonWorkspace.ask>` it stays
open, with the note typed, until the store has taken the step, and shows a refusal
below the field it names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtWidgets import QComboBox, QPlainTextEdit, QWidget

from careplan.models.enums import DeclineReason, NeedDomain
from careplan.ui.datefield import DateField
from careplan.ui.workspace.forms import RecordForm, words


class StepDialog(RecordForm):
    """A form with any of: a choice of team/professional, a date, a reason code, a text.

    ``build`` makes the record (or whatever the write needs) from the dialog; by default
    the dialog itself is what it built.
    """

    def __init__(self, title: str, intro: str, parent: QWidget | None = None, *,
                 choice_label: str = "", choices: Sequence[tuple[str, Any]] = (),
                 date_label: str = "", default_date: date | None = None,
                 reason_codes: bool = False, domain: bool = False,
                 text_label: str = "", text_required: bool = False,
                 build: Callable[[StepDialog], Any] | None = None,
                 today: date | None = None) -> None:
        super().__init__(title, intro, lambda _f: self._build(), parent,
                         today=today or default_date)
        self.make = build
        self.text_required = text_required
        self.text_label = text_label
        # The dialog's own widgets, by the names its callers have always used; they
        # stand in for RecordForm's choice() and text(), which it does not need.
        self.choice: QComboBox | None = None  # type: ignore[assignment]
        if choice_label:
            self.choice = self.add_choice("choice", choice_label, choices)
        self.domain: QComboBox | None = None
        if domain:
            self.domain = self.add_choice("domain", self.tr("&Need:"),
                                          [(d.value, d.value) for d in NeedDomain])
        self.date: DateField | None = None
        if date_label:
            self.date = self.add_date("date", date_label, default_date or today)
        self.code: QComboBox | None = None
        if reason_codes:
            self.code = self.add_choice("code", self.tr("&Kind of reason:"),
                                        [(r.value, r.value) for r in DeclineReason])
        self.text: QPlainTextEdit | None = None  # type: ignore[assignment]
        if text_label:
            self.text = self.add_note("text", text_label, also=("reason",))

    def _build(self) -> Any:
        if self.text_required and not self.reason():
            raise ValueError(self.tr("%s: please say why (it is kept in the record).")
                             % words(self.text_label))
        self.day()  # a date that is not one is refused here, next to its field
        return self if self.make is None else self.make(self)

    def _check(self) -> None:
        """Press OK (as the tests and the keyboard do)."""
        self.check()

    def chosen(self) -> Any:
        return self.choice.currentData() if self.choice is not None else None

    def day(self, name: str = "date") -> date | None:  # type: ignore[override]
        """The date typed (None when the dialog asks none).

        Raises:
            ValueError: naming the field, when the text is not a date.
        """
        if self.date is None:
            return None
        return self.date.value()

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
