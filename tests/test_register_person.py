"""Registering a person and correcting their details (careplan.store.persons,
careplan.ui.person_form): the NHS number typed with or without spaces and checked with
Modulus 11; persons already recorded with the NHS number, or with the same date of birth
and a similar name, listed before anything is saved; who may register and who may
correct; a correction audited before and after, shown in History and undone."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QApplication, QWidget
from ui_helpers import file_settings, settle, sign_in, switch_user, when_modal

from careplan.models import CareTeamMember, Person
from careplan.models.matching import similar_names
from careplan.store import InputError, NotAllowedError, StaleWriteError, Store, find, get
from careplan.store.audit import events_for
from careplan.store.digest import content_digest
from careplan.store.operations import run
from careplan.store.persons import edit_person, possible_duplicates, register_person
from careplan.ui.mainwindow import MainWindow
from careplan.ui.person_form import DuplicatesPanel
from careplan.ui.workspace.forms import RecordForm

TODAY = ui_world.TODAY


def _new(**values: Any) -> Person:
    fields: dict[str, Any] = {"given_name": "Grace", "family_name": "Adeyemi",
                              "birth_date": date(1961, 4, 12)}
    fields.update(values)
    return Person(**fields)


@pytest.fixture
def world(store: Store) -> tuple[Store, ui_world.World]:
    return store, ui_world.build(store)


# -- the matching rule --------------------------------------------------------------------------


@pytest.mark.parametrize(("one", "other", "similar"), [
    (("Margaret", "Wood"), ("Marg", "Wood"), True),  # shortened
    (("M", "Wood"), ("Margaret", "Wood"), True),  # an initial
    (("Margaret", "Wood"), ("MARGARET", "wood"), True),
    (("Margaret", "O'Brien-Wood"), ("Margaret", "Wood O'Brien"), True),
    (("Margaret", "Wood"), ("Margaret", "Okafor"), True),  # a family name changed
    (("Wood", "Margaret"), ("Margaret", "Wood"), True),  # written the wrong way round
    (("Jack", "Wood"), ("Emily", "Wood"), False),  # twins are two persons
    (("Anna", "Smith"), ("Anne", "Smyth"), False),  # never by sound
])
def test_similar_names(one: tuple[str, str], other: tuple[str, str], similar: bool) -> None:
    assert similar_names(*one, *other) is similar
    assert similar_names(*other, *one) is similar


# -- the store ----------------------------------------------------------------------------------


def test_a_practitioner_registers_a_person_and_joins_the_team(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    person = _new(nhs_number="943 476 5870", address="4 Canal Street",
                  what_matters="Staying near my sister")
    done = run(store, lambda s: register_person(s, person, w.nina_nurse, join_team_on=TODAY))
    saved = get(store, Person, done.value.id)
    assert saved.nhs_number == "9434765870"  # typed 3-3-4, kept as ten digits
    assert saved.what_matters == "Staying near my sister"
    member = find(store, CareTeamMember, person_id=saved.id)[0]
    assert (member.professional_id, member.start_date, member.is_lead) == (
        w.nina_nurse, TODAY, False)
    assert done.changes.person_ids == {saved.id}
    assert [e.actor for e in events_for(store, "persons", saved.id)] == [w.nina_nurse]


def test_who_may_register(world) -> None:  # type: ignore[no-untyped-def]
    store, _ = world
    from signin import ensure_account

    admin = ensure_account(store)  # an administrator's account of no professional
    before = content_digest(store)
    for actor in (f"account:{admin.id}", "someone-unknown"):
        with pytest.raises(NotAllowedError, match="^Only a professional signed in to their "
                                                  "own account may register a person.$"):
            register_person(store, _new(), actor)
    assert content_digest(store) == before


def test_an_nhs_number_is_checked_and_never_recorded_twice(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    with pytest.raises(ValueError, match="^NHS number: 943 476 5871 fails the Modulus 11"):
        _new(nhs_number="943 476 5871")
    with pytest.raises(ValueError, match="^NHS number: '94347' is not ten digits"):
        _new(nhs_number="94347")
    before = content_digest(store)
    with pytest.raises(InputError, match=r"^NHS number: 943 476 5919 is already recorded for "
                                         r"Jordan Baker, born 2 Jun 2007; open their record"):
        register_person(store, _new(nhs_number="9434765919"), w.nina_nurse)
    assert content_digest(store) == before


def test_a_similar_person_is_listed_and_registered_only_once_seen(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    older = get(store, Person, w.older)  # Margaret Wood, born 20 Jan 1938
    twin = _new(given_name="Marg", family_name="Wood", birth_date=older.birth_date)
    found = possible_duplicates(store, twin)
    assert [(d.person.id, d.reason) for d in found] == [
        (w.older, "the same date of birth and a similar name")]
    assert found[0].describe() == ("Margaret Wood, born 20 Jan 1938, NHS number 401 023 2137 "
                                   "(the same date of birth and a similar name)")
    before = content_digest(store)
    with pytest.raises(InputError, match="^possible duplicate: Margaret Wood, born 20 Jan 1938"):
        register_person(store, twin, w.nina_nurse)
    assert content_digest(store) == before
    # Another similar person recorded meanwhile: what was seen no longer covers it.
    third = register_person(store, _new(given_name="Margaret", family_name="Wood",
                                        birth_date=older.birth_date), w.nina_nurse,
                            seen={w.older})
    with pytest.raises(InputError, match="^possible duplicate: Margaret Wood"):
        register_person(store, twin, w.nina_nurse, seen={w.older})
    saved = register_person(store, twin, w.nina_nurse, seen={w.older, third.id})
    assert get(store, Person, saved.id).given_name == "Marg"


def test_a_date_of_birth_must_be_plausible(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    with pytest.raises(InputError, match="^date of birth: 4 Jan 1890 would make the person "):
        register_person(store, _new(birth_date=date(1890, 1, 4)), w.nina_nurse)


def test_a_correction_is_audited_before_and_after(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    older = get(store, Person, w.older)
    fixed = edit_person(store, older.evolve(family_name="Woods", birth_date=date(1938, 1, 21)),
                        w.nina_nurse)  # on her care team
    last = events_for(store, "persons", w.older)[-1]
    assert (last.before["family_name"], last.after["family_name"]) == ("Wood", "Woods")
    assert (last.before["birth_date"], last.after["birth_date"]) == ("1938-01-20",
                                                                    "1938-01-21")
    assert last.actor == w.nina_nurse
    with pytest.raises(StaleWriteError):
        edit_person(store, older.evolve(given_name="Peggy"), w.nina_nurse)  # read before
    with pytest.raises(NotAllowedError, match="^Only a member of an agency on the care team "
                                              r"\(Adult Social Care or Riverside Surgery\) or a "
                                              "manager may change this person's details.$"):
        edit_person(store, fixed.evolve(given_name="Peggy"), w.carl_cpn)
    with pytest.raises(InputError, match="^NHS number: 943 476 5919 is already recorded"):
        edit_person(store, fixed.evolve(nhs_number="9434765919"), w.nina_nurse)


# -- the app ------------------------------------------------------------------------------------


@pytest.fixture
def app(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    store = Store.open(path)
    w = ui_world.build(store)
    store.close()
    win = MainWindow(file_settings(tmp_path), today=lambda: TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, w.nina_nurse)
    other = Store.open(path)
    yield win, w, other
    other.close()


def _press_ok(form: RecordForm) -> None:
    form.check()
    while form.is_saving:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def _type(form: RecordForm, values: dict[str, str]) -> None:
    for name, value in values.items():
        widget = form.fields[name]
        if hasattr(widget, "findData"):
            widget.setCurrentIndex(widget.findData(value))  # type: ignore[attr-defined]
        elif hasattr(widget, "setPlainText"):
            widget.setPlainText(value)  # type: ignore[attr-defined]
        else:
            widget.setText(value)  # type: ignore[attr-defined]


def test_register_from_the_caseload_with_a_possible_duplicate(qtbot, qtmodeltester, app) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+N on the caseload: a person who may be Margaret Wood is listed before saving;
    once "none of these" is ticked the person is registered, listed in the caseload and
    opened, with Nina in their care team."""
    win, w, other = app
    assert win.caseload is not None and win.caseload.register.isEnabled()
    shown: dict[str, Any] = {}

    def fill(widget: QWidget) -> None:
        assert isinstance(widget, RecordForm)
        form = widget
        _type(form, {"given": "Marg", "family": "Wood", "birth": "20/1/1938",
                     "nhs": "943 476 5870", "gp": w.gp, "address": "4 Canal Street",
                     "matters": "Staying near my sister"})
        _press_ok(form)
        panel = form.fields["duplicates"]
        assert isinstance(panel, DuplicatesPanel)
        listed = panel.list.choices
        qtmodeltester.check(listed)
        shown["first"] = (form.isVisible(), form.error.text(), form.error_field,
                          [listed.text(i) for i in range(listed.rowCount())],
                          panel.chosen_id())
        panel.someone_else.setChecked(True)
        _press_ok(form)
        shown["closed"] = not form.isVisible()

    when_modal(fill)
    qtbot.keyClick(win.caseload, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    settle(win)
    assert shown["first"] == (
        True, "Possible duplicate: check the persons listed; open one, or tick “None of these "
        "is the person I am registering”", "duplicates",
        ["Margaret Wood, born 20 Jan 1938, NHS number 401 023 2137 (the same date of birth "
         "and a similar name)"], w.older)
    assert shown["closed"]
    new = next(p for p in find(other, Person) if p.given_name == "Marg")
    assert (new.nhs_number, new.gp_practice_id, new.address) == ("9434765870", w.gp,
                                                                  "4 Canal Street")
    assert [m.professional_id for m in find(other, CareTeamMember, person_id=new.id)] == [
        w.nina_nurse]
    ws = win.current_workspace()
    assert ws is not None and ws.person_id == new.id
    assert win.model is not None and win.model.row_of(new.id) >= 0  # listed in the caseload


def test_open_the_existing_record_instead(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    """The same NHS number: it cannot be registered again, and the record is opened."""
    win, w, other = app
    count = len(find(other, Person))
    said: list[str] = []

    def fill(widget: QWidget) -> None:
        assert isinstance(widget, RecordForm)
        _type(widget, {"given": "Jordan", "family": "Baker", "birth": "2 June 2007",
                       "nhs": "9434765919"})
        _press_ok(widget)
        said.append(widget.error.text())
        panel = widget.fields["duplicates"]
        assert isinstance(panel, DuplicatesPanel) and not panel.someone_else.isVisible()
        panel.open_button.click()

    when_modal(fill)
    win.act_register.trigger()
    settle(win)
    assert said == ["NHS number: 943 476 5919 is already recorded for Jordan Baker, born "
                    "2 Jun 2007; open their record instead"]
    assert win.current_workspace().person_id == w.teen
    assert len(find(other, Person)) == count


def test_only_a_professional_may_register(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    win, w, _ = app
    switch_user(qtbot, win, None)  # the administrator, who belongs to no professional
    assert not win.act_register.isEnabled()
    assert win.act_register.toolTip() == ("Only a professional signed in to their own account "
                                          "may register a person.")
    assert win.caseload is not None and not win.caseload.register.isEnabled()


def test_edit_details_shows_in_history_and_is_undone(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    win, w, other = app
    ws = win.open_person(w.older)
    assert ws.header.edit.isEnabled()
    errors: list[str] = []

    def fill(widget: QWidget) -> None:
        assert isinstance(widget, RecordForm)
        _type(widget, {"family": "Woods", "birth": "31/02/1938"})
        _press_ok(widget)
        errors.append(widget.error.text())
        _type(widget, {"birth": "21 Jan 1938", "nhs": "943 476 5919"})
        _press_ok(widget)  # Jordan's number: the store refuses, in the form
        errors.append(widget.error.text())
        _type(widget, {"nhs": "401 023 2137"})
        _press_ok(widget)

    when_modal(fill)
    ws.header.edit.click()
    settle(win)
    assert errors == [
        "Date of birth: '31/02/1938' is not a date (February 1938 has 28 days)",
        "NHS number: 943 476 5919 is already recorded for another person"]
    stored = get(other, Person, w.older)
    assert (stored.family_name, stored.birth_date) == ("Woods", date(1938, 1, 21))
    assert ws.header.name.text() == "Margaret Woods"
    assert win.tabs.tabText(win.tabs.indexOf(ws)) == "Margaret Woods"
    ws.tabs.setCurrentWidget(ws.history_tab)
    changes = [ws.history_tab.model.index(r, 3).data()
               for r in range(ws.history_tab.model.rowCount())]
    assert any("Family name: Wood → Woods" in c  # in words, dates the British way
               and "Date of birth: 20 Jan 1938 → 21 Jan 1938" in c for c in changes), changes
    win.act_undo.trigger()
    settle(win)
    assert get(other, Person, w.older).family_name == "Wood"


def test_someone_not_on_the_team_may_not_edit(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    win, w, _ = app
    switch_user(qtbot, win, w.carl_cpn)  # mental health: not on Margaret's team
    ws = win.open_person(w.older)
    assert not ws.header.edit.isEnabled()
    assert ws.header.edit.toolTip().startswith("Only a member of an agency on the care team")
