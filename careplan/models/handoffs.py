"""Handoffs of responsibility and referrals between teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from careplan.models.base import Entity, not_before, require_text
from careplan.models.enums import (
    DeclineReason,
    HandoffStatus,
    HandoffSubject,
    NeedDomain,
    ReferralEventKind,
    ReferralStatus,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Handoff(Entity):
    """Responsibility for an action, or for coordinating the person, passing on.

    The record keeps both sides: the proposer (``from_professional_id``) with their note
    (``reason``, never changed by the answer), and who answered (``answered_by``) with
    their reason (``answer_reason``: required to decline). Handoffs answered before
    migration 9 may have no ``answered_by``.
    """

    TABLE = "handoffs"
    NOUN = "handoff"

    person_id: str
    subject: HandoffSubject
    action_id: str | None = None
    from_professional_id: str
    from_agency_id: str
    to_professional_id: str
    to_agency_id: str
    proposed_at: datetime
    answer_by: date
    status: HandoffStatus = HandoffStatus.PROPOSED
    answered_at: datetime | None = None
    #: The proposer's note: why hand over.
    reason: str = ""
    #: The professional who accepted or declined it.
    answered_by: str | None = None
    #: Why it was accepted or declined (required to decline).
    answer_reason: str = ""

    def validate(self) -> None:
        if self.subject is HandoffSubject.ACTION and not self.action_id:
            raise ValueError("action: is required when handing over an action")
        if self.from_professional_id == self.to_professional_id:
            raise ValueError("to professional: must differ from the professional handing over")
        not_before(self.answer_by, self.proposed_at, "answer_by", "proposed_at")
        not_before(self.answered_at, self.proposed_at, "answered_at", "proposed_at")
        answered = self.status in (HandoffStatus.ACCEPTED, HandoffStatus.DECLINED)
        if answered and self.answered_at is None:
            raise ValueError(f"answered at: is required when the handoff is {self.status.value}")
        if self.status is HandoffStatus.DECLINED:
            require_text(self.answer_reason, "answer_reason")


@dataclass(frozen=True, slots=True, kw_only=True)
class Referral(Entity):
    """A need sent from one team to another; its history is in ReferralEvents."""

    TABLE = "referrals"
    NOUN = "referral"

    person_id: str
    need_id: str | None = None
    domain: NeedDomain
    summary: str
    from_agency_id: str
    sent_on: date
    status: ReferralStatus = ReferralStatus.SENT
    #: The professional holding the person while teams decide, if one is named.
    interim_owner_id: str | None = None

    def validate(self) -> None:
        require_text(self.summary, "summary")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralEvent(Entity):
    """One step in a referral's life.

    ``team_id`` is the team the step concerns: the receiving team for ``sent``, the
    deciding team for ``accepted``/``declined``/``redirected``; ``to_team_id`` is where a
    redirect sends it.
    """

    TABLE = "referral_events"
    NOUN = "referral step"

    referral_id: str
    kind: ReferralEventKind
    occurred_on: date
    team_id: str | None = None
    to_team_id: str | None = None
    by_professional_id: str | None = None
    reason: str = ""
    reason_code: DeclineReason | None = None
    as_lead: bool = False

    def validate(self) -> None:
        needs_team = (
            ReferralEventKind.SENT,
            ReferralEventKind.ACCEPTED,
            ReferralEventKind.DECLINED,
            ReferralEventKind.REDIRECTED,
        )
        if self.kind in needs_team and not self.team_id:
            raise ValueError(f"team: is required for a referral {self.kind.value} step")
        if self.kind is ReferralEventKind.REDIRECTED and not self.to_team_id:
            raise ValueError("to team: is required when a referral is redirected")
        if self.kind is ReferralEventKind.DECLINED:
            require_text(self.reason, "reason")
