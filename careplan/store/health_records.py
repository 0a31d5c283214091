"""Recording the health side of the boundary, each write one transaction with its audit
events (careplan.store.repo): hospital stays (how they began, the Mental Health Act
section), NHS Continuing Healthcare checklists and decisions, and section 117
aftercare plans (careplan.models.health).

Each function checks what the records alone cannot: that the stay is the person's, that
the integrated care board is an NHS body and the local authority a council's social
care, that aftercare follows a detention that brings the duty. A refusal is one sentence
naming the field, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from careplan.models import Agency, HospitalStay
from careplan.models.enums import Sector
from careplan.models.health import (
    AFTERCARE_SECTIONS,
    AftercarePlan,
    ChcAssessment,
    ChcDecision,
    ChecklistOutcome,
)
from careplan.store.db import Store
from careplan.store.errors import InputError, NotFoundError
from careplan.store.repo import add, find, get, update

_SECTIONS = ", ".join(s.value.removeprefix("section ") for s in sorted(AFTERCARE_SECTIONS))


@dataclass
class HealthFile:
    """One person's continuing healthcare assessments and aftercare plans, newest first."""

    chc: list[ChcAssessment] = field(default_factory=list)
    aftercare: list[AftercarePlan] = field(default_factory=list)


def load_health(store: Store, person_id: str) -> HealthFile:
    return HealthFile(
        chc=find(store, ChcAssessment, order_by="-checklist_on", person_id=person_id),
        aftercare=find(store, AftercarePlan, order_by="-agreed_on", person_id=person_id))


def _agency(store: Store, agency_id: str, name: str) -> Agency:
    try:
        return get(store, Agency, agency_id)
    except NotFoundError:
        raise InputError(f"{name}: there is no agency with id {agency_id} in this store"
                         ) from None


def _require_sector(store: Store, agency_id: str | None, sector: Sector, name: str,
                    what: str) -> None:
    if agency_id is None:
        return
    agency = _agency(store, agency_id, name)
    if agency.sector is not sector:
        raise InputError(f"{name}: {agency.name} is {agency.sector.value}, not {what}")


def _stay_of(store: Store, stay_id: str, person_id: str, name: str = "stay") -> HospitalStay:
    try:
        stay = get(store, HospitalStay, stay_id)
    except NotFoundError:
        raise InputError(f"{name}: there is no hospital stay with id {stay_id} in this store"
                         ) from None
    if stay.person_id != person_id:
        raise InputError(f"{name}: that hospital stay is another person's")
    return stay


# -- hospital stays ------------------------------------------------------------------------


def save_stay(store: Store, stay: HospitalStay, actor: str) -> HospitalStay:
    """Add (version 0) or update a hospital stay: its hospital must be a health agency.

    Raises:
        InputError: naming the field; StaleWriteError: changed by someone since.
    """
    with store.atomic():
        _require_sector(store, stay.hospital_id, Sector.HEALTH, "hospital",
                        "a hospital (health)")
        if stay.version == 0:
            return add(store, stay, actor)
        current = get(store, HospitalStay, stay.id)
        if current.person_id != stay.person_id:
            raise InputError("person: a hospital stay cannot move to another person")
        return update(store, stay, actor)


# -- continuing healthcare -----------------------------------------------------------------


def record_checklist(store: Store, chc: ChcAssessment, actor: str) -> ChcAssessment:
    """Record a completed NHS CHC Checklist (positive or negative).

    Raises:
        InputError: the board is not an NHS body, or the stay is not the person's.
    """
    with store.atomic():
        _require_sector(store, chc.agency_id, Sector.HEALTH, "integrated care board",
                        "an NHS body")
        if chc.stay_id is not None:
            _stay_of(store, chc.stay_id, chc.person_id)
        return add(store, chc, actor)


def record_decision(store: Store, chc: ChcAssessment, decision: ChcDecision,
                    decided_on: date, actor: str) -> ChcAssessment:
    """Record the board's eligibility decision after a positive checklist.

    Raises:
        InputError: the checklist was negative, a decision is already recorded, or the
            date is before the checklist.
        StaleWriteError: the assessment changed since ``chc`` was read.
    """
    if chc.outcome is not ChecklistOutcome.POSITIVE:
        raise InputError("decision: a negative checklist awaits no eligibility decision")
    if chc.decision is not None:
        raise InputError(f"decision: one is already recorded ({chc.decision.value})")
    try:
        decided = chc.evolve(decision=decision, decided_on=decided_on)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return update(store, decided, actor)


# -- section 117 aftercare -----------------------------------------------------------------


def save_aftercare_plan(store: Store, plan: AftercarePlan, actor: str) -> AftercarePlan:
    """Add (version 0) or update a section 117 aftercare plan.

    Raises:
        InputError: the stay is not the person's or brought no s.117 duty; the NHS body
            is not of the health sector or the local authority not of social care.
        StaleWriteError: the plan changed since it was read.
    """
    with store.atomic():
        stay = _stay_of(store, plan.stay_id, plan.person_id)
        if stay.mha_section not in AFTERCARE_SECTIONS:
            held = "no detention" if stay.mha_section is None else stay.mha_section.value
            raise InputError(f"stay: section 117 aftercare follows detention under section "
                             f"{_SECTIONS} of the Mental Health Act; this stay records "
                             f"{held}")
        _require_sector(store, plan.nhs_agency_id, Sector.HEALTH, "NHS body",
                        "an NHS body (health)")
        _require_sector(store, plan.council_agency_id, Sector.SOCIAL_CARE, "local authority",
                        "a council's social care")
        if plan.version == 0:
            return add(store, plan, actor)
        return update(store, plan, actor)
