"""Figures for the manager dashboard; every bar carries the persons behind it."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from careplan.models import ReferralEvent
from careplan.models.referral_chain import bounce_chain
from careplan.store.db import Store
from careplan.store.rows import from_row


@dataclass(slots=True)
class Bar:
    """One bar: its label, its value and the persons it counts."""

    label: str
    value: float
    person_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AnswerTimes:
    """Days to answer a handoff, per receiving agency."""

    agency: str
    median: float
    p90: float
    answered: int
    person_ids: list[str]


DISPUTE_BUCKETS = ((0, 14, "under 2 weeks"), (14, 28, "2–4 weeks"), (28, 56, "4–8 weeks"),
                   (56, 10**6, "over 8 weeks"))
DELAY_BUCKETS = ((1, 3, "1–2 days"), (3, 7, "3–6 days"), (7, 14, "7–13 days"),
                 (14, 10**6, "14 days or more"))


def _bucket(days: int, buckets: Iterable[tuple[int, int, str]]) -> str | None:
    for low, high, label in buckets:
        if low <= days < high:
            return label
    return None


def _bars(groups: dict[str, list[str]], order: list[str] | None = None) -> list[Bar]:
    labels = order if order is not None else sorted(groups, key=lambda k: -len(groups[k]))
    return [Bar(label, len(groups.get(label, [])), sorted(set(groups.get(label, []))))
            for label in labels]


def handoff_answer_times(store: Store) -> list[AnswerTimes]:
    """Median and 90th percentile days from proposal to answer, per receiving agency."""
    rows = store.conn.execute(
        "SELECT a.name, h.person_id, h.proposed_at, h.answered_at FROM handoffs h "
        "JOIN agencies a ON a.id = h.to_agency_id WHERE h.answered_at IS NOT NULL")
    days: dict[str, list[float]] = defaultdict(list)
    persons: dict[str, list[str]] = defaultdict(list)
    for agency, person_id, proposed, answered in rows:
        delta = datetime.fromisoformat(answered) - datetime.fromisoformat(proposed)
        days[agency].append(max(0.0, delta.total_seconds() / 86400))
        persons[agency].append(person_id)
    out = []
    for agency, values in days.items():
        values.sort()
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
        out.append(AnswerTimes(agency, statistics.median(values), p90, len(values),
                               sorted(set(persons[agency]))))
    return sorted(out, key=lambda t: -t.median)


def referral_disputes_by_age(store: Store, today: date) -> list[Bar]:
    """Unresolved referrals in dispute, by how long they have been in dispute."""
    events: dict[str, list[ReferralEvent]] = defaultdict(list)
    persons: dict[str, str] = {}
    for row in store.query(
            "SELECT e.*, r.person_id AS _person FROM referral_events e "
            "JOIN referrals r ON r.id = e.referral_id "
            "WHERE r.status NOT IN ('accepted', 'resolved')"):
        events[row["referral_id"]].append(from_row(ReferralEvent, row))
        persons[row["referral_id"]] = row["_person"]
    groups: dict[str, list[str]] = defaultdict(list)
    for referral_id, evs in events.items():
        chain = bounce_chain(evs)
        if chain.is_dispute and chain.resolved_on is None:
            label = _bucket(chain.days_in_dispute(today), DISPUTE_BUCKETS)
            if label:
                groups[label].append(persons[referral_id])
    return _bars(groups, [b[2] for b in DISPUTE_BUCKETS])


def eighteenth_birthdays(store: Store, today: date) -> list[Bar]:
    """Persons turning 18 in each of the next 12 months."""
    end = today + timedelta(days=365)
    rows = store.conn.execute(
        "SELECT id, date(birth_date, '+18 years') AS d FROM persons "
        "WHERE date(birth_date, '+18 years') > ? AND date(birth_date, '+18 years') <= ?",
        (today.isoformat(), end.isoformat()))
    groups: dict[str, list[str]] = defaultdict(list)
    for person_id, day in rows:
        groups[date.fromisoformat(day).strftime("%b %Y")].append(person_id)
    months = []
    y, m = today.year, today.month
    for _ in range(13):
        months.append(date(y, m, 1).strftime("%b %Y"))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return _bars(groups, [label for label in months if label in groups] or [])


def delayed_discharges(store: Store, today: date) -> tuple[list[Bar], list[Bar]]:
    """Current delayed discharges by days delayed, and by the agency owning a reason."""
    by_days: dict[str, list[str]] = defaultdict(list)
    by_agency: dict[str, list[str]] = defaultdict(list)
    rows: list[dict[str, Any]] = store.query(
        "SELECT h.id, h.person_id, h.discharge_ready_on FROM hospital_stays h "
        "WHERE h.discharged_on IS NULL AND h.discharge_ready_on IS NOT NULL "
        "AND h.discharge_ready_on < ?", (today.isoformat(),))
    owners: dict[str, set[str]] = defaultdict(set)
    for stay_id, agency in store.conn.execute(
            "SELECT d.stay_id, a.name FROM delay_reasons d "
            "JOIN agencies a ON a.id = d.owner_agency_id"):
        owners[stay_id].add(agency)
    for row in rows:
        days = (today - date.fromisoformat(row["discharge_ready_on"])).days
        label = _bucket(days, DELAY_BUCKETS)
        if label:
            by_days[label].append(row["person_id"])
        for agency in owners.get(row["id"]) or {"no reason recorded"}:
            by_agency[agency].append(row["person_id"])
    return _bars(by_days, [b[2] for b in DELAY_BUCKETS]), _bars(by_agency)


def team_agencies(store: Store, today: date) -> dict[str, set[str]]:
    """Agency names in each person's current care team (to count flags by agency)."""
    day = today.isoformat()
    out: dict[str, set[str]] = defaultdict(set)
    for person_id, agency in store.conn.execute(
            "SELECT m.person_id, a.name FROM care_team_members m "
            "JOIN professionals p ON p.id = m.professional_id "
            "JOIN agencies a ON a.id = p.agency_id "
            "WHERE m.start_date <= ? AND (m.end_date IS NULL OR m.end_date >= ?)", (day, day)):
        out[person_id].add(agency)
    return out
