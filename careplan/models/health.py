"""The health side of the boundary: how a hospital stay began (emergency or elective, under
which section of the Mental Health Act), NHS Continuing Healthcare checklists and their
eligibility decisions, and section 117 aftercare plans.

Sources: the National Framework for NHS Continuing Healthcare and NHS-funded Nursing
Care (2022 revision) for the checklist and the eligibility decision; the Mental Health
Act 1983, s.117 (aftercare for persons who were detained under sections 3, 37, 45A, 47
or 48: a duty of the integrated care board and the local social services authority
together) and its Code of Practice (2015), chapter 33; the NHS Data Dictionary's
admission methods (emergency 2x, elective 1x) for admissions.

Also what the flag rules read of them (:class:`HealthFacts`), and which coded conditions
are a severe mental illness or substance misuse (:func:`condition_sets`, from the value
sets of ``resources/condition_codes.toml``, given parsed: this module reads no file).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from careplan.models.base import Entity, not_before
from careplan.models.condition_codes import ConditionCodes, icd10_category
from careplan.models.enums import ClinicalStatus, NeedDomain
from careplan.models.people import Condition


class AdmissionMethod(StrEnum):
    """How a stay began, in the NHS Data Dictionary's groups of ADMISSION METHOD."""

    #: 21-2D and 28: through A&E, a GP, a bed bureau, a clinic, a crisis team...
    EMERGENCY = "emergency"
    #: 11-13: from a waiting list, booked or planned.
    ELECTIVE = "elective"
    #: 31-32 (maternity) and 81-83 (a transfer that was not an emergency, and others).
    OTHER = "other"


class MhaSection(StrEnum):
    """The section of the Mental Health Act 1983 a person was detained under in a stay."""

    SECTION_2 = "section 2"
    SECTION_3 = "section 3"
    SECTION_37 = "section 37"
    SECTION_45A = "section 45A"
    SECTION_47 = "section 47"
    SECTION_48 = "section 48"
    #: Any other holding or assessment power (sections 4, 5, 35, 36, 38, 135, 136...).
    OTHER = "other section"

    @property
    def brings_aftercare(self) -> bool:
        """Whether leaving hospital after this detention brings the s.117 aftercare duty."""
        return self in AFTERCARE_SECTIONS


#: Mental Health Act 1983 s.117(1): detained under section 3, or in hospital under a
#: hospital order (s.37), a hospital direction (s.45A) or a transfer direction (s.47, 48).
AFTERCARE_SECTIONS = frozenset({MhaSection.SECTION_3, MhaSection.SECTION_37,
                                MhaSection.SECTION_45A, MhaSection.SECTION_47,
                                MhaSection.SECTION_48})


class ChecklistOutcome(StrEnum):
    """The NHS CHC Checklist's result: positive means a full assessment of eligibility."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


class ChcDecision(StrEnum):
    """The integrated care board's decision after a positive checklist."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not eligible"
    #: No decision will follow: the person declined the assessment, moved away or died.
    CLOSED = "closed without a decision"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChcAssessment(Entity):
    """An NHS Continuing Healthcare checklist and, after a positive one, the integrated
    care board's eligibility decision.

    The National Framework expects the decision within 28 calendar days of the board
    receiving the positive checklist; ``received_on`` is that day (when it is not
    recorded, the checklist's own date is used, the earlier of the two).
    """

    TABLE = "chc_assessments"
    NOUN = "continuing healthcare assessment"

    person_id: str
    checklist_on: date
    outcome: ChecklistOutcome
    #: The integrated care board that decides (an NHS body).
    agency_id: str | None = None
    received_on: date | None = None
    decision: ChcDecision | None = None
    decided_on: date | None = None
    #: The hospital stay it was started in, if any.
    stay_id: str | None = None
    note: str = ""

    def validate(self) -> None:
        not_before(self.received_on, self.checklist_on, "received_on", "checklist_on")
        not_before(self.decided_on, self.checklist_on, "decided_on", "checklist_on")
        if (self.decision is None) != (self.decided_on is None):
            raise ValueError("decided on: a decision and its date go together")
        if self.decision is not None and self.outcome is ChecklistOutcome.NEGATIVE:
            raise ValueError("decision: a negative checklist ends the process; only a "
                             "positive one awaits an eligibility decision")

    @property
    def clock_starts(self) -> date:
        """The day the 28 days run from: the board received the positive checklist."""
        return self.received_on or self.checklist_on

    def decided_by(self, today: date) -> bool:
        return self.decided_on is not None and self.decided_on <= today


