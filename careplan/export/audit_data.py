"""The figures of the handoff audit: pure functions of loaded records and a date range.

Times to answer are in hours; percentiles use the nearest-rank method (the value a
manager can find in the list), so the 90th percentile of 10 answers is the 9th fastest.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from careplan.export.records import Records
from careplan.models import Handoff, Person, Referral
from careplan.models.enums import (
    AgencyKind,
    DeclineReason,
    HandoffStatus,
    NeedDomain,
    ReferralEventKind,
)


def nearest_rank(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class HandoffLine:
    handoff: Handoff
    person: Person
    hours: float | None  # time to answer; None while unanswered
    overdue: bool


@dataclass
class AgencyStats:
    agency_id: str
    received: int = 0
    hours: list[float] = field(default_factory=list)
    unanswered: int = 0
    overdue: int = 0

    @property
    def median(self) -> float | None:
        return statistics.median(self.hours) if self.hours else None

    @property
    def p90(self) -> float | None:
        return nearest_rank(self.hours, 90)


@dataclass(frozen=True)
class Gap:
    person: Person
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Dispute:
    referral: Referral
    person: Person
    chain: list[str]
    teams: int
    days: int
    open: bool


@dataclass(frozen=True)
class QS188:
    """NICE QS188: referrals to mental health services refused because of substance use."""

    to_mental_health: int
    refused_substance_use: int
    declined_any: int
    declined_substance_use: int

    @property
    def share(self) -> float | None:
        return (self.refused_substance_use / self.to_mental_health
                if self.to_mental_health else None)


@dataclass
class Audit:
    start: date
    end: date
    agency_id: str | None
    handoffs: list[HandoffLine]
    by_agency: list[AgencyStats]
    gaps: list[Gap]
    disputes: list[Dispute]
    qs188: QS188


def _in(day: date, start: date, end: date) -> bool:
    return start <= day <= end


def _handoffs(rec: Records, start: date, end: date, agency: str | None, today: date
              ) -> tuple[list[HandoffLine], list[AgencyStats]]:
    persons = {p.id: p for p in rec.persons}
    lines: list[HandoffLine] = []
    stats: dict[str, AgencyStats] = {}
    for pid, items in rec.handoffs.items():
        for h in items:
            if not _in(h.proposed_at.date(), start, end):
                continue
            if agency and agency not in (h.from_agency_id, h.to_agency_id):
                continue
            hours = None
            if h.answered_at is not None:
                hours = max(0.0, (h.answered_at - h.proposed_at).total_seconds() / 3600)
            waiting = h.status is HandoffStatus.PROPOSED
            overdue = waiting and h.answer_by < min(today, end + timedelta(days=1))
            lines.append(HandoffLine(h, persons[pid], hours, overdue))
            st = stats.setdefault(h.to_agency_id, AgencyStats(h.to_agency_id))
            st.received += 1
            if hours is not None:
                st.hours.append(hours)
            elif waiting:
                st.unanswered += 1
                st.overdue += overdue
    lines.sort(key=lambda line: line.handoff.proposed_at)
    ordered = sorted(stats.values(), key=lambda s: rec.agency_name(s.agency_id))
    return lines, ordered


def _gaps(rec: Records, start: date, end: date, agency: str | None) -> list[Gap]:
    out = []
    for person in rec.persons:
        team = rec.team.get(person.id, [])
        if agency and not any(
                (prof := rec.professionals.get(m.professional_id)) and prof.agency_id == agency
                for m in team):
            continue
        for plan in rec.plans.get(person.id, []):
            lo = max(start, plan.created_on)
            hi = min(end, plan.closed_on or end)
            if lo > hi:
                continue
            leads = sorted((m.start_date, m.end_date or date.max) for m in team if m.is_lead)
            day = lo
            for s, e in leads:
                if e < day:
                    continue
                if s > hi:
                    break
                if s > day:
                    out.append(Gap(person, day, min(hi, s - timedelta(days=1))))
                day = max(day, e + timedelta(days=1)) if e != date.max else date.max
                if day > hi:
                    break
            if day <= hi:
                out.append(Gap(person, day, hi))
    return sorted(out, key=lambda g: (-g.days, g.person.family_name))


def _chain(rec: Records, r: Referral) -> tuple[list[str], int, date | None, date | None]:
    steps = [f"{r.sent_on:%d %b} referred by {rec.agency_name(r.from_agency_id)}"]
    teams = set()
    first_bounce = settled = None
    for e in rec.referral_events.get(r.id, []):
        team = rec.agency_name(e.team_id)
        if e.team_id:
            teams.add(e.team_id)
        why = f": {e.reason}" if e.reason else ""
        code = f" [{e.reason_code.value}]" if e.reason_code else ""
        if e.kind is ReferralEventKind.SENT:
            steps.append(f"{e.occurred_on:%d %b} sent to {team}")
        elif e.kind is ReferralEventKind.DECLINED:
            steps.append(f"{e.occurred_on:%d %b} declined by {team}{why}{code}")
            first_bounce = first_bounce or e.occurred_on
        elif e.kind is ReferralEventKind.REDIRECTED:
            steps.append(f"{e.occurred_on:%d %b} redirected by {team} to "
                         f"{rec.agency_name(e.to_team_id)}{why}")
            first_bounce = first_bounce or e.occurred_on
            if e.to_team_id:
                teams.add(e.to_team_id)
        elif e.kind is ReferralEventKind.ESCALATED:
            steps.append(f"{e.occurred_on:%d %b} escalated{why}")
            first_bounce = first_bounce or e.occurred_on
        elif e.kind is ReferralEventKind.ACCEPTED:
            steps.append(f"{e.occurred_on:%d %b} accepted by {team}"
                         + (" as lead" if e.as_lead else ""))
            settled = settled or (e.occurred_on if first_bounce else None)
        else:
            steps.append(f"{e.occurred_on:%d %b} panel decision{why}")
            settled = settled or (e.occurred_on if first_bounce else None)
    return steps, len(teams), first_bounce, settled


def _disputes(rec: Records, start: date, end: date, agency: str | None, today: date
              ) -> list[Dispute]:
    persons = {p.id: p for p in rec.persons}
    out = []
    for pid, items in rec.referrals.items():
        for r in items:
            events = rec.referral_events.get(r.id, [])
            involved = {r.from_agency_id} | {e.team_id for e in events} | {
                e.to_team_id for e in events}
            if agency and agency not in involved:
                continue
            chain, teams, first, settled = _chain(rec, r)
            if first is None or first > end or (settled is not None and settled < start):
                continue
            stop = settled or min(today, end)
            out.append(Dispute(r, persons[pid], chain, teams, max(0, (stop - first).days),
                               settled is None))
    return sorted(out, key=lambda d: -d.days)


def _qs188(rec: Records, start: date, end: date, agency: str | None) -> QS188:
    mh = {a.id for a in rec.agencies.values()
          if a.kind is AgencyKind.MENTAL_HEALTH or a.domain is NeedDomain.MENTAL_HEALTH}
    to_mh = refused = declined = declined_su = 0
    for items in rec.referrals.values():
        for r in items:
            if not _in(r.sent_on, start, end):
                continue
            events = rec.referral_events.get(r.id, [])
            if agency and agency not in {r.from_agency_id} | {e.team_id for e in events}:
                continue
            teams = {e.team_id for e in events} | {e.to_team_id for e in events}
            if teams & mh or r.domain is NeedDomain.MENTAL_HEALTH:
                to_mh += 1
                refused += any(e.kind is ReferralEventKind.DECLINED and e.team_id in mh
                               and e.reason_code is DeclineReason.SUBSTANCE_USE for e in events)
            declines = [e for e in events if e.kind is ReferralEventKind.DECLINED]
            declined += bool(declines)
            declined_su += any(e.reason_code is DeclineReason.SUBSTANCE_USE for e in declines)
    return QS188(to_mh, refused, declined, declined_su)


def audit(rec: Records, start: date, end: date, today: date,
          agency_id: str | None = None) -> Audit:
    """Every figure of the handoff audit for ``start``..``end`` (inclusive)."""
    lines, stats = _handoffs(rec, start, end, agency_id, today)
    return Audit(start, end, agency_id, lines, stats, _gaps(rec, start, end, agency_id),
                 _disputes(rec, start, end, agency_id, today),
                 _qs188(rec, start, end, agency_id))
