"""What to do about a flag: each flag code's one or two obvious next steps.

A flag says what is wrong; the person reading it should not have to work out where in
the app the remedy is. Each code maps to its next steps, in the order a care
coordinator would take them: what the step is called (on its button), the tab of the
person's workspace it opens, and the act done there (a dialog, or the record chosen
in that tab). A code with no step says why (:class:`NoStep`): every code has an entry,
and a new code must be given one (tests/test_next_steps.py).

Pure data: the desktop app maps each :class:`Act` to its dialog
(careplan.ui.next_steps); where no dialog does the act yet, the step opens the tab and
``note`` says what to do there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from careplan.models.flags import FlagCode


class Tab(StrEnum):
    """The tabs of a person's workspace, by what they show."""

    PLAN = "plan"
    TEAM = "care team"
    HANDOFFS = "handoffs"
    REFERRALS = "referrals"
    TRANSITIONS = "transitions and hospital stays"
    HEALTH = "continuing healthcare and aftercare"
    CONFERENCES = "case conferences"
    SOCIAL = "carers and safeguarding"
    FUNDING = "funding"
    HISTORY = "history"


class Act(StrEnum):
    """What a step does once its tab is open. The flag's subject (the record it is
    about: a handoff, an action, a stay…) is the record the act starts from."""

    #: Open the tab with the flag's subject chosen, nothing more.
    SHOW = "show"
    ADD_TEAM_MEMBER = "add a care team member"
    MAKE_LEAD = "make a member the lead professional"
    RECORD_CONSENT = "record consent"
    REMIND_HANDOFF = "remind the receiver of a handoff"
    WITHDRAW_HANDOFF = "withdraw a handoff"
    GIVE_ACTION_OWNER = "give an action an owner"
    ESCALATE_REFERRAL = "escalate a referral to a panel"
    SIGN_PLAN = "sign the version in force"
    HOLD_CONFERENCE = "hold a case conference"
    CHANGE_STAY = "change a hospital stay"
    ADD_DELAY_REASON = "add a delay reason"
    OFFER_CARER_ASSESSMENT = "offer a carer's assessment"
    DECIDE_SAFEGUARDING = "record a s.42 decision"
    RECORD_CHC_DECISION = "record a continuing healthcare decision"
    RECORD_AFTERCARE = "record a section 117 aftercare plan"
    DECIDE_CONFLICT = "decide a sync conflict"
    RECORD_ASSESSMENT = "record a Care Act assessment"
    REVIEW_EMERGENCY_ACCESS = "review an emergency access"


@dataclass(frozen=True, slots=True)
class NextStep:
    """One next step: its button's words, the tab it opens and what it does there.

    ``note``: said when the step is taken and the app has no dialog for the act yet
    (the tab opens; the note says what to do in it)."""

    label: str
    tab: Tab
    act: Act = Act.SHOW
    note: str = ""


@dataclass(frozen=True, slots=True)
class NoStep:
    """A code with no next step to offer, and why."""

    reason: str


_ADULT_WORKER = NextStep("Add an adult-services worker", Tab.TEAM, Act.ADD_TEAM_MEMBER)
_CARE_ACT = NextStep(
    "Record the Care Act assessment", Tab.TRANSITIONS, Act.RECORD_ASSESSMENT,
    note="No form records a Care Act assessment in this version: record it in the local "
         "authority's system; CarePlan reads it when it is imported (FHIR).")

