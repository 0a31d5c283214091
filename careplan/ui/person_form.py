"""Registering a person, and correcting a person's details.

Both ask in a :class:`~careplan.ui.workspace.forms.RecordForm` (it stays open with what
was typed until the store has taken it, and says why below the field when it will not).
Before a person is registered the stored persons who may be them are listed in the form
(careplan.store.persons.possible_duplicates: the same NHS number, or the same date of
birth and a similar name): one can be opened instead, or the person registering says
none of them is this person, and the registration goes ahead. A correction is an
undoable edit of the person's workspace, audited with the values before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Person
from careplan.models import permissions as rules
from careplan.models.enums import AgencyKind
from careplan.models.facts import Directory
from careplan.models.matching import SAME_NHS_NUMBER
from careplan.models.nhs import format_334
from careplan.models.plausibility import birth_date_problem
from careplan.store import persons
from careplan.store.changes import Done
from careplan.store.persons import PossibleDuplicate
from careplan.store.visibility import viewer_of
from careplan.ui import text
from careplan.ui.datefield import PROBLEM_COLOUR
from careplan.ui.listmodels import ChoiceList
from careplan.ui.workspace.forms import RecordForm

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace


class DuplicatesPanel(QWidget):
    """The stored persons who may be the one being registered: open one instead, or say
    that none of them is this person."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Possible duplicates"))
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet(f"color: {PROBLEM_COLOUR}")
        self.list = ChoiceList()
        self.list.setAccessibleName(self.tr("Persons already recorded who may be this person"))
        self.list.setFixedHeight(self.fontMetrics().height() * 4 + 12)
        self.list.setWordWrap(True)  # a whole line is read: name, birth, NHS number, why
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.open_button = QPushButton(self.tr("&Open their record instead"))
        self.someone_else = QCheckBox(self.tr("None of these is the person I am &registering"))
        row = QHBoxLayout()
        row.addWidget(self.someone_else, 1)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list)
        layout.addLayout(row)
        #: The ids listed (the store is told these were seen).
        self.shown: frozenset[str] = frozenset()
        self.hide()

    def show_duplicates(self, found: Sequence[PossibleDuplicate]) -> None:
        self.list.set_rows([(dup.describe(), dup.person.id) for dup in found])
        self.list.set_current_row(0)
        same = any(d.reason == SAME_NHS_NUMBER for d in found)
        self.title.setText(
            self.tr("This NHS number is already recorded: open that record.") if same else
            self.tr("Already recorded with the same date of birth and a similar name — is "
                    "this one of them?"))
        self.someone_else.setVisible(not same)
        self.someone_else.setChecked(False)
        self.shown = frozenset(d.person.id for d in found)
        self.show()

    def chosen_id(self) -> str | None:
        chosen = self.list.current_value()
        return None if chosen is None else str(chosen)


def _gp_practices(directory: Directory, none: str) -> list[tuple[str, Any]]:
    found = sorted((a.name, a.id) for a in directory.agencies.values()
                   if a.kind is AgencyKind.GP_PRACTICE)
    return [(none, None), *found]


def _fields(form: RecordForm, person: Person | None, directory: Directory,
            places: Sequence[str]) -> None:
    """The fields of a person, filled from ``person`` when it is given."""
    tr = form.tr
    form.add_text("given", tr("&Given name:"), person.given_name if person else "",
                  also=("given name",))
    form.add_text("family", tr("&Family name:"), person.family_name if person else "",
                  also=("family name",))
    form.add_date("birth", tr("Date of &birth:"), person.birth_date if person else None,
                  also=("birth date", "date of birth"))
    form.add_text("nhs", tr("&NHS number:"),
                  format_334(person.nhs_number) if person and person.nhs_number else "",
                  hint=tr("10 digits, e.g. 943 476 5919 (optional)"), also=("nhs number",))
    form.add_choice("gp", tr("&GP practice:"), _gp_practices(directory, tr("— not recorded —")),
                    person.gp_practice_id if person else None, also=("gp practice",))
    form.add_text("address", tr("&Address:"), person.address if person else "",
                  hint=tr("e.g. 12 Mill Lane, Riverside"))
    form.add_choice("neighbourhood", tr("Neigh&bourhood:"),
                    [(tr("— not recorded —"), "")] + [(p, p) for p in places],
                    person.neighbourhood if person else "")
    form.add_text("la_id", tr("&Local authority id:"),
                  person.local_authority_id if person else "", hint=tr("optional"),
                  also=("local authority id",))
    form.add_note("matters", tr("&What matters to me:"), person.what_matters if person else "",
                  lines=3, also=("what matters",))


