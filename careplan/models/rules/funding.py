"""``funding-disputed`` and ``budget-overcommitted``: money that holds up care.

A dispute over who pays is flagged once it has lasted more than
``funding.dispute_working_days`` working days, and is critical after
``funding.critical_working_days`` or at once when the person's discharge from hospital
is delayed past its discharge ready date: the dispute may be what holds the discharge
up. A personal budget is flagged when the actions it funds commit more than its
allocation over its period.

Sources: the National Framework for NHS Continuing Healthcare (2022) on settling
disputes between agencies without delaying care, and Care Act 2014 s.26 with the Care
and Support Statutory Guidance, chapter 11, on a sufficient personal budget; the
thresholds are CarePlan defaults in ``rules.toml``, ``[funding]`` and ``[budget]``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.budgets import FundedCost, personal_budget_position
from careplan.models.costing import full_year_rate, pounds
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.funding import ActionCost, FundingStatus, percent
from careplan.models.rules.common import (
    Candidates,
    Context,
    current_plan,
    day,
    flag,
    names,
    plural,
)
from careplan.models.rules.discharge import delayed_discharges
from careplan.models.thresholds import Thresholds

_ONE_DAY = timedelta(days=1)


def _price(cost: ActionCost) -> str:
    if cost.frequency.value == "one-off":
        return f"{pounds(cost.unit_cost_pence)} one-off"
    return (f"{pounds(cost.unit_cost_pence)} {cost.frequency.value}, "
            f"{pounds(full_year_rate(cost))} a year")


def _open_plan_ids(facts: PersonFacts) -> set[str]:
    return {p.id for p in facts.plans if p.is_open}


#: Candidates for ``funding_disputed``: a cost of an action not cancelled, disputed since
#: before :disputed_before. More than ``funding.dispute_working_days`` working days
#: disputed means more than that many calendar days, so the bound is calendar days.
FUNDING_DISPUTED_SQL = (
    "SELECT c.person_id FROM action_costs k JOIN actions a ON a.id = k.action_id "
    "JOIN care_plans c ON c.id = a.plan_id "
    f"WHERE k.funding_status = '{FundingStatus.DISPUTED.value}' "
    "AND k.disputed_since < :disputed_before AND a.status != 'cancelled'"
)


def _disputed_params(today: date, t: Thresholds) -> dict[str, Any]:
    latest = today - timedelta(days=t.funding_dispute_working_days)
    return {"disputed_before": latest.isoformat()}


FUNDING_DISPUTED = Candidates(FlagCode.FUNDING_DISPUTED, FUNDING_DISPUTED_SQL,
                              _disputed_params)


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
            delayed = delayed_discharges(facts, ctx)
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


#: Occurrences of cost ``k`` between ``lo`` and ``hi`` (the overlap of the budget's period,
#: which starts on ``first``, and the cost's dates): ``costing.occurrences`` exactly, in SQL.
#: A monthly cost falls on its start's day, or on the last day of a shorter month.
_OCCURRENCES_SQL = """CASE WHEN lo > hi THEN 0
  WHEN fr = 'one-off' THEN ks >= first
  WHEN fr = 'weekly' THEN CAST(julianday(hi) - julianday(ks) AS INTEGER) / 7
    - (CAST(julianday(lo) - julianday(ks) AS INTEGER) + 6) / 7 + 1
  WHEN fr = 'monthly' THEN max(0, (substr(hi, 1, 4) - substr(lo, 1, 4)) * 12
    + substr(hi, 6, 2) - substr(lo, 6, 2) + 1
    - (substr(ks, 9, 2) + 0 < substr(lo, 9, 2) + 0)
    - (substr(ks, 9, 2) + 0 > substr(hi, 9, 2) + 0 AND substr(date(hi, '+1 day'), 9, 2) != '01'))
  ELSE julianday(hi) - julianday(lo) + 1 END"""

#: The last day of budget ``b``'s period (``PersonalBudget.last_day``), in SQL.
_LAST_DAY_SQL = "coalesce(b.end_date, date(b.start_date, '+1 year', '-1 day'))"

#: Candidates for ``budget_overcommitted``: a budget in its period whose funded costs may
#: come to more than its allocation. Each funder's part is its share rounded down, plus
#: at most the one penny that ``costing.split`` may add, and the costs of cancelled actions
#: count too (telling them would read the action of every funded cost: at 50,000 persons
#: some 4,000 pages of the actions table, for one candidate), so the sum here is never
#: less than the rule's. No threshold: ``budget.critical_percent`` only raises the
#: severity.
BUDGET_OVERCOMMITTED_SQL = (
    "SELECT person_id FROM (SELECT person_id, alloc, "
    "sum(pence * share / 10000 + (pence > 0)) AS most FROM ("
    f"SELECT bid, person_id, alloc, share, unit * ({_OCCURRENCES_SQL}) AS pence FROM ("
    "SELECT b.id AS bid, b.person_id, b.allocation_pence AS alloc, f.share_bp AS share, "
    "k.unit_cost_pence AS unit, k.frequency AS fr, k.start_date AS ks, "
    f"b.start_date AS first, max(b.start_date, k.start_date) AS lo, min({_LAST_DAY_SQL}, "
    "coalesce(k.end_date, '9999-12-31')) AS hi FROM personal_budgets b "
    "CROSS JOIN action_funders f ON f.personal_budget_id = b.id "
    "JOIN action_costs k ON k.id = f.cost_id "
    f"WHERE b.start_date <= :today AND {_LAST_DAY_SQL} >= :today"
    ")) GROUP BY bid) WHERE most > alloc"
)
BUDGET_OVERCOMMITTED = Candidates(FlagCode.BUDGET_OVERCOMMITTED, BUDGET_OVERCOMMITTED_SQL)


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
