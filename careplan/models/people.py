"""Persons, the agencies and professionals around them, consent, conditions, assessments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from careplan.models import nhs
from careplan.models.base import Entity, not_before, require_text
from careplan.models.enums import (
    AgencyKind,
    AssessmentKind,
    AssessmentStatus,
    ClientGroup,
    ClinicalStatus,
    ConsentStatus,
    LegalBasis,
    NeedDomain,
    Role,
    Sector,
    Verification,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Agency(Entity):
    """An organisation, or a team within one, that can hold responsibility."""

    TABLE = "agencies"
    NOUN = "agency"

    name: str
    sector: Sector
    kind: AgencyKind = AgencyKind.OTHER
    client_group: ClientGroup = ClientGroup.ALL_AGES
    #: The care domain a specialist team serves (used to spot dual diagnosis disputes).
    domain: NeedDomain | None = None
    neighbourhood: str = ""
    ods_code: str = ""

    def validate(self) -> None:
        require_text(self.name, "name")

    @property
    def is_adult_services(self) -> bool:
        return self.client_group is ClientGroup.ADULTS


@dataclass(frozen=True, slots=True, kw_only=True)
class Professional(Entity):
    """A named worker in one agency."""

    TABLE = "professionals"
    NOUN = "professional"

    name: str
    role: Role
    agency_id: str
    email: str = ""
    phone: str = ""

    def validate(self) -> None:
        require_text(self.name, "name")
        require_text(self.agency_id, "agency")


@dataclass(frozen=True, slots=True, kw_only=True)
class Person(Entity):
    """The person the plan is for."""

    TABLE = "persons"
    NOUN = "person"

    given_name: str
    family_name: str
    birth_date: date
    nhs_number: str | None = None
    local_authority_id: str = ""
    gp_practice_id: str | None = None
    address: str = ""
    neighbourhood: str = ""
    what_matters: str = ""

    def validate(self) -> None:
        require_text(self.given_name, "given_name")
        require_text(self.family_name, "family_name")
        if self.birth_date > date.today():
            raise ValueError(f"birth date: {self.birth_date.isoformat()} is in the future")
        if self.nhs_number is not None:
            digits = nhs.normalise(self.nhs_number)
            if digits != self.nhs_number:
                object.__setattr__(self, "nhs_number", digits)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CareTeamMember(Entity):
    """A professional in a person's care team; one member is the lead professional."""

    TABLE = "care_team_members"
    NOUN = "care team member"

    person_id: str
    professional_id: str
    role: Role
    start_date: date
    end_date: date | None = None
    is_lead: bool = False
    #: Why a manager made this member the lead professional (careplan.store.team.set_lead);
    #: empty when the lead came through a coordination handoff or from the start.
    lead_reason: str = ""

    def validate(self) -> None:
        not_before(self.end_date, self.start_date, "end_date", "start_date")

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent(Entity):
    """Consent to share with one agency, or the legal basis used instead.

    A legal basis names its kind (``basis``, :class:`~careplan.models.enums.LegalBasis`)
    and may add the particulars in ``legal_basis`` (which court order, which enquiry);
    a record made before the kinds were kept, or imported without one, has the text
    alone. The latest record for the agency decides whether the person's records are
    shared with it (careplan.models.sharing_basis).
    """

    TABLE = "consents"
    NOUN = "consent"

    person_id: str
    agency_id: str
    status: ConsentStatus
    recorded_on: date
    recorded_by: str
    legal_basis: str = ""
    basis: LegalBasis | None = None

    def validate(self) -> None:
        require_text(self.recorded_by, "recorded_by")
        if self.status is ConsentStatus.LEGAL_BASIS:
            if self.basis is None:
                require_text(self.legal_basis, "legal_basis")
        elif self.basis is not None:
            raise ValueError(f"legal basis: a consent {self.status.value} names no legal "
                             "basis (record the legal basis as a record of its own)")

    @property
    def basis_text(self) -> str:
        """The legal basis as a sentence names it: its kind and its particulars."""
        parts = [self.basis.value] if self.basis is not None else []
        if self.legal_basis.strip():
            parts.append(self.legal_basis.strip())
        return ": ".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition(Entity):
    """A diagnosis; active conditions in two domains make a dual diagnosis."""

    TABLE = "conditions"
    NOUN = "condition"

    person_id: str
    name: str
    domain: NeedDomain
    clinical_status: ClinicalStatus = ClinicalStatus.ACTIVE
    verification: Verification = Verification.CONFIRMED
    onset_date: date | None = None
    code: str = ""

    def validate(self) -> None:
        require_text(self.name, "name")


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment(Entity):
    """An assessment of need, such as the Care Act adult assessment before 18."""

    TABLE = "assessments"
    NOUN = "assessment"

    person_id: str
    kind: AssessmentKind
    status: AssessmentStatus
    requested_on: date
    completed_on: date | None = None
    agency_id: str | None = None

    def validate(self) -> None:
        not_before(self.completed_on, self.requested_on, "completed_on", "requested_on")
        if self.status is AssessmentStatus.COMPLETED and self.completed_on is None:
            raise ValueError("completed on: is required when the assessment is completed")
