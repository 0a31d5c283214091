"""Flags: what a rule found, about whom, since when, and why.

Codes are stable (CLI JSON, exports and tests use them) and never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for critical (to sort worst first)."""
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class FlagCode(StrEnum):
    HANDOFF_UNACKNOWLEDGED = "handoff-unacknowledged"
    ACTION_UNOWNED = "action-unowned"
    COORDINATOR_MISSING = "coordinator-missing"
    TRANSITION_18 = "transition-18"
    DISCHARGE_DELAYED = "discharge-delayed"
    REFERRAL_DISPUTE = "referral-dispute"
    REVIEW_OVERDUE = "review-overdue"
    PLAN_UNSIGNED = "plan-unsigned"
    CONSENT_MISSING = "consent-missing"
    FUNDING_DISPUTED = "funding-disputed"
    BUDGET_OVERCOMMITTED = "budget-overcommitted"
    SYNC_CONFLICT = "sync-conflict"
    CARER_ASSESSMENT_MISSING = "carer-assessment-missing"
    TRANSITION_25 = "transition-25"
    SAFEGUARDING_DECISION_OVERDUE = "safeguarding-decision-overdue"
    CHC_DECISION_OVERDUE = "chc-decision-overdue"
    S117_AFTERCARE_UNASSIGNED = "s117-aftercare-unassigned"
    READMITTED_30_DAYS = "readmitted-30-days"
    MH_COORDINATOR_MISSING = "mh-coordinator-missing"
    SHARING_BASIS_MISSING = "sharing-basis-missing"
    BREAK_GLASS = "break-glass"

    @property
    def label(self) -> str:
        """The flag as the screens name it ("Turning 18"); the code stays the key."""
        return LABELS[self]


#: Each code in words, for chips, filters and lists (the code itself never changes).
LABELS: dict[FlagCode, str] = {
    FlagCode.HANDOFF_UNACKNOWLEDGED: "Handoff not answered",
    FlagCode.ACTION_UNOWNED: "Action with no owner",
    FlagCode.COORDINATOR_MISSING: "No care coordinator",
    FlagCode.TRANSITION_18: "Turning 18",
    FlagCode.DISCHARGE_DELAYED: "Discharge delayed",
    FlagCode.REFERRAL_DISPUTE: "Referral in dispute",
    FlagCode.REVIEW_OVERDUE: "Review overdue",
    FlagCode.PLAN_UNSIGNED: "Plan not signed",
    FlagCode.CONSENT_MISSING: "No consent to share",
    FlagCode.FUNDING_DISPUTED: "Funding disputed",
    FlagCode.BUDGET_OVERCOMMITTED: "Budget overcommitted",
    FlagCode.SYNC_CONFLICT: "Changes in conflict",
    FlagCode.CARER_ASSESSMENT_MISSING: "Carer's assessment not offered",
    FlagCode.TRANSITION_25: "Young adult with no adult plan",
    FlagCode.SAFEGUARDING_DECISION_OVERDUE: "Safeguarding decision overdue",
    FlagCode.CHC_DECISION_OVERDUE: "Continuing healthcare decision overdue",
    FlagCode.S117_AFTERCARE_UNASSIGNED: "Section 117 aftercare not arranged",
    FlagCode.READMITTED_30_DAYS: "Readmitted within 30 days",
    FlagCode.MH_COORDINATOR_MISSING: "No mental health care coordinator",
    FlagCode.SHARING_BASIS_MISSING: "No sharing basis",
    FlagCode.BREAK_GLASS: "Emergency access to review",
}


def flag_label(code: str) -> str:
    """The words for a flag code; a code this version does not know is shown as it is."""
    try:
        return FlagCode(code).label
    except ValueError:
        return code


#: Codes only a store that has received another store's changes can raise: a store
#: that never shared (a fresh demo) raises every code but these.
SHARING_CODES = frozenset({FlagCode.SYNC_CONFLICT})


class SubjectType(StrEnum):
    """What a flag is about; the id it carries is a row of that kind."""

    PERSON = "person"
    CARE_PLAN = "care_plan"
    ACTION = "action"
    HANDOFF = "handoff"
    REFERRAL = "referral"
    HOSPITAL_STAY = "hospital_stay"
    AGENCY = "agency"
    PERSONAL_BUDGET = "personal_budget"
    SYNC_CONFLICT = "sync_conflict"
    CARER = "carer"
    SAFEGUARDING_CONCERN = "safeguarding_concern"
    CHC_ASSESSMENT = "chc_assessment"
    EMERGENCY_ACCESS = "emergency_access"


@dataclass(frozen=True, slots=True, kw_only=True)
class Flag:
    """One rule's finding.

    ``since`` is the date the finding became true; ``due`` the date it escalates to
    the next severity (``None`` when it does not); ``evidence`` holds the facts the
    rule rests on as plain JSON-ready values.
    """

    code: FlagCode
    severity: Severity
    person_id: str
    nhs_number: str | None
    person_name: str
    subject_type: SubjectType
    subject_id: str
    since: date
    due: date | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Worst first, then by person name, code and subject."""
        return (-self.severity.rank, self.person_name, self.person_id, self.code,
                self.subject_id)

    def to_json(self) -> dict[str, Any]:
        """The flag as the CLI's JSON object (NHS number as 10 digits, ISO dates)."""
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "person_id": self.person_id,
            "nhs_number": self.nhs_number,
            "person_name": self.person_name,
            "subject_type": self.subject_type.value,
            "subject_id": self.subject_id,
            "since": self.since.isoformat(),
            "due": None if self.due is None else self.due.isoformat(),
            "message": self.message,
            "evidence": self.evidence,
        }
