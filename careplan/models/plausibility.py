"""Plausible dates: a date about a person is not before they were born, and a date
that records something that has happened is not in the future.

Which dates record what has happened (consent recorded, an admission, a discharge, an
assessment completed, a referral sent...) is :data:`NOT_IN_FUTURE`; every other date of
a person's records may lie ahead (a due date, a review, a target, a discharge ready
date, which may be set ahead as planned, the last day of a care team membership).
Every date of a person's records, of either kind, falls on or after their date of birth.

Pure: ``today`` and the date of birth are passed in. The desktop app's forms check a
record with these rules before saving it, and the store checks them again on every
write (careplan.store.repo), so a refusal reads the same wherever it comes from: one
sentence naming the field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime

from careplan.models.base import Entity, field_specs, label
from careplan.models.dates import age_on, uk_date

#: The dates, per table, that record something that has already happened.
NOT_IN_FUTURE: Mapping[str, frozenset[str]] = {
    "consents": frozenset({"recorded_on"}),
    "conditions": frozenset({"onset_date"}),
    "assessments": frozenset({"requested_on", "completed_on"}),
    "care_plans": frozenset({"created_on", "activated_on", "closed_on", "reviewed_on"}),
    "case_conferences": frozenset({"held_at", "ended_at"}),
    "plan_signoffs": frozenset({"signed_at"}),
    "plan_versions": frozenset({"issued_at"}),
    "handoffs": frozenset({"proposed_at", "answered_at"}),
    "referrals": frozenset({"sent_on"}),
    "referral_events": frozenset({"occurred_on"}),
    "hospital_stays": frozenset({"admitted_on", "discharged_on"}),
    "delay_reasons": frozenset({"recorded_on"}),
    "chc_assessments": frozenset({"checklist_on", "received_on", "decided_on"}),
    "aftercare_plans": frozenset({"agreed_on", "ended_on"}),
    "action_costs": frozenset({"disputed_since"}),
    "carers": frozenset({"recorded_on", "end_date"}),
    "safeguarding_concerns": frozenset({"received_on", "decided_on"}),
}

#: Dates that are not about one person: no date of birth bounds them.
_NOT_A_PERSONS = frozenset({"agencies", "professionals", "joint_budgets",
                            "budget_contributions", "funding_streams", "accounts",
                            "sign_ins", "rule_overrides"})

#: How a person names a field whose name says more than it should ("held at" is a day).
_WORDS = {
    "held_at": "held on", "ended_at": "ended on", "signed_at": "signed on",
    "issued_at": "issued on", "proposed_at": "proposed on", "answered_at": "answered on",
    "birth_date": "date of birth", "end_date": "last day",
}

#: The oldest a person on record can plausibly be: a date of birth further back is
#: taken for a mistyped year.
OLDEST_AGE = 125


def field_words(name: str) -> str:
    """A date field as a person says it: ``held_at`` -> ``held on``."""
    return _WORDS.get(name, label(name))


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def birth_date_problem(birth: date, today: date) -> str | None:
    """Why a date of birth cannot be right (in the future, or over 125 years ago)."""
    if birth > today:
        return (f"date of birth: {uk_date(birth)} is in the future (today is "
                f"{uk_date(today)})")
    age = age_on(birth, today)
    if age > OLDEST_AGE:
        return (f"date of birth: {uk_date(birth)} would make the person {age} years old; "
                "check the year")
    return None


def date_problems(entity: Entity, birth: date | None, today: date,
                  fields: Collection[str] | None = None) -> list[str]:
    """Why the dates of ``entity`` cannot be right, one sentence each naming the field
    (empty: they are plausible). ``birth`` is the date of birth of the person the record
    is about (None: not known, or not a person's record); ``fields`` limits the check
    to those fields (the ones a change touched), all the record's dates by default."""
    table = entity.TABLE
    problems: list[str] = []
    if table == "persons":
        born = getattr(entity, "birth_date", None)
        if born is not None and (fields is None or "birth_date" in fields):
            problem = birth_date_problem(born, today)
            if problem:
                problems.append(problem)
        return problems
    past_only = NOT_IN_FUTURE.get(table, frozenset())
    bounded = table not in _NOT_A_PERSONS
    for spec in field_specs(type(entity)):
        if spec.kind not in (date, datetime) or (fields is not None
                                                 and spec.name not in fields):
            continue
        value = getattr(entity, spec.name)
        if value is None:
            continue
        day, name = _day(value), field_words(spec.name)
        if spec.name in past_only and day > today:
            problems.append(f"{name}: {uk_date(day)} is in the future (today is "
                            f"{uk_date(today)})")
        elif bounded and birth is not None and day < birth:
            problems.append(f"{name}: {uk_date(day)} is before the person was born "
                            f"({uk_date(birth)})")
    return problems


def check_dates(entity: Entity, birth: date | None, today: date,
                fields: Collection[str] | None = None) -> None:
    """Refuse a record whose dates cannot be right (:func:`date_problems`).

    Raises:
        ValueError: the first problem, one sentence naming the field.
    """
    problems = date_problems(entity, birth, today, fields)
    if problems:
        raise ValueError(problems[0])


__all__ = ["NOT_IN_FUTURE", "OLDEST_AGE", "birth_date_problem", "check_dates",
           "date_problems", "field_words"]
