"""The audit log's hash chains: one chain per origin store, so that no event can be
changed, removed, added or moved without it showing, on this store or on any copy.

The log is also the replication log (careplan.store.replication): a store holds its own
events and those of every store it shares with, each under its origin's id and number
(``store_id``, ``store_seq``). Each origin's events form one chain, in ``store_seq``
order: an event's ``hash`` covers everything replication carries of it and the hash of
the event before it of the same origin. Events from another store keep their origin's
hashes, so every copy can check every origin's chain, and an event that does not follow
what a store holds of its origin is refused when it arrives.

The canonical form (version 1)
------------------------------
An event's hash is the SHA-256 of the UTF-8 bytes of this JSON array::

    ["careplan-audit/1", prev, id, store_id, store_seq, parent_id, entity, entity_id,
     version_before, version_after, before, after, actor, at, hlc, vector, resolves]

- ``prev``: the previous event's hash of the same origin (``store_seq - 1``) as 64
  lower-case hex digits; ``null`` for an origin's first event.
- ``before``, ``after``: the row values as JSON objects; ``before`` is ``null`` for a
  new row. ``vector`` (what its store had seen of others) and ``resolves`` (the
  conflicts it decides): JSON objects, ``null`` when empty.
- ``hlc``: the clock reading as text; an event written before the clock existed reads
  its wall time (``hlc_text(wall(at))``), as it travels.
- the rest as stored: text as JSON strings, numbers as JSON integers, missing as null.
- written the way ``json.dumps(value, ensure_ascii=False, separators=(",", ":"),
  sort_keys=True)`` writes it: object keys sorted, no spaces, characters other than
  ``"``, ``\\`` and controls left as they are.

The audit log stores ``before``, ``after``, ``vector`` and ``resolves`` in that form
already (careplan.store.audit.dumps), so writing and checking an event needs no JSON
parsing. Events written before the chains (keys in field order) are rewritten in
canonical form by the migration that hashes them (the same values, so the same hash on
every copy); a check still puts a text in canonical form when it does not hash as
stored.

Heads
-----
``audit_heads`` holds, for each origin, the number and hash of the last event of its
chain held here, written in the same transaction as the event. A log cut short at the
end, or a head set back, no longer agrees with the other; a head moves on only from the
event before (:func:`advance_head`), so later writes do not hide that.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from careplan.models.sync import WITHHELD, hlc_text, wall
from careplan.store import sqlite

#: The first item of every hashed array: the canonical form's name and version.
FORMAT = "careplan-audit/1"

#: JSON as the canonical form writes it (and the audit log stores it).
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _encode_function() -> Callable[[Any], str]:
    """``ENCODER.encode`` for the flat objects of the audit log (rows: no nested objects),
    with the C encoder made once: ``encode`` builds a new one on every call, a third of
    its time for a row. The same text (tests compare them)."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - CPython has the C encoder
        return ENCODER.encode
    # No markers (circular references cannot occur in a flat row); the rest as ENCODER.
    make = c_make_encoder(None, ENCODER.default, encode_basestring, None, ":", ",", True,
                          False, True)
    join = "".join

    def encode(value: Any) -> str:
        return join(make(value, 0))

    return encode


#: ``ENCODER.encode`` for a row (a JSON object of plain values), made once.
encode_row: Callable[[Any], str] = _encode_function()

#: The columns of ``audit_events`` an event's hash covers, in the canonical order.
COLUMNS = ("id", "store_id", "store_seq", "parent_id", "entity", "entity_id",
           "version_before", "version_after", "before", "after", "actor", "at", "hlc",
           "vector", "resolves")

_sha256 = hashlib.sha256
#: The canonical array with its 16 values to fill in (see the module's docstring).
_ARRAY = f'["{FORMAT}",' + ",".join(["%s"] * 16) + "]"
_quote: Callable[[str], str] = encode_basestring


