"""Which persons could have a flag today: a cheap SQL superset, so that only they are loaded.

Most of a caseload has no flag on a given day. Each rule has one clause here that
selects every person the rule *might* flag (never fewer); SQLite evaluates them in C,
and only the persons found are read into domain objects and put through the rules,
which stay the one judge of what is flagged. Tests check that the flags found this way
equal the flags of loading every person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from careplan.models.dates import school_year_start
from careplan.models.enums import AssessmentKind
from careplan.models.flags import FlagCode
from careplan.models.thresholds import Thresholds

Clause = Callable[[date, Thresholds], tuple[str, tuple[Any, ...]]]

_IN_FORCE = "('active', 'under review')"
_ACTIVE_MEMBER = "m.start_date <= :today AND (m.end_date IS NULL OR m.end_date >= :today)"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


def _transition(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    # Flagged from the start of Year 9 until the stop_age birthday. Year 9 starts at the
    # latest on the planning_age birthday and at the earliest a school year before it.
    latest_birth = _years_before(school_year_start(today) + timedelta(days=366),
                                 t.transition_planning_age)
    earliest_birth = _years_before(today, t.transition_stop_age) - timedelta(days=2)
    # Cleared when the team has an adult-services member and the adult assessment is done.
    adult_member = (
        "EXISTS (SELECT 1 FROM care_team_members m JOIN professionals p "
        "ON p.id = m.professional_id JOIN agencies a ON a.id = p.agency_id "
        f"WHERE m.person_id = x.id AND a.client_group = 'adults' AND {_ACTIVE_MEMBER})"
    )
    assessed = (
        "EXISTS (SELECT 1 FROM assessments s WHERE s.person_id = x.id AND s.kind = ? "
        "AND s.status = 'completed' AND s.completed_on <= :today)"
    )
    return (f"SELECT x.id FROM persons x WHERE x.birth_date > ? AND x.birth_date <= ? "
            f"AND NOT ({adult_member} AND {assessed})",
            (earliest_birth.isoformat(), latest_birth.isoformat(),
             AssessmentKind.CARE_ACT_ADULT.value))


def _discharge(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    return ("SELECT person_id FROM hospital_stays WHERE discharged_on IS NULL "
            "AND discharge_ready_on < :today", ())


def _referral(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    return ("SELECT r.person_id FROM referrals r WHERE r.sent_on <= :today AND NOT EXISTS "
            "(SELECT 1 FROM referral_events s WHERE s.referral_id = r.id "
            "AND s.occurred_on <= :today AND ((s.kind = 'accepted' AND s.as_lead = 1) "
            "OR s.kind = 'panel decision'))", ())


def _handoff(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    return ("SELECT person_id FROM handoffs WHERE status = 'proposed' "
            "AND answer_by < :today", ())


def _action(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    open_action = (f"c.status IN {_IN_FORCE} "
                   "AND a.status NOT IN ('completed', 'cancelled')")
    return ("SELECT c.person_id FROM actions a JOIN care_plans c ON c.id = a.plan_id "
            f"WHERE {open_action} AND a.owner_professional_id IS NULL "
            "UNION SELECT c.person_id FROM handoffs h JOIN actions a ON a.id = h.action_id "
            f"JOIN care_plans c ON c.id = a.plan_id WHERE h.status = 'declined' "
            f"AND {open_action}", ())


def _coordinator(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    return (f"SELECT c.person_id FROM care_plans c WHERE c.status IN {_IN_FORCE} "
            "AND NOT EXISTS (SELECT 1 FROM care_team_members m WHERE "
            f"m.person_id = c.person_id AND m.is_lead = 1 AND {_ACTIVE_MEMBER})", ())


def _review(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    first = f"+{t.review_first_review_weeks * 7} days"
    return ("SELECT person_id FROM care_plans WHERE status = 'active' AND coalesce("
            "review_date, date(coalesce(activated_on, created_on), ?)) < :today", (first,))


def _unsigned(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    sign_by_before = (today - timedelta(days=t.signoff_days)).isoformat()
    # Plans first (CROSS JOIN keeps the order): each one's members and sign-offs are then
    # read from covering indexes (migration 5).
    return (f"SELECT c.person_id FROM care_plans c CROSS JOIN care_team_members m "
            "ON m.person_id = c.person_id JOIN professionals p ON p.id = m.professional_id "
            f"WHERE c.status IN {_IN_FORCE} "
            "AND max(c.activated_on, coalesce(c.version_since, c.activated_on)) < ? "
            f"AND {_ACTIVE_MEMBER} "
            "AND NOT EXISTS (SELECT 1 FROM plan_signoffs s WHERE s.plan_id = c.id "
            "AND s.plan_version = c.plan_version AND +s.agency_id = p.agency_id "
            "AND substr(s.signed_at, 1, 10) <= :today)", (sign_by_before,))


def _consent(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    return ("SELECT m.person_id FROM care_team_members m JOIN professionals p "
            f"ON p.id = m.professional_id WHERE {_ACTIVE_MEMBER} AND "
            "NOT EXISTS (SELECT 1 FROM consents k WHERE k.person_id = m.person_id "
            "AND +k.agency_id = p.agency_id AND k.status IN ('given', 'legal basis') "
            "AND k.recorded_on <= :today) UNION SELECT person_id FROM consents "
            "WHERE status IN ('refused', 'withdrawn') AND recorded_on <= :today", ())


def _funding(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    # More than N working days disputed means more than N calendar days.
    latest = (today - timedelta(days=t.funding_dispute_working_days)).isoformat()
    return ("SELECT c.person_id FROM action_costs k JOIN actions a ON a.id = k.action_id "
            "JOIN care_plans c ON c.id = a.plan_id WHERE k.funding_status = 'disputed' "
            "AND k.disputed_since < ? AND a.status != 'cancelled'", (latest,))


#: Occurrences of cost ``k`` between ``lo`` and ``hi`` (the overlap of the budget's period,
#: which starts on ``first``, and the cost's dates): ``costing.occurrences`` exactly, in SQL.
#: A monthly cost falls on its start's day, or on the last day of a shorter month.
_OCCURRENCES = """CASE WHEN lo > hi THEN 0
  WHEN fr = 'one-off' THEN ks >= first
  WHEN fr = 'weekly' THEN CAST(julianday(hi) - julianday(ks) AS INTEGER) / 7
    - (CAST(julianday(lo) - julianday(ks) AS INTEGER) + 6) / 7 + 1
  WHEN fr = 'monthly' THEN max(0, (substr(hi, 1, 4) - substr(lo, 1, 4)) * 12
    + substr(hi, 6, 2) - substr(lo, 6, 2) + 1
    - (substr(ks, 9, 2) + 0 < substr(lo, 9, 2) + 0)
    - (substr(ks, 9, 2) + 0 > substr(hi, 9, 2) + 0 AND substr(date(hi, '+1 day'), 9, 2) != '01'))
  ELSE julianday(hi) - julianday(lo) + 1 END"""


def _budget(today: date, t: Thresholds) -> tuple[str, tuple[Any, ...]]:
    # A budget in its period whose funded costs may come to more than its allocation.
    # Each funder's part is its share rounded down, plus at most the one penny that
    # ``costing.split`` may add, so the sum here is never less than the rule's.
    last = "coalesce(b.end_date, date(b.start_date, '+1 year', '-1 day'))"
    lines = (
        "SELECT b.id AS bid, b.person_id, b.allocation_pence AS alloc, f.share_bp AS share, "
        "k.unit_cost_pence AS unit, k.frequency AS fr, k.start_date AS ks, "
        f"b.start_date AS first, max(b.start_date, k.start_date) AS lo, min({last}, "
        "coalesce(k.end_date, '9999-12-31')) AS hi FROM personal_budgets b "
        "CROSS JOIN action_funders f ON f.personal_budget_id = b.id "
        "JOIN action_costs k ON k.id = f.cost_id JOIN actions a ON a.id = k.action_id "
        f"WHERE b.start_date <= :today AND {last} >= :today AND a.status != 'cancelled'"
    )
    charged = (f"SELECT bid, person_id, alloc, share, unit * ({_OCCURRENCES}) AS pence "
               f"FROM ({lines})")
    return ("SELECT person_id FROM (SELECT person_id, alloc, "
            "sum(pence * share / 10000 + (pence > 0)) AS most "
            f"FROM ({charged}) GROUP BY bid) WHERE most > alloc", ())


#: One clause per flag code; a new rule must add its own.
CLAUSES: dict[FlagCode, Clause] = {
    FlagCode.HANDOFF_UNACKNOWLEDGED: _handoff,
    FlagCode.ACTION_UNOWNED: _action,
    FlagCode.COORDINATOR_MISSING: _coordinator,
    FlagCode.TRANSITION_18: _transition,
    FlagCode.DISCHARGE_DELAYED: _discharge,
    FlagCode.REFERRAL_DISPUTE: _referral,
    FlagCode.REVIEW_OVERDUE: _review,
    FlagCode.PLAN_UNSIGNED: _unsigned,
    FlagCode.CONSENT_MISSING: _consent,
    FlagCode.FUNDING_DISPUTED: _funding,
    FlagCode.BUDGET_OVERCOMMITTED: _budget,
}


def candidates_sql(
    today: date, thresholds: Thresholds, codes: Iterable[FlagCode] | None = None
) -> tuple[str, dict[str, Any]]:
    """One query for the ids of persons with an open plan whom some rule might flag
    (any rule, or one of ``codes``)."""
    parts = []
    params: dict[str, Any] = {"today": today.isoformat()}
    chosen = CLAUSES.values() if codes is None else [CLAUSES[c] for c in codes]
    for n, clause in enumerate(chosen):
        sql, args = clause(today, thresholds)
        for k, value in enumerate(args):
            name = f"p{n}_{k}"
            sql = sql.replace("?", f":{name}", 1)
            params[name] = value
        parts.append(sql)
    union = "\nUNION ".join(parts)
    return (f"SELECT DISTINCT person_id FROM care_plans WHERE status != 'closed' "
            f"AND person_id IN ({union})", params)
