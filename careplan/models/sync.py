"""The rules of sharing one store's changes with another: pure functions, no storage.

Every audit event says what its store had seen when it was written (a version vector),
so any two events of a row are either ordered (one store had seen the other's change)
or concurrent (neither had). A row's state is a function of the SET of its events,
never of the order they arrived in (:func:`merge`):

- for each field, the value written by the causally last event that wrote it;
- two concurrent events that wrote different values to the same field, concurrent
  events that touched a status field (:data:`STATUS_FIELDS`) of which one changed it,
  or a removal concurrent with any other change, are a conflict: the field (for a
  removal, the row) keeps the value it had before either, and the conflict is kept
  with both values until a person decides;
- a decision (a resolution) is an ordinary event that names the conflicts it settles;
  it is the causally last writer of their fields, so it closes them on every store.
  Two concurrent resolutions that chose differently do not open a new conflict: the
  one whose id has the smaller SHA-256 wins on every store (:func:`pick`), a choice
  that owes nothing to clocks.

The hybrid logical clock (:func:`tick`) orders events for display only; it never
decides a conflict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: The pseudo-field of a conflict between a removal and another change of the row.
DELETED = "deleted"

#: Fields whose every concurrent write is a conflict, even when only one of the writes
#: changed the value and the other wrote the record for another reason: decisions and
#: states that must never be settled by whichever change arrived last. By table.
STATUS_FIELDS: Mapping[str, frozenset[str]] = {
    "handoffs": frozenset({"status", "answered_at", "answered_by", "answer_reason"}),
    "referrals": frozenset({"status"}),
    "referral_events": frozenset({"kind", "as_lead", "team_id", "to_team_id"}),
    "plan_signoffs": frozenset({"plan_version", "signed_by", "signed_at"}),
    "consents": frozenset({"status", "legal_basis", "basis"}),
    "care_team_members": frozenset({"is_lead", "lead_reason"}),
    "care_plans": frozenset({"status", "plan_version", "version_since"}),
    "plan_versions": frozenset({"number", "issued_at", "issued_by", "snapshot"}),
    "emergency_accesses": frozenset({"reviewed_by", "reviewed_at"}),
}

#: What a change pack carries in place of an event its recipient may not see
#: (careplan.store.exchange): where the event stands in its store's sequence (id,
#: store, sequence, clock, vector), so the recipient's copy of that sequence stays
#: whole, and nothing of what it says. Stored as an event of this pseudo-kind.
WITHHELD = "withheld"

#: Tables whose events travel with the log (so every store's sequence stays whole and
#: relays work) but whose rows are never made on another store: accounts and sign-ins
#: belong to the computer they were made on (an account made elsewhere must never
#: become a way into this store), and so does which stores this one trusts (trusting a
#: store is each computer's own security decision). A withheld event (:data:`WITHHELD`)
#: makes no row either.
LOCAL_TABLES = frozenset({"accounts", "sign_ins", "trusted_stores", WITHHELD})

#: Width of a clock reading's text: milliseconds times COUNTER, zero-padded.
HLC_WIDTH = 17
#: Readings per millisecond; more events than this in one millisecond borrow the next.
COUNTER = 10_000


# -- the clock ---------------------------------------------------------------------------


def hlc_text(value: int) -> str:
    """A clock reading as sortable text."""
    return f"{value:0{HLC_WIDTH}d}"


def hlc_value(text: str) -> int:
    """A clock reading from its text.

    Raises:
        ValueError: not a clock reading.
    """
    if len(text) != HLC_WIDTH or not text.isdigit() or not text.isascii():
        raise ValueError(f"hlc: {text!r} is not a clock reading of {HLC_WIDTH} digits")
    return int(text)


def wall(at: datetime | str) -> int:
    """The clock reading of a wall time (counter zero); a time without a zone is UTC,
    so that every computer reads it alike."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000) * COUNTER


def tick(last: int, at: datetime | str) -> int:
    """The next reading after ``last`` for an event written at ``at``: the wall time if
    it is later, else one step on (hybrid logical clock)."""
    return max(last + 1, wall(at))


