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

from careplan.models import Agency, DelayReason, HospitalStay
from careplan.models import permissions as rules
from careplan.models.dates import uk_date
from careplan.models.enums import DischargePathway, Sector
from careplan.models.health import (
    AFTERCARE_SECTIONS,
    AftercarePlan,
    ChcAssessment,
    ChcDecision,
    ChecklistOutcome,
)
from careplan.store.db import Store
from careplan.store.errors import InputError, NotFoundError
from careplan.store.permissions import names, require, team_of, today, who
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


def _may_record(store: Store, stay: HospitalStay, actor: str) -> None:
    """The stay as stored (and as it will be) is one the actor may record: a member of
    the hospital's agency or of an agency on the person's care team."""
    hospitals = {stay.hospital_id}
    row = store.conn.execute("SELECT hospital_id FROM hospital_stays WHERE id = ?",
                             (stay.id,)).fetchone()
    if row is not None:
        hospitals.add(str(row[0]))
    w, n = who(store, actor), names(store)
    team = team_of(store, stay.person_id, today(store))
    for hospital in sorted(hospitals):
        require(rules.record_stay(w, hospital, team, n))


def save_stay(store: Store, stay: HospitalStay, actor: str) -> HospitalStay:
    """Add (version 0) or update a hospital stay: its hospital must be a health agency.

    Raises:
        NotAllowedError: the actor is not of the hospital or of an agency on the care team.
        InputError: naming the field; StaleWriteError: changed by someone since.
    """
    with store.atomic():
        _require_sector(store, stay.hospital_id, Sector.HEALTH, "hospital",
                        "a hospital (health)")
        if stay.version == 0:
            _may_record(store, stay, actor)
            return add(store, stay, actor)
        current = get(store, HospitalStay, stay.id)
        if current.person_id != stay.person_id:
            raise InputError("person: a hospital stay cannot move to another person")
        _may_record(store, stay, actor)
        return update(store, stay, actor)


def _stored_stay(store: Store, stay: HospitalStay) -> HospitalStay:
    try:
        return get(store, HospitalStay, stay.id)
    except NotFoundError:
        raise InputError("hospital stay: there is no such stay in this store") from None


def set_discharge_ready(store: Store, stay: HospitalStay, ready_on: date | None,
                        actor: str) -> HospitalStay:
    """Set, change or clear the discharge ready date: the day the person was, or is
    expected to be, ready to leave (NHS England; a delay counts from it).

    Raises:
        NotAllowedError; InputError: the date is before the admission or the person's
            birth; StaleWriteError: the stay changed since it was read.
    """
    with store.atomic():
        _stored_stay(store, stay)
        try:
            changed = stay.evolve(discharge_ready_on=ready_on)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        _may_record(store, changed, actor)
        return update(store, changed, actor)


def record_discharge(store: Store, stay: HospitalStay, discharged_on: date,
                     pathway: DischargePathway | None, actor: str) -> HospitalStay:
    """Record the discharge and its pathway (NHS England's discharge pathways 0 to 3).

    Raises:
        NotAllowedError; InputError: no pathway, the stay already has a discharge (change
            the stay instead), or the date is before the admission or in the future;
        StaleWriteError: the stay changed since it was read.
    """
    if pathway is None:
        raise InputError("pathway: choose the discharge pathway (0 to 3)")
    with store.atomic():
        current = _stored_stay(store, stay)
        if current.discharged_on is not None:
            raise InputError(f"discharged on: this stay already records a discharge on "
                             f"{uk_date(current.discharged_on)}; change the stay to correct it")
        try:
            changed = stay.evolve(discharged_on=discharged_on, pathway=pathway)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        _may_record(store, changed, actor)
        return update(store, changed, actor)


def add_delay_reason(store: Store, reason: DelayReason, actor: str) -> DelayReason:
    """Record why the discharge is delayed and the agency that owns clearing it.

    Raises:
        NotAllowedError; InputError: no such stay, the stay has been discharged before
            the reason was recorded, or a date is implausible.
    """
    with store.atomic():
        try:
            stay = get(store, HospitalStay, reason.stay_id)
        except NotFoundError:
            raise InputError("hospital stay: there is no such stay in this store") from None
        _may_record(store, stay, actor)
        if reason.recorded_on < stay.admitted_on:
            raise InputError(f"recorded on: {uk_date(reason.recorded_on)} is before the "
                             f"admission ({uk_date(stay.admitted_on)})")
        return add(store, reason, actor)


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