def canonical(text: str | None) -> str | None:
    """A stored JSON object (``before``, ``after``) in canonical form; None stays None."""
    if text is None:
        return None
    return ENCODER.encode(json.loads(text))


def canonical_extra(text: str | None) -> str | None:
    """``vector`` or ``resolves`` in canonical form: None when missing or empty."""
    if text is None:
        return None
    value = json.loads(text)
    return ENCODER.encode(value) if value else None


def effective_hlc(hlc: str | None, at: str) -> str:
    """The clock reading an event carries: its own, else its wall time (events written
    before the clock existed)."""
    return hlc if hlc is not None else hlc_text(wall(at))


def link(prev: bytes | None, event_id: str, store_id: str, store_seq: int,
         parent_id: str | None, entity: str, entity_id: str, version_before: int | None,
         version_after: int, before: str | None, after: str, actor: str, at: str, hlc: str,
         vector: str | None, resolves: str | None) -> bytes:
    """The hash of one event, given its predecessor's hash (None: the origin's first).

    ``before``, ``after``, ``vector`` and ``resolves`` are JSON texts already in
    canonical form (``vector`` and ``resolves`` None when empty); ``hlc`` the
    effective reading (:func:`effective_hlc`).
    """
    text = _ARRAY % (
        "null" if prev is None else f'"{prev.hex()}"', _quote(event_id), _quote(store_id),
        int(store_seq), "null" if parent_id is None else _quote(parent_id), _quote(entity),
        _quote(entity_id), "null" if version_before is None else int(version_before),
        int(version_after), "null" if before is None else before, after, _quote(actor),
        _quote(at), _quote(hlc), "null" if vector is None else vector,
        "null" if resolves is None else resolves)
    return _sha256(text.encode("utf-8")).digest()


def creations(store_id: str, actor: str, at: str, vector: str | None
              ) -> Callable[[bytes | None, str, int, str, str, str, str], bytes]:
    """:func:`link` for many new records written at once by one actor (bulk loads: the
    demo, imports): ``make(prev, event_id, store_seq, entity, entity_id, after, hlc)``.
    The same text as :func:`link` gives, with what the events share filled in once."""
    template = _ARRAY % (
        "%s", "%s", _quote(store_id).replace("%", "%%"), "%s", "null", "%s", "%s", "null",
        1, "null", "%s", _quote(actor).replace("%", "%%"), _quote(at).replace("%", "%%"),
        "%s", "null" if vector is None else vector.replace("%", "%%"), "null")

    def make(prev: bytes | None, event_id: str, store_seq: int, entity: str, entity_id: str,
             after: str, hlc: str) -> bytes:
        text = template % ("null" if prev is None else f'"{prev.hex()}"', _quote(event_id),
                           int(store_seq), _quote(entity), _quote(entity_id), after,
                           _quote(hlc))
        return _sha256(text.encode("utf-8")).digest()

    return make


def canonical_text(prev: bytes | None, values: dict[str, Any]) -> str:
    """The canonical array of an event (``values``: plain JSON values by column name),
    written with the JSON encoder itself: the definition :func:`link` must agree with
    (tests compare them)."""
    items: list[Any] = [FORMAT, None if prev is None else prev.hex()]
    for name in COLUMNS:
        value = values.get(name)
        if name in ("vector", "resolves") and not value:
            value = None
        items.append(value)
    return ENCODER.encode(items)


def row_hash(prev: bytes | None, row: tuple[Any, ...], *, stored_form: bool) -> bytes:
    """The hash of an event from its ``audit_events`` columns (``COLUMNS`` order).

    ``stored_form``: take the stored JSON texts as they are (right when they are in
    canonical form, as every event written since the chains is); else put them in
    canonical form first (events written before, or texts someone changed).
    """
    (event_id, store_id, store_seq, parent_id, entity, entity_id, version_before,
     version_after, before, after, actor, at, hlc, vector, resolves) = row
    if stored_form:
        return link(prev, event_id, store_id, store_seq, parent_id, entity, entity_id,
                    version_before, version_after, before, after, actor, at,
                    effective_hlc(hlc, at), vector, resolves)
    return link(prev, event_id, store_id, store_seq, parent_id, entity, entity_id,
                version_before, version_after, canonical(before), str(canonical(after)),
                actor, at, effective_hlc(hlc, at), canonical_extra(vector),
                canonical_extra(resolves))


