"""``mh-coordinator-missing``: coexisting severe mental illness and substance misuse, in
the care of a mental health team, and no care coordinator working in mental health
services.

Sources: NICE quality standard QS188 (coexisting severe mental illness and substance
misuse, 2019), statement 3: people aged 14 and over with both "have a care coordinator
working in mental health services when they are identified as needing treatment from
secondary care mental health services"; NICE NG58 (a care coordinator in secondary care
mental health services, care led from mental health services). Severe mental illness
is told from a mental health condition's code: the value set "severe-mental-illness"
(ICD-10 F20-F31 and MH_COD's SNOMED CT concepts) of ``resources/condition_codes.toml``
(an uncoded condition named as one of its terms counts); substance misuse is the
substance use domain, which every code of the set "substance-use" (F10-F19 and its
concepts) is given when recorded. Thresholds in ``rules.toml``, ``[mhcoordinator]``.

Choices where the statement leaves one: "in secondary care mental health services"
means a member of the active care team works for a mental health team (an agency of
kind "mental health": a community mental health team, CAMHS, a ward); the "care
coordinator working in mental health services" is a member of such a team whose role in
the care team is care coordinator, or who is the lead professional. Provisional
diagnoses count (NICE NG58 covers suspected as well as known severe mental illness). The
flag does not need an open care plan: the person is in mental health care whatever
their plan.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.dates import nth_birthday
from careplan.models.enums import AgencyKind, NeedDomain, Role
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.people import CareTeamMember
from careplan.models.rules.common import (
    ACTIVE_MEMBER_SQL,
    Candidates,
    Context,
    day,
    flag,
    names,
)
from careplan.models.thresholds import Thresholds

_MH = AgencyKind.MENTAL_HEALTH.value
_CC = Role.CARE_COORDINATOR.value


def _in_mh_team(alias: str, member: str) -> str:
    """SQL: care team member ``member`` works for a mental health team."""
    return (f"SELECT 1 FROM professionals {alias}p JOIN agencies {alias}a "
            f"ON {alias}a.id = {alias}p.agency_id WHERE {alias}p.id = {member}.professional_id "
            f"AND {alias}a.kind = '{_MH}'")


#: Candidates for ``mh_coordinator_missing``: an active condition of the substance use
#: domain and one of the mental health domain (the rule tells from its code whether it
#: is a severe mental illness), an active member of a mental health team in the care
#: team and none of them its care coordinator or lead, and the
#: ``mhcoordinator.min_age`` birthday reached (with a day's margin). The conditions and
#: the coordinators and leads are read from partial covering indexes (migration 20: their
#: conditions are the text here, ``clinical_status = 'active'`` and the lead or role
#: test, which SQLite must find in the query to use them).
MH_COORDINATOR_MISSING_SQL = (
    "SELECT c.person_id FROM conditions c "
    f"WHERE c.domain = '{NeedDomain.SUBSTANCE_USE.value}' AND c.clinical_status = 'active' "
    "AND EXISTS (SELECT 1 FROM conditions s WHERE s.person_id = c.person_id "
    f"AND s.domain = '{NeedDomain.MENTAL_HEALTH.value}' AND s.clinical_status = 'active') "
    "AND EXISTS (SELECT 1 FROM persons x WHERE x.id = c.person_id AND x.birth_date <= :born_by) "
    "AND EXISTS (SELECT 1 FROM care_team_members m WHERE m.person_id = c.person_id "
    f"AND {ACTIVE_MEMBER_SQL} AND EXISTS ({_in_mh_team('x', 'm')})) "
    "AND NOT EXISTS (SELECT 1 FROM care_team_members k WHERE k.person_id = c.person_id "
    f"AND {ACTIVE_MEMBER_SQL.replace('m.', 'k.')} "
    f"AND (k.is_lead = 1 OR k.role = '{_CC}') AND EXISTS ({_in_mh_team('y', 'k')}))"
)


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return date(today.year - years, 2, 28)


def _params(today: date, t: Thresholds) -> dict[str, Any]:
    born_by = _years_before(today, t.mhcoordinator_min_age) + timedelta(days=1)
    return {"born_by": born_by.isoformat()}


MH_COORDINATOR_MISSING = Candidates(FlagCode.MH_COORDINATOR_MISSING,
                                    MH_COORDINATOR_MISSING_SQL, _params,
                                    needs_open_plan=False)


def _mental_health(facts: PersonFacts, member: CareTeamMember) -> bool:
    agency = facts.directory.agency_of(member.professional_id)
    return agency is not None and agency.kind is AgencyKind.MENTAL_HEALTH


def _coordinates(member: CareTeamMember) -> bool:
    return member.is_lead or member.role is Role.CARE_COORDINATOR


def mh_coordinator_missing(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag a person from the ``mhcoordinator.min_age`` birthday with an active severe
    mental illness and an active substance use disorder, in the care of a mental health
    team, none of whose members in the care team coordinates it: a warning, critical
    once more than ``mhcoordinator.critical_days`` have passed."""
    t, today = ctx.thresholds, ctx.today
    person = facts.person
    from_age = nth_birthday(person.birth_date, t.mhcoordinator_min_age)
    if from_age > today:
        return []
    mh_team = [m for m in facts.team if m.active_on(today) and _mental_health(facts, m)]
    if not mh_team or any(_coordinates(m) for m in mh_team):
        return []
    smi = facts.health.severe_mental_illness(facts.conditions)
    misuse = facts.health.substance_misuse(facts.conditions)
    if not smi or not misuse:
        return []
    d = facts.directory
    in_care_from = min(m.start_date for m in mh_team)
    left = [m.end_date for m in facts.team
            if m.end_date is not None and m.end_date < today and _coordinates(m)
            and _mental_health(facts, m)]
    last_left = max(left, default=None)
    onsets = [min(dates) for dates in (
        [c.onset_date for c in smi if c.onset_date is not None],
        [c.onset_date for c in misuse if c.onset_date is not None]) if dates]
    coexisting_from = max(onsets) if len(onsets) == 2 else None
    starts = [in_care_from, from_age]
    if last_left is not None:
        starts.append(last_left + timedelta(days=1))
    if coexisting_from is not None:
        starts.append(coexisting_from)
    since = min(max(starts), today)
    critical_from = since + timedelta(days=t.mhcoordinator_critical_days + 1)
    critical = today >= critical_from
    teams = sorted({d.agency_name(d.professionals[m.professional_id].agency_id)
                    for m in mh_team if m.professional_id in d.professionals})
    why = (f"the last care coordinator from a mental health team left on {day(last_left)}"
           if last_left is not None and last_left + timedelta(days=1) == since
           else "nobody from a mental health team is the care coordinator")
    when = (f"critical since {day(critical_from)}" if critical
            else f"critical from {day(critical_from)}")
    message = (
        f"No mental health care coordinator: {names(sorted({c.name for c in smi}))} with "
        f"{names(sorted({c.name for c in misuse}))}, in the care of {names(teams)}, and "
        f"{why}; NICE QS188 asks for a care coordinator working in mental health services "
        f"for everyone aged {t.mhcoordinator_min_age} or over with both ({when})."
    )
    evidence = {
        "severe_mental_illness": sorted(c.name for c in smi),
        "substance_use": sorted(c.name for c in misuse),
        "mental_health_teams": teams,
        "in_mental_health_care_from": in_care_from.isoformat(),
        "last_coordinator_left_on": None if last_left is None else last_left.isoformat(),
        "coexisting_from": None if coexisting_from is None else coexisting_from.isoformat(),
    }
    return [flag(facts, FlagCode.MH_COORDINATOR_MISSING,
                 Severity.CRITICAL if critical else Severity.WARNING,
                 (SubjectType.PERSON, person.id), since, None if critical else critical_from,
                 message, evidence)]
