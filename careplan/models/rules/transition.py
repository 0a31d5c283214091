"""``transition-18``: turning 18 with no adult services lined up (NICE NG43 / QS140).

Sources: NICE NG43 and QS140 (planning from school Year 9, adult services involved well
before the transfer), Care Act 2014 s.58-59 (a child's needs assessment before 18);
the ages are in ``rules.toml``, ``[transition]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from careplan.models.dates import nth_birthday, school_year_start
from careplan.models.enums import AssessmentKind, AssessmentStatus, ClientGroup
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import (
    ACTIVE_MEMBER_SQL,
    Candidates,
    Context,
    active_team,
    current_plan,
    day,
    flag,
    iso,
)
from careplan.models.thresholds import Thresholds

#: SQL for "adult services are lined up for person ``x``" (:func:`adult_services`): an
#: adult-services professional in the active team and a Care Act adult assessment
#: completed by :today (``:adult_assessment`` is its kind). transition-25 asks the same.
ADULT_SERVICES_SQL = (
    "EXISTS (SELECT 1 FROM care_team_members m "
    "JOIN professionals p ON p.id = m.professional_id JOIN agencies a ON a.id = p.agency_id "
    f"WHERE m.person_id = x.id AND a.client_group = '{ClientGroup.ADULTS.value}' "
    f"AND {ACTIVE_MEMBER_SQL}) "
    "AND EXISTS (SELECT 1 FROM assessments s WHERE s.person_id = x.id "
    f"AND s.kind = :adult_assessment AND s.status = '{AssessmentStatus.COMPLETED.value}' "
    "AND s.completed_on <= :today)"
)

#: Candidates for ``transition_18``: born in the window of ages the rule flags, and
#: adult services not both lined up. The window's bounds come from the thresholds, in
#: :func:`_transition_params`.
TRANSITION_18_SQL = (
    "SELECT x.id FROM persons x WHERE x.birth_date > :born_after "
    f"AND x.birth_date <= :born_by AND NOT ({ADULT_SERVICES_SQL})"
)


@dataclass(frozen=True, slots=True)
class AdultServices:
    """Who from adult services is lined up for a young person on a day: the names of the
    adult-services professionals in the active team, and the days Care Act adult
    assessments were completed (by that day)."""

    professionals: list[str]
    assessed_on: list[date]

    @property
    def in_place(self) -> bool:
        return bool(self.professionals and self.assessed_on)

    def gap(self) -> str:
        """What is missing, as words: "no adult-services professional and no ..."."""
        missing = []
        if not self.professionals:
            missing.append("no adult-services professional")
        if not self.assessed_on:
            missing.append("no completed Care Act adult assessment")
        return " and ".join(missing)


def adult_services(facts: PersonFacts, today: date) -> AdultServices:
    """The adult services lined up for the person on ``today`` (``ADULT_SERVICES_SQL``)."""
    directory = facts.directory
    pros = sorted({
        directory.professional_name(m.professional_id)
        for m in active_team(facts, today)
        if (a := directory.agency_of(m.professional_id)) is not None and a.is_adult_services
    })
    assessed = [
        a.completed_on for a in facts.assessments
        if a.kind is AssessmentKind.CARE_ACT_ADULT and a.status is AssessmentStatus.COMPLETED
        and a.completed_on is not None and a.completed_on <= today
    ]
    return AdultServices(pros, assessed)


def years_before(day: date, years: int) -> date:
    """``day`` ``years`` years earlier (29 February: 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


def _transition_params(today: date, t: Thresholds) -> dict[str, Any]:
    """Flagged from the start of Year 9 (``transition.planning_age``) until the
    ``transition.stop_age`` birthday. Year 9 starts at the latest on the planning_age
    birthday and at the earliest a school year before it; a few days' margin either way
    keeps the window a superset."""
    latest_birth = years_before(school_year_start(today) + timedelta(days=366),
                                t.transition_planning_age)
    earliest_birth = years_before(today, t.transition_stop_age) - timedelta(days=2)
    return {"born_after": earliest_birth.isoformat(), "born_by": latest_birth.isoformat(),
            "adult_assessment": AssessmentKind.CARE_ACT_ADULT.value}


TRANSITION_18 = Candidates(FlagCode.TRANSITION_18, TRANSITION_18_SQL, _transition_params)


def transition_18(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag a young person with an open plan from school Year 9 until adult services
    are in place: an adult-services professional in the team and a completed Care Act
    adult assessment. Info from Year 9, warning from 17, critical from 18, and no longer
    flagged from the ``stop_age`` birthday (the person is then an adult case)."""
    t = ctx.thresholds
    today = ctx.today
    birth = facts.person.birth_date
    stop = nth_birthday(birth, t.transition_stop_age)
    if today >= stop:
        return []
    # Year 9: the school year (1 September - 31 August) in which they turn planning_age.
    planning_from = school_year_start(nth_birthday(birth, t.transition_planning_age))
    if today < planning_from:
        return []
    plan = current_plan(facts)
    if plan is None:
        return []
    lined_up = adult_services(facts, today)
    if lined_up.in_place:
        return []
    gap = lined_up.gap()
    completed = lined_up.assessed_on
    warn_on = nth_birthday(birth, t.transition_warning_age)
    critical_on = nth_birthday(birth, t.transition_critical_age)
    name = facts.person.name
    if today >= critical_on:
        severity, due = Severity.CRITICAL, None
        message = (
            f"Transition to adult services: {name} turned {t.transition_critical_age} on "
            f"{day(critical_on)} and the care team still has {gap}, so nobody is lined up to "
            f"take over from children's services (critical from {t.transition_critical_age}, "
            f"NICE NG43 and Care Act 2014 s.58)."
        )
    elif today >= warn_on:
        severity, due = Severity.WARNING, critical_on
        message = (
            f"Transition to adult services: {name} turned {t.transition_warning_age} on "
            f"{day(warn_on)} and the care team still has {gap}; this becomes critical on "
            f"their {t.transition_critical_age}th birthday, {day(critical_on)}."
        )
    else:
        severity, due = Severity.INFO, warn_on
        message = (
            f"Transition to adult services: planning should be under way since school "
            f"Year 9 began on {day(planning_from)} (NICE NG43); the care team has {gap} yet, "
            f"and needs both by {name}'s {t.transition_warning_age}th birthday on "
            f"{day(warn_on)}."
        )
    evidence = {
        "plan_id": plan.id,
        "birth_date": birth.isoformat(),
        "year_9_starts": planning_from.isoformat(),
        "warning_from": warn_on.isoformat(),
        "critical_from": critical_on.isoformat(),
        "flagged_until": stop.isoformat(),
        "adult_services_professionals": lined_up.professionals,
        "adult_assessment_completed_on": iso(max(completed)) if completed else None,
    }
    return [flag(facts, FlagCode.TRANSITION_18, severity, (SubjectType.CARE_PLAN, plan.id),
                 planning_from, due, message, evidence)]
