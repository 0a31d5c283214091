"""Code systems, extensions and the status maps between CarePlan and FHIR R4.

``fhir.resources`` checks structure, not code values, so every status we write is
checked here against the R4 (4.0.1) value set of its required binding
(``check_codes``). Local code systems carry what FHIR has no code for; their URLs live
under ``LOCAL`` and are documented in docs/fhir-mapping.md.
"""

from __future__ import annotations

from typing import Any

from careplan.models.enums import (
    ActionStatus,
    ConsentStatus,
    HandoffStatus,
    OutcomeStatus,
    PlanStatus,
    ReferralStatus,
)

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
#: Why a List is empty: ``withheld`` (Information Withheld: not provided for privacy or
#: confidentiality), HL7 Terminology.
LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
#: Security labels: ``REDACTED`` (part of the content was removed), HL7 v3
#: SecurityIntegrityObservationValue.
V3_OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
#: Purpose of use: ``TREAT`` (treatment), HL7 v3 ActReason (PurposeOfUse).
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
#: Where the laws a legal basis cites are published (Consent.policy.authority).
LEGISLATION = "https://www.legislation.gov.uk"

#: Base of our local code systems and extensions (a placeholder domain until published).
LOCAL = "https://careplan.example.org/fhir"


def cs(name: str) -> str:
    """URL of a local CodeSystem."""
    return f"{LOCAL}/CodeSystem/{name}"


def ext(name: str) -> str:
    """URL of a local extension."""
    return f"{LOCAL}/StructureDefinition/{name}"


def local_id(name: str) -> str:
    """URL of a local identifier system."""
    return f"{LOCAL}/Id/{name}"


LOCAL_AUTHORITY_ID = local_id("local-authority-id")
UNVERIFIED_NHS_NUMBER = local_id("unverified-nhs-number")
#: How an NHS number failing Modulus 11 is kept on import: in the person's local
#: authority id field, behind this prefix, so it is visible but never taken as valid.
UNVERIFIED_NHS_PREFIX = "unverified NHS number "


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- R4 required bindings (values copied from the R4 4.0.1 value sets) -------------

R4_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("CarePlan", "status"): _codes(
        "draft active on-hold revoked completed entered-in-error unknown"),
    ("CarePlan", "intent"): _codes(
        "proposal plan order option"),
    ("CarePlan.activity.detail", "status"): _codes(
        "not-started scheduled in-progress on-hold completed cancelled stopped unknown "
        "entered-in-error"),
    ("Goal", "lifecycleStatus"): _codes(
        "proposed planned accepted active on-hold completed cancelled entered-in-error "
        "rejected"),
    ("Task", "status"): _codes(
        "draft requested received accepted rejected ready cancelled in-progress on-hold "
        "failed completed entered-in-error"),
    ("Task", "intent"): _codes(
        "unknown proposal plan order original-order reflex-order filler-order "
        "instance-order option"),
    ("ServiceRequest", "status"): _codes(
        "draft active on-hold revoked completed entered-in-error unknown"),
    ("ServiceRequest", "intent"): _codes(
        "proposal plan directive order original-order reflex-order filler-order "
        "instance-order option"),
    ("Encounter", "status"): _codes(
        "planned arrived triaged in-progress onleave finished cancelled entered-in-error "
        "unknown"),
    ("Consent", "status"): _codes(
        "draft proposed active rejected inactive entered-in-error"),
    ("Consent.provision", "type"): frozenset({"deny", "permit"}),
    ("CareTeam", "status"): _codes(
        "proposed active suspended inactive entered-in-error"),
    ("List", "status"): _codes("current retired entered-in-error"),
    ("List", "mode"): _codes("working snapshot changes"),
}


def check_codes(resource: dict[str, Any]) -> None:
    """Raise ValueError when a status-like code is outside its R4 required value set."""
    rtype = resource["resourceType"]

    def check(path: str, name: str, value: Any) -> None:
        allowed = R4_CODES.get((path, name))
        if allowed is not None and value is not None and value not in allowed:
            raise ValueError(f"{rtype}.{name}: {value!r} is not an R4 code")

    for name in ("status", "intent", "lifecycleStatus", "mode"):
        check(rtype, name, resource.get(name))
    for activity in resource.get("activity", []) if rtype == "CarePlan" else []:
        check("CarePlan.activity.detail", "status", activity.get("detail", {}).get("status"))
    if rtype == "Consent":
        check("Consent.provision", "type", resource.get("provision", {}).get("type"))


# -- status maps: ours -> FHIR (and back, via the local coding we always add) --------