def hlc_time(text: str) -> datetime:
    """The wall time (UTC) a reading stands for, for display."""
    return datetime.fromtimestamp(hlc_value(text) // COUNTER / 1000, UTC)


# -- causality ---------------------------------------------------------------------------


def covers(vector: Mapping[str, int], origin: str, seq: int) -> bool:
    """Whether a store that had seen ``vector`` had seen event ``seq`` of ``origin``."""
    return vector.get(origin, 0) >= seq


def conflict_id(event_a: str, event_b: str, what: str) -> str:
    """The id of the conflict between two events over one field (or ``deleted``): the
    same on every store, whichever event it saw first."""
    first, second = sorted((event_a, event_b))
    return hashlib.sha256(f"{first}|{second}|{what}".encode()).hexdigest()[:32]


def pick_key(event_id: str) -> str:
    """Order among concurrent resolutions: the SHA-256 of the event id (no clock)."""
    return hashlib.sha256(event_id.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RowEvent:
    """One event of one row, as :func:`merge` needs it.

    ``vector`` is what the writing store had seen of other stores (origin -> highest
    sequence); of its own store it had seen every earlier event. ``resolves`` maps
    each conflict the event decides to its field (``deleted`` for a removal).
    """

    id: str
    origin: str
    seq: int
    vector: Mapping[str, int]
    hlc: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any]
    resolves: Mapping[str, str] = field(default_factory=dict)
    actor: str = ""
    at: str = ""

    @property
    def deletion(self) -> bool:
        return bool(self.after.get(DELETED))

    @property
    def creation(self) -> bool:
        """A new row, or a removed one brought back: it writes every field."""
        return not self.deletion and (self.before is None or bool(self.before.get(DELETED)))

    @property
    def key(self) -> tuple[str, str, int]:
        """Display order: the clock, then the store and its sequence."""
        return (self.hlc, self.origin, self.seq)

    def saw(self, other: RowEvent) -> bool:
        """Whether ``other`` happened before this event (its store had seen it)."""
        if other.origin == self.origin:
            return other.seq < self.seq
        return covers(self.vector, other.origin, other.seq)


def pick(events: Iterable[RowEvent]) -> RowEvent:
    """The one of several concurrent decisions every store keeps."""
    return min(events, key=lambda e: pick_key(e.id))


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    """A conflict between two events of a row over one field (or ``deleted``).

    ``kind`` is ``field`` (both changed an ordinary field), ``status`` (a status field)
    or ``deleted`` (a removal against another change). ``status`` is ``open``,
    ``resolved`` (``closed_by`` is the deciding event) or ``superseded`` (a later
    disagreement between the same sides took its place).
    """

    id: str
    field: str
    kind: str
    event_a: RowEvent
    event_b: RowEvent
    status: str
    closed_by: str | None

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class Merged:
    """A row's state from its events: whether it exists, its values (also for a removed
    row: the values before its removal), how many events it has, its conflicts."""

    alive: bool
    values: dict[str, Any]
    version: int
    first: RowEvent
    last: RowEvent
    created: RowEvent
    conflicts: list[ConflictRecord]


@dataclass(frozen=True, slots=True)
class _Pair:
    i: int
    j: int
    what: str
    kind: str
    recorded: bool  # False: a removal against a change of this field (holds the field)


class _Row:
    """The causal order of one row's events, and what each event wrote."""

    def __init__(self, events: Sequence[RowEvent], fields: Sequence[str],
                 status: frozenset[str]) -> None:
        self.events = sorted(events, key=lambda e: e.key)
        self.fields = list(fields)
        self.status = status
        n = len(self.events)
        ev = self.events
        #: before[i][j]: event i happened before event j.
        self.before = [[i != j and ev[j].saw(ev[i]) for j in range(n)] for i in range(n)]
        self.resolved = [set(e.resolves.values()) for e in ev]

    def concurrent(self, i: int, j: int) -> bool:
        return i != j and not self.before[i][j] and not self.before[j][i]

    def changes(self, i: int, what: str) -> bool:
        """Whether event i wrote ``what`` (a field, or ``deleted`` for existence)."""
        e = self.events[i]
        if DELETED in self.resolved[i]:
            return True  # a decision about a removal writes the whole row
        if what == DELETED:
            return e.deletion or e.creation
        if e.deletion or e.creation or what in self.resolved[i]:
            return True
        assert e.before is not None
        return bool(e.before.get(what) != e.after.get(what))

    def decides(self, i: int, what: str) -> bool:
        return what in self.resolved[i] or DELETED in self.resolved[i]

    def pairs(self) -> list[_Pair]:
        out: list[_Pair] = []
        ev = self.events
        n = len(ev)
        for i in range(n):
            for j in range(i + 1, n):
                if not self.concurrent(i, j):
                    continue
                a, b = ev[i], ev[j]
                if a.deletion and b.deletion:
                    continue
                if a.deletion or b.deletion:
                    if not (self.decides(i, DELETED) and self.decides(j, DELETED)):
                        out.append(_Pair(i, j, DELETED, DELETED, True))
                        edit = j if a.deletion else i
                        out += [_Pair(i, j, f, DELETED, False) for f in self.fields
                                if self.changes(edit, f)]
                    continue
                for f in self.fields:
                    pair = self._field_pair(i, j, f)
                    if pair is not None:
                        out.append(pair)
        return out

    def _field_pair(self, i: int, j: int, f: str) -> _Pair | None:
        a, b = self.events[i], self.events[j]
        ca, cb = self.changes(i, f), self.changes(j, f)
        if not (ca or cb) or a.after.get(f) == b.after.get(f):
            return None
        if self.decides(i, f) and self.decides(j, f):
            return None  # concurrent decisions: pick() settles them, no new conflict
        if f in self.status:
            # A resolution of another field asserts nothing about this one.
            if (not ca and a.resolves) or (not cb and b.resolves):
                return None
            return _Pair(i, j, f, "status", True)
        return _Pair(i, j, f, "field", True) if ca and cb else None

    # -- open or closed -----------------------------------------------------------------

    def superseded(self, i: int, what: str, within: frozenset[int]) -> bool:
        return any(self.before[i][k] and self.changes(k, what) for k in within)

    def is_open(self, p: _Pair, pairs: Sequence[_Pair], within: frozenset[int]) -> bool:
        if self.superseded(p.i, p.what, within) or self.superseded(p.j, p.what, within):
            return False
        return not self.subsumed(p, pairs, within)

    def subsumed(self, p: _Pair, pairs: Sequence[_Pair], within: frozenset[int]) -> bool:
        """A later disagreement between the same two sides takes this one's place."""
        for q in pairs:
            if q is p or q.what != p.what or q.recorded != p.recorded:
                continue
            if q.i not in within or q.j not in within:
                continue
            if (self._upto(p.i, q.i) and self._upto(p.j, q.j)) or (
                    self._upto(p.i, q.j) and self._upto(p.j, q.i)):
                return True
        return False

    def _upto(self, i: int, k: int) -> bool:
        return i == k or self.before[i][k]

    def closer(self, p: _Pair) -> int | None:
        """The first decision after either side: the earliest (causally) event after one
        of them that wrote the field; concurrent firsts are settled by pick()."""
        after = [k for k in range(len(self.events))
                 if (self.before[p.i][k] or self.before[p.j][k]) and self.changes(k, p.what)]
        firsts = [k for k in after if not any(self.before[m][k] for m in after)]
        if not firsts:
            return None
        chosen = pick(self.events[k] for k in firsts)
        return self.events.index(chosen)

    # -- values -------------------------------------------------------------------------

    def value(self, f: str, pairs: Sequence[_Pair], within: frozenset[int]) -> Any:
        """The value of ``f`` given the events ``within`` (a causally closed set)."""
        if not within:
            return None
        held = [p for p in pairs if p.what == f and p.i in within and p.j in within
                and self.is_open(p, pairs, within)]
        if held:
            sides = {p.i for p in held} | {p.j for p in held}
            common = frozenset(k for k in within if all(self.before[k][s] for s in sides))
            if common:
                return self.value(f, pairs, common)
            # Nothing before either (two stores made the same row): keep one, flagged.
            made = [self.events[s] for s in sides if not self.events[s].deletion]
            return pick(made).after.get(f) if made else None
        writers = [k for k in within if self.changes(k, f)]
        latest = [k for k in writers if not any(self.before[k][m] for m in writers)]
        kept = [k for k in latest if not self.events[k].deletion]
        if kept:
            values = {_hashable(self.events[k].after.get(f)) for k in kept}
            if len(values) == 1:
                return self.events[kept[0]].after.get(f)
            return pick(self.events[k] for k in kept).after.get(f)
        if latest:  # only removals: the value before them
            return self.value(f, pairs, within - frozenset(latest))
        return None

    def alive(self, pairs: Sequence[_Pair], everything: frozenset[int]) -> bool:
        if any(p.what == DELETED and p.recorded and self.is_open(p, pairs, everything)
               for p in pairs):
            return True  # a removal against a change: kept as it was until decided
        writers = [k for k in everything if self.changes(k, DELETED)]
        latest = [k for k in writers if not any(self.before[k][m] for m in writers)]
        if not latest:
            return True
        kept = [k for k in latest if not self.events[k].deletion]
        if kept and len(kept) < len(latest):  # concurrent decisions to keep and to remove
            return not pick(self.events[k] for k in latest).deletion
        return bool(kept)


@dataclass(frozen=True, slots=True)
class SyncConflict:
    """An open conflict as the flag rule and the screens see it: which record and
    field, and each side's value (``value_a`` / ``value_b``, plain JSON values; for a
    removal: ``{"deleted": true}`` against the fields the other change wrote), who
    wrote it and when."""

    id: str
    entity: str
    entity_id: str
    field: str
    kind: str
    person_id: str | None
    event_a: str
    event_b: str
    value_a: Any
    value_b: Any
    actor_a: str
    actor_b: str
    at_a: datetime
    at_b: datetime

    @property
    def is_status(self) -> bool:
        return self.kind != "field"


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, list | dict) else value


