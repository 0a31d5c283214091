"""``coordinator-missing``, ``review-overdue`` and ``plan-unsigned``: the plan itself.

Sources: Care and Support Statutory Guidance (Care Act 2014), chapter 13, for reviews
(a light-touch review 6 to 8 weeks after a new plan, then no later than every 12
months); sign-off and coordinator rules are CarePlan defaults (``rules.toml``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.dates import add_months
from careplan.models.enums import PlanStatus
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.plan import CarePlan
from careplan.models.rules.common import (
    ACTIVE_MEMBER_SQL,
    IN_FORCE_SQL,
    Candidates,
    Context,
    active_team,
    day,
    flag,
    joined_on,
    plans_in_force,
    plural,
    team_agencies,
    team_agency_ids,
)
from careplan.models.thresholds import Thresholds

_ONE_DAY = timedelta(days=1)


def _activated(plan: CarePlan) -> date:
    return plan.activated_on or plan.created_on


def last_agreed(plan: CarePlan, today: date) -> date:
    """The last day up to ``today`` the plan was agreed or reviewed: its activation, the
    start of the version in force or its last completed review, whichever is latest."""
    since = [d for d in (plan.version_since, plan.reviewed_on) if d is not None and d <= today]
    return max([_activated(plan), *since])


#: Candidates for ``coordinator_missing``: a plan in force whose team has no lead active
#: today. No threshold: the flag is critical at once.
COORDINATOR_MISSING_SQL = (
    f"SELECT c.person_id FROM care_plans c WHERE c.status IN {IN_FORCE_SQL} "
    "AND NOT EXISTS (SELECT 1 FROM care_team_members m WHERE "
    f"m.person_id = c.person_id AND m.is_lead = 1 AND {ACTIVE_MEMBER_SQL})"
)
COORDINATOR_MISSING = Candidates(FlagCode.COORDINATOR_MISSING, COORDINATOR_MISSING_SQL)


def coordinator_missing(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag a plan in force whose care team has no active lead professional: critical."""
    today = ctx.today
    plans = [p for p in plans_in_force(facts) if _activated(p) <= today]
    if not plans:
        return []
    if any(m.is_lead for m in active_team(facts, today)):
        return []
    ended = [m.end_date for m in facts.team
             if m.is_lead and m.end_date is not None and m.end_date < today]
    out = []
    for plan in plans:
        since = _activated(plan)
        last_lead = max((d for d in ended if d >= since), default=None)
        if last_lead is not None:
            since = last_lead + _ONE_DAY
            why = (f"the last care coordinator left the team on {day(last_lead)} and "
                   "nobody has taken over")
        else:
            why = f"nobody in the care team has been named care coordinator since {day(since)}"
        message = (f"No care coordinator: the care plan is in use but {why}; name a lead "
                   "professional so that one person coordinates the team.")
        evidence = {"plan_id": plan.id, "plan_status": plan.status.value,
                    "activated_on": _activated(plan).isoformat(),
                    "last_lead_left_on": None if last_lead is None else last_lead.isoformat()}
        out.append(flag(facts, FlagCode.COORDINATOR_MISSING, Severity.CRITICAL,
                        (SubjectType.CARE_PLAN, plan.id), since, None, message, evidence))
    return out


def _planned_review(plan: CarePlan, ctx: Context) -> tuple[date, bool]:
    """The review date the plan records, or the default first review
    (``review.first_review_weeks`` after the plan became active, Care Act statutory
    guidance), and whether it is the default."""
    if plan.review_date is not None:
        return plan.review_date, False
    weeks = timedelta(weeks=ctx.thresholds.review_first_review_weeks)
    return _activated(plan) + weeks, True


def latest_review(plan: CarePlan, ctx: Context) -> date:
    """The last day the plan may go unreviewed: ``review.interval_months`` after it was
    last agreed (the start of the version in force, or the last completed review),
    Care Act statutory guidance's "no later than every 12 months"."""
    return add_months(last_agreed(plan, ctx.today),
                      ctx.thresholds.review_interval_months)


