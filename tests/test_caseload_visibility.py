"""Whose records a professional sees (careplan.store.visibility): a professional of an
agency the person refused consent to does not see the person in the caseload, in search,
behind the dashboard's figures, in flags or in exports; an administrator's account of no
agency sees no one; emergency access ("break glass") opens the record for that day, is
audited, and is reported to the lead professional until reviewed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import ui_world

from careplan.export.audience import audience_of
from careplan.export.plan_pdf import plan_pdf
from careplan.models import Consent
from careplan.models.enums import ConsentStatus
from careplan.models.flags import FlagCode
from careplan.store import Store, add, emergency, flagdata
from careplan.store import caseload as q
from careplan.store import dashboard as figures
from careplan.store.audit import events_for
from careplan.store.errors import InputError, NotAllowedError
from careplan.store.person_file import load_person_file
from careplan.store.visibility import (
    NotSharedError,
    Viewer,
    shareable_persons,
    viewer_for,
    viewer_of,
    visible_ids,
)

TODAY = ui_world.TODAY
REFUSED_ON = TODAY - timedelta(days=7)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Store, ui_world.World]:
    """The neighbourhood in a store file; Margaret Wood (``older``) refused consent to the
    Community Mental Health Team a week ago. Her lead professional is Nina Clarke (adult
    social care); the team's CPN, Carl Hughes, is not in her care team."""
    store = Store.open(str(tmp_path / "care.db"))
    w = ui_world.build(store, extra_persons=3)
    add(store, Consent(person_id=w.older, agency_id=w.mh_team, status=ConsentStatus.REFUSED,
                       recorded_on=REFUSED_ON, recorded_by=w.nina_nurse), "test")
    yield store, w
    store.close()


def caseload(store: Store, agency_id: str | None, **kw: object) -> list[str]:
    query = q.CaseloadQuery(viewer_agency_id=agency_id, **kw)  # type: ignore[arg-type]
    return q.person_ids(store, query, TODAY)


