"""Hospital stays (and what holds up discharge) and case conferences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from careplan.models.base import Entity, not_before, require_text
from careplan.models.enums import DischargePathway
from careplan.models.health import AdmissionMethod, MhaSection


@dataclass(frozen=True, slots=True, kw_only=True)
class HospitalStay(Entity):
    """An admission; delay is counted from the discharge ready date (NHS England)."""

    TABLE = "hospital_stays"
    NOUN = "hospital stay"

    person_id: str
    hospital_id: str
    admitted_on: date
    discharge_ready_on: date | None = None
    discharged_on: date | None = None
    pathway: DischargePathway | None = None
    #: Emergency or elective (NHS Data Dictionary admission method groups).
    admission_method: AdmissionMethod | None = None
    #: The Mental Health Act section the person was detained under in this stay, if any.
    mha_section: MhaSection | None = None

    def validate(self) -> None:
        not_before(self.discharge_ready_on, self.admitted_on, "discharge_ready_on", "admitted_on")
        not_before(self.discharged_on, self.admitted_on, "discharged_on", "admitted_on")

    def in_hospital_on(self, today: date) -> bool:
        """Admitted by ``today`` and not discharged by then (a stay judged on a past day
        was under way on it even if it has ended since)."""
        return self.admitted_on <= today and (self.discharged_on is None
                                              or self.discharged_on > today)

    def days_delayed(self, today: date) -> int:
        """Days past the discharge ready date, up to discharge or ``today``, whichever
        came first."""
        if self.discharge_ready_on is None:
            return 0
        end = today if self.discharged_on is None else min(self.discharged_on, today)
        return max(0, (end - self.discharge_ready_on).days)


@dataclass(frozen=True, slots=True, kw_only=True)
class DelayReason(Entity):
    """Why a discharge is delayed, and which agency owns clearing it."""

    TABLE = "delay_reasons"
    NOUN = "delay reason"

    stay_id: str
    reason: str
    owner_agency_id: str
    recorded_on: date

    def validate(self) -> None:
        require_text(self.reason, "reason")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseConference(Entity):
    """A meeting of the team and the person; agreed actions point back here."""

    TABLE = "case_conferences"
    NOUN = "case conference"

    person_id: str
    held_at: datetime
    chair_id: str | None = None
    attendee_ids: tuple[str, ...] = ()
    #: People present who are not professionals in the store ("Mother", "Advocate").
    other_attendees: tuple[str, ...] = ()
    agenda: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    ended_at: datetime | None = None

    def validate(self) -> None:
        not_before(self.ended_at, self.held_at, "ended_at", "held_at")
        for text in self.decisions:
            require_text(text, "decisions")
