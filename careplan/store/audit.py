"""The append-only audit log, written in the same transaction as the change it records.

The log is also how stores share their changes (careplan.store.replication): each event
carries its store's id and sequence, the previous event on its row (its parent), a
hybrid logical clock reading for display order, and what its store had seen of other
stores (its vector: NULL while it has seen none, so a store that never shares pays
nothing for it). A local write comes after everything its store knows.

Each event also carries its ``hash``: the link of its store's hash chain
(careplan.store.chain), covering its content and the previous event of the same store;
the chain's head is kept in ``audit_heads``, in the same transaction. JSON is written in
the chain's canonical form (keys sorted), so hashing an event needs no parsing.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careplan.models.audit import AuditEvent
from careplan.models.base import uuid7
from careplan.models.sync import HLC_WIDTH, hlc_text, hlc_value, tick, wall
from careplan.store import chain, sqlite
from careplan.store.db import Store

_INSERT = (
    "INSERT INTO audit_events (id, store_id, store_seq, parent_id, entity, entity_id, "
    "version_before, version_after, before, after, actor, at, hlc, vector, resolves, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def new_event_id(at: datetime) -> str:
    """A time-ordered id for an event written at ``at``."""
    return uuid7(int(at.timestamp() * 1000), secrets.randbits(74))


def new_event_ids(at: datetime, count: int) -> list[str]:
    """``count`` ids as :func:`new_event_id` makes them, for events written at ``at``
    (bulk writes): the random bits read in one call (``secrets.randbits(74)`` reads 10
    bytes and drops the last 6 bits, as here)."""
    ms = int(at.timestamp() * 1000)
    raw = os.urandom(10 * count)
    from_bytes = int.from_bytes
    return [uuid7(ms, from_bytes(raw[i:i + 10], "big") >> 6) for i in range(0, 10 * count, 10)]


@dataclass(frozen=True, slots=True)
class Stamp:
    """Where the next local events go: the first one's sequence and clock reading (the
    others follow one by one), what this store has seen of others (JSON, or None), and
    the hash of this store's last event (None: the next is its first)."""

    seq: int
    hlc: int
    vector: str | None
    prev: bytes | None = None


def stamp(store: Store, at: datetime, count: int = 1) -> Stamp:
    """Sequence, clock and vector for ``count`` new events of this store written at
    ``at``. The store's own last event comes from the log's (store_id, store_seq)
    index; what it has seen of others from ``sync_vector``."""
    conn = store.conn
    own = store.store_id
    row = conn.execute(
        "SELECT store_seq, hlc, at, hash FROM audit_events WHERE store_id = ? "
        "ORDER BY store_seq DESC LIMIT 1", (own,)).fetchone()
    seq, last = (0, 0) if row is None else (
        int(row[0]), hlc_value(row[1]) if row[1] is not None else wall(row[2]))
    prev = None if row is None or row[3] is None else bytes(row[3])
    vector = None
    known = conn.execute("SELECT origin, seq, hlc FROM sync_vector ORDER BY origin").fetchall()
    if known:
        last = max(last, *(hlc_value(h) for _, _, h in known))
        seen = {str(o): int(n) for o, n, _ in known if o != own and n > 0}
        vector = dumps(seen) if seen else None
    return Stamp(seq + 1, tick(last, at), vector, prev)


def _resolves(decided: Mapping[str, str] | None) -> str | None:
    return dumps(dict(sorted(decided.items()))) if decided else None


def _parent(store: Store, entity: str, entity_id: str) -> str | None:
    row = store.conn.execute(
        "SELECT id FROM audit_events WHERE entity = ? AND entity_id = ? "
        "ORDER BY seq DESC LIMIT 1",
        (entity, entity_id),
    ).fetchone()
    return None if row is None else str(row[0])


def record(
    store: Store,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    actor: str,
    at: datetime,
    resolves: Mapping[str, str] | None = None,
) -> str:
    """Append one event; the caller holds the write transaction.

    ``resolves`` names the conflicts (id -> field) this write decides (see
    careplan.store.replication.resolve).
    """
    event_id = new_event_id(at)
    next_ = stamp(store, at)
    values = (
        event_id,
        store.store_id,
        next_.seq,
        _parent(store, entity, entity_id),
        entity,
        entity_id,
        None if before is None else before["version"],
        after["version"],
        None if before is None else dumps(before),
        dumps(after),
        actor,
        at.isoformat(),
        hlc_text(next_.hlc),
        next_.vector,
        _resolves(resolves),
    )
    digest = chain.link(next_.prev, *values)
    store.conn.execute(_INSERT, (*values, digest))
    chain.advance_head(store.conn, store.store_id, (next_.seq - 1, next_.prev), next_.seq,
                       digest)
    if next_.vector is not None:  # only a store that has seen others can hold conflicts
        from careplan.store import replication

        replication.after_local_write(store, entity, entity_id, before, after)
    return event_id


