"""``safeguarding-decision-overdue``: a safeguarding concern with no decision on a Care
Act s.42 enquiry within the locally set working days.

Sources: Care Act 2014 s.42(1) and (2): where the local authority has reasonable cause
to suspect that an adult with needs for care and support is experiencing, or at risk
of, abuse or neglect, and as a result of those needs cannot protect themselves, it must
make (or cause to be made) whatever enquiries it thinks necessary. The Act and the Care
and Support Statutory Guidance (chapter 14) leave the time to decide whether a concern
needs an enquiry to local multi-agency procedures: the working days are in
``rules.toml``, ``[safeguarding]`` (default 2, issue 15), counted after the day the
concern was received, skipping weekends and England and Wales bank holidays. A concern
is open in itself: it is flagged whether or not the person's plan is open. A concern is
judged as it stood on ``today``: one decided later was still undecided then. The flag
says that a concern is waiting, never what it is about.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import Candidates, Context, day, flag, plural
from careplan.models.thresholds import Thresholds

_ONE_DAY = timedelta(days=1)

#: Candidates for ``safeguarding_decision_overdue``: a concern undecided on :today,
#: received before :received_before. N working days after a day are at least N calendar
#: days after it, so a concern past its decision day was received more than
#: ``safeguarding.decision_working_days`` calendar days ago.
SAFEGUARDING_DECISION_OVERDUE_SQL = (
    "SELECT g.person_id FROM safeguarding_concerns g WHERE g.received_on < :received_before "
    "AND (g.decided_on IS NULL OR g.decided_on > :today)"
)


def _params(today: date, t: Thresholds) -> dict[str, Any]:
    before = today - timedelta(days=t.safeguarding_decision_working_days)
    return {"received_before": before.isoformat()}


SAFEGUARDING_DECISION_OVERDUE = Candidates(
    FlagCode.SAFEGUARDING_DECISION_OVERDUE, SAFEGUARDING_DECISION_OVERDUE_SQL, _params,
    needs_open_plan=False)


def decision_due(received: date, ctx: Context) -> date:
    """The last day for deciding whether a concern received on ``received`` needs a
    s.42 enquiry: ``decision_working_days`` working days after it."""
    return ctx.calendar.add(received, ctx.thresholds.safeguarding_decision_working_days)


def safeguarding_decision_overdue(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each concern undecided after its decision day: a warning from the day after,
    critical from the day after ``critical_working_days`` working days."""
    today = ctx.today
    t = ctx.thresholds
    out: list[Flag] = []
    for concern in sorted(facts.safeguarding_concerns, key=lambda g: (g.received_on, g.id)):
        if not concern.undecided_on(today):
            continue
        received = concern.received_on
        due = decision_due(received, ctx)
        if today <= due:
            continue
        critical_from = ctx.calendar.add(received, t.safeguarding_critical_working_days) \
            + _ONE_DAY
        critical = today >= critical_from
        raised_by = facts.directory.agency_name(concern.agency_id) if concern.agency_id \
            else None
        source = f" from {raised_by}" if raised_by else ""
        waiting = ctx.calendar.between(received, today)
        when = "critical since" if critical else "critical from"
        message = (
            f"Safeguarding decision overdue: a safeguarding concern about "
            f"{facts.person.name}{source}, received on {day(received)}, has no decision on "
            f"whether a Care Act 2014 s.42 enquiry is needed, due within "
            f"{plural(t.safeguarding_decision_working_days, 'working day')} of receipt, by "
            f"{day(due)} ({when} {day(critical_from)})."
        )
        evidence = {
            "concern_id": concern.id,
            "received_on": received.isoformat(),
            "raised_by_agency_id": concern.agency_id,
            "raised_by": raised_by,
            "decision_due": due.isoformat(),
            "working_days_waiting": waiting,
            "critical_from": critical_from.isoformat(),
        }
        out.append(flag(facts, FlagCode.SAFEGUARDING_DECISION_OVERDUE,
                        Severity.CRITICAL if critical else Severity.WARNING,
                        (SubjectType.SAFEGUARDING_CONCERN, concern.id), due + _ONE_DAY,
                        None if critical else critical_from, message, evidence))
    return out
