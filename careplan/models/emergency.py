"""Emergency access ("break glass"): opening a record one's agency may not see.

A professional whose agency has no sharing basis for a person (careplan.models.
sharing_basis) may still open the person's record in an emergency, giving the reason.
The access is a record of its own, audited like any other (who, whose, why, when); the
``break-glass`` flag reports it to the person's lead professional until the lead (or a
manager of an agency on the care team) records that they have reviewed it, and the
handoff audit lists it. It opens the record for the professional for the rest of the day
it was made; the next day needs a new reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from careplan.models.base import Entity, not_before, require_text


@dataclass(frozen=True, slots=True, kw_only=True)
class EmergencyAccess(Entity):
    """One emergency opening of a person's record by a professional of ``agency_id``
    (the agency that had no sharing basis), at ``opened_at``, for ``reason``; reviewed
    by the lead professional (``reviewed_by``, ``reviewed_at``, ``review_note``)."""

    TABLE = "emergency_accesses"
    NOUN = "emergency access"

    person_id: str
    professional_id: str
    agency_id: str
    reason: str
    opened_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str = ""

    def validate(self) -> None:
        require_text(self.reason, "reason")
        not_before(self.reviewed_at, self.opened_at, "reviewed_at", "opened_at")
        if (self.reviewed_by is None) != (self.reviewed_at is None):
            raise ValueError("reviewed: say who reviewed it and when, or neither")

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None

    def opens_on(self, day: date) -> bool:
        """Whether this access opens the record on ``day`` (the day it was made)."""
        return self.opened_at.date() == day
