"""Plausible dates (careplan.models.plausibility): nothing about a person is dated before
they were born; what records something that happened (consent recorded, an admission, a
discharge, an assessment completed...) is not dated in the future; a date of birth is
neither in the future nor more than 125 years ago. The same pure rules refuse a record
in the store (one sentence, nothing written) and in the app's forms."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import one_of_each

from careplan.demo.build import build_demo
from careplan.models import (
    BY_TABLE,
    Action,
    Consent,
    HospitalStay,
    Person,
)
from careplan.models.base import Entity, field_specs
from careplan.models.plausibility import (
    NOT_IN_FUTURE,
    birth_date_problem,
    check_dates,
    date_problems,
)
from careplan.store import InputError, Store, add, add_many, find, get, update
from careplan.store.digest import content_digest
from careplan.store.plausible import birth_of

TODAY = date(2025, 3, 10)
BORN = date(1950, 5, 1)


def _date_fields(entity: Entity) -> list[str]:
    return [s.name for s in field_specs(type(entity)) if s.kind in (date, datetime)]


def _replace(entity: Entity, name: str, value: object) -> Entity:
    """A copy with one date changed, skipping the record's own order checks (an end
    before a start is another rule's sentence)."""
    copy = dataclasses.replace(entity)
    object.__setattr__(copy, name, value)
    return copy


PERSONS_RECORDS = [e for e in one_of_each()
                   if e.TABLE not in ("persons", "agencies", "professionals", "joint_budgets",
                                      "budget_contributions", "funding_streams")]


def test_the_sample_records_are_plausible() -> None:
    for entity in PERSONS_RECORDS:
        assert date_problems(entity, BORN, TODAY) == [], entity.TABLE


@pytest.mark.parametrize("entity", PERSONS_RECORDS, ids=lambda e: e.TABLE)
def test_no_date_of_a_persons_record_is_before_their_birth(entity: Entity) -> None:
    for name in _date_fields(entity):
        if getattr(entity, name) is None:
            continue
        early = _replace(entity, name, _as(getattr(entity, name), BORN - timedelta(days=1)))
        problems = date_problems(early, BORN, TODAY)
        assert problems, f"{entity.TABLE}.{name}"
        assert problems[0].endswith("is before the person was born (1 May 1950)")
        on_the_day = _replace(entity, name, _as(getattr(entity, name), BORN))
        assert not [p for p in date_problems(on_the_day, BORN, TODAY)
                    if "born" in p], f"{entity.TABLE}.{name}: the day of birth is allowed"


def _as(value: object, day: date) -> object:
    return datetime.combine(day, value.time()) if isinstance(value, datetime) else day


@pytest.mark.parametrize("entity", PERSONS_RECORDS, ids=lambda e: e.TABLE)
def test_only_what_has_happened_is_refused_in_the_future(entity: Entity) -> None:
    past_only = NOT_IN_FUTURE.get(entity.TABLE, frozenset())
    for name in _date_fields(entity):
        if getattr(entity, name) is None:
            continue
        ahead = _replace(entity, name, _as(getattr(entity, name), TODAY + timedelta(days=1)))
        problems = date_problems(ahead, BORN, TODAY)
        if name in past_only:
            assert problems and "is in the future (today is 10 Mar 2025)" in problems[0], name
        else:
            assert problems == [], f"{entity.TABLE}.{name} may lie ahead"
        today = _replace(entity, name, _as(getattr(entity, name), TODAY))
        assert date_problems(today, BORN, TODAY) == [], f"{entity.TABLE}.{name} today"


def test_the_dates_named_in_the_issue() -> None:
    consent = next(e for e in PERSONS_RECORDS if e.TABLE == "consents")
    with pytest.raises(ValueError, match=r"^recorded on: 11 Mar 2025 is in the future "
                                         r"\(today is 10 Mar 2025\)$"):
        check_dates(consent.evolve(recorded_on=date(2025, 3, 11)), BORN, TODAY)
    action = next(e for e in PERSONS_RECORDS if isinstance(e, Action))
    with pytest.raises(ValueError, match=r"^due date: 1 Jan 1940 is before the person was "
                                         r"born \(1 May 1950\)$"):
        check_dates(action.evolve(due_date=date(1940, 1, 1)), BORN, TODAY)
    stay = next(e for e in PERSONS_RECORDS if isinstance(e, HospitalStay))
    with pytest.raises(ValueError, match="^discharged on: 12 Mar 2025 is in the future"):
        check_dates(stay.evolve(discharged_on=date(2025, 3, 12)), BORN, TODAY)
    # A discharge ready date may be set ahead, as planned.
    check_dates(stay.evolve(discharge_ready_on=date(2025, 4, 1)), BORN, TODAY)


