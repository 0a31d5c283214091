"""``carer-assessment-missing``: a carer on the plan who has not been offered a carer's
assessment.

Sources: Care Act 2014 s.10(1) and (4): where it appears that a carer may have needs
for support, the local authority must assess them, whatever the level of those needs
or anyone's means; a carer who refuses is not assessed (s.11(5)), so an offer refused
clears the flag. For the carer of a child: Children Act 1989 s.17ZD (a parent carer's
needs assessment) and Care Act 2014 s.60 (a child's carer's assessment before the child
turns 18). Neither the Act nor the Care and Support Statutory Guidance sets a time
(6.29: "an appropriate and reasonable timescale"): the days are CarePlan defaults in
``rules.toml``, ``[carer]``. A carer is flagged only while the person's plan is open:
the carer is recorded on it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.dates import age_on
from careplan.models.enums import AssessmentKind
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import Candidates, Context, current_plan, day, flag, plural
from careplan.models.thresholds import Thresholds

#: Candidates for ``carer_assessment_missing``: a carer caring today whose record names
#: no carer's assessment of this person requested (offered) by today. The rule flags from
#: the day the carer is recorded (info at first), so no threshold narrows this.
CARER_ASSESSMENT_MISSING_SQL = (
    "SELECT k.person_id FROM carers k WHERE k.recorded_on <= :today "
    "AND (k.end_date IS NULL OR k.end_date >= :today) "
    "AND NOT EXISTS (SELECT 1 FROM assessments s WHERE s.id = k.assessment_id "
    "AND s.person_id = k.person_id AND s.kind = :carer_kind AND s.requested_on <= :today)"
)


def _params(today: date, t: Thresholds) -> dict[str, Any]:
    return {"carer_kind": AssessmentKind.CARER.value}


CARER_ASSESSMENT_MISSING = Candidates(FlagCode.CARER_ASSESSMENT_MISSING,
                                      CARER_ASSESSMENT_MISSING_SQL, _params)


def carer_assessment_missing(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each carer caring today who has not been offered a carer's assessment: info
    from the day they were recorded, a warning ``offer_days`` later, critical
    ``critical_days`` later. Any carer's assessment of this person that the carer's
    record names, requested by today, is an offer (whatever became of it since)."""
    if current_plan(facts) is None:
        return []
    today = ctx.today
    t = ctx.thresholds
    person = facts.person
    offered = {a.id for a in facts.assessments
               if a.kind is AssessmentKind.CARER and a.person_id == person.id
               and a.requested_on <= today}
    child = age_on(person.birth_date, today) < 18
    law = ("Children Act 1989 s.17ZD and Care Act 2014 s.60, for the carer of a child"
           if child else "Care Act 2014 s.10")
    out: list[Flag] = []
    for carer in sorted(facts.carers, key=lambda k: (k.recorded_on, k.name, k.id)):
        if not carer.caring_on(today) or carer.assessment_id in offered:
            continue
        recorded = carer.recorded_on
        warn_on = recorded + timedelta(days=t.carer_offer_days)
        critical_on = recorded + timedelta(days=t.carer_critical_days)
        who = f"{carer.name} ({carer.relationship.value})"
        days = plural((today - recorded).days, "day")
        if today >= critical_on:
            severity, due = Severity.CRITICAL, None
            message = (f"Carer's assessment not offered: {who} has been recorded as "
                       f"{person.name}'s carer since {day(recorded)}, {days}, and has still "
                       f"not been offered a carer's assessment ({law}; critical since "
                       f"{day(critical_on)}, {t.carer_critical_days} days).")
        elif today >= warn_on:
            severity, due = Severity.WARNING, critical_on
            message = (f"Carer's assessment not offered: {who} has been recorded as "
                       f"{person.name}'s carer since {day(recorded)}, {days}, and has not "
                       f"been offered a carer's assessment, which is owed to any carer who "
                       f"may have needs for support ({law}; critical from "
                       f"{day(critical_on)}).")
        else:
            severity, due = Severity.INFO, warn_on
            message = (f"Carer's assessment to offer: {who} was recorded as {person.name}'s "
                       f"carer on {day(recorded)}; offer them a carer's assessment by "
                       f"{day(warn_on)} ({law}).")
        evidence = {
            "carer_id": carer.id,
            "carer": carer.name,
            "relationship": carer.relationship.value,
            "recorded_on": recorded.isoformat(),
            "assessment_id": carer.assessment_id,
            "warning_from": warn_on.isoformat(),
            "critical_from": critical_on.isoformat(),
        }
        out.append(flag(facts, FlagCode.CARER_ASSESSMENT_MISSING, severity,
                        (SubjectType.CARER, carer.id), recorded, due, message, evidence))
    return out
