"""Recording the health side (careplan.store.health_records): stays with their admission
method and Mental Health Act section, continuing healthcare checklists and decisions,
section 117 aftercare plans. Each write is one audited operation that can be undone; a
refusal is one sentence naming the field, and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest

from careplan.models import AftercarePlan, ChcAssessment, HospitalStay, Person
from careplan.models.health import ChcDecision
from careplan.store import InputError, Store, add_many, audit, find, get
from careplan.store.health_records import (
    load_health,
    record_checklist,
    record_decision,
    save_aftercare_plan,
    save_stay,
)
from careplan.store.operations import revert, run
from tests.flag_world import AGENCIES, ASC, GP, HOSP, PROS, SW, member

D = date


@pytest.fixture
def world(store: Store) -> tuple[Store, Person, Person]:
    ada = Person(given_name="Ada", family_name="Lovelace", birth_date=D(1950, 5, 1))
    bob = Person(given_name="Bob", family_name="Other", birth_date=D(1960, 1, 1))
    # Sam Green is on both care teams: stays are recorded by the hospital or the team.
    add_many(store, [*AGENCIES, *PROS, ada, bob, member(SW, ada), member(SW, bob)], "test")
    return store, ada, bob


def _stay(person: Person, section: str | None = "section 3") -> HospitalStay:
    return HospitalStay(person_id=person.id, hospital_id=HOSP.id, admitted_on=D(2025, 1, 1),
                        discharged_on=D(2025, 2, 1), admission_method="emergency",
                        mha_section=section)


def test_a_stay_keeps_its_admission_method_and_section(world) -> None:  # type: ignore[no-untyped-def]
    store, ada, _ = world
    stay = save_stay(store, _stay(ada), SW.id)
    assert get(store, HospitalStay, stay.id).mha_section.value == "section 3"
    changed = save_stay(store, stay.evolve(admission_method="elective"), SW.id)
    assert changed.version == 2
    assert get(store, HospitalStay, stay.id).admission_method.value == "elective"
    with pytest.raises(InputError, match="hospital: Adult Social Care is social care"):
        save_stay(store, _stay(ada).evolve(hospital_id=ASC.id), SW.id)


def test_a_checklist_and_its_decision_are_audited_and_undone(world) -> None:  # type: ignore[no-untyped-def]
    store, ada, _ = world
    chc = ChcAssessment(person_id=ada.id, checklist_on=D(2025, 2, 1), outcome="positive",
                        agency_id=GP.id, received_on=D(2025, 2, 3))
    saved = run(store, lambda s: record_checklist(s, chc, "tester")).value
    done = run(store, lambda s: record_decision(s, saved, ChcDecision.ELIGIBLE,
                                                D(2025, 2, 20), "tester"))
    assert get(store, ChcAssessment, chc.id).decision is ChcDecision.ELIGIBLE
    assert [e.version_after for e in audit.events_for(store, "chc_assessments", chc.id)] == [
        1, 2]
    revert(store, done.changes, "tester")
    assert get(store, ChcAssessment, chc.id).decision is None
    assert load_health(store, ada.id).chc == [get(store, ChcAssessment, chc.id)]


@pytest.mark.parametrize(("change", "words"), [
    ({"agency_id": "ASC"}, "integrated care board: Adult Social Care is social care, not "
                           "an NHS body"),
    ({"stay_id": "BOB"}, "stay: that hospital stay is another person's"),
])
def test_a_checklist_is_refused_naming_the_field(world, change, words) -> None:  # type: ignore[no-untyped-def]
    store, ada, bob = world
    bobs = save_stay(store, _stay(bob), SW.id)
    values = {"ASC": ASC.id, "BOB": bobs.id}
    chc = ChcAssessment(person_id=ada.id, checklist_on=D(2025, 2, 1), outcome="positive",
                        **{k: values[v] for k, v in change.items()})
    before = audit.count(store)
    with pytest.raises(InputError, match=words):
        record_checklist(store, chc, "tester")
    assert audit.count(store) == before and not find(store, ChcAssessment)


def test_a_decision_is_refused_on_a_negative_checklist_twice_or_before_it(world) -> None:  # type: ignore[no-untyped-def]
    store, ada, _ = world
    negative = record_checklist(store, ChcAssessment(
        person_id=ada.id, checklist_on=D(2025, 2, 1), outcome="negative"), "tester")
    with pytest.raises(InputError, match="decision: a negative checklist"):
        record_decision(store, negative, ChcDecision.ELIGIBLE, D(2025, 2, 5), "tester")
    positive = record_checklist(store, ChcAssessment(
        person_id=ada.id, checklist_on=D(2025, 2, 1), outcome="positive"), "tester")
    with pytest.raises(InputError, match="decided on: 2025-01-05 is before checklist on"):
        record_decision(store, positive, ChcDecision.ELIGIBLE, D(2025, 1, 5), "tester")
    decided = record_decision(store, positive, ChcDecision.NOT_ELIGIBLE, D(2025, 2, 5),
                              "tester")
    with pytest.raises(InputError, match="decision: one is already recorded"):
        record_decision(store, decided, ChcDecision.ELIGIBLE, D(2025, 2, 6), "tester")


def test_an_aftercare_plan_names_both_bodies_and_can_be_undone(world) -> None:  # type: ignore[no-untyped-def]
    store, ada, _ = world
    stay = save_stay(store, _stay(ada), SW.id)
    plan = AftercarePlan(person_id=ada.id, stay_id=stay.id, agreed_on=D(2025, 1, 30),
                         nhs_agency_id=GP.id, summary="Depot clinic")
    saved = save_aftercare_plan(store, plan, "tester")
    done = run(store, lambda s: save_aftercare_plan(
        s, saved.evolve(council_agency_id=ASC.id), "tester"))
    assert get(store, AftercarePlan, plan.id).council_agency_id == ASC.id
    revert(store, done.changes, "tester")
    assert get(store, AftercarePlan, plan.id).council_agency_id is None


@pytest.mark.parametrize(("section", "change", "words"), [
    ("section 2", {}, "stay: section 117 aftercare follows detention under section 3, 37, "
                      "45A, 47, 48 of the Mental Health Act; this stay records section 2"),
    (None, {}, "this stay records no detention"),
    ("section 3", {"nhs_agency_id": "ASC"}, "NHS body: Adult Social Care is social care"),
    ("section 37", {"council_agency_id": "GP"}, "local authority: Riverside Surgery is "
                                                "health, not a council's social care"),
])
def test_an_aftercare_plan_is_refused_naming_the_field(world, section, change, words) -> None:  # type: ignore[no-untyped-def]
    store, ada, _ = world
    stay = save_stay(store, _stay(ada, section), SW.id)
    ids = {"ASC": ASC.id, "GP": GP.id}
    plan = AftercarePlan(person_id=ada.id, stay_id=stay.id, agreed_on=D(2025, 1, 30),
                         **{k: ids[v] for k, v in change.items()})
    before = audit.count(store)
    with pytest.raises(InputError, match=words):
        save_aftercare_plan(store, plan, "tester")
    assert audit.count(store) == before and not find(store, AftercarePlan)


def test_aftercare_ends_only_by_both_bodies() -> None:
    with pytest.raises(ValueError, match="ended on: aftercare ends only when"):
        AftercarePlan(person_id="p", stay_id="s", agreed_on=D(2025, 1, 1),
                      nhs_agency_id="n", ended_on=D(2025, 6, 1))
