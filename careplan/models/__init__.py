"""The pure domain: dataclasses, enums, validation and rules. No Qt, no SQL."""

from careplan.models.audit import AuditEvent
from careplan.models.base import Entity, new_id
from careplan.models.emergency import EmergencyAccess
from careplan.models.enums import *  # noqa: F403
from careplan.models.episodes import CaseConference, DelayReason, HospitalStay
from careplan.models.funding import (
    ActionCost,
    ActionFunder,
    BudgetContribution,
    FundingStream,
    JointBudget,
    PersonalBudget,
)
from careplan.models.handoffs import Handoff, Referral, ReferralEvent
from careplan.models.health import AftercarePlan, ChcAssessment
from careplan.models.people import (
    Agency,
    Assessment,
    CareTeamMember,
    Condition,
    Consent,
    Person,
    Professional,
)
from careplan.models.plan import (
    Action,
    ActionNeed,
    CarePlan,
    Need,
    Outcome,
    PlanSignOff,
    PlanVersion,
)
from careplan.models.social import Carer, SafeguardingConcern, YoungPersonStatus

#: Every stored entity type, parents before children (the order rows are written in).
ENTITY_TYPES: tuple[type[Entity], ...] = (
    Agency,
    Professional,
    Person,
    CareTeamMember,
    Consent,
    Condition,
    Assessment,
    CarePlan,
    Need,
    Outcome,
    CaseConference,
    Action,
    ActionNeed,
    PlanSignOff,
    PlanVersion,
    Handoff,
    Referral,
    ReferralEvent,
    HospitalStay,
    DelayReason,
    ChcAssessment,
    AftercarePlan,
    JointBudget,
    BudgetContribution,
    FundingStream,
    ActionCost,
    PersonalBudget,
    ActionFunder,
    Carer,
    YoungPersonStatus,
    SafeguardingConcern,
    EmergencyAccess,
)

BY_TABLE: dict[str, type[Entity]] = {t.TABLE: t for t in ENTITY_TYPES}

__all__ = [
    "ENTITY_TYPES",
    "BY_TABLE",
    "Action",
    "ActionCost",
    "ActionNeed",
    "ActionFunder",
    "AftercarePlan",
    "Agency",
    "Assessment",
    "AuditEvent",
    "BudgetContribution",
    "CarePlan",
    "Carer",
    "CareTeamMember",
    "CaseConference",
    "ChcAssessment",
    "Condition",
    "Consent",
    "DelayReason",
    "EmergencyAccess",
    "Entity",
    "FundingStream",
    "Handoff",
    "HospitalStay",
    "JointBudget",
    "Need",
    "Outcome",
    "Person",
    "PersonalBudget",
    "PlanSignOff",
    "PlanVersion",
    "Professional",
    "Referral",
    "ReferralEvent",
    "SafeguardingConcern",
    "YoungPersonStatus",
    "new_id",
]
