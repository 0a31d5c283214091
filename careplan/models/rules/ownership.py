"""``handoff-unacknowledged`` and ``action-unowned``: responsibility that nobody holds.

Sources: no national standard sets these; the answer window and the critical points are
CarePlan defaults (``rules.toml``, ``[handoff]`` and ``[action]``), counted in working
days that skip weekends and England and Wales bank holidays.
"""

from __future__ import annotations

from datetime import date, timedelta

from careplan.models.enums import HandoffStatus, HandoffSubject
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.handoffs import Handoff
from careplan.models.plan import Action
from careplan.models.rules.common import (
    IN_FORCE_SQL,
    Candidates,
    Context,
    current_plan,
    day,
    flag,
    iso,
    plans_in_force,
    plural,
)

_ONE_DAY = timedelta(days=1)

#: Candidates for ``handoff_unacknowledged``: a proposed handoff past its answer-by date
#: (the rule's critical point, ``handoff.critical_multiple``, only raises the severity).
HANDOFF_UNACKNOWLEDGED_SQL = (
    f"SELECT person_id FROM handoffs WHERE status = '{HandoffStatus.PROPOSED.value}' "
    "AND answer_by < :today"
)
HANDOFF_UNACKNOWLEDGED = Candidates(FlagCode.HANDOFF_UNACKNOWLEDGED,
                                    HANDOFF_UNACKNOWLEDGED_SQL)

#: An open action of a plan in force (``Action.is_open``), in SQL.
_OPEN_ACTION_SQL = (f"c.status IN {IN_FORCE_SQL} "
                    "AND a.status NOT IN ('completed', 'cancelled')")

#: Candidates for ``action_unowned``: an open action of a plan in force with no owner, or
#: with a declined handoff (the rule then checks nobody has taken it since). No threshold:
#: ``action.critical_within_days`` only raises the severity.
ACTION_UNOWNED_SQL = (
    "SELECT c.person_id FROM actions a JOIN care_plans c ON c.id = a.plan_id "
    f"WHERE {_OPEN_ACTION_SQL} AND a.owner_professional_id IS NULL "
    "UNION SELECT c.person_id FROM handoffs h JOIN actions a ON a.id = h.action_id "
    "JOIN care_plans c ON c.id = a.plan_id "
    f"WHERE h.status = '{HandoffStatus.DECLINED.value}' AND {_OPEN_ACTION_SQL}"
)
ACTION_UNOWNED = Candidates(FlagCode.ACTION_UNOWNED, ACTION_UNOWNED_SQL)


def default_answer_by(proposed: date, ctx: Context) -> date:
    """The answer-by date a new handoff gets unless the proposer sets one."""
    return ctx.calendar.add(proposed, ctx.thresholds.handoff_answer_working_days)


