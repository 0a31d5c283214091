"""``transition-18``: turning 18 with no adult services lined up (NICE NG43 / QS140)."""

from __future__ import annotations

from careplan.models.dates import nth_birthday, school_year_start
from careplan.models.enums import AssessmentKind, AssessmentStatus
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import Context, active_team, current_plan, day, flag, iso


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
    directory = facts.directory
    adult_pros = sorted({
        directory.professional_name(m.professional_id)
        for m in active_team(facts, today)
        if (a := directory.agency_of(m.professional_id)) is not None and a.is_adult_services
    })
    completed = [
        a.completed_on for a in facts.assessments
        if a.kind is AssessmentKind.CARE_ACT_ADULT and a.status is AssessmentStatus.COMPLETED
        and a.completed_on is not None and a.completed_on <= today
    ]
    if adult_pros and completed:
        return []

    missing = []
    if not adult_pros:
        missing.append("no adult-services professional")
    if not completed:
        missing.append("no completed Care Act adult assessment")
    gap = " and ".join(missing)
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
        "adult_services_professionals": adult_pros,
        "adult_assessment_completed_on": iso(max(completed)) if completed else None,
    }
    return [flag(facts, FlagCode.TRANSITION_18, severity, (SubjectType.CARE_PLAN, plan.id),
                 planning_from, due, message, evidence)]