# One encoder made once: json.dumps with options builds a new encoder on every call.
_ENCODER = chain.ENCODER


def dumps(row: dict[str, Any]) -> str:
    """A row as audit JSON: the hash chain's canonical form (keys sorted, no spaces).
    (Bulk writes of rows use ``chain.encode_row``: the same text, faster.)"""
    return _ENCODER.encode(row)


def _creations_sql(store_id: str, actor: str, at: str, vector: str | None) -> str | None:
    """``_INSERT`` for creation events written at once, with what they share written in
    as SQL (the store, no parent, no before, version 1, the actor, the time, the vector,
    nothing resolved): binding those nine values again for each event cost the driver
    nearly half of the insert's time. The event's id, number, entity, entity id, after, clock
    reading and hash are bound; None when a shared text cannot be written in."""
    texts = [sqlite.text_literal(t) for t in (store_id, actor, at)]
    shown = "NULL" if vector is None else sqlite.text_literal(vector)
    if None in texts or shown is None:
        return None
    store, by, when = texts
    return ("INSERT INTO audit_events (id, store_id, store_seq, parent_id, entity, "
            "entity_id, version_before, version_after, before, after, actor, at, hlc, "
            "vector, resolves, hash) "
            f"VALUES (?, {store}, ?, NULL, ?, ?, NULL, 1, NULL, ?, {by}, {when}, ?, {shown}, "
            "NULL, ?)")


#: ``hlc_text`` as a %-format (the same text for the clock's non-negative readings).
_HLC_FORMAT = f"%0{HLC_WIDTH}d"


def record_created(
    store: Store,
    rows: Iterable[tuple[str, str, str]],
    actor: str,
    at: datetime,
    ids: Iterable[str],
) -> int:
    """Append one creation event per (entity, id, after JSON) in bulk; return how many.
    The after JSON is as :func:`dumps` writes it (the chain's canonical form).

    Raises:
        ValueError: ``ids`` holds fewer or more ids than ``rows`` (a record would be
            written without its event); the caller's transaction then writes nothing.
    """
    rows = list(rows)
    first = stamp(store, at, len(rows))
    seq, clock, vector = first.seq, first.hlc, first.vector
    when = at.isoformat()
    store_id = store.store_id
    prev = first.prev
    link = chain.creations(store_id, actor, when, vector)
    # Only what differs from event to event is bound (see _creations_sql).
    params: list[tuple[Any, ...]] = []
    add = params.append
    clock_text = _HLC_FORMAT.__mod__  # hlc_text without a call of our own per event
    for (entity, entity_id, after), event_id in zip(rows, ids, strict=True):
        hlc = clock_text(clock)
        prev = link(prev, event_id, seq, entity, entity_id, after, hlc)
        add((event_id, seq, entity, entity_id, after, hlc, prev))
        seq += 1
        clock += 1
    sql = _creations_sql(store_id, actor, when, vector)
    if sql is not None:
        store.conn.executemany(sql, params)
    else:
        store.conn.executemany(_INSERT, [
            (event_id, store_id, n, None, entity, entity_id, None, 1, None, after, actor,
             when, hlc, vector, None, digest)
            for event_id, n, entity, entity_id, after, hlc, digest in params])
    if prev is not None and params:
        chain.advance_head(store.conn, store_id, (first.seq - 1, first.prev), seq - 1, prev)
    return len(params)


def event_from_row(row: dict[str, Any]) -> AuditEvent:
    """An audit event from its row in ``audit_events``."""
    return AuditEvent(
        id=row["id"],
        store_id=row["store_id"],
        store_seq=row["store_seq"],
        parent_id=row["parent_id"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        version_before=row["version_before"],
        version_after=row["version_after"],
        before=None if row["before"] is None else json.loads(row["before"]),
        after=json.loads(row["after"]),
        actor=row["actor"],
        at=datetime.fromisoformat(row["at"]),
    )


def events_for(store: Store, entity: str, entity_id: str) -> list[AuditEvent]:
    """Every event on one row, oldest first."""
    rows = store.query(
        "SELECT * FROM audit_events WHERE entity = ? AND entity_id = ? ORDER BY seq",
        (entity, entity_id),
    )
    return [event_from_row(r) for r in rows]


def events(store: Store, limit: int | None = None) -> list[AuditEvent]:
    """All events, newest first."""
    sql = "SELECT * FROM audit_events ORDER BY seq DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [event_from_row(r) for r in store.query(sql)]


def count(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])
