"""Enumerations of the domain. Values are the stable text kept in the store."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Sector(StrEnum):
    HEALTH = "health"
    SOCIAL_CARE = "social care"
    HOUSING = "housing"
    WELFARE = "welfare"
    VOLUNTARY = "voluntary"


class AgencyKind(StrEnum):
    GP_PRACTICE = "gp practice"
    COMMUNITY_HEALTH = "community health"
    MENTAL_HEALTH = "mental health"
    LEARNING_DISABILITY = "learning disability"
    SUBSTANCE_USE = "substance use"
    ACUTE_HOSPITAL = "acute hospital"
    ADULT_SOCIAL_CARE = "adult social care"
    CHILDRENS_SOCIAL_CARE = "children's social care"
    HOUSING = "housing"
    WELFARE = "welfare"
    VOLUNTARY = "voluntary"
    OTHER = "other"


class ClientGroup(StrEnum):
    """Whom a team serves; "adult services" are teams serving adults only."""

    CHILDREN = "children"
    ADULTS = "adults"
    ALL_AGES = "all ages"


class Role(StrEnum):
    GP = "GP"
    SOCIAL_WORKER = "social worker"
    COMMUNITY_NURSE = "community nurse"
    CPN = "community psychiatric nurse"
    LD_NURSE = "learning disability nurse"
    OT = "occupational therapist"
    CARE_COORDINATOR = "care coordinator"
    MANAGER = "manager"
    PSYCHIATRIST = "psychiatrist"
    DISCHARGE_COORDINATOR = "discharge coordinator"
    HOUSING_OFFICER = "housing officer"
    SUPPORT_WORKER = "support worker"
    SUBSTANCE_USE_WORKER = "substance use worker"
    TRANSITION_WORKER = "transition worker"
    OTHER = "other"


class NeedDomain(StrEnum):
    PHYSICAL_HEALTH = "physical health"
    MENTAL_HEALTH = "mental health"
    LEARNING_DISABILITY = "learning disability"
    SUBSTANCE_USE = "substance use"
    SOCIAL_CARE = "social care"
    HOUSING = "housing"
    OTHER = "other"


class ClinicalStatus(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"


class Verification(StrEnum):
    CONFIRMED = "confirmed"
    PROVISIONAL = "provisional"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    UNDER_REVIEW = "under review"
    CLOSED = "closed"


class OutcomeStatus(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    PARTLY_ACHIEVED = "partly achieved"
    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not achieved"


class ActionStatus(StrEnum):
    NOT_STARTED = "not started"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in progress"
    ON_HOLD = "on hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self not in (ActionStatus.COMPLETED, ActionStatus.CANCELLED)


class HandoffSubject(StrEnum):
    ACTION = "action"
    COORDINATION = "coordination"


class HandoffStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ReferralStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REDIRECTED = "redirected"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class ReferralEventKind(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REDIRECTED = "redirected"
    ESCALATED = "escalated"
    PANEL_DECISION = "panel decision"


class DeclineReason(StrEnum):
    """Why a team declined. ``substance use`` (a mental health service refusing) and
    ``severe mental illness`` (a substance misuse service refusing) are the refusals
    NICE QS188 statement 2 rules out from age 14, and its process measures count."""

    SUBSTANCE_USE = "substance use"
    SEVERE_MENTAL_ILLNESS = "severe mental illness"
    THRESHOLD_NOT_MET = "threshold not met"
    OTHER_TEAM = "other team should lead"
    OUT_OF_AREA = "out of area"
    OTHER = "other"


class DischargePathway(IntEnum):
    """NHS England discharge pathways 0-3."""

    HOME_NO_NEW_SUPPORT = 0
    HOME_WITH_SUPPORT = 1
    REHABILITATION_BED = 2
    CARE_HOME = 3


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    LEGAL_BASIS = "legal basis"


class AssessmentKind(StrEnum):
    CARE_ACT_ADULT = "Care Act adult assessment"
    CHILD_IN_NEED = "child in need assessment"
    CARER = "carer's assessment"
    CHC_CHECKLIST = "continuing healthcare checklist"
    OTHER = "other"


class AssessmentStatus(StrEnum):
    REQUESTED = "requested"
    IN_PROGRESS = "in progress"
    COMPLETED = "completed"
    #: The person offered it declined it (Care Act 2014 s.11: then no duty to assess).
    DECLINED = "declined"