def matches(prev: bytes | None, row: tuple[Any, ...], stored: bytes | None, *,
            stored_first: bool = True) -> str | None:
    """How the event (``COLUMNS`` order) hashes to ``stored`` after ``prev``: "stored"
    (its JSON texts as stored), "canonical" (put in canonical form first), or None: it
    does not.

    Stored texts that hash to ``stored`` are the canonical form (SHA-256 does not
    collide), so taking them as they are is sound; only events written before the chains
    need the canonical pass. ``stored_first`` False tries that pass first (a run of
    older events).
    """
    if stored is None:
        return None
    try:
        for form in (("stored", "canonical") if stored_first else ("canonical", "stored")):
            if row_hash(prev, row, stored_form=form == "stored") == stored:
                return form
    except (TypeError, ValueError):  # not JSON, not a number: it was changed
        return None
    return None


# -- heads --------------------------------------------------------------------------------


def advance_head(conn: sqlite.Connection, origin: str, start: tuple[int, bytes | None],
                 seq: int, digest: bytes) -> None:
    """Move ``origin``'s head on from ``start`` (the number and hash of the event before
    the new ones; number 0: there was none) to event ``seq``, hash ``digest``, in the
    caller's transaction.

    Only a head that is ``start`` moves: a head set back, or removed, outside CarePlan
    stays as it was found, so the next check still sees that it is not the last event
    (a write after the tampering does not hide it).
    """
    if start[0] <= 0:
        conn.execute("INSERT INTO audit_heads (origin, seq, hash) VALUES (?, ?, ?) "
                     "ON CONFLICT(origin) DO NOTHING", (origin, seq, digest))
        return
    conn.execute("UPDATE audit_heads SET seq = ?, hash = ? WHERE origin = ? AND seq = ? "
                 "AND hash IS ?", (seq, digest, origin, start[0], start[1]))


def set_head(conn: sqlite.Connection, origin: str, seq: int, digest: bytes) -> None:
    """Set ``origin``'s head, whatever it was (computing the chains anew)."""
    conn.execute("INSERT INTO audit_heads (origin, seq, hash) VALUES (?, ?, ?) "
                 "ON CONFLICT(origin) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                 (origin, seq, digest))


def previous(conn: sqlite.Connection, origin: str, seq: int) -> tuple[bool, bytes | None]:
    """The hash of event ``seq - 1`` of ``origin`` held here: (found, hash). Event 1 has
    no predecessor: (True, None)."""
    if seq <= 1:
        return True, None
    row = conn.execute("SELECT hash FROM audit_events WHERE store_id = ? AND store_seq = ?",
                       (origin, seq - 1)).fetchone()
    if row is None or row[0] is None:
        return False, None
    return True, bytes(row[0])


# -- filling in the chains (the migration) ---------------------------------------------------

_SELECT = f"SELECT seq, {', '.join(COLUMNS)} FROM audit_events"


def fill(conn: sqlite.Connection) -> int:
    """Compute every origin's chain over the events held here and set the heads; return
    how many events were hashed. For the migration that adds the chains: it lifts the
    log's no-update rule for the moment (in the migration's transaction) and puts it
    back.

    Each event's JSON texts are rewritten in canonical form as it is hashed (the same
    values, keys sorted), so that checking the log later takes them as they are. Events
    are read a page at a time by number, so memory stays small however long the log.
    """
    rule = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND "
                        "name = 'audit_events_no_update'").fetchone()
    if rule is not None:
        conn.execute("DROP TRIGGER audit_events_no_update")
    hashed = 0
    origins = [str(r[0]) for r in conn.execute("SELECT DISTINCT store_id FROM audit_events")]
    for origin in origins:
        prev: bytes | None = None
        last = -1
        while rows := conn.execute(
                f"{_SELECT} WHERE store_id = ? AND store_seq > ? ORDER BY store_seq "
                "LIMIT 10000", (origin, last)).fetchall():
            batch: list[tuple[Any, ...]] = []
            for (seq, event_id, store_id, store_seq, parent_id, entity, entity_id,
                 version_before, version_after, before, after, actor, at, hlc, vector,
                 resolves) in rows:
                before, after = canonical(before), str(canonical(after))
                vector_c, resolves_c = canonical_extra(vector), canonical_extra(resolves)
                prev = link(prev, event_id, store_id, store_seq, parent_id, entity,
                            entity_id, version_before, version_after, before, after, actor,
                            at, effective_hlc(hlc, at), vector_c, resolves_c)
                batch.append((prev, before, after,
                              vector if vector_c is None else vector_c,
                              resolves if resolves_c is None else resolves_c, seq))
                last = int(store_seq)
            conn.executemany("UPDATE audit_events SET hash = ?, before = ?, after = ?, "
                             "vector = ?, resolves = ? WHERE seq = ?", batch)
            hashed += len(batch)
        if prev is not None:
            set_head(conn, origin, last, prev)
    if rule is not None:
        conn.execute(str(rule[0]))
    return hashed


