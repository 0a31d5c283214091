"""The append-only audit log, written in the same transaction as the change it records."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from careplan.models.audit import AuditEvent
from careplan.models.base import uuid7
from careplan.store.db import Store

_INSERT = (
    "INSERT INTO audit_events (id, store_id, store_seq, parent_id, entity, entity_id, "
    "version_before, version_after, before, after, actor, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def new_event_id(at: datetime) -> str:
    """A time-ordered id for an event written at ``at``."""
    return uuid7(int(at.timestamp() * 1000), secrets.randbits(74))


def _next_seq(store: Store) -> int:
    row = store.conn.execute(
        "SELECT coalesce(max(store_seq), 0) FROM audit_events WHERE store_id = ?",
        (store.store_id,),
    ).fetchone()
    return int(row[0]) + 1


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
) -> str:
    """Append one event; the caller holds the write transaction."""
    event_id = new_event_id(at)
    store.conn.execute(
        _INSERT,
        (
            event_id,
            store.store_id,
            _next_seq(store),
            _parent(store, entity, entity_id),
            entity,
            entity_id,
            None if before is None else before["version"],
            after["version"],
            None if before is None else dumps(before),
            dumps(after),
            actor,
            at.isoformat(),
        ),
    )
    return event_id


# One encoder made once: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(row: dict[str, Any]) -> str:
    """A row as audit JSON (keys in field order, which is fixed per entity)."""
    return _ENCODER.encode(row)


def record_created(
    store: Store,
    rows: Iterable[tuple[str, str, str]],
    actor: str,
    at: datetime,
    ids: Iterable[str],
) -> int:
    """Append one creation event per (entity, id, after JSON) in bulk; return how many.

    Raises:
        ValueError: ``ids`` holds fewer or more ids than ``rows`` (a record would be
            written without its event); the caller's transaction then writes nothing.
    """
    seq = _next_seq(store)
    stamp = at.isoformat()
    store_id = store.store_id
    params = []
    for (entity, entity_id, after), event_id in zip(rows, ids, strict=True):
        params.append(
            (event_id, store_id, seq, None, entity, entity_id, None, 1, None, after, actor, stamp)
        )
        seq += 1
    store.conn.executemany(_INSERT, params)
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