def review_due(plan: CarePlan, ctx: Context) -> tuple[date, str]:
    """The day the plan's review is due and why: ``"planned"`` (the date it records),
    ``"first"`` (the default first review) or ``"maximum"`` (12 months after it was last
    agreed, the statutory maximum, when that is earlier). A plan under review has only
    the maximum: the review it records is under way."""
    latest = latest_review(plan, ctx)
    if plan.status is PlanStatus.UNDER_REVIEW:
        return latest, "maximum"
    planned, default = _planned_review(plan, ctx)
    if latest < planned:
        return latest, "maximum"
    return planned, "first" if default else "planned"


#: Candidates for ``review_overdue``: a plan in force whose planned review (its review
#: date, or with none the default first review :first_review after activation) has
#: passed, or that was last agreed (:func:`latest_review`) before :agreed_before, i.e. more
#: than ``review.interval_months`` ago (a few days' margin for the months' lengths).
REVIEW_OVERDUE_SQL = (
    f"SELECT person_id FROM care_plans WHERE status IN {IN_FORCE_SQL} AND ("
    "coalesce(review_date, date(coalesce(activated_on, created_on), :first_review)) "
    "< :today OR max(coalesce(activated_on, created_on), "
    "CASE WHEN version_since <= :today THEN version_since ELSE '' END, "
    "CASE WHEN reviewed_on <= :today THEN reviewed_on ELSE '' END) < :agreed_before)"
)


def _review_params(today: date, t: Thresholds) -> dict[str, Any]:
    # latest_review(agreed) < today  =>  agreed < add_months(today, -interval) + 4 days:
    # adding months clamps a day the month lacks back by at most 3 days.
    bound = add_months(today, -t.review_interval_months) + timedelta(days=4)
    return {"first_review": f"+{t.review_first_review_weeks * 7} days",
            "agreed_before": bound.isoformat()}


REVIEW_OVERDUE = Candidates(FlagCode.REVIEW_OVERDUE, REVIEW_OVERDUE_SQL, _review_params)