#: Every flag code's next steps (or why it has none), most useful first.
NEXT_STEPS: Mapping[FlagCode, tuple[NextStep, ...] | NoStep] = {
    FlagCode.HANDOFF_UNACKNOWLEDGED: (
        NextStep("Remind", Tab.HANDOFFS, Act.REMIND_HANDOFF),
        NextStep("Withdraw", Tab.HANDOFFS, Act.WITHDRAW_HANDOFF),
    ),
    FlagCode.ACTION_UNOWNED: (
        NextStep("Give the action an owner", Tab.PLAN, Act.GIVE_ACTION_OWNER),
    ),
    FlagCode.COORDINATOR_MISSING: (
        NextStep("Name a lead professional", Tab.TEAM, Act.MAKE_LEAD),
        NextStep("Add a care coordinator", Tab.TEAM, Act.ADD_TEAM_MEMBER),
    ),
    FlagCode.TRANSITION_18: (_ADULT_WORKER, _CARE_ACT),
    FlagCode.TRANSITION_25: (_ADULT_WORKER, _CARE_ACT),
    FlagCode.DISCHARGE_DELAYED: (
        NextStep("Add a delay reason", Tab.TRANSITIONS, Act.ADD_DELAY_REASON,
                 note="Choose the stay, then add why its discharge is delayed and which "
                      "agency owns clearing it."),
        NextStep("Set the discharge ready date", Tab.TRANSITIONS, Act.CHANGE_STAY),
    ),
    FlagCode.REFERRAL_DISPUTE: (
        NextStep("Show who held the referral", Tab.REFERRALS, Act.SHOW),
        NextStep("Escalate to a panel", Tab.REFERRALS, Act.ESCALATE_REFERRAL),
    ),
    FlagCode.REVIEW_OVERDUE: (
        NextStep("Hold a review case conference", Tab.CONFERENCES, Act.HOLD_CONFERENCE),
    ),
    FlagCode.PLAN_UNSIGNED: (
        NextStep("Sign this version", Tab.PLAN, Act.SIGN_PLAN),
    ),
    FlagCode.CONSENT_MISSING: (
        NextStep("Record consent", Tab.TEAM, Act.RECORD_CONSENT),
    ),
    FlagCode.SHARING_BASIS_MISSING: (
        NextStep("Record consent or a legal basis", Tab.TEAM, Act.RECORD_CONSENT),
        NextStep("Give the action to another agency", Tab.PLAN,
                 note="Double-click the Owner cell of the action and choose a member of an "
                      "agency that has a sharing basis for this person."),
    ),
    FlagCode.BREAK_GLASS: (
        NextStep("Review the emergency access", Tab.HISTORY, Act.REVIEW_EMERGENCY_ACCESS),
    ),
    FlagCode.FUNDING_DISPUTED: (
        NextStep("Show the disputed funding", Tab.FUNDING, Act.SHOW,
                 note="Agree who pays, then change the action's funders in the Funding "
                      "tab."),
    ),
    FlagCode.BUDGET_OVERCOMMITTED: (
        NextStep("Show the personal budget", Tab.FUNDING, Act.SHOW,
                 note="Bring the costs the budget pays within it, or change the budget, "
                      "in the Funding tab."),
    ),
    FlagCode.SYNC_CONFLICT: (
        NextStep("Decide what to keep", Tab.HISTORY, Act.DECIDE_CONFLICT),
    ),
    FlagCode.CARER_ASSESSMENT_MISSING: (
        NextStep("Offer a carer's assessment", Tab.SOCIAL, Act.OFFER_CARER_ASSESSMENT),
    ),
    FlagCode.SAFEGUARDING_DECISION_OVERDUE: (
        NextStep("Record the s.42 decision", Tab.SOCIAL, Act.DECIDE_SAFEGUARDING),
    ),
    FlagCode.CHC_DECISION_OVERDUE: (
        NextStep("Record the decision", Tab.HEALTH, Act.RECORD_CHC_DECISION),
    ),
    FlagCode.S117_AFTERCARE_UNASSIGNED: (
        NextStep("Record the aftercare plan", Tab.HEALTH, Act.RECORD_AFTERCARE),
    ),
    FlagCode.READMITTED_30_DAYS: (
        NextStep("Show both hospital stays", Tab.TRANSITIONS, Act.SHOW),
        NextStep("Hold a case conference", Tab.CONFERENCES, Act.HOLD_CONFERENCE),
    ),
    FlagCode.MH_COORDINATOR_MISSING: (
        NextStep("Add a mental health care coordinator", Tab.TEAM, Act.ADD_TEAM_MEMBER),
    ),
}


def next_steps(code: FlagCode | str) -> tuple[NextStep, ...]:
    """The next steps of a flag code; none for a code that has none, or is unknown (a
    badge saying the flags could not be checked)."""
    try:
        found = NEXT_STEPS.get(FlagCode(code))
    except ValueError:
        return ()
    return found if isinstance(found, tuple) else ()


__all__ = ["NEXT_STEPS", "Act", "NextStep", "NoStep", "Tab", "next_steps"]