@dataclass(frozen=True, slots=True, kw_only=True)
class AftercarePlan(Entity):
    """The section 117 aftercare agreed for a person leaving hospital after detention.

    The duty is joint (Mental Health Act 1983 s.117(2)): the plan names the NHS body (the
    integrated care board) and the local social services authority who provide or
    arrange the aftercare. It lasts until both are satisfied the person no longer needs
    it (``ended_on``).
    """

    TABLE = "aftercare_plans"
    NOUN = "section 117 aftercare plan"

    person_id: str
    #: The stay whose detention brought the duty.
    stay_id: str
    agreed_on: date
    nhs_agency_id: str | None = None
    council_agency_id: str | None = None
    summary: str = ""
    ended_on: date | None = None

    def validate(self) -> None:
        not_before(self.ended_on, self.agreed_on, "ended_on", "agreed_on")
        if self.ended_on is not None and not (self.nhs_agency_id and self.council_agency_id):
            raise ValueError("ended on: aftercare ends only when the NHS body and the local "
                             "authority both decide it is no longer needed; name both")


# -- coded conditions ------------------------------------------------------------------

#: The value set (resources/condition_codes.toml) of NICE QS188's severe mental illness;
#: its other side, substance misuse, is the whole substance use domain.
SEVERE_MENTAL_ILLNESS = "severe-mental-illness"


def value_set_of(condition: Condition, codes: ConditionCodes) -> str | None:
    """The id of the value set the condition's code is in (SNOMED CT digits or ICD-10);
    for a condition with no code, the set one of whose terms is its name."""
    code = condition.code.strip()
    if code:
        found = codes.by_snomed(code) if code.isdigit() else (
            codes.by_icd10(code) if icd10_category(code) else None)
        return found.id if found else None
    name = condition.name.strip().casefold()
    for vs in codes.value_sets:
        if any(term.casefold() == name for term in vs.snomed.values()):
            return vs.id
    return None


def condition_sets(conditions: Iterable[Condition], codes: ConditionCodes) -> dict[str, str]:
    """Condition id -> value set id, for the conditions that fall in one."""
    out: dict[str, str] = {}
    for condition in conditions:
        found = value_set_of(condition, codes)
        if found is not None:
            out[condition.id] = found
    return out


@dataclass(slots=True)
class HealthFacts:
    """What the rules of this module read besides the person's other facts.

    ``condition_sets`` holds the value set of each of the person's conditions that is in
    one (:func:`condition_sets`); the loader fills it from the shipped value sets.
    """

    chc: list[ChcAssessment] = field(default_factory=list)
    aftercare: list[AftercarePlan] = field(default_factory=list)
    condition_sets: dict[str, str] = field(default_factory=dict)

    def severe_mental_illness(self, conditions: Iterable[Condition]) -> list[Condition]:
        """Active mental health conditions coded as schizophrenia, other psychoses or
        bipolar disorder (the value set "severe-mental-illness"; other mental disorders,
        such as depression, share their domain)."""
        return [c for c in conditions if c.clinical_status is ClinicalStatus.ACTIVE
                and c.domain is NeedDomain.MENTAL_HEALTH
                and self.condition_sets.get(c.id) == SEVERE_MENTAL_ILLNESS]

    @staticmethod
    def substance_misuse(conditions: Iterable[Condition]) -> list[Condition]:
        """Active conditions of the substance use domain: a coded condition is given its
        domain from the value sets when it is recorded (the demo, FHIR import), and every
        code of the set "substance-use" falls in it."""
        return [c for c in conditions if c.clinical_status is ClinicalStatus.ACTIVE
                and c.domain is NeedDomain.SUBSTANCE_USE]