# -- checking the chains ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Break:
    """One place where a chain does not hold.

    ``origin`` and ``seq``: the event (or the place in the chain) concerned;
    ``event_id``, ``entity`` and ``entity_id`` name it when it is there; ``what`` says
    what is wrong, in words (no record content).
    """

    origin: str
    seq: int
    event_id: str | None
    entity: str | None
    entity_id: str | None
    what: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What checking every chain found: the events and chains checked, and the breaks
    in log order (by origin, then number)."""

    events: int
    chains: int
    breaks: tuple[Break, ...]

    def first_break(self, origin: str) -> Break | None:
        """The first broken link of ``origin``'s chain, if any."""
        return next((b for b in self.breaks if b.origin == origin), None)


def check(conn: sqlite.Connection, *, progress: Callable[[int, int], None] | None = None,
          cancelled: Callable[[], bool] | None = None) -> ChainReport | None:
    """Recompute every origin's chain and compare it with the stored hashes and heads.

    Each event is checked against its stored predecessor's hash, so one changed event
    is one break (the next event still links to the hash that was stored for it); a
    missing event is a gap; a head that is not the last event is a break at the end.
    None when ``cancelled`` said stop.
    """
    total = int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])
    heads = {str(o): (int(s), bytes(h) if h is not None else None) for o, s, h in
             conn.execute("SELECT origin, seq, hash FROM audit_heads")}
    breaks: list[Break] = []
    done = 0
    origins = sorted(str(r[0]) for r in conn.execute(
        "SELECT DISTINCT store_id FROM audit_events"))
    for origin in origins:
        expected = 1
        prev: bytes | None = None
        last_hash: bytes | None = None
        stored_first = True
        for row in _events_of(conn, origin):
            done += 1
            if not done % 50_000:
                if cancelled is not None and cancelled():
                    return None
                if progress is not None:
                    progress(done, total)
            (event_id, store_id, seq, parent_id, entity, entity_id, version_before,
             version_after, before, after, actor, at, hlc, vector, resolves, stored) = row
            if seq == expected and stored_first and stored is not None:
                # The common case, kept lean: the next number, JSON as stored.
                try:
                    same = _link(prev, event_id, store_id, seq, parent_id, entity, entity_id,
                                 version_before, version_after, before, after, actor, at,
                                 hlc if hlc is not None else effective_hlc(hlc, at), vector,
                                 resolves) == stored
                except (TypeError, ValueError):
                    same = False
                if same:
                    prev = last_hash = stored
                    expected += 1
                    continue
            stored = stored if isinstance(stored, bytes) else None
            if not isinstance(seq, int):
                breaks.append(Break(origin, expected, event_id, entity, entity_id,
                                    "its number in the chain is not a number (it was "
                                    "changed outside CarePlan)"))
                continue
            if seq != expected:
                gone = (f"event {expected} of this store's chain is missing" if
                        seq == expected + 1 else
                        f"events {expected} to {seq - 1} of this store's chain are missing")
                what = (f"{gone} (removed from the log)" if seq > expected else
                        "it holds a number the chain has already")
                breaks.append(Break(origin, seq, event_id, entity, entity_id, what))
                prev = stored if seq > expected else prev
            elif stored is None:
                breaks.append(Break(origin, seq, event_id, entity, entity_id,
                                    "it has no hash (it was added outside CarePlan)"))
            elif entity == WITHHELD:
                pass  # a stub keeps its origin's link; the next event's link checks it
            elif (form := matches(prev, row[:15], stored, stored_first=stored_first)) is None:
                breaks.append(Break(origin, seq, event_id, entity, entity_id,
                                    "its content does not match its hash (it was changed, "
                                    "moved or added outside CarePlan)"))
            else:
                stored_first = form == "stored"
            expected = max(expected, seq + 1)
            prev = stored if stored is not None else prev
            last_hash = stored
        head = heads.pop(origin, None)
        last_seq = expected - 1
        if head is None:
            breaks.append(Break(origin, last_seq, None, None, None,
                                "this store keeps no chain head for it (the events were "
                                "added outside CarePlan, or its head was removed)"))
        elif head[0] != last_seq or head[1] != last_hash:
            other = "" if head[0] != last_seq else " with another hash"
            breaks.append(Break(origin, last_seq, None, None, None,
                                f"its chain head says event {head[0]}{other}, but the log "
                                f"ends at event {last_seq} (events were removed or added at "
                                "its end, or the head was set back)"))
    for origin, (seq, _) in sorted(heads.items()):
        breaks.append(Break(origin, seq, None, None, None,
                            f"its chain head says event {seq}, but the log holds none of its "
                            "events (they were removed)"))
    breaks += _lost_parents(conn)
    breaks.sort(key=lambda b: (b.origin, b.seq))
    if progress is not None:
        progress(total, total)
    return ChainReport(total, len(origins), tuple(breaks))


