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


class LegalBasis(StrEnum):
    """A lawful basis for sharing a person's information with an agency without their
    consent, recorded with a consent of status "legal basis" (its ``source``: the law).

    ``DIRECT_CARE`` is the duty to share for a person's direct care (Health and Social
    Care Act 2012 s.251B, inserted by the Health and Social Care (Safety and Quality) Act
    2015 s.3). It binds health and adult social care commissioners and providers only,
    and not where the person objects (s.251B(4)(a)): a refusal or withdrawal of consent
    stands against it (careplan.models.sharing_basis). ``SAFEGUARDING`` and
    ``COURT_ORDER`` do not rest on the person's agreement.
    """

    DIRECT_CARE = "direct care"
    SAFEGUARDING = "safeguarding"
    COURT_ORDER = "court order"

    @property
    def source(self) -> str:
        """The law the basis rests on, as a record or a print cites it."""
        return LEGAL_BASIS_SOURCES[self][0]

    @property
    def url(self) -> str:
        """The law's page on legislation.gov.uk (a FHIR Consent's ``policy.uri``)."""
        return LEGAL_BASIS_SOURCES[self][1]


#: Each legal basis: the law it rests on, and its page on legislation.gov.uk.
LEGAL_BASIS_SOURCES: dict[LegalBasis, tuple[str, str]] = {
    LegalBasis.DIRECT_CARE: (
        "Health and Social Care Act 2012 s.251B (duty to share information for a "
        "person's direct care)",
        "https://www.legislation.gov.uk/ukpga/2012/7/section/251B"),
    LegalBasis.SAFEGUARDING: (
        "Data Protection Act 2018 Sch.8 para.4 (safeguarding of children and of "
        "individuals at risk), with Care Act 2014 s.42 and s.45 or Children Act 1989 s.47",
        "https://www.legislation.gov.uk/ukpga/2018/12/schedule/8/paragraph/4"),
    LegalBasis.COURT_ORDER: (
        "an order of a court or tribunal requiring the disclosure (Data Protection Act "
        "2018 Sch.2 para.5(2))",
        "https://www.legislation.gov.uk/ukpga/2018/12/schedule/2/paragraph/5"),
}


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
