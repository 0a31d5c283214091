"""``chc-decision-overdue``: a positive NHS Continuing Healthcare checklist with no
eligibility decision 28 days after the integrated care board received it.

Sources: National Framework for NHS Continuing Healthcare and NHS-funded Nursing Care
(Department of Health and Social Care, 2022 revision): the board should decide
eligibility within 28 calendar days of receiving a positive Checklist, and, when it
decides late without good reason and finds the person eligible, refund their care costs
from the 29th day. The wait is also the funding argument behind many delayed discharges
(the Framework: a funding dispute must never delay the care a person needs). NHS
England's quarterly NHS CHC data collection counts the incomplete referrals past 28 days
by how far past (the first band: up to 2 weeks). Thresholds in ``rules.toml``,
``[chc]``. The flag does not need an open care plan: the wait is open in itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.health import ChcAssessment, ChecklistOutcome
from careplan.models.rules.common import Candidates, Context, day, flag, iso, plural
from careplan.models.thresholds import Thresholds

#: Candidates for ``chc_decision_overdue``: a positive checklist on or before today,
#: received more than ``chc.decision_days`` before today, with no decision by today.
CHC_DECISION_OVERDUE_SQL = (
    "SELECT h.person_id FROM chc_assessments h "
    f"WHERE h.outcome = '{ChecklistOutcome.POSITIVE.value}' AND h.checklist_on <= :today "
    "AND coalesce(h.received_on, h.checklist_on) < :received_before "
    "AND (h.decided_on IS NULL OR h.decided_on > :today)"
)


def _params(today: date, t: Thresholds) -> dict[str, Any]:
    return {"received_before": (today - timedelta(days=t.chc_decision_days)).isoformat()}


CHC_DECISION_OVERDUE = Candidates(FlagCode.CHC_DECISION_OVERDUE, CHC_DECISION_OVERDUE_SQL,
                                  _params, needs_open_plan=False)


def chc_decision_overdue(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each positive checklist with no decision more than ``chc.decision_days``
    after the board received it: a warning from the next day (the 29th), critical once
    more than ``chc.critical_days`` have passed."""
    return [found for chc in facts.health.chc
            if (found := _overdue(facts, ctx, chc)) is not None]


def _overdue(facts: PersonFacts, ctx: Context, chc: ChcAssessment) -> Flag | None:
    t, today = ctx.thresholds, ctx.today
    if (chc.outcome is not ChecklistOutcome.POSITIVE or chc.checklist_on > today
            or chc.decided_by(today)):
        return None
    start = chc.clock_starts
    waited = (today - start).days
    if waited <= t.chc_decision_days:
        return None
    due = start + timedelta(days=t.chc_decision_days)
    since = due + timedelta(days=1)
    critical_from = start + timedelta(days=t.chc_critical_days + 1)
    critical = today >= critical_from
    board = facts.directory.agency_name(chc.agency_id) if chc.agency_id else (
        "the integrated care board")
    when = (f"critical since {day(critical_from)}" if critical
            else f"critical from {day(critical_from)}")
    message = (
        f"Continuing healthcare decision overdue: a positive checklist reached {board} on "
        f"{day(start)} and no eligibility decision is recorded {plural(waited, 'day')} "
        f"later; the National Framework expects one within {t.chc_decision_days} days, "
        f"by {day(due)}, and care costs from the day after fall to the NHS if the person "
        f"is found eligible ({when})."
    )
    evidence = {
        "chc_assessment_id": chc.id,
        "checklist_on": chc.checklist_on.isoformat(),
        "received_on": iso(chc.received_on),
        "decision_due": due.isoformat(),
        "days_waiting": waited,
        "agency_id": chc.agency_id,
        "agency": board,
        "stay_id": chc.stay_id,
    }
    return flag(facts, FlagCode.CHC_DECISION_OVERDUE,
                Severity.CRITICAL if critical else Severity.WARNING,
                (SubjectType.CHC_ASSESSMENT, chc.id), since,
                None if critical else critical_from, message, evidence)