_link = link


def _events_of(conn: sqlite.Connection, origin: str) -> Iterator[tuple[Any, ...]]:
    """One origin's events by number: the ``COLUMNS``, then the stored hash."""
    cur = conn.execute(f"SELECT {', '.join(COLUMNS)}, hash FROM audit_events "
                       "WHERE store_id = ? ORDER BY store_seq", (origin,))
    while rows := cur.fetchmany(5_000):
        yield from rows


def _lost_parents(conn: sqlite.Connection) -> list[Break]:
    """Events whose previous event on the same row (their parent) is not in the log: it
    was removed (the row and the removed event's number are named)."""
    return [Break(str(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]),
                  f"its row's previous event {r[5]} is missing (removed from the log)")
            for r in conn.execute(
                "SELECT e.store_id, e.store_seq, e.id, e.entity, e.entity_id, e.parent_id "
                "FROM audit_events e WHERE e.parent_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM audit_events p WHERE p.id = e.parent_id)")]


__all__ = [
    "COLUMNS",
    "ENCODER",
    "encode_row",
    "FORMAT",
    "Break",
    "ChainReport",
    "advance_head",
    "canonical",
    "canonical_extra",
    "canonical_text",
    "check",
    "effective_hlc",
    "fill",
    "link",
    "matches",
    "previous",
    "row_hash",
    "set_head",
]
