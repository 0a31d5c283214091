"""Figures for the manager dashboard; every bar carries the persons behind it.

Every figure counts only the persons a reader may see (``visible``: careplan.store.
visibility.shareable_persons of the reader's agency), so no one appears behind a bar,
or in its count, whose record is not shared with the reader's agency.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable
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


def handoff_answer_times(store: Store, visible: Collection[str]) -> list[AnswerTimes]:
    """Median and 90th percentile days from proposal to answer, per receiving agency."""
    rows = store.conn.execute(
        "SELECT a.name, h.person_id, h.proposed_at, h.answered_at FROM handoffs h "
        "JOIN agencies a ON a.id = h.to_agency_id WHERE h.answered_at IS NOT NULL")
    days: dict[str, list[float]] = defaultdict(list)
    persons: dict[str, list[str]] = defaultdict(list)
    for agency, person_id, proposed, answered in rows:
        if person_id not in visible:
            continue
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


def referral_disputes_by_age(store: Store, today: date, visible: Collection[str]) -> list[Bar]:
    """Unresolved referrals in dispute, by how long they have been in dispute."""
    events: dict[str, list[ReferralEvent]] = defaultdict(list)
    persons: dict[str, str] = {}
    for row in store.query(
            "SELECT e.*, r.person_id AS _person FROM referral_events e "
            "JOIN referrals r ON r.id = e.referral_id "
            "WHERE r.status NOT IN ('accepted', 'resolved')"):
        if row["_person"] not in visible:
            continue
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


def _persons(joined: str | None) -> list[str]:
    """The sorted distinct ids of a ``group_concat``."""
    return sorted(set(joined.split(","))) if joined else []


def _among(visible: Collection[str]) -> str:
    """``visible`` as the JSON a ``json_each(?)`` reads (one statement, whatever its size)."""
    return json.dumps(sorted(visible))


def eighteenth_birthdays(store: Store, today: date, visible: Collection[str]) -> list[Bar]:
    """Persons turning 18 in each of the next 12 months (counted by month in SQL), of
    those ``visible``."""
    end = today + timedelta(days=365)
    rows = store.conn.execute(
        "SELECT substr(d, 1, 7), count(*), group_concat(id) FROM ("
        "SELECT id, date(birth_date, '+18 years') AS d FROM persons "
        "WHERE date(birth_date, '+18 years') > ? AND date(birth_date, '+18 years') <= ? "
        "AND id IN (SELECT value FROM json_each(?))) "
        "GROUP BY 1 ORDER BY 1", (today.isoformat(), end.isoformat(), _among(visible)))
    return [Bar(date.fromisoformat(f"{month}-01").strftime("%b %Y"), count, _persons(ids))
            for month, count, ids in rows]


def _bucket_sql(column: str, buckets: Iterable[tuple[int, int, str]]) -> tuple[str, list[str]]:
    """A SQL ``CASE`` naming the bucket of ``column`` (NULL past every bucket), and the
    labels it binds in order."""
    cases, labels = [], []
    for low, high, label in buckets:
        cases.append(f"WHEN {column} >= {low:d} AND {column} < {high:d} THEN ?")
        labels.append(label)
    return f"CASE {' '.join(cases)} END", labels


#: Stays whose discharge is delayed on the day bound twice, of the persons bound as JSON:
#: the person and days delayed.
_DELAYED = ("SELECT id, person_id, CAST(julianday(?) - julianday(discharge_ready_on) AS "
            "INTEGER) AS days FROM hospital_stays WHERE discharged_on IS NULL "
            "AND discharge_ready_on IS NOT NULL AND discharge_ready_on < ? "
            "AND person_id IN (SELECT value FROM json_each(?))")


def delayed_discharges(store: Store, today: date,
                       visible: Collection[str]) -> tuple[list[Bar], list[Bar]]:
    """Current delayed discharges by days delayed, and by the agency owning a reason
    (counted in SQL: a stay counts once under each agency owning one of its reasons), of
    the persons ``visible``."""
    day, among = today.isoformat(), _among(visible)
    case, labels = _bucket_sql("days", DELAY_BUCKETS)
    counted = {label: (count, _persons(ids)) for label, count, ids in store.conn.execute(
        f"SELECT {case} AS bucket, count(*), group_concat(person_id) FROM ({_DELAYED}) "
        "GROUP BY bucket HAVING bucket IS NOT NULL", (*labels, day, day, among))}
    by_days = [Bar(label, *counted.get(label, (0, []))) for label in labels]
    by_agency = [Bar(name, count, _persons(ids)) for name, count, ids in store.conn.execute(
        "SELECT coalesce(o.name, 'no reason recorded') AS owner, count(*), "
        f"group_concat(l.person_id) FROM ({_DELAYED}) l LEFT JOIN ("
        "SELECT DISTINCT d.stay_id, a.name FROM delay_reasons d "
        "JOIN agencies a ON a.id = d.owner_agency_id) o ON o.stay_id = l.id "
        "GROUP BY owner ORDER BY count(*) DESC, owner", (day, day, among))]
    return by_days, by_agency


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


def flags_by_code(flags: Iterable[Any]) -> list[Bar]:
    """Flags counted by code, most first (ties in the order the flags came, worst
    first); each bar lists its persons."""
    groups: dict[str, list[str]] = defaultdict(list)
    for flag in flags:
        groups[str(getattr(flag.code, "value", flag.code))].append(flag.person_id)
    return _bars(groups)


def flags_by_agency(store: Store, today: date, flags: Iterable[Any],
                    limit: int | None = None) -> list[Bar]:
    """Flags counted by each agency in the flagged person's current care team (counted in
    SQL over the flagged persons only), most first (ties by name); the first ``limit``."""
    per_person: dict[str, int] = defaultdict(int)
    for flag in flags:
        per_person[flag.person_id] += 1
    if not per_person:
        return []
    day = today.isoformat()
    # The flagged persons drive the join (one index lookup each into the care team).
    rows = store.conn.execute(
        "SELECT name, sum(n), group_concat(pid) FROM (SELECT DISTINCT f.pid, f.n, a.name "
        "FROM (SELECT json_extract(value, '$[0]') AS pid, json_extract(value, '$[1]') AS n "
        "FROM json_each(?)) f CROSS JOIN care_team_members m ON m.person_id = f.pid "
        "JOIN professionals p ON p.id = m.professional_id "
        "JOIN agencies a ON a.id = p.agency_id "
        "WHERE m.start_date <= ? AND (m.end_date IS NULL OR m.end_date >= ?)) "
        "GROUP BY name ORDER BY sum(n) DESC, name" + (" LIMIT ?" if limit else ""),
        (json.dumps(list(per_person.items())), day, day, *([limit] if limit else [])))
    return [Bar(name, count, _persons(ids)) for name, count, ids in rows]