def test_a_date_of_birth_in_the_future_or_too_long_ago() -> None:
    assert birth_date_problem(date(2025, 3, 11), TODAY) == (
        "date of birth: 11 Mar 2025 is in the future (today is 10 Mar 2025)")
    assert birth_date_problem(date(1899, 3, 9), TODAY) == (
        "date of birth: 9 Mar 1899 would make the person 126 years old; check the year")
    assert birth_date_problem(date(1900, 3, 10), TODAY) is None  # 125 today
    assert birth_date_problem(TODAY, TODAY) is None


# -- the store -----------------------------------------------------------------------------


@pytest.fixture
def filled(store: Store) -> Store:
    add_many(store, one_of_each(), "test")
    store.clock = lambda: datetime(2025, 3, 10, 12, tzinfo=UTC)
    return store


def _person(store: Store) -> Person:
    return find(store, Person)[0]


def test_the_store_refuses_an_implausible_date_and_writes_nothing(filled: Store) -> None:
    person = _person(filled)
    agency = find(filled, Consent)[0].agency_id
    recorder = find(filled, Consent)[0].recorded_by
    before = content_digest(filled)
    with pytest.raises(InputError, match=r"^recorded on: 11 Mar 2025 is in the future"):
        add(filled, Consent(person_id=person.id, agency_id=agency, status="given",
                            recorded_on=date(2025, 3, 11), recorded_by=recorder), "test")
    action = find(filled, Action)[0]
    with pytest.raises(InputError, match=r"^due date: 30 Apr 1950 is before the person was "
                                         r"born \(1 May 1950\)$"):
        update(filled, action.evolve(due_date=date(1950, 4, 30)), "test")
    with pytest.raises(InputError, match=r"^date of birth: 1 Jan 2026 is in the future"):
        update(filled, person.evolve(birth_date=date(2026, 1, 1)), "test")
    assert content_digest(filled) == before
    # Today itself is no future: the store's today is the date in England by its clock.
    add(filled, Consent(person_id=person.id, agency_id=agency, status="given",
                        recorded_on=date(2025, 3, 10), recorded_by=recorder), "test")


def test_a_change_is_checked_on_the_dates_it_changes(filled: Store) -> None:
    """A record stored before these rules (an import, an old store) with a date before
    the birth can still have its other fields changed; the bad date cannot be kept by
    changing it to another bad one."""
    person = _person(filled)
    plan_id = find(filled, Action)[0].plan_id
    old = Action(plan_id=plan_id, description="Old record", due_date=date(1940, 1, 1))
    add_many(filled, [old], "import")  # bulk loads are the importer's to check
    stored = get(filled, Action, old.id)
    changed = update(filled, stored.evolve(description="Old record, reworded"), "test")
    assert changed.due_date == date(1940, 1, 1)
    with pytest.raises(InputError, match="before the person was born"):
        update(filled, changed.evolve(due_date=date(1941, 1, 1)), "test")
    assert birth_of(filled, changed) == person.birth_date


def test_every_persons_record_finds_its_date_of_birth(filled: Store) -> None:
    """The store finds whose record it is for every table that holds a person's dates."""
    tables = {e.TABLE for e in PERSONS_RECORDS if _date_fields(e)}
    for table in sorted(tables):
        records = find(filled, BY_TABLE[table])
        assert records, table
        assert {birth_of(filled, r) for r in records} == {BORN}, table


def test_the_demo_is_plausible() -> None:
    """Every record of the demo (built through the bulk path, which these rules do not
    check) is plausible on the demo's today: the app can change any of them."""
    today = date(2026, 11, 22)
    s = Store.open(":memory:")
    try:
        build_demo(s, persons=150, seed=7, today=today)
        births = {p.id: p.birth_date for p in find(s, Person)}
        found = []
        for cls in BY_TABLE.values():
            if cls.TABLE in ("persons", "accounts", "sign_ins") or not any(
                    spec.kind in (date, datetime) for spec in field_specs(cls)):
                continue
            for record in find(s, cls):
                birth = birth_of(s, record)
                assert birth is None or birth in births.values()
                found += [f"{cls.TABLE}: {p}" for p in date_problems(record, birth, today)]
        for person in find(s, Person):
            problem = birth_date_problem(person.birth_date, today)
            if problem:
                found.append(problem)
        assert found == []
    finally:
        s.close()