def merge(events: Sequence[RowEvent], fields: Sequence[str],
          status: frozenset[str] = frozenset()) -> Merged:
    """A row's state from the set of its events (see the module's rules).

    ``fields`` are the row's columns other than its key and ``version``; ``status``
    those of them that are status fields (:data:`STATUS_FIELDS`).

    Raises:
        ValueError: no events.
    """
    if not events:
        raise ValueError("merge: a row needs at least one event")
    row = _Row(events, fields, status)
    everything = frozenset(range(len(row.events)))
    pairs = row.pairs()
    values = {f: row.value(f, pairs, everything) for f in row.fields}
    conflicts = []
    for p in pairs:
        if not p.recorded:
            continue
        a, b = row.events[p.i], row.events[p.j]
        if row.is_open(p, pairs, everything):
            status_, closed = "open", None
        else:
            k = row.closer(p)
            status_ = "superseded" if k is None else "resolved"
            closed = None if k is None else row.events[k].id
        conflicts.append(ConflictRecord(conflict_id(a.id, b.id, p.what), p.what, p.kind,
                                        a, b, status_, closed))
    created = [e for e in row.events if e.creation]
    return Merged(alive=row.alive(pairs, everything), values=values,
                  version=len(row.events), first=row.events[0], last=row.events[-1],
                  created=created[-1] if created else row.events[0], conflicts=conflicts)


__all__ = [
    "COUNTER",
    "DELETED",
    "HLC_WIDTH",
    "LOCAL_TABLES",
    "STATUS_FIELDS",
    "WITHHELD",
    "ConflictRecord",
    "Merged",
    "RowEvent",
    "SyncConflict",
    "conflict_id",
    "covers",
    "hlc_text",
    "hlc_time",
    "hlc_value",
    "merge",
    "pick",
    "tick",
    "wall",
]
