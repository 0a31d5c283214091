"""A referral's bounce chain: which team held it when, and how long it was in dispute."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from careplan.models.enums import ReferralEventKind
from careplan.models.handoffs import ReferralEvent

#: The holder while a panel decides an escalated referral.
PANEL = "panel"


@dataclass(frozen=True, slots=True)
class Holding:
    """One stretch of time a team (or the panel) held the referral.

    ``outcome`` is how the stretch ended: "accepted", "declined", "redirected",
    "escalated", "decided" (the panel's decision), or "" while it is still held.
    """

    holder: str
    start: date
    end: date | None
    outcome: str
    reason: str = ""

    def days(self, today: date) -> int:
        return max(0, ((self.end or today) - self.start).days)


@dataclass(frozen=True, slots=True)
class BounceChain:
    holdings: tuple[Holding, ...]
    declines: int
    disputed_since: date | None
    resolved_on: date | None

    @property
    def is_dispute(self) -> bool:
        return self.disputed_since is not None

    def days_in_dispute(self, today: date) -> int:
        if self.disputed_since is None:
            return 0
        return max(0, ((self.resolved_on or today) - self.disputed_since).days)

    @property
    def teams(self) -> list[str]:
        seen: list[str] = []
        for h in self.holdings:
            if h.holder != PANEL and h.holder not in seen:
                seen.append(h.holder)
        return seen


def bounce_chain(events: Sequence[ReferralEvent]) -> BounceChain:
    """Read the chain from a referral's events (in the order they happened)."""
    holdings: list[Holding] = []
    current: Holding | None = None
    declines = 0
    disputed: date | None = None
    resolved: date | None = None

    def close(outcome: str, day: date, reason: str = "") -> None:
        nonlocal current
        if current is not None:
            holdings.append(Holding(current.holder, current.start, day, outcome,
                                    reason or current.reason))
            current = None

    for e in sorted(events, key=lambda ev: ev.occurred_on):
        kind = e.kind
        if kind is ReferralEventKind.SENT and e.team_id:
            close("redirected", e.occurred_on)
            current = Holding(e.team_id, e.occurred_on, None, "")
        elif kind is ReferralEventKind.ACCEPTED:
            close("accepted", e.occurred_on)
            resolved = resolved or e.occurred_on
        elif kind is ReferralEventKind.DECLINED:
            declines += 1
            disputed = disputed or e.occurred_on
            close("declined", e.occurred_on, e.reason)
        elif kind is ReferralEventKind.REDIRECTED and e.to_team_id:
            disputed = disputed or e.occurred_on
            if current is not None:
                close("redirected", e.occurred_on, e.reason)
            current = Holding(e.to_team_id, e.occurred_on, None, "")
        elif kind is ReferralEventKind.ESCALATED:
            disputed = disputed or e.occurred_on
            close("escalated", e.occurred_on, e.reason)
            current = Holding(PANEL, e.occurred_on, None, "")
        elif kind is ReferralEventKind.PANEL_DECISION:
            close("decided", e.occurred_on, e.reason)
            if e.team_id:
                current = Holding(e.team_id, e.occurred_on, None, "")
            resolved = resolved or e.occurred_on
    if current is not None:
        holdings.append(current)
    return BounceChain(tuple(holdings), declines, disputed, resolved)