def test_the_refused_agency_does_not_list_or_find_the_person(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    assert w.older in caseload(store, w.gp)
    assert w.older not in caseload(store, w.mh_team)
    assert len(caseload(store, w.mh_team)) == len(caseload(store, w.gp)) - 1
    assert caseload(store, w.gp, search="Wood") == [w.older]
    assert caseload(store, w.mh_team, search="Wood") == []
    assert caseload(store, w.mh_team, search="401 023 2137") == []  # her NHS number
    # Nor through another filter, or a list of ids asked for by name.
    assert w.older not in caseload(store, w.mh_team, professional_id=w.nina_nurse)
    assert caseload(store, w.mh_team, person_ids=frozenset({w.older})) == []


def test_before_the_refusal_the_agency_saw_her(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    before = REFUSED_ON - timedelta(days=1)
    assert w.older in q.person_ids(store, q.CaseloadQuery(viewer_agency_id=w.mh_team), before)


def test_an_account_of_no_agency_sees_no_one(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    assert caseload(store, None) == []
    nobody = viewer_of(store, None)
    assert not nobody.sees_anyone
    with pytest.raises(NotSharedError, match="belongs to no professional"):
        load_person_file(store, w.teen, viewer=nobody, today=TODAY)
    assert visible_ids(store, nobody, [w.teen, w.older], TODAY) == set()


def test_the_person_file_refuses_in_one_sentence(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    carl = viewer_for(store, w.carl_cpn)
    assert carl.agency_id == w.mh_team
    with pytest.raises(NotSharedError) as err:
        load_person_file(store, w.older, viewer=carl, today=TODAY)
    message = str(err.value)
    assert "not shared with Community Mental Health Team" in message
    assert "consent refused on 3 Mar 2025" in message
    assert message.count(". ") == 0 and message.endswith(".")
    pf = load_person_file(store, w.older, viewer=viewer_for(store, w.nina_nurse), today=TODAY)
    assert pf.person.id == w.older and pf.opened_in_emergency is None


def test_dashboard_figures_count_only_visible_persons(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    seen_by_gp = shareable_persons(store, w.gp, TODAY)
    seen_by_mh = shareable_persons(store, w.mh_team, TODAY)
    assert w.older in seen_by_gp and w.older not in seen_by_mh
    # Margaret's delayed discharge is behind a bar for the practice, not for the team.
    by_days, by_agency = figures.delayed_discharges(store, TODAY, seen_by_gp)
    assert any(w.older in bar.person_ids for bar in by_days + by_agency)
    by_days, by_agency = figures.delayed_discharges(store, TODAY, seen_by_mh)
    assert not any(w.older in bar.person_ids for bar in by_days + by_agency)
    assert sum(bar.value for bar in by_days) == 0


def test_flags_of_the_refused_agency_leave_her_out(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    persons = [w.teen, w.older, w.dual]
    assert visible_ids(store, Viewer(w.mh_team), persons, TODAY) == {w.teen, w.dual}
    assert visible_ids(store, Viewer(w.gp), persons, TODAY) == set(persons)


def test_a_print_for_the_reader_refuses_a_person_they_may_not_see(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    carl = viewer_for(store, w.carl_cpn)
    out = tmp_path / "plan.pdf"
    with pytest.raises(NotSharedError):
        plan_pdf(store, w.older, out, printed_by="Carl Hughes", today=TODAY,
                 audience=audience_of(store, w.mh_team), reader=carl)
    assert not out.exists()


def test_break_glass_opens_the_record_for_the_day_and_is_audited(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    carl = viewer_for(store, w.carl_cpn)
    at = datetime.combine(TODAY, datetime.min.time()).replace(hour=2, minute=15)
    with pytest.raises(InputError, match="reason"):
        emergency.open_in_emergency(store, w.older, "urgent", w.carl_cpn, at)
    access = emergency.open_in_emergency(
        store, w.older, "Found confused at home at night; needed her medicines list.",
        w.carl_cpn, at)
    # Who, whose, why, when: in the record and in its audit event.
    assert (access.professional_id, access.person_id, access.agency_id) == (
        w.carl_cpn, w.older, w.mh_team)
    assert access.opened_at == at and "medicines" in access.reason
    events = events_for(store, "emergency_accesses", access.id)
    assert events and events[0].actor == w.carl_cpn
    # The record opens to Carl today, and says why; not tomorrow, not in his caseload.
    pf = load_person_file(store, w.older, viewer=carl, today=TODAY)
    assert pf.opened_in_emergency is not None and pf.opened_in_emergency.id == access.id
    with pytest.raises(NotSharedError):
        load_person_file(store, w.older, viewer=carl, today=TODAY + timedelta(days=1))
    assert w.older not in caseload(store, w.mh_team)


def test_break_glass_is_reported_to_the_lead_until_reviewed(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    at = datetime.combine(TODAY, datetime.min.time()).replace(hour=2, minute=15)
    access = emergency.open_in_emergency(
        store, w.older, "Found confused at home at night; needed her medicines list.",
        w.carl_cpn, at)
    flags = flagdata.caseload_flags(store, TODAY, person_ids=[w.older],
                                    codes={FlagCode.BREAK_GLASS})
    assert [f.code for f in flags] == [FlagCode.BREAK_GLASS]
    assert "Carl Hughes of Community Mental Health Team" in flags[0].message
    assert "Nina Clarke (the lead professional) reviews it" in flags[0].message
    # Only the lead professional (or a manager of the team's agencies) reviews it.
    later = at + timedelta(hours=7)
    with pytest.raises(NotAllowedError):
        emergency.review(store, access, "Seen", w.carl_cpn, later)
    emergency.review(store, access, "Appropriate: she was found confused at night.",
                     w.nina_nurse, later)
    assert flagdata.caseload_flags(store, TODAY, person_ids=[w.older],
                                   codes={FlagCode.BREAK_GLASS}) == []


def test_break_glass_is_for_records_one_may_not_see_and_for_professionals(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    at = datetime(2025, 3, 10, 9, 0)
    with pytest.raises(InputError, match="shared with your agency"):
        emergency.open_in_emergency(store, w.older, "Checking something quickly today",
                                    w.nina_nurse, at)
    from signin import ensure_account

    admin = ensure_account(store)
    with pytest.raises(NotAllowedError, match="Only a professional"):
        emergency.open_in_emergency(store, w.older, "Checking something quickly today",
                                    f"account:{admin.id}", at)


def test_a_later_consent_lets_the_agency_see_her_again(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    add(store, Consent(person_id=w.older, agency_id=w.mh_team, status=ConsentStatus.GIVEN,
                       recorded_on=TODAY - timedelta(days=1), recorded_by=w.nina_nurse), "test")
    assert w.older in caseload(store, w.mh_team)


# -- the app ----------------------------------------------------------------------------


@pytest.fixture
def app_world(tmp_path: Path) -> tuple[Path, ui_world.World]:
    """The neighbourhood in a file; Margaret Wood refused the Community Mental Health Team,
    and Jordan Baker refused it too (for the handoff below)."""
    path = tmp_path / "app.db"
    with Store.open(str(path)) as store:
        w = ui_world.build(store)
        for person in (w.older, w.teen):
            add(store, Consent(person_id=person, agency_id=w.mh_team,
                               status=ConsentStatus.REFUSED, recorded_on=REFUSED_ON,
                               recorded_by=w.nina_nurse), "test")
    return path, w


def _window(qtbot, tmp_path: Path, path: Path, professional: str):  # type: ignore[no-untyped-def]
    from ui_helpers import file_settings, sign_in

    from careplan.ui.mainwindow import MainWindow

    win = MainWindow(file_settings(tmp_path), today=lambda: TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, professional)
    return win


def _listed(win) -> set[str]:  # type: ignore[no-untyped-def]
    from careplan.ui.caseload_model import PERSON_ID_ROLE

    model = win.model
    return {model.index(r, 0).data(PERSON_ID_ROLE) for r in range(model.rowCount())}


def test_the_apps_caseload_and_search_leave_her_out(qtbot, tmp_path, app_world) -> None:  # type: ignore[no-untyped-def]
    from ui_helpers import when_modal

    path, w = app_world
    win = _window(qtbot, tmp_path, path, w.carl_cpn)
    listed = _listed(win)
    assert w.dual in listed and w.older not in listed and w.teen not in listed
    win.caseload.search.setText("Wood")
    win.caseload.apply_filters()
    assert win.model.rowCount() == 0
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))
    assert win.open_person(w.older) is None  # asked by id: refused in one sentence
    assert seen and "not shared with Community Mental Health Team" in seen[0]
    win.close()


def test_handing_an_action_to_an_agency_she_refused_asks_first(qtbot, tmp_path,  # type: ignore[no-untyped-def]
                                                              app_world) -> None:
    from PySide6.QtWidgets import QMessageBox
    from ui_helpers import when_modal

    path, w = app_world
    win = _window(qtbot, tmp_path, path, w.sam_social)
    ws = win.open_person(w.teen)
    assert ws is not None
    tab = ws.handoffs_tab
    assert tab.confirm_sharing(w.adult_care, "the action") is True  # shared: no question
    texts: list[str] = []

    def answer(label: str):  # type: ignore[no-untyped-def]
        def press(box: QMessageBox) -> None:
            texts.append(box.text())
            button = next(b for b in box.buttons() if label in b.text().replace("&", ""))
            button.click()
        return press

    when_modal(answer("Cancel"))
    assert tab.confirm_sharing(w.mh_team, "the action") is False
    assert "consent refused on 3 Mar 2025" in texts[0]
    when_modal(answer("Hand over anyway"))
    assert tab.confirm_sharing(w.mh_team, "the action") is True
    win.close()


def test_my_work_lists_only_persons_shared_with_my_agency(world) -> None:  # type: ignore[no-untyped-def]
    from careplan.store.mywork import WorkKind, my_work

    store, w = world
    nina = viewer_for(store, w.nina_nurse)
    before = my_work(store, w.nina_nurse, TODAY)
    assert [i.person_id for i in before if i.kind is WorkKind.HANDOFF] == [w.teen]
    add(store, Consent(person_id=w.teen, agency_id=nina.agency_id,
                       status=ConsentStatus.REFUSED, recorded_on=TODAY,
                       recorded_by=w.sam_social), "test")
    after = my_work(store, w.nina_nurse, TODAY)
    assert w.teen not in {i.person_id for i in after}
    assert after == [i for i in before if i.person_id != w.teen]


def test_registering_a_person_gives_the_registering_agency_a_direct_care_basis(world) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from careplan.models import Person
    from careplan.models.enums import LegalBasis
    from careplan.store import find
    from careplan.store.persons import register_person

    store, w = world
    nina = viewer_for(store, w.nina_nurse)
    person = register_person(store, Person(given_name="Grace", family_name="Adeyemi",
                                           birth_date=date(1961, 4, 12)), w.nina_nurse,
                             join_team_on=TODAY)
    [basis] = find(store, Consent, person_id=person.id)
    assert (basis.agency_id, basis.status, basis.basis, basis.recorded_on) == (
        nina.agency_id, ConsentStatus.LEGAL_BASIS, LegalBasis.DIRECT_CARE, TODAY)
    assert person.id in caseload(store, nina.agency_id)
    load_person_file(store, person.id, viewer=nina, today=TODAY)  # she may open it
    # No other agency is given anything.
    assert person.id not in caseload(store, w.gp)
    assert person.id not in caseload(store, w.mh_team)


def test_registering_names_no_one_the_registering_agency_may_not_see(world) -> None:  # type: ignore[no-untyped-def]
    """Margaret Wood refused the mental health team: when its CPN types her NHS number, or
    her date of birth and name, to register someone, he learns that such a record exists
    (so nobody is registered twice) but not her name, date of birth or NHS number."""
    from careplan.models import Person
    from careplan.store import get
    from careplan.store.persons import possible_duplicates, register_person

    store, w = world
    her = get(store, Person, w.older)
    same_number = Person(given_name="Pat", family_name="Other", birth_date=her.birth_date,
                         nhs_number=her.nhs_number)
    with pytest.raises(InputError) as refused:
        register_person(store, same_number, w.carl_cpn)
    said = str(refused.value)
    assert "not shared with your agency" in said
    assert her.family_name not in said and her.given_name not in said
    twin = Person(given_name=her.given_name, family_name=her.family_name,
                  birth_date=her.birth_date)
    carl = viewer_for(store, w.carl_cpn)
    [found] = possible_duplicates(store, twin, carl, TODAY)
    assert not found.shared
    assert her.family_name not in found.describe()
    assert "not shared with your agency" in found.describe()
    # Her own lead professional's agency is told who she is.
    [seen] = possible_duplicates(store, twin, viewer_for(store, w.nina_nurse), TODAY)
    assert seen.shared and her.family_name in seen.describe()