def review_overdue(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag a plan in force whose review is overdue (:func:`review_due`): warning the day
    after it was due, critical ``review.critical_weeks`` after that. An active plan is
    due at its planned review or 12 months after it was last agreed, whichever is
    earlier; a plan under review, 12 months after it was last agreed."""
    today = ctx.today
    t = ctx.thresholds
    out = []
    for plan in plans_in_force(facts):
        if _activated(plan) > today:
            continue
        due_on, why = review_due(plan, ctx)
        if today <= due_on:
            continue
        late = (today - due_on).days
        critical_from = due_on + timedelta(weeks=t.review_critical_weeks)
        critical = today >= critical_from
        agreed = last_agreed(plan, today)
        if why == "first":
            basis = (f"the first review, {t.review_first_review_weeks} weeks after the plan "
                     f"became active on {day(_activated(plan))} (Care Act statutory guidance)")
        elif why == "planned":
            basis = "the review date set in the plan"
        else:
            if plan.status is PlanStatus.UNDER_REVIEW:
                note = "it is under review, and no review has been completed since"
            else:
                note = f"the review date it records, {day(plan.review_date or due_on)}, is later"
            basis = (f"{t.review_interval_months} months after it was last agreed or reviewed "
                     f"on {day(agreed)}, the most the Care Act statutory guidance allows "
                     f"between reviews ({note})")
        when = "critical since" if critical else "critical from"
        message = (f"Review overdue: the care plan was due for review on {day(due_on)}, "
                   f"{basis}, and is now {plural(late, 'day')} late ({when} "
                   f"{day(critical_from)}, {t.review_critical_weeks} weeks late).")
        evidence = {"plan_id": plan.id, "plan_status": plan.status.value,
                    "review_date": due_on.isoformat(),
                    "recorded_review_date": None if plan.review_date is None
                    else plan.review_date.isoformat(),
                    "default_review_date": why == "first", "due_because": why,
                    "days_overdue": late, "activated_on": _activated(plan).isoformat(),
                    "last_agreed_on": agreed.isoformat(),
                    "reviewed_on": None if plan.reviewed_on is None
                    else plan.reviewed_on.isoformat(),
                    "critical_from": critical_from.isoformat()}
        out.append(flag(facts, FlagCode.REVIEW_OVERDUE,
                        Severity.CRITICAL if critical else Severity.WARNING,
                        (SubjectType.CARE_PLAN, plan.id), due_on + _ONE_DAY,
                        None if critical else critical_from, message, evidence))
    return out


#: Candidates for ``plan_unsigned``: a plan in force whose version in force began more
#: than ``signoff.days`` ago (before :sign_by_before) and an active team member who
#: joined before then too, whose agency has not signed that version by today. (An
#: agency's days run from the later of the version's start and the day it joined, the
#: start of its earliest active member: some active member of it started before
#: :sign_by_before exactly when that day is before it.) Plans first (CROSS JOIN keeps
#: the order): each one's members and sign-offs are then read from covering indexes
#: (migration 5).
PLAN_UNSIGNED_SQL = (
    "SELECT c.person_id FROM care_plans c CROSS JOIN care_team_members m "
    "ON m.person_id = c.person_id JOIN professionals p ON p.id = m.professional_id "
    f"WHERE c.status IN {IN_FORCE_SQL} "
    "AND max(c.activated_on, coalesce(c.version_since, c.activated_on)) < :sign_by_before "
    f"AND {ACTIVE_MEMBER_SQL} AND m.start_date < :sign_by_before "
    "AND NOT EXISTS (SELECT 1 FROM plan_signoffs s WHERE s.plan_id = c.id "
    "AND s.plan_version = c.plan_version AND +s.agency_id = p.agency_id "
    "AND substr(s.signed_at, 1, 10) <= :today)"
)


def _unsigned_params(today: date, t: Thresholds) -> dict[str, Any]:
    return {"sign_by_before": (today - timedelta(days=t.signoff_days)).isoformat()}


PLAN_UNSIGNED = Candidates(FlagCode.PLAN_UNSIGNED, PLAN_UNSIGNED_SQL, _unsigned_params)


def plan_unsigned(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each agency of the active care team that has not signed the version in
    force ``signoff.days`` after it began, or after the agency joined the care team if
    that was later (its earliest active member's start): warning."""
    today = ctx.today
    days = ctx.thresholds.signoff_days
    out = []
    for plan in plans_in_force(facts):
        started = plan.current_version_start
        if started is None or today <= started + timedelta(days=days):
            continue
        signed = {
            s.agency_id for s in facts.signoffs
            if s.plan_id == plan.id and s.plan_version == plan.plan_version
            and s.signed_at.date() <= today
        }
        if team_agency_ids(facts, today) <= signed:
            continue
        for agency_id, (agency, members) in team_agencies(facts, today).items():
            if agency_id in signed:
                continue
            joined = joined_on(facts, agency_id, today)
            sign_by = max(started, joined) + timedelta(days=days)
            if today <= sign_by:
                continue
            if joined > started:
                due = (f"{agency.name} joined the care team on {day(joined)}; it should "
                       f"sign within {days} days of joining, by {day(sign_by)}.")
            else:
                due = f"every agency should sign within {days} days, by {day(sign_by)}."
            message = (
                f"Plan not signed: {agency.name} ({', '.join(sorted(members))} in the care "
                f"team) has not signed version {plan.plan_version} of the care plan, in force "
                f"since {day(started)}; {due}"
            )
            evidence = {"plan_id": plan.id, "plan_version": plan.plan_version,
                        "agency": agency.name, "team_members": sorted(members),
                        "version_since": started.isoformat(),
                        "joined_on": joined.isoformat(),
                        "sign_by": sign_by.isoformat()}
            out.append(flag(facts, FlagCode.PLAN_UNSIGNED, Severity.WARNING,
                            (SubjectType.AGENCY, agency_id), sign_by + _ONE_DAY, None,
                            message, evidence))
    return out
