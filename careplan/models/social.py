"""Carers, a young person's EHC plan or care leaver status, and safeguarding concerns.

The records behind three flags: ``carer-assessment-missing`` (Care Act 2014 s.10),
``transition-25`` (NICE NG43, support up to 25) and ``safeguarding-decision-overdue``
(Care Act 2014 s.42). A carer's assessment is an :class:`~careplan.models.people.Assessment`
of the kind "carer's assessment", recorded in the file of the person cared for; the
carer's record names it, so that each carer has their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from careplan.models.base import Entity, not_before, require_text


class CarerRelationship(StrEnum):
    """Who the carer is to the person they care for."""

    SPOUSE_OR_PARTNER = "spouse or partner"
    PARENT = "parent"
    SON_OR_DAUGHTER = "son or daughter"
    OTHER_RELATIVE = "other relative"
    FRIEND_OR_NEIGHBOUR = "friend or neighbour"
    OTHER = "other"


class YoungPersonStatusKind(StrEnum):
    """What entitles a young person to support up to 25: an education, health and care
    plan (Children and Families Act 2014 s.37, for a "young person" under 25, s.83(2)) or
    being a care leaver (Children Act 1989 s.23C; a personal adviser up to 25, s.23CZB,
    from the Children and Social Work Act 2017 s.3)."""

    EHC_PLAN = "education, health and care plan"
    CARE_LEAVER = "care leaver"


class SafeguardingDecision(StrEnum):
    """What the local authority decided about a safeguarding concern: an enquiry under
    Care Act 2014 s.42, another (non-statutory) safeguarding enquiry (Care and Support
    Statutory Guidance 14.44), or no safeguarding enquiry (with the reason why)."""

    SECTION_42 = "section 42 enquiry"
    OTHER_ENQUIRY = "other safeguarding enquiry"
    NO_ENQUIRY = "no safeguarding enquiry"


@dataclass(frozen=True, slots=True, kw_only=True)
class Carer(Entity):
    """An unpaid carer of the person: an adult who provides or intends to provide care,
    not under a contract or as voluntary work (Care Act 2014 s.10(3), (9) and (10)).

    ``recorded_on`` is the day the team recorded them; ``end_date`` the day they stopped
    caring. ``assessment_id`` names the carer's assessment offered to them (an
    assessment of the kind "carer's assessment" in the cared-for person's file).
    """

    TABLE = "carers"
    NOUN = "carer"

    person_id: str
    name: str
    relationship: CarerRelationship
    recorded_on: date
    end_date: date | None = None
    assessment_id: str | None = None

    def validate(self) -> None:
        require_text(self.name, "name")
        not_before(self.end_date, self.recorded_on, "end_date", "recorded_on")

    def caring_on(self, day: date) -> bool:
        """Recorded by ``day`` and not stopped caring before it."""
        return self.recorded_on <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True, slots=True, kw_only=True)
class YoungPersonStatus(Entity):
    """An education, health and care plan, or care leaver status, from ``start_date``
    (the plan issued, the young person left care) until ``end_date`` (the plan ceased,
    the support ended); ``agency_id`` is the local authority responsible."""

    TABLE = "young_person_statuses"
    NOUN = "EHC plan or care leaver status"

    person_id: str
    kind: YoungPersonStatusKind
    start_date: date
    end_date: date | None = None
    agency_id: str | None = None

    def validate(self) -> None:
        not_before(self.end_date, self.start_date, "end_date", "start_date")

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True, slots=True, kw_only=True)
class SafeguardingConcern(Entity):
    """A concern that the person is experiencing, or at risk of, abuse or neglect, as
    the local authority received it on ``received_on`` (``agency_id``: the agency that
    raised it, if one did), and the decision whether to make a Care Act s.42 enquiry."""

    TABLE = "safeguarding_concerns"
    NOUN = "safeguarding concern"

    person_id: str
    received_on: date
    summary: str
    agency_id: str | None = None
    decision: SafeguardingDecision | None = None
    decided_on: date | None = None
    reason: str = ""

    def validate(self) -> None:
        require_text(self.summary, "summary")
        if self.decision is not None and self.decided_on is None:
            raise ValueError("decided on: is required when a decision is recorded")
        if self.decision is None and self.decided_on is not None:
            raise ValueError("decision: is required when a decision date is given")
        not_before(self.decided_on, self.received_on, "decided_on", "received_on")
        if self.decision is SafeguardingDecision.NO_ENQUIRY and not self.reason.strip():
            raise ValueError("reason: say why no safeguarding enquiry is needed")

    def undecided_on(self, day: date) -> bool:
        """Received by ``day`` with no decision made by then (judged on a past day, a
        decision made later was still to come)."""
        return self.received_on <= day and (self.decided_on is None or self.decided_on > day)
