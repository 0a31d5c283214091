"""The rules that raise flags: pure functions of one person's facts, today and thresholds.

Every rule takes ``(facts, ctx)`` and returns a list of flags. Most flags are raised only
for a person with an open care plan: closing the plan closes the case, and its flags. A
situation open in itself is flagged whether or not a plan is open: a referral nobody has
taken on (``referral-dispute``), a hospital stay (``discharge-delayed``), a safeguarding
concern (``safeguarding-decision-overdue``), an EHC plan or care leaver status
(``transition-25``), a continuing healthcare decision awaited, section 117 aftercare
owed, an emergency readmission and a person in mental health care without a care
coordinator there.

Beside each rule, in its module, is the SQL text that picks the persons it might flag
(:class:`Candidates`); ``store.flagcandidates`` runs those queries, so that only the
persons found are read and put through the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date

from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode
from careplan.models.rules import (
    aftercare,
    break_glass,
    carers,
    chc,
    consent,
    discharge,
    funding,
    mh_coordinator,
    ownership,
    plan,
    readmission,
    referral,
    safeguarding,
    sharing_basis,
    sync,
    transition,
    transition25,
)
from careplan.models.rules.break_glass import break_glass as break_glass_rule
from careplan.models.rules.carers import carer_assessment_missing
from careplan.models.rules.common import Candidates, Context
from careplan.models.rules.consent import consent_missing
from careplan.models.rules.discharge import discharge_delayed
from careplan.models.rules.funding import budget_overcommitted, funding_disputed
from careplan.models.rules.ownership import action_unowned, handoff_unacknowledged
from careplan.models.rules.plan import coordinator_missing, plan_unsigned, review_overdue
from careplan.models.rules.referral import referral_dispute
from careplan.models.rules.safeguarding import safeguarding_decision_overdue
from careplan.models.rules.sharing_basis import sharing_basis_missing
from careplan.models.rules.sync import sync_conflict
from careplan.models.rules.transition import transition_18
from careplan.models.rules.transition25 import transition_25
from careplan.models.thresholds import Thresholds
from careplan.models.workdays import ENGLAND_AND_WALES, WorkingDays

Rule = Callable[[PersonFacts, Context], list[Flag]]

#: Each code and the rule that raises it.
RULES: dict[FlagCode, Rule] = {
    FlagCode.HANDOFF_UNACKNOWLEDGED: handoff_unacknowledged,
    FlagCode.ACTION_UNOWNED: action_unowned,
    FlagCode.COORDINATOR_MISSING: coordinator_missing,
    FlagCode.TRANSITION_18: transition_18,
    FlagCode.DISCHARGE_DELAYED: discharge_delayed,
    FlagCode.REFERRAL_DISPUTE: referral_dispute,
    FlagCode.REVIEW_OVERDUE: review_overdue,
    FlagCode.PLAN_UNSIGNED: plan_unsigned,
    FlagCode.CONSENT_MISSING: consent_missing,
    FlagCode.FUNDING_DISPUTED: funding_disputed,
    FlagCode.BUDGET_OVERCOMMITTED: budget_overcommitted,
    FlagCode.SYNC_CONFLICT: sync_conflict,
    FlagCode.CARER_ASSESSMENT_MISSING: carer_assessment_missing,
    FlagCode.TRANSITION_25: transition_25,
    FlagCode.SAFEGUARDING_DECISION_OVERDUE: safeguarding_decision_overdue,
    FlagCode.CHC_DECISION_OVERDUE: chc.chc_decision_overdue,
    FlagCode.S117_AFTERCARE_UNASSIGNED: aftercare.s117_aftercare_unassigned,
    FlagCode.READMITTED_30_DAYS: readmission.readmitted_30_days,
    FlagCode.MH_COORDINATOR_MISSING: mh_coordinator.mh_coordinator_missing,
    FlagCode.SHARING_BASIS_MISSING: sharing_basis_missing,
    FlagCode.BREAK_GLASS: break_glass_rule,
}

#: Each code and the query for the persons its rule might flag (from the rule's module).
CANDIDATES: dict[FlagCode, Candidates] = {c.code: c for c in (
    ownership.HANDOFF_UNACKNOWLEDGED,
    ownership.ACTION_UNOWNED,
    plan.COORDINATOR_MISSING,
    transition.TRANSITION_18,
    discharge.DISCHARGE_DELAYED,
    referral.REFERRAL_DISPUTE,
    plan.REVIEW_OVERDUE,
    plan.PLAN_UNSIGNED,
    consent.CONSENT_MISSING,
    funding.FUNDING_DISPUTED,
    funding.BUDGET_OVERCOMMITTED,
    sync.SYNC_CONFLICT,
    carers.CARER_ASSESSMENT_MISSING,
    transition25.TRANSITION_25,
    safeguarding.SAFEGUARDING_DECISION_OVERDUE,
    chc.CHC_DECISION_OVERDUE,
    aftercare.S117_AFTERCARE_UNASSIGNED,
    readmission.READMITTED_30_DAYS,
    mh_coordinator.MH_COORDINATOR_MISSING,
    sharing_basis.SHARING_BASIS_MISSING,
    break_glass.BREAK_GLASS,
)}


_PLAN_TEAM = frozenset({"plans", "team"})
_OWNERSHIP = frozenset({"plans", "actions", "action_recorded_on", "handoffs"})
_MONEY = frozenset({"plans", "action_costs", "costed_actions", "action_funders",
                    "personal_budgets"})

#: The fields of :class:`PersonFacts` each rule may read, besides ``person`` and
#: ``directory`` (every person's). A person chosen by some rules' candidate queries is
#: read only as far as those rules read: a candidate for a review alone has no consents,
#: sign-offs or costs read. A rule reading a field missing here would see it empty, so
#: tests/test_flags_reads.py runs every rule over the demo and checks what it touches.
READS: dict[FlagCode, frozenset[str]] = {
    FlagCode.HANDOFF_UNACKNOWLEDGED: _OWNERSHIP,
    FlagCode.ACTION_UNOWNED: _OWNERSHIP,
    FlagCode.COORDINATOR_MISSING: _PLAN_TEAM,
    FlagCode.TRANSITION_18: _PLAN_TEAM | {"assessments"},
    FlagCode.DISCHARGE_DELAYED: frozenset({"stays", "delay_reasons"}),
    FlagCode.REFERRAL_DISPUTE: frozenset({"referrals", "referral_events", "conditions"}),
    FlagCode.REVIEW_OVERDUE: frozenset({"plans"}),
    FlagCode.PLAN_UNSIGNED: _PLAN_TEAM | {"signoffs"},
    FlagCode.CONSENT_MISSING: _PLAN_TEAM | {"consents"},
    # A disputed cost may be holding up a discharge (``discharge.delayed_discharges``).
    FlagCode.FUNDING_DISPUTED: _MONEY | {"stays", "delay_reasons"},
    FlagCode.BUDGET_OVERCOMMITTED: _MONEY,
    FlagCode.SYNC_CONFLICT: frozenset({"plans", "sync_conflicts"}),
    FlagCode.CARER_ASSESSMENT_MISSING: frozenset({"plans", "carers", "assessments"}),
    FlagCode.TRANSITION_25: _PLAN_TEAM | {"assessments", "young_person_statuses"},
    FlagCode.SAFEGUARDING_DECISION_OVERDUE: frozenset({"safeguarding_concerns"}),
    FlagCode.CHC_DECISION_OVERDUE: frozenset({"health"}),
    FlagCode.S117_AFTERCARE_UNASSIGNED: frozenset({"health", "stays"}),
    FlagCode.READMITTED_30_DAYS: frozenset({"stays"}),
    FlagCode.MH_COORDINATOR_MISSING: _PLAN_TEAM | {"conditions", "health"},
    FlagCode.SHARING_BASIS_MISSING: _OWNERSHIP | {"team", "consents"},
    FlagCode.BREAK_GLASS: _PLAN_TEAM | {"emergency_accesses"},
}


def evaluate(
    facts: PersonFacts,
    today: date,
    thresholds: Thresholds,
    calendar: WorkingDays = ENGLAND_AND_WALES,
    codes: Iterable[FlagCode] | None = None,
) -> list[Flag]:
    """Every flag for one person (or only the given codes), worst first."""
    return evaluate_all([facts], today, thresholds, calendar, codes)


def evaluate_all(
    people: Iterable[PersonFacts],
    today: date,
    thresholds: Thresholds,
    calendar: WorkingDays = ENGLAND_AND_WALES,
    codes: Iterable[FlagCode] | None = None,
    only: Mapping[str, Collection[FlagCode]] | None = None,
) -> list[Flag]:
    """Every flag for many people, worst first, then by person and code.

    ``only`` (person id -> codes) puts each person through those rules alone: the rules
    whose candidate queries (``CANDIDATES``) chose them, which hold every person their
    rule flags.
    """
    ctx = Context(today, thresholds, calendar)
    chosen = list(RULES) if codes is None else list(codes)
    rules = [RULES[c] for c in chosen]
    out: list[Flag] = []
    if only is None:
        for facts in people:
            for rule in rules:
                out.extend(rule(facts, ctx))
    else:
        for facts in people:
            mine = only.get(facts.person.id, ())
            for code in chosen:
                if code in mine:
                    out.extend(RULES[code](facts, ctx))
    out.sort(key=Flag.sort_key)
    return out


__all__ = [
    "CANDIDATES",
    "READS",
    "RULES",
    "Candidates",
    "Context",
    "Rule",
    "action_unowned",
    "break_glass_rule",
    "budget_overcommitted",
    "carer_assessment_missing",
    "consent_missing",
    "coordinator_missing",
    "discharge_delayed",
    "evaluate",
    "evaluate_all",
    "funding_disputed",
    "handoff_unacknowledged",
    "plan_unsigned",
    "referral_dispute",
    "review_overdue",
    "sharing_basis_missing",
    "sync_conflict",
    "safeguarding_decision_overdue",
    "transition_18",
    "transition_25",
]