def _values(form: RecordForm, today: date) -> dict[str, Any]:
    """The person's fields as typed (the NHS number with or without its spaces).

    Raises:
        ValueError: naming the field: no date of birth, an implausible one.
    """
    born = form.day("birth")
    problem = birth_date_problem(born, today)
    if problem:
        raise ValueError(problem)
    nhs = form.text("nhs")
    return {"given_name": form.text("given"), "family_name": form.text("family"),
            "birth_date": born, "nhs_number": nhs or None,
            "gp_practice_id": form.choice("gp"), "address": form.text("address"),
            "neighbourhood": form.choice("neighbourhood") or "",
            "local_authority_id": form.text("la_id"), "what_matters": form.text("matters")}


# -- registering ------------------------------------------------------------------------------


def register_form(window: Any) -> RecordForm | None:
    """Ask for a new person in ``window`` (the main window, signed in): shown, and saved
    through the window's writer once no possible duplicate is left unanswered. Returns
    the form (already closed) or None when the actor may not register anyone."""
    store = window.store
    if store is None or window.account is None:
        return None
    tr = window.tr
    allowed = may_register(window)
    if not allowed:
        QMessageBox.warning(window, tr("Not allowed"), allowed.reason)
        return None
    today: date = window.today()
    directory = window.directory_now()
    panel = DuplicatesPanel()
    actor = window.actor_id()

    def build(f: RecordForm) -> tuple[Person, frozenset[str], bool]:
        person = Person(**_values(f, today))
        found = persons.possible_duplicates(store, person, viewer_of(store, window.account),
                                            today)
        same = [d for d in found if d.reason == SAME_NHS_NUMBER]
        if same:
            panel.show_duplicates(same)
            d = same[0].person
            if not same[0].shared:
                raise ValueError(tr("NHS number: %s is already recorded for a person whose "
                                    "record is not shared with your agency; ask their lead "
                                    "professional, or use emergency access if the need is "
                                    "urgent") % format_334(d.nhs_number or ""))
            raise ValueError(tr("NHS number: %s is already recorded for %s, born %s; open "
                                "their record instead") % (
                format_334(d.nhs_number or ""), d.name, text.fmt_date(d.birth_date)))
        ids = frozenset(d.person.id for d in found)
        if ids and (panel.shown != ids or not panel.someone_else.isChecked()):
            if panel.shown != ids:
                panel.show_duplicates(found)
            raise ValueError(tr("possible duplicate: check the persons listed; open one, or "
                                "tick “None of these is the person I am registering”"))
        if not ids:
            panel.hide()
        return person, ids, bool(f.checked("join"))

    form = RecordForm(tr("Register a person"), tr(
        "A person not yet on record. Their NHS number can be typed with or without spaces; "
        "persons already recorded with it, or with the same date of birth and a similar "
        "name, are listed before anything is saved."), build, window, today=today)
    _fields(form, None, directory, persons.neighbourhoods(store))
    form.add_widget("duplicates", "", panel, also=("possible duplicate",))
    form.add_check("join", tr("Add &me to their care team"), True)

    def open_instead() -> None:
        chosen = panel.chosen_id()
        if chosen is not None:
            form.reject()
            window.open_person(chosen)

    panel.open_button.clicked.connect(open_instead)

    def save(built: tuple[Person, frozenset[str], bool], saved: Any, refused: Any) -> None:
        person, seen, join = built

        def ok(result: Done[Any]) -> None:
            saved()
            window.person_registered(result.value.id)

        window.edits.runner.submit(
            tr("Register %s") % person.name,
            lambda s: persons.register_person(s, person, actor, seen=seen,
                                              join_team_on=today if join else None),
            done=ok, failed=refused, owner=form)

    form.saving(save)
    form.finish()
    form.exec()
    return form


def may_register(window: Any) -> rules.Decision:
    """Whether the account signed in to ``window`` may register a person."""
    decision: rules.Decision = window.may_register()
    return decision


# -- correcting -------------------------------------------------------------------------------


def edit_person(ws: PersonWorkspace) -> bool:
    """Correct the person's details: an undoable edit, audited before and after."""
    if not ws.require_actor():
        return False
    allowed = rules.edit_person(ws.who, ws.care_team(), ws.pf.directory)
    if not allowed:
        ws.refused(allowed.reason)
        return False
    tr, stored, today = ws.tr, ws.pf.person, ws.today

    def build(f: RecordForm) -> Person:
        return stored.evolve(**_values(f, today))

    form = RecordForm(tr("Change %s's details") % stored.name, tr(
        "Correct the name, date of birth, NHS number or other details. The change is "
        "recorded in the History tab with what it was before."), build, ws, today=today)
    _fields(form, stored, ws.pf.directory, persons.neighbourhoods(ws.store))
    actor = ws.actor_id()
    return ws.ask(form, tr("Change %s's details") % stored.name,
                  lambda person: lambda s: persons.edit_person(s, person, actor))


__all__ = ["DuplicatesPanel", "edit_person", "may_register", "register_form"]