def handoff_unacknowledged(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag a proposed handoff not answered by its answer-by date: warning, critical
    once unanswered for ``critical_multiple`` times its answer window (working days)."""
    if current_plan(facts) is None:
        return []
    today = ctx.today
    t = ctx.thresholds
    directory = facts.directory
    actions = {a.id: a for a in facts.actions}
    out: list[Flag] = []
    for h in facts.handoffs:
        if h.status is not HandoffStatus.PROPOSED or today <= h.answer_by:
            continue
        proposed = h.proposed_at.date()
        if proposed > today:
            continue
        window = max(1, ctx.calendar.between(proposed, h.answer_by))
        last_warning_day = ctx.calendar.add(proposed, window * t.handoff_critical_multiple)
        critical_from = max(last_warning_day, h.answer_by) + _ONE_DAY
        critical = today >= critical_from
        sender = directory.professional_name(h.from_professional_id)
        receiver = directory.professional_name(h.to_professional_id)
        if h.subject is HandoffSubject.ACTION:
            action = actions.get(h.action_id or "")
            what = f'the action "{action.description}"' if action else "an action"
        else:
            what = f"care coordination for {facts.person.name}"
        when = "critical since" if critical else "critical from"
        message = (
            f"Handoff not answered: {sender} ({directory.agency_name(h.from_agency_id)}) "
            f"proposed handing {what} to {receiver} ({directory.agency_name(h.to_agency_id)}) "
            f"on {day(proposed)}, to be answered by {day(h.answer_by)} "
            f"({plural(window, 'working day')}), and nobody has answered ({when} "
            f"{day(critical_from)}, {t.handoff_critical_multiple} times the answer time)."
        )
        evidence = {
            "subject": h.subject.value,
            "action_id": h.action_id,
            "from_professional_id": h.from_professional_id,
            "from_professional": sender,
            "to_professional_id": h.to_professional_id,
            "to_professional": receiver,
            "to_agency_id": h.to_agency_id,
            "proposed_on": proposed.isoformat(),
            "answer_by": h.answer_by.isoformat(),
            "answer_working_days": window,
            "critical_from": critical_from.isoformat(),
        }
        out.append(flag(facts, FlagCode.HANDOFF_UNACKNOWLEDGED,
                        Severity.CRITICAL if critical else Severity.WARNING,
                        (SubjectType.HANDOFF, h.id), h.answer_by + _ONE_DAY,
                        None if critical else critical_from, message, evidence))
    return out


def _declined_untaken(action: Action, handoffs: list[Handoff]) -> Handoff | None:
    """The action's latest handoff if it was declined and nobody has taken it since."""
    if not handoffs:
        return None
    latest = max(handoffs, key=lambda h: (h.proposed_at, h.id))
    if latest.status is not HandoffStatus.DECLINED:
        return None
    if action.owner_professional_id not in (None, latest.from_professional_id):
        return None  # someone else has taken it on since
    return latest


def action_unowned(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag an open action of a plan in force with no owner, or whose handoff was
    declined and nobody has taken it: warning, critical when due within
    ``critical_within_days`` or overdue."""
    today = ctx.today
    plans = {p.id: p for p in plans_in_force(facts)}
    if not plans:
        return []
    within = timedelta(days=ctx.thresholds.action_critical_within_days)
    by_action: dict[str, list[Handoff]] = {}
    for h in facts.handoffs:
        if h.action_id and h.proposed_at.date() <= today:
            by_action.setdefault(h.action_id, []).append(h)
    directory = facts.directory
    out: list[Flag] = []
    for action in facts.actions:
        plan = plans.get(action.plan_id)
        if plan is None or not action.is_open:
            continue
        declined = _declined_untaken(action, by_action.get(action.id, []))
        if declined is not None and declined.answered_at is not None:
            since = declined.answered_at.date()
            why = (
                f"{directory.professional_name(declined.to_professional_id)} "
                f"({directory.agency_name(declined.to_agency_id)}) declined the handoff on "
                f"{day(since)} ({declined.answer_reason}) and nobody has taken it on"
            )
        elif action.owner_professional_id is None:
            # When it was recorded is the best "since" we have (clamped for a past today).
            since = min(facts.action_recorded_on.get(action.id, plan.created_on), today)
            why = "nobody is named as responsible for it"
        else:
            continue
        due = action.due_date
        critical_from = None if due is None else due - within
        critical = critical_from is not None and today >= critical_from
        if due is None:
            timing = "it has no due date"
        elif due < today:
            timing = f"it was due on {day(due)}"
        else:
            timing = f"it is due on {day(due)}"
        if critical_from is not None:
            timing += (f" (critical from {ctx.thresholds.action_critical_within_days} days "
                       f"before, {day(critical_from)})")
        message = f'Action with no owner: "{action.description}" — {why}; {timing}.'
        evidence = {
            "plan_id": plan.id,
            "description": action.description,
            "owner_agency_id": action.owner_agency_id,
            "due_date": iso(due),
            "declined_handoff_id": None if declined is None else declined.id,
            "declined.answer_reason": None if declined is None else declined.reason,
        }
        out.append(flag(facts, FlagCode.ACTION_UNOWNED,
                        Severity.CRITICAL if critical else Severity.WARNING,
                        (SubjectType.ACTION, action.id), since,
                        None if critical else critical_from, message, evidence))
    return out
