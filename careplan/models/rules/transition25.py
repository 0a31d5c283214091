"""``transition-25``: a young adult with an EHC plan or care leaver status and no
adult-services plan in place.

Sources: NICE NG43 and QS140 cover young people aged up to 25; an education, health and
care plan is for a "young person" under 25 (Children and Families Act 2014 s.83(2); s.46
lets it run to the end of that academic year) and a care leaver has a personal adviser up
to 25 (Children Act 1989 s.23CZB, from the Children and Social Work Act 2017 s.3). "In place"
is transition-18's test (NICE NG43, Care Act 2014 s.58), :func:`adult_services`, with
a care plan in force besides. The ages are in ``rules.toml``, ``[transition25]``. The
flag needs no open plan: a young person whose children's plan closed at 18 with nothing
after it is the one it is for. While ``transition-18`` flags the person (an open plan,
under ``transition.stop_age``), it alone says so.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.dates import age_on, nth_birthday
from careplan.models.enums import AssessmentKind
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import (
    IN_FORCE_SQL,
    Candidates,
    Context,
    current_plan,
    day,
    flag,
    iso,
    names,
    plans_in_force,
)
from careplan.models.rules.transition import (
    ADULT_SERVICES_SQL,
    adult_services,
    transition_18,
    years_before,
)
from careplan.models.social import YoungPersonStatusKind
from careplan.models.thresholds import Thresholds

#: Candidates for ``transition_25``: an EHC plan or care leaver status in force today,
#: born in the window of ages the rule flags, and not both a plan in force and adult
#: services lined up.
TRANSITION_25_SQL = (
    "SELECT y.person_id FROM young_person_statuses y JOIN persons x ON x.id = y.person_id "
    "WHERE y.start_date <= :today AND (y.end_date IS NULL OR y.end_date >= :today) "
    "AND x.birth_date > :born_after AND x.birth_date <= :born_by "
    "AND NOT (EXISTS (SELECT 1 FROM care_plans c WHERE c.person_id = x.id "
    f"AND c.status IN {IN_FORCE_SQL}) AND {ADULT_SERVICES_SQL})"
)


def _params(today: date, t: Thresholds) -> dict[str, Any]:
    """From the ``from_age`` birthday until the ``until_age`` one, with two days' margin
    either way for 29 February birthdays (reached on 1 March)."""
    born_by = years_before(today, t.transition25_from_age) + timedelta(days=2)
    born_after = years_before(today, t.transition25_until_age) - timedelta(days=2)
    return {"born_after": born_after.isoformat(), "born_by": born_by.isoformat(),
            "adult_assessment": AssessmentKind.CARE_ACT_ADULT.value}


_PHRASES = {YoungPersonStatusKind.EHC_PLAN: "an education, health and care plan",
            YoungPersonStatusKind.CARE_LEAVER: "care leaver status"}

TRANSITION_25 = Candidates(FlagCode.TRANSITION_25, TRANSITION_25_SQL, _params,
                           needs_open_plan=False)


def transition_25(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag a young person between the ``from_age`` and ``until_age`` birthdays with an
    EHC plan or care leaver status in force and no adult-services plan in place (a care
    plan in force, an adult-services professional in the team and a completed Care Act
    adult assessment): critical when no care plan is open at all (nobody holds the
    case), else a warning."""
    t = ctx.thresholds
    today = ctx.today
    birth = facts.person.birth_date
    start = nth_birthday(birth, t.transition25_from_age)
    until = nth_birthday(birth, t.transition25_until_age)
    if not start <= today < until:
        return []
    statuses = sorted((s for s in facts.young_person_statuses if s.active_on(today)),
                      key=lambda s: (s.start_date, s.kind.value, s.id))
    if not statuses:
        return []
    in_force = plans_in_force(facts)
    lined_up = adult_services(facts, today)
    if in_force and lined_up.in_place:
        return []
    if transition_18(facts, ctx):
        return []  # transition-18 still covers the person and says the same
    open_plan = current_plan(facts)
    name = facts.person.name
    kinds = names(_PHRASES[k] for k in YoungPersonStatusKind
                  if any(s.kind is k for s in statuses))
    age = age_on(birth, today)
    scope = (f"NICE NG43 covers young people up to {t.transition25_until_age}; flagged "
             f"until their {t.transition25_until_age}th birthday, {day(until)}")
    if open_plan is None:
        severity = Severity.CRITICAL
        message = (f"Transition to adult services, up to {t.transition25_until_age}: "
                   f"{name}, {age}, has {kinds} in force but no care plan is open, so "
                   f"nobody holds the case between children's and adult services ({scope}).")
    else:
        missing = [] if in_force else ["no care plan in force"]
        if not lined_up.in_place:
            missing.append(lined_up.gap())
        severity = Severity.WARNING
        message = (f"Transition to adult services, up to {t.transition25_until_age}: "
                   f"{name}, {age}, has {kinds} in force and no adult-services plan in "
                   f"place: {' and '.join(missing)} ({scope}).")
    evidence = {
        "statuses": [{"id": s.id, "kind": s.kind.value, "start_date": s.start_date.isoformat(),
                      "end_date": iso(s.end_date), "agency_id": s.agency_id,
                      "agency": facts.directory.agency_name(s.agency_id)
                      if s.agency_id else None} for s in statuses],
        "birth_date": birth.isoformat(),
        "plan_id": None if open_plan is None else open_plan.id,
        "plan_in_force": bool(in_force),
        "adult_services_professionals": lined_up.professionals,
        "adult_assessment_completed_on": iso(max(lined_up.assessed_on))
        if lined_up.assessed_on else None,
        "flagged_from": start.isoformat(),
        "flagged_until": until.isoformat(),
    }
    since = max(start, statuses[0].start_date)
    return [flag(facts, FlagCode.TRANSITION_25, severity, (SubjectType.PERSON, facts.person.id),
                 since, None, message, evidence)]
