"""``funding-disputed`` and ``budget-overcommitted``: money that holds up care.

A dispute over who pays is flagged once it has lasted more than
``funding.dispute_working_days`` working days, and is critical after
``funding.critical_working_days`` or at once when the person's discharge from hospital
is delayed: the dispute may be what holds the discharge up. A personal budget is
flagged when the actions it funds commit more than its allocation over its period.
"""

from __future__ import annotations

from datetime import date, timedelta

from careplan.models.budgets import FundedCost, personal_budget_position
from careplan.models.costing import full_year_rate, pounds
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.funding import ActionCost, FundingStatus, percent
from careplan.models.rules.common import Context, current_plan, day, flag, names, plural
from careplan.models.rules.discharge import discharge_delayed

_ONE_DAY = timedelta(days=1)


def _price(cost: ActionCost) -> str:
    if cost.frequency.value == "one-off":
        return f"{pounds(cost.unit_cost_pence)} one-off"
    return (f"{pounds(cost.unit_cost_pence)} {cost.frequency.value}, "
            f"{pounds(full_year_rate(cost))} a year")


def _open_plan_ids(facts: PersonFacts) -> set[str]:
    return {p.id for p in facts.plans if p.is_open}


def funding_disputed(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each action whose funding has been disputed for more than the threshold."""
    if current_plan(facts) is None:
        return []
    today, t, cal = ctx.today, ctx.thresholds, ctx.calendar
    plans = _open_plan_ids(facts)
    delayed: list[Flag] | None = None
    out: list[Flag] = []
    for cost in facts.action_costs:
        action = facts.costed_actions.get(cost.action_id)
        since = cost.disputed_since
        if (cost.funding_status is not FundingStatus.DISPUTED or since is None
                or action is None or action.plan_id not in plans
                or action.status.value == "cancelled"):
            continue
        deadline = cal.add(since, t.funding_dispute_working_days)
        if today <= deadline:
            continue
        critical_from = cal.add(since, t.funding_critical_working_days) + _ONE_DAY
        if delayed is None:
            delayed = discharge_delayed(facts, ctx)
        critical = bool(delayed) or today >= critical_from
        working = cal.between(since, today)
        agencies = names(facts.directory.agency_name(a) for a in cost.disputed_by)
        message = (
            f'Funding disputed: who pays for "{action.description}" ({_price(cost)}) has '
            f"been disputed between {agencies} since {day(since)}, "
            f"{plural(working, 'working day')} (more than "
            f"{t.funding_dispute_working_days})"
        )
        if delayed:
            stay = delayed[0].evidence
            ready = date.fromisoformat(stay["discharge_ready_on"])
            message += (
                f"; the dispute may be holding up the discharge: {facts.person.name} has "
                f"been ready to leave {stay['hospital']} since {day(ready)} "
                f"({plural(int(stay['days_delayed']), 'day')} past the discharge ready date)"
            )
        elif not critical:
            message += f"; critical from {day(critical_from)}"
        evidence = {
            "action_id": action.id,
            "action": action.description,
            "unit_cost_pence": cost.unit_cost_pence,
            "frequency": cost.frequency.value,
            "full_year_pence": full_year_rate(cost),
            "disputed_since": since.isoformat(),
            "disputed_by": list(cost.disputed_by),
            "disputed_by_names": [facts.directory.agency_name(a) for a in cost.disputed_by],
            "working_days": working,
            "discharge_delayed": bool(delayed),
            "hospital_stay_id": delayed[0].subject_id if delayed else None,
            "note": cost.note,
        }
        out.append(flag(
            facts, FlagCode.FUNDING_DISPUTED, Severity.CRITICAL if critical else Severity.WARNING,
            (SubjectType.ACTION, action.id), deadline + _ONE_DAY,
            None if critical else critical_from, message + ".", evidence,
        ))
    return out


def _lines(facts: PersonFacts) -> list[FundedCost]:
    plans = _open_plan_ids(facts)
    out = []
    for cost in facts.action_costs:
        action = facts.costed_actions.get(cost.action_id)
        if action is None or action.plan_id not in plans or action.status.value == "cancelled":
            continue
        out.append(FundedCost(cost, tuple(facts.action_funders.get(cost.id, ())),
                              facts.person.id))
    return out


def budget_overcommitted(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each personal budget in its period whose actions commit more than its
    allocation: warning, critical when over by more than ``budget.critical_percent``."""
    if current_plan(facts) is None:
        return []
    today, t = ctx.today, ctx.thresholds
    active = [b for b in facts.personal_budgets if b.active_on(today)]
    if not active:
        return []
    lines = _lines(facts)
    out: list[Flag] = []
    for budget in active:
        pos = personal_budget_position(budget, lines)
        if not pos.overcommitted or pos.over_since is None:
            continue
        over = pos.committed - pos.allocation
        critical = over * 100 > pos.allocation * t.budget_critical_percent
        share = (f", {percent(over * 10_000 // pos.allocation)} over" if pos.allocation
                 else "")
        message = (
            f"Personal budget overcommitted: {facts.person.name}'s personal budget "
            f"({budget.taken_as.value}, {day(budget.start_date)} to {day(budget.last_day)}) "
            f"is committed to {pounds(pos.committed)} against an allocation of "
            f"{pounds(pos.allocation)}: {pounds(over)}{share}"
            + ("" if critical else
               f"; critical above {t.budget_critical_percent}% over")
            + "."
        )
        evidence = {
            "allocation_pence": pos.allocation,
            "committed_pence": pos.committed,
            "remaining_pence": pos.remaining,
            "taken_as": budget.taken_as.value,
            "period_start": budget.start_date.isoformat(),
            "period_end": budget.last_day.isoformat(),
            "stream_ids": list(budget.stream_ids),
        }
        out.append(flag(
            facts, FlagCode.BUDGET_OVERCOMMITTED,
            Severity.CRITICAL if critical else Severity.WARNING,
            (SubjectType.PERSONAL_BUDGET, budget.id), min(pos.over_since, today), None,
            message, evidence,
        ))
    return out
