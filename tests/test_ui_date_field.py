"""The one date field of the app (careplan.ui.datefield.DateField): what is typed is
kept exactly as typed and read as exactly that date, or refused with a sentence naming
the field; nothing is moved to another day. Every date field of the app is one."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication

from careplan.ui.datefield import DateField
from careplan.ui.export_dialogs import AuditDialog
from careplan.ui.workspace.dialogs import StepDialog
from careplan.ui.workspace.forms import RecordForm

UI = Path(__file__).resolve().parent.parent / "careplan" / "ui"


def _typed(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` into a date field as a person would: select what is there, type,
    then leave the field with Tab."""
    widget.setFocus()
    qtbot.keyClick(widget.focusWidget() or widget, Qt.Key.Key_A,
                   Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget.focusWidget() or widget, text)
    qtbot.keyClick(widget.focusWidget() or widget, Qt.Key.Key_Tab)


def _form(qtbot, today: date = date(2026, 11, 30)) -> RecordForm:  # type: ignore[no-untyped-def]
    form = RecordForm("Record consent", "A date field in a form.",
                      lambda f: f.day("recorded"), today=today)
    form.add_date("recorded", "&Recorded on:", today)
    form.add_text("note", "&Note:")
    form.finish()
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    return form


@pytest.mark.parametrize(("typed", "day"), [
    ("15 Nov 2026", date(2026, 11, 15)),  # a calendar field made it 1 Nov 2026
    ("15 November 2026", date(2026, 11, 15)),
    ("15/11/2026", date(2026, 11, 15)),
    ("5/1/2026", date(2026, 1, 5)),
])
def test_a_typed_date_keeps_its_value(qtbot, typed: str, day: date) -> None:  # type: ignore[no-untyped-def]
    form = _form(qtbot)
    _typed(qtbot, form.fields["recorded"], typed)
    assert form.day("recorded") == day
    form.check()
    assert form.built == day and form.result() == RecordForm.DialogCode.Accepted


def test_a_date_that_does_not_exist_is_refused_and_left_as_typed(qtbot) -> None:  # type: ignore[no-untyped-def]
    """31 February was turned into 28 February: now it stays as typed, the sentence
    says why, below the field, and the form stays open."""
    form = _form(qtbot)
    field = form.fields["recorded"]
    assert isinstance(field, DateField)
    for typed, why in (("31 Feb", "Recorded on: '31 Feb' is not a date (the year is missing"),
                       ("31/02/2026", "Recorded on: '31/02/2026' is not a date (February "
                                      "2026 has 28 days)")):
        _typed(qtbot, field, typed)
        assert field.text() == typed
        assert form.error.text().startswith(why)  # said on leaving the field
        row_of_error = form.form.getWidgetPosition(form.error)[0]
        assert row_of_error == form.form.getWidgetPosition(field)[0] + 1  # just below it
        form.check()
        assert form.isVisible() and field.text() == typed and form.built is None
        assert form.error.text().startswith(why)
    _typed(qtbot, field, "28/02/2026")
    assert form.error.text() == ""  # a date again: the sentence goes
    form.check()
    assert form.built == date(2026, 2, 28)


def test_an_empty_date_is_refused_unless_optional(qtbot) -> None:  # type: ignore[no-untyped-def]
    required = DateField("admitted", date(2025, 1, 1))
    optional = DateField("discharged", None, optional=True)
    for f in (required, optional):
        qtbot.addWidget(f)
    required.setText("")
    with pytest.raises(ValueError, match="^admitted: is required"):
        required.value()
    assert optional.value() is None


# A popup asks the platform to raise it and grab the keyboard, which the offscreen
# platform of the tests cannot do (and says so).
@pytest.mark.qt_log_ignore("This plugin does not support raise",
                           "This plugin does not support grabbing the keyboard")
def test_the_calendar_writes_the_day_chosen(qtbot) -> None:  # type: ignore[no-untyped-def]
    field = DateField("due date", date(2026, 11, 15))
    qtbot.addWidget(field)
    field.show()
    field.open_calendar()
    assert field.calendar is not None
    assert field.calendar.selectedDate() == QDate(2026, 11, 15)  # opens on the date typed
    field.calendar.clicked.emit(QDate(2026, 12, 3))
    assert field.text() == "3 Dec 2026" and field.value() == date(2026, 12, 3)
    assert field.popup is None
    field.setText("not a date")
    field.open_calendar()  # a text that is no date opens on today, and is kept until chosen
    assert field.text() == "not a date"
    assert field.popup is not None
    field.popup.close()
    QApplication.processEvents()


def test_a_step_dialog_and_the_audit_dialog_use_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    step = StepDialog("Propose a handoff", "…", choice_label="&To:", choices=[("A", 1)],
                      date_label="&Answer by:", default_date=date(2026, 12, 4),
                      text_label="&Note:")
    qtbot.addWidget(step)
    assert isinstance(step.date, DateField) and step.date.text() == "4 Dec 2026"
    audit = AuditDialog(date(2026, 11, 30), [])
    qtbot.addWidget(audit)
    assert isinstance(audit.start, DateField) and isinstance(audit.end, DateField)
    audit.start.setText("31/11/2026")
    audit.check()
    assert audit.error.text().startswith("From: '31/11/2026' is not a date (November 2026 "
                                         "has 30 days)")
    assert audit.result() != AuditDialog.DialogCode.Accepted


def test_no_date_field_of_the_app_is_a_spin_box() -> None:
    """QDateEdit fixes a date up as it is typed (the defect above): the app uses none; its
    date fields are DateField (forms) or read with the same parser (table cells)."""
    found = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (node.id if isinstance(node, ast.Name) else node.attr
                    if isinstance(node, ast.Attribute) else node.name
                    if isinstance(node, ast.alias) else "")
            if name in ("QDateEdit", "QDateTimeEdit"):
                found.append(f"{path.relative_to(UI.parent.parent)}:{node.lineno}"
                             if hasattr(node, "lineno") else str(path))
    assert found == []
