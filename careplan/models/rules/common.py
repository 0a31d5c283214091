"""What every rule shares: the evaluation context, each rule's candidate query, plan and
team helpers, wording."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from careplan.models.enums import PlanStatus
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.people import Agency, CareTeamMember
from careplan.models.plan import CarePlan
from careplan.models.thresholds import Thresholds
from careplan.models.workdays import ENGLAND_AND_WALES, WorkingDays

#: Plans that are agreed and in use (a draft is still being written).
IN_FORCE = (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)

#: The same statuses as an SQL list, for the candidate queries.
IN_FORCE_SQL = "(" + ", ".join(f"'{status.value}'" for status in IN_FORCE) + ")"

#: SQL for "care team member ``m`` is active on :today" (``CareTeamMember.active_on``).
ACTIVE_MEMBER_SQL = "m.start_date <= :today AND (m.end_date IS NULL OR m.end_date >= :today)"


def _no_params(today: date, thresholds: Thresholds) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Candidates:
    """The SQL that picks every person a rule *might* flag today: never fewer than the
    rule flags (more is fine: the rule stays the one judge), so that only those persons
    are read and put through the rules. It is defined beside its rule, so that the two
    change together.

    Text only (models never touch the database): ``store.flagcandidates`` runs it. ``sql``
    selects person ids; it may use ``:today`` and each name ``params`` returns, which
    derives those values from today and the thresholds as the rule does.
    ``needs_open_plan``: the rule flags only persons with an open care plan, so the
    candidates are kept to those; a rule about a situation open in itself (a referral, a
    hospital stay) flags a person whose plan was closed too.
    """

    code: FlagCode
    sql: str
    params: Callable[[date, Thresholds], dict[str, Any]] = _no_params
    needs_open_plan: bool = True


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a rule needs besides the person's facts."""

    today: date
    thresholds: Thresholds
    calendar: WorkingDays = field(default=ENGLAND_AND_WALES)


def day(d: date) -> str:
    """A date as people write it: ``3 March 2025``."""
    return f"{d.day} {d:%B %Y}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def open_plans(facts: PersonFacts) -> list[CarePlan]:
    """Plans not closed. A person with none has no open case, and so no flags."""
    return [p for p in facts.plans if p.status is not PlanStatus.CLOSED]


def current_plan(facts: PersonFacts) -> CarePlan | None:
    """The person's open plan (the newest, should there be more than one)."""
    plans = open_plans(facts)
    if not plans:
        return None
    return max(plans, key=lambda p: (p.created_on, p.id))


def plans_in_force(facts: PersonFacts) -> list[CarePlan]:
    return [p for p in facts.plans if p.status in IN_FORCE]


def active_team(facts: PersonFacts, today: date) -> list[CareTeamMember]:
    return [m for m in facts.team if m.active_on(today)]


def team_agency_ids(facts: PersonFacts, today: date) -> set[str]:
    """Ids of the agencies of the active care team (cheap: no names, no sorting)."""
    pros = facts.directory.professionals
    return {p.agency_id for m in facts.team
            if m.active_on(today) and (p := pros.get(m.professional_id)) is not None
            and p.agency_id in facts.directory.agencies}


def team_agencies(facts: PersonFacts, today: date) -> dict[str, tuple[Agency, list[str]]]:
    """Agencies of the active care team: id -> (agency, member names), by agency name."""
    found: dict[str, tuple[Agency, list[str]]] = {}
    for member in active_team(facts, today):
        agency = facts.directory.agency_of(member.professional_id)
        if agency is None:
            continue
        entry = found.setdefault(agency.id, (agency, []))
        entry[1].append(facts.directory.professional_name(member.professional_id))
    return dict(sorted(found.items(), key=lambda kv: (kv[1][0].name, kv[0])))


def joined_on(facts: PersonFacts, agency_id: str, today: date) -> date:
    """When the agency's earliest active member joined the care team."""
    starts = [
        m.start_date for m in active_team(facts, today)
        if (a := facts.directory.agency_of(m.professional_id)) is not None and a.id == agency_id
    ]
    return min(starts) if starts else today


def flag(
    facts: PersonFacts,
    code: FlagCode,
    severity: Severity,
    subject: tuple[SubjectType, str],
    since: date,
    due: date | None,
    message: str,
    evidence: dict[str, Any],
) -> Flag:
    person = facts.person
    return Flag(
        code=code,
        severity=severity,
        person_id=person.id,
        nhs_number=person.nhs_number,
        person_name=person.name,
        subject_type=subject[0],
        subject_id=subject[1],
        since=since,
        due=due,
        message=message,
        evidence=evidence,
    )


def iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def names(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    seq = list(items)
    if len(seq) <= 1:
        return "".join(seq)
    return ", ".join(seq[:-1]) + " and " + seq[-1]