PLAN_STATUS: dict[PlanStatus, str] = {
    PlanStatus.DRAFT: "draft",
    PlanStatus.ACTIVE: "active",
    PlanStatus.UNDER_REVIEW: "active",
    PlanStatus.CLOSED: "completed",
}
PLAN_STATUS_IN: dict[str, PlanStatus] = {
    "draft": PlanStatus.DRAFT,
    "active": PlanStatus.ACTIVE,
    "on-hold": PlanStatus.UNDER_REVIEW,
    "completed": PlanStatus.CLOSED,
    "revoked": PlanStatus.CLOSED,
}

ACTION_STATUS: dict[ActionStatus, str] = {
    s: s.value.replace(" ", "-") for s in ActionStatus
}
ACTION_STATUS_IN: dict[str, ActionStatus] = {
    **{v: k for k, v in ACTION_STATUS.items()},
    "stopped": ActionStatus.CANCELLED,
}

OUTCOME_LIFECYCLE: dict[OutcomeStatus, str] = {
    OutcomeStatus.NOT_STARTED: "planned",
    OutcomeStatus.IN_PROGRESS: "active",
    OutcomeStatus.PARTLY_ACHIEVED: "active",
    OutcomeStatus.ACHIEVED: "completed",
    OutcomeStatus.NOT_ACHIEVED: "completed",
}
OUTCOME_ACHIEVEMENT: dict[OutcomeStatus, str | None] = {
    OutcomeStatus.NOT_STARTED: None,
    OutcomeStatus.IN_PROGRESS: "in-progress",
    OutcomeStatus.PARTLY_ACHIEVED: "improving",
    OutcomeStatus.ACHIEVED: "achieved",
    OutcomeStatus.NOT_ACHIEVED: "not-achieved",
}
ACHIEVEMENT_IN: dict[str, OutcomeStatus] = {
    "in-progress": OutcomeStatus.IN_PROGRESS,
    "improving": OutcomeStatus.PARTLY_ACHIEVED,
    "worsening": OutcomeStatus.IN_PROGRESS,
    "no-change": OutcomeStatus.IN_PROGRESS,
    "no-progress": OutcomeStatus.IN_PROGRESS,
    "achieved": OutcomeStatus.ACHIEVED,
    "sustaining": OutcomeStatus.ACHIEVED,
    "not-achieved": OutcomeStatus.NOT_ACHIEVED,
    "not-attainable": OutcomeStatus.NOT_ACHIEVED,
}

HANDOFF_STATUS: dict[HandoffStatus, str] = {
    HandoffStatus.PROPOSED: "requested",
    HandoffStatus.ACCEPTED: "accepted",
    HandoffStatus.DECLINED: "rejected",
    HandoffStatus.WITHDRAWN: "cancelled",
}
HANDOFF_STATUS_IN: dict[str, HandoffStatus] = {v: k for k, v in HANDOFF_STATUS.items()}

REFERRAL_TASK_STATUS: dict[ReferralStatus, str] = {
    ReferralStatus.SENT: "requested",
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.DECLINED: "rejected",
    ReferralStatus.REDIRECTED: "requested",
    ReferralStatus.ESCALATED: "on-hold",
    ReferralStatus.RESOLVED: "completed",
}
REFERRAL_TASK_STATUS_IN: dict[str, ReferralStatus] = {
    "requested": ReferralStatus.SENT,
    "received": ReferralStatus.SENT,
    "accepted": ReferralStatus.ACCEPTED,
    "rejected": ReferralStatus.DECLINED,
    "on-hold": ReferralStatus.ESCALATED,
    "in-progress": ReferralStatus.ACCEPTED,
    "completed": ReferralStatus.RESOLVED,
}
REFERRAL_REQUEST_STATUS: dict[ReferralStatus, str] = {
    ReferralStatus.SENT: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.DECLINED: "revoked",
    ReferralStatus.REDIRECTED: "active",
    ReferralStatus.ESCALATED: "on-hold",
    ReferralStatus.RESOLVED: "completed",
}
REFERRAL_REQUEST_STATUS_IN: dict[str, ReferralStatus] = {
    "draft": ReferralStatus.SENT,
    "active": ReferralStatus.SENT,
    "on-hold": ReferralStatus.ESCALATED,
    "revoked": ReferralStatus.DECLINED,
    "completed": ReferralStatus.RESOLVED,
}

CONSENT_STATUS: dict[ConsentStatus, tuple[str, str]] = {
    # ours -> (Consent.status, provision.type)
    ConsentStatus.GIVEN: ("active", "permit"),
    ConsentStatus.REFUSED: ("active", "deny"),
    ConsentStatus.WITHDRAWN: ("inactive", "deny"),
    ConsentStatus.LEGAL_BASIS: ("active", "permit"),
}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def slug(text: str) -> str:
    """A code made from an enum value: ``children's social care`` -> ``childrens-social-care``."""
    return text.lower().replace("'", "").replace(" ", "-")
