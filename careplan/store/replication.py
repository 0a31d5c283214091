"""The audit log is the replication log: what one store sends another, and applying it.

Every write appends an audit event (careplan.store.audit); the events ARE the changes
another store needs. This module is the core that change packs and the team server
build on:

- :func:`version_vector` -- what this store has seen: origin store id -> the highest
  sequence number of that store's events it holds (its own included).
- :func:`events_for` -- every event the holder of a vector has not seen, in an order the
  receiver can apply (this store's arrival order, which respects causality).
- :class:`Event` -- one event as it travels (``to_json`` / ``from_json``).
- :func:`apply_events` -- apply another store's events in ONE transaction, all or
  nothing; returns an :class:`ApplyResult` whose ``changes`` go to the app's views
  through ``OperationRunner.broadcast``.
- :func:`new_identity` -- a copied store file becomes a store of its own.
- :func:`resolve` -- decide a conflict: an ordinary audited write naming it (run it
  through ``operations.run`` like every write); it replicates and closes the conflict on
  every store that receives it.

Chains: every event carries its origin's hash chain value (careplan.store.chain). An
arriving event must follow what this store holds of its origin: its hash, recomputed
over its content and the hash of the event before it of the same origin held here, must
be the hash it carries. One that does not is refused (kept in ``sync_pending`` with its
reason, like a refusal by permission); an event written before the chains existed
carries none and gets its hash here.

Applying: an event already held is skipped, unless it is held as withheld (a stub: its
store's agency could not see it then) and arrives whole: then it fills the stub in,
keeping its place, if it is the event whose chain link the stub holds, and its row is
recomputed. One whose predecessors are not all here
(a gap in its store's sequence, or events its vector covers that this store lacks)
waits in ``sync_pending`` and is applied when they arrive; otherwise it is stored as it
came (its local ``seq`` is its arrival) and its row is recomputed from ALL its events
(careplan.models.sync.merge): the state depends on the set of events, never on the
order they arrived in. A row's events that were concurrent may conflict; conflicts are
kept in ``sync_conflicts`` (the same ids on every store). A record removed on one store
while another store added a record referring to it is kept while anything refers to it
(a conflict of kind ``referenced``), never left dangling.

Permissions: ``apply_events(..., authorise=...)`` asks, for each event about to be
applied, whether its author may make that change (None: yes; else the reason). A
refused event is reported, kept in ``sync_pending`` with its reason, and every later
event that depends on it (the rest of its store's sequence, and events that had seen
it) waits behind it. Until the permission rules exist, every author may.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from careplan.models.sync import (
    DELETED,
    LOCAL_TABLES,
    STATUS_FIELDS,
    WITHHELD,
    RowEvent,
    SyncConflict,
    conflict_id,
    hlc_text,
    hlc_value,
    merge,
    wall,
)
from careplan.store import audit, chain, sqlite
from careplan.store.changes import Changes
from careplan.store.db import Store, quote_name
from careplan.store.errors import InputError, NotFoundError
from careplan.store.operations import changes_since, person_of

#: Columns every table has that say when and by whom a row was written on THIS store.
LOCAL_COLUMNS = ("created_at", "updated_at", "updated_by")

_HEX_DIGITS = frozenset("0123456789abcdef")

_EVENT_COLUMNS = ("id, store_id, store_seq, parent_id, entity, entity_id, version_before, "
                  "version_after, before, after, actor, at, hlc, vector, resolves, hash")


# -- events as they travel ----------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One audit event as stores exchange it: everything applying it needs.

    ``vector`` is what its store had seen of OTHER stores when it was written (empty:
    nothing); of its own store it had seen every earlier event. ``resolves`` maps each
    conflict it decides to its field. ``hlc`` orders events for display only. ``hash``
    is its link in its origin's hash chain (64 hex digits; None for an event written
    before the chains, which gets its hash where it is applied).
    """

    id: str
    store_id: str
    store_seq: int
    parent_id: str | None
    entity: str
    entity_id: str
    version_before: int | None
    version_after: int
    before: dict[str, Any] | None
    after: dict[str, Any]
    actor: str
    at: str
    hlc: str
    vector: dict[str, int] = field(default_factory=dict)
    resolves: dict[str, str] = field(default_factory=dict)
    hash: str | None = None

    def saw(self, origin: str, seq: int) -> bool:
        """Whether this event's store had seen event ``seq`` of ``origin``."""
        if origin == self.store_id:
            return seq < self.store_seq
        return self.vector.get(origin, 0) >= seq

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "store_id": self.store_id, "store_seq": self.store_seq,
            "parent_id": self.parent_id, "entity": self.entity, "entity_id": self.entity_id,
            "version_before": self.version_before, "version_after": self.version_after,
            "before": self.before, "after": self.after, "actor": self.actor, "at": self.at,
            "hlc": self.hlc, "vector": self.vector, "resolves": self.resolves,
            "hash": self.hash,
        }

    @classmethod
    def from_json(cls, data: Any) -> Event:
        """An event from its JSON object.

        Raises:
            ValueError: not an event (a sentence naming the field).
        """
        if not isinstance(data, dict):
            raise ValueError("event: not a JSON object")

        def text(name: str, optional: bool = False) -> Any:
            value = data.get(name)
            if value is None and optional:
                return None
            if not isinstance(value, str) or not value:
                raise ValueError(f"event: {name} must be text")
            return value

        def number(name: str, optional: bool = False) -> Any:
            value = data.get(name)
            if value is None and optional:
                return None
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"event: {name} must be a whole number")
            return value

        def mapping(name: str, values: type, optional: bool) -> Any:
            value = data.get(name)
            if value is None and optional:
                return None
            if not isinstance(value, dict) or not all(
                    isinstance(k, str) and isinstance(v, values) and not isinstance(v, bool)
                    for k, v in value.items() if values is not object):
                raise ValueError(f"event: {name} must be an object")
            return value

        event = cls(
            id=text("id"), store_id=text("store_id"), store_seq=number("store_seq"),
            parent_id=text("parent_id", True), entity=text("entity"),
            entity_id=text("entity_id"), version_before=number("version_before", True),
            version_after=number("version_after"), before=mapping("before", object, True),
            after=mapping("after", object, False), actor=text("actor"), at=text("at"),
            hlc=text("hlc"), vector=dict(mapping("vector", int, True) or {}),
            resolves=dict(mapping("resolves", str, True) or {}),
            hash=text("hash", True),
        )
        if event.hash is not None and (len(event.hash) != 64
                                       or not set(event.hash) <= _HEX_DIGITS):
            raise ValueError("event: hash must be 64 hex digits")
        if event.store_seq < 1:
            raise ValueError("event: store_seq must be 1 or more")
        hlc_value(event.hlc)
        try:
            datetime.fromisoformat(event.at)
        except ValueError:
            raise ValueError("event: at must be an ISO date and time") from None
        return event

    def row_event(self) -> RowEvent:
        return RowEvent(self.id, self.store_id, self.store_seq, self.vector, self.hlc,
                        self.before, self.after, self.resolves, self.actor, self.at)


def _event(row: Sequence[Any]) -> Event:
    """An event from its ``audit_events`` columns (``_EVENT_COLUMNS`` order)."""
    (id_, store_id, store_seq, parent_id, entity, entity_id, version_before, version_after,
     before, after, actor, at, hlc, vector, resolves, digest) = row
    return Event(
        id=id_, store_id=store_id, store_seq=store_seq, parent_id=parent_id, entity=entity,
        entity_id=entity_id, version_before=version_before, version_after=version_after,
        before=None if before is None else json.loads(before), after=json.loads(after),
        actor=actor, at=at, hlc=hlc if hlc is not None else hlc_text(wall(at)),
        vector={} if vector is None else json.loads(vector),
        resolves={} if resolves is None else json.loads(resolves),
        hash=None if digest is None else bytes(digest).hex(),
    )


# -- what a store has seen ------------------------------------------------------------------


def version_vector(store: Store) -> dict[str, int]:
    """Origin store id -> the highest sequence of that store's events held here."""
    known = {str(o): int(s) for o, s in store.conn.execute(
        "SELECT origin, seq FROM sync_vector")}
    own = store.conn.execute("SELECT max(store_seq) FROM audit_events WHERE store_id = ?",
                             (store.store_id,)).fetchone()[0]
    if own:
        known[store.store_id] = int(own)
    return known


def events_for(store: Store, vector: Mapping[str, int]) -> list[Event]:
    """Every event held here that the holder of ``vector`` has not seen, in this
    store's arrival order (each after all it depends on)."""
    found: list[tuple[int, Event]] = []
    for origin, top in version_vector(store).items():
        start = int(vector.get(origin, 0))
        if top <= start:
            continue
        for row in store.conn.execute(
                f"SELECT {_EVENT_COLUMNS}, seq FROM audit_events WHERE store_id = ? "
                "AND store_seq > ? ORDER BY store_seq", (origin, start)):
            found.append((int(row[-1]), _event(row[:-1])))
    found.sort(key=lambda t: t[0])
    return [e for _, e in found]


def events_by_id(store: Store, ids: Iterable[str]) -> list[Event]:
    """The events of ``ids`` held here, in their order here (ids not held are left
    out)."""
    wanted = list(dict.fromkeys(ids))
    found: list[tuple[int, Event]] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for row in store.conn.execute(
                f"SELECT {_EVENT_COLUMNS}, seq FROM audit_events WHERE id IN "
                f"({', '.join('?' for _ in chunk)})", chunk):
            found.append((int(row[-1]), _event(row[:-1])))
    found.sort(key=lambda t: t[0])
    return [e for _, e in found]


def new_identity(store: Store) -> str:
    """Give this store a new id (a copy of another store's file becomes a store of its
    own); its earlier events count as seen from the old identity. Returns the new id."""
    with store.atomic() as conn:
        old = store.store_id
        row = conn.execute(
            "SELECT store_seq, hlc, at FROM audit_events WHERE store_id = ? "
            "ORDER BY store_seq DESC LIMIT 1", (old,)).fetchone()
        new = str(uuid.uuid4())
        conn.execute("UPDATE store_meta SET value = ? WHERE key = 'store_id'", (new,))
        if row is not None:
            clock = row[1] if row[1] is not None else hlc_text(wall(row[2]))
            conn.execute("INSERT INTO sync_vector (origin, seq, hlc) VALUES (?, ?, ?) "
                         "ON CONFLICT(origin) DO UPDATE SET seq = max(seq, excluded.seq)",
                         (old, int(row[0]), clock))
    store.reread_identity()
    return new


# -- applying -------------------------------------------------------------------------------

#: "May this author make this change?": None if so, else the reason (one sentence).
Authorise = Callable[[Store, Event], str | None]


@dataclass(frozen=True, slots=True)
class Refusal:
    event_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a batch of events did.

    ``applied``: events stored now (including ones that had been waiting);
    ``already_seen``: events this store held already (whole, or withheld and still
    withheld); ``filled``: events held as withheld that arrived whole and were filled
    in (see ``_fill_one``); ``pending``: events still
    waiting for others; ``refused``: events refused now (kept, with their reason);
    ``opened`` / ``closed``: conflict ids; ``changes``: for the views.
    """

    applied: int
    already_seen: int
    pending: int
    refused: tuple[Refusal, ...]
    opened: tuple[str, ...]
    closed: tuple[str, ...]
    changes: Changes
    #: Events held here as withheld (stubs) that arrived whole now and were filled in.
    filled: int = 0


def apply_events(store: Store, events: Iterable[Event],
                 authorise: Authorise | None = None, *,
                 one_by_one: bool = False) -> ApplyResult:
    """Apply another store's events, in one transaction (all or nothing).

    The batch is applied in one savepoint, each event's writes straight after the last
    one's. An event the store's own rules refuse (a second record with the same NHS
    number, say) undoes that savepoint, and the batch is applied again with a savepoint
    for that event, which leaves nothing of it when it is refused again, and so on
    (:data:`ROUNDS` times at most, then one event at a time); events refused before
    (waiting here with their reason) get one from the start.
    ``one_by_one``: a savepoint for every event. Every way stores the same.

    Raises:
        InputError: an event claims a place in a store's sequence that another event
            holds here (two stores share one identity: a copied file that was not given
            a new one); nothing is applied.
    """
    events = list(events)
    with store.atomic() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        start = int(conn.execute("SELECT coalesce(max(seq), 0) FROM audit_events"
                                 ).fetchone()[0])
        # The events given a savepoint of their own (None: every one).
        own: set[str] | None = None if one_by_one else {str(r[0]) for r in conn.execute(
            "SELECT id FROM sync_pending WHERE refused IS NOT NULL")}
        rounds = 0
        while True:
            if own is None:
                done = _apply_batch(store, events, authorise, None)
                break
            try:
                with store.atomic():
                    done = _apply_batch(store, events, authorise, own)
                break
            except _Refused as refused:
                rounds += 1
                again = refused.event_id not in own and rounds < ROUNDS
                own = own | {refused.event_id} if again else None
        waiting = [e for q in done.by_origin.values() for e in q.values()]
        _keep_pending(store, waiting, done.reasons)
        # Rows filled in keep their old place in the log: the views show everything again.
        changes = Changes.of_everything() if done.filled else changes_since(store, start)
    ctx = done.ctx
    return ApplyResult(applied=done.applied, already_seen=done.seen,
                       pending=sum(1 for e in waiting if e.id not in done.reasons),
                       refused=tuple(done.refused), opened=tuple(sorted(ctx.opened)),
                       closed=tuple(sorted(ctx.closed)), changes=changes,
                       filled=done.filled)


#: How many times a batch is applied again for an event refused in it before the rest
#: of it goes one event at a time (at most one refusal an origin: its later events wait).
ROUNDS = 4


class _Refused(Exception):  # noqa: N818 - a signal, not an error anyone sees
    """An event the store's own rules refuse, met without a savepoint of its own: the
    batch is applied again, with one for it."""

    def __init__(self, event_id: str) -> None:
        super().__init__(event_id)
        self.event_id = event_id


@dataclass
class _Batch:
    """What applying one batch did (see :func:`apply_events`)."""

    ctx: _Context
    seen: int
    by_origin: dict[str, dict[int, Event]]
    reasons: dict[str, str]
    refused: list[Refusal]
    applied: int = 0
    filled: int = 0


def _apply_batch(store: Store, events: Sequence[Event], authorise: Authorise | None,
                 own: Container[str] | None) -> _Batch:
    """Apply ``events`` (with those waiting here) in the caller's transaction, the
    events of ``own`` (None: every one) each in a savepoint of its own. One the store's
    own rules refuse without one raises :class:`_Refused` (the caller undoes the batch
    and applies it again)."""
    ctx = _Context(store, own=own)
    pool, seen, fills = _pool(store, events)
    known = version_vector(store)
    done = _Batch(ctx, seen, {}, {}, [])
    for e in fills:  # first: what later events of theirs build on
        reason = _refusal(store, ctx, e, authorise)
        if reason is None:
            reason = _fill_one(store, ctx, e)
        if reason is None:
            done.filled += 1
        else:  # it stays withheld here; nothing waits behind it (its stub is here)
            done.refused.append(Refusal(e.id, reason))
    by_origin = done.by_origin
    for e in pool.values():
        held = known.get(e.store_id, 0)
        if e.store_seq <= held:
            raise InputError(
                f"event {e.id}: store {e.store_id} already has an event number "
                f"{e.store_seq} here; two stores share that identity (a copied store "
                "file must be given a new identity before it is used); nothing was "
                "applied")
        by_origin.setdefault(e.store_id, {})[e.store_seq] = e
    blocked: set[str] = set()
    progress = True
    while progress:
        progress = False
        for origin in sorted(by_origin):
            queue = by_origin[origin]
            while origin not in blocked:
                nxt = queue.get(known.get(origin, 0) + 1)
                if nxt is None or not all(known.get(o, 0) >= s
                                          for o, s in nxt.vector.items()):
                    break
                reason = _refusal(store, ctx, nxt, authorise)
                if reason is None:
                    reason = _apply_one(store, ctx, nxt)
                if reason is not None:
                    blocked.add(origin)
                    done.reasons[nxt.id] = reason
                    done.refused.append(Refusal(nxt.id, reason))
                    break
                del queue[nxt.store_seq]
                known[origin] = nxt.store_seq
                done.applied += 1
                progress = True
    ctx.write_heads()
    return done


def _pool(store: Store, events: Sequence[Event]) -> tuple[dict[str, Event], int, list[Event]]:
    """The events to consider: those waiting from before, and the new ones not held;
    the events held here as withheld that arrived whole (to fill in, in the order they
    arrived here); and how many were held already."""
    pool = {str(r[0]): Event.from_json(json.loads(r[1])) for r in store.conn.execute(
        "SELECT id, event FROM sync_pending")}
    held: dict[str, tuple[str, int]] = {}
    ids = list({e.id for e in events})
    for at in range(0, len(ids), 500):
        chunk = ids[at:at + 500]
        held.update((str(r[0]), (str(r[1]), int(r[2]))) for r in store.conn.execute(
            "SELECT id, entity, seq FROM audit_events WHERE id IN "
            f"({', '.join('?' for _ in chunk)})", chunk))
    seen = 0
    fills: dict[str, tuple[int, Event]] = {}
    for e in events:
        if e.id in pool or e.id in fills:
            continue
        row = held.get(e.id)
        if row is not None:
            if row[0] == WITHHELD and e.entity != WITHHELD:
                fills[e.id] = (row[1], e)
            else:
                seen += 1
            continue
        pool[e.id] = e
    return pool, seen, [e for _, e in sorted(fills.values(), key=lambda t: t[0])]


def _keep_pending(store: Store, waiting: Sequence[Event], reasons: Mapping[str, str]) -> None:
    store.conn.execute("DELETE FROM sync_pending")
    store.conn.executemany(
        "INSERT INTO sync_pending (id, store_id, store_seq, event, refused) "
        "VALUES (?, ?, ?, ?, ?)",
        [(e.id, e.store_id, e.store_seq, json.dumps(e.to_json(), ensure_ascii=False),
          reasons.get(e.id)) for e in waiting])


def _refusal(store: Store, ctx: _Context, e: Event, authorise: Authorise | None) -> str | None:
    """Why ``e`` cannot be applied here (its author's permission, or its shape)."""
    if authorise is not None and (reason := authorise(store, e)) is not None:
        return reason
    if e.entity in LOCAL_TABLES:
        return None
    table = ctx.table(e.entity)
    if table is None:
        return f"event {e.id}: this store keeps no records of kind {e.entity!r}"
    unknown = sorted(set(e.after) - table.known)
    if unknown:
        return (f"event {e.id}: this store does not know the field {unknown[0]!r} of "
                f"{e.entity} (was it written by a newer CarePlan?)")
    return None


def _stored(e: Event) -> tuple[Any, ...]:
    """The event's columns as the log stores them (its hash aside), in _EVENT_COLUMNS'
    order: what its chain link is computed over."""
    return (e.id, e.store_id, e.store_seq, e.parent_id, e.entity, e.entity_id,
            e.version_before, e.version_after,
            None if e.before is None else audit.dumps(e.before), audit.dumps(e.after),
            e.actor, e.at, e.hlc, audit.dumps(e.vector) if e.vector else None,
            audit.dumps(e.resolves) if e.resolves else None)


def _apply_one(store: Store, ctx: _Context, e: Event) -> str | None:
    """Store one event and recompute its row (its chain head and what has been seen of
    its store move on in ``ctx``). A refusal by the store's own rules (a second record
    with the same NHS number, say) leaves nothing of it: in a savepoint of its own, its
    reason; else :class:`_Refused` (see :meth:`_Context.refused`)."""
    conn = store.conn
    values = _stored(e)
    prev: bytes | None
    last = ctx.last.get(e.store_id)
    if last is not None and last[0] == e.store_seq - 1:  # applied just before, here
        found, prev = True, last[1]
    else:
        found, prev = chain.previous(conn, e.store_id, e.store_seq)
    digest = chain.link(prev, *values)
    if e.entity == WITHHELD and e.hash is not None:
        # A stub in place of an event withheld from this store: it keeps its origin's
        # link (its content is not here to check); the next event's link checks it.
        digest = bytes.fromhex(e.hash)
    if not found or (e.hash is not None and digest.hex() != e.hash):
        return (f"event {e.id} (number {e.store_seq} of store {e.store_id}) does not follow "
                "that store's audit chain as held here: it, or an event before it, was "
                "changed; it was not applied")
    try:
        with ctx.savepoint(e):
            conn.execute(
                f"INSERT INTO audit_events ({_EVENT_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, digest))
            if e.entity not in LOCAL_TABLES and not _fast_forward(ctx, e):
                ctx.settle(e.entity, e.entity_id)
    except sqlite.IntegrityError as exc:
        return ctx.refused(e, exc)
    ctx.last[e.store_id] = (e.store_seq, digest)
    ctx.advance(e, prev, digest)
    return None


def _fill_one(store: Store, ctx: _Context, e: Event) -> str | None:
    """Fill in the stub held here for ``e`` with ``e`` itself, and recompute its row (a
    refusal by the store's own rules as in :func:`_apply_one`). The stub kept ``e``'s
    place in its store's sequence and its link in that store's audit chain; ``e`` must be
    the event that link stands for (its link, recomputed over its content and the event
    before it held here, is the stub's), or it is refused and the stub stays. The event
    keeps the stub's arrival here (``seq``): the log is not reordered, only the withheld
    content arrives (migration 19 lets the log's no-update rule pass exactly this)."""
    conn = store.conn
    values = _stored(e)
    row = conn.execute("SELECT hash, store_id, store_seq FROM audit_events WHERE id = ?",
                       (e.id,)).fetchone()
    found, prev = chain.previous(conn, e.store_id, e.store_seq)
    digest = chain.link(prev, *values)
    if (not found or row is None or row[0] is None or bytes(row[0]) != digest
            or (str(row[1]), int(row[2])) != (e.store_id, e.store_seq)):
        return (f"event {e.id} (number {e.store_seq} of store {e.store_id}) is not the "
                "change that was withheld from this store in its place; it was not "
                "applied, and that change stays withheld")
    try:
        with ctx.savepoint(e):
            conn.execute(
                f"UPDATE audit_events SET ({_EVENT_COLUMNS}) = "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "WHERE id = ? AND entity = ?", (*values, digest, e.id, WITHHELD))
            if e.entity not in LOCAL_TABLES and not _fast_forward(ctx, e):
                ctx.settle(e.entity, e.entity_id)
    except sqlite.IntegrityError as exc:
        return ctx.refused(e, exc)
    return None


def withheld_ids(store: Store) -> list[str]:
    """The ids of the events held here as withheld (stubs), in the order they arrived."""
    return [str(r[0]) for r in store.conn.execute(
        "SELECT entity_id FROM audit_events WHERE entity = ? ORDER BY seq", (WITHHELD,))]


def _fast_forward(ctx: _Context, e: Event) -> bool:
    """The common case: the event had seen every event of its row, and the row never had
    a conflict, so the row becomes what the event says. False: merge instead."""
    conn = ctx.store.conn
    table = ctx.table(e.entity)
    assert table is not None
    if e.after.get(DELETED):
        return False  # a removal checks what refers to the row first (settle)
    others = conn.execute(
        "SELECT store_id, store_seq FROM audit_events WHERE entity_id = ? AND entity = ? "
        "AND id != ?", (e.entity_id, e.entity, e.id)).fetchall()
    if not all(e.saw(str(o), int(s)) for o, s in others):
        return False
    if ctx.has_conflicts(e.entity, e.entity_id):
        return False
    created = e.at if e.before is None or e.before.get(DELETED) else None
    old = ctx.row(table, e.entity_id)
    if old is None and created is None:
        return False  # a change of a record removed here: merge decides
    values = {c: e.after.get(c) for c in table.columns}
    values["version"] = len(others) + 1
    ctx.write(table, e.entity_id, values, created, e.at, e.actor, exists=old is not None)
    ctx.follow_references(table, old, values)
    return True


# -- recomputing rows -------------------------------------------------------------------------


#: A chain head: the number and hash of an origin's last event (None: no head).
_Head = tuple[int, bytes | None] | None


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    key: str
    columns: tuple[str, ...]  # every column but the local ones (key and version included)
    fields: tuple[str, ...]  # columns without key and version
    parents: tuple[tuple[str, str], ...]  # (column, parent table)
    children: tuple[tuple[str, str], ...]  # (child table, column)

    @property
    def known(self) -> frozenset[str]:
        """The fields an event of this table may carry."""
        return _known(self.columns)


class _Context:
    """One store's tables, and the conflicts opened and closed while applying."""

    def __init__(self, store: Store, *, own: Container[str] | None = None) -> None:
        self.store = store
        self.opened: set[str] = set()
        self.closed: set[str] = set()
        self._tables: dict[str, _Table] | None = None
        #: The events applied each in a savepoint of its own (None: every one).
        self.own = own
        #: Origin -> the number and hash of its last event applied through this context.
        self.last: dict[str, tuple[int, bytes]] = {}
        #: Origin -> its chain head as this context found it, and as it is now (see
        #: :meth:`advance`; None: no head).
        self._heads: dict[str, tuple[_Head, _Head]] = {}
        #: Origin -> the highest number applied and the latest clock reading (see
        #: :meth:`advance`).
        self._vector: dict[str, tuple[int, str]] = {}
        #: Whether ``sync_conflicts`` may hold a row at all / one of kind "referenced"
        #: (None: not looked yet); once True, they stay so (then the table is asked).
        self._any_conflict: bool | None = None
        self._any_referenced: bool | None = None
        self._sql: dict[tuple[str, str], str] = {}

    def advance(self, e: Event, prev: bytes | None, digest: bytes) -> None:
        """Event ``e`` (hash ``digest``, after ``prev``) was stored: move its origin's
        chain head on (only from the event before, as chain.advance_head does) and what
        this store has seen of its origin, in memory; :meth:`write_heads` writes them."""
        origin = e.store_id
        if origin not in self._heads:
            row = self.store.conn.execute("SELECT seq, hash FROM audit_heads WHERE origin = ?",
                                          (origin,)).fetchone()
            found: _Head = None if row is None else (int(row[0]), row[1])
            self._heads[origin] = (found, found)
        first, head = self._heads[origin]
        if e.store_seq - 1 <= 0:
            if head is None:
                head = (e.store_seq, digest)
        elif head == (e.store_seq - 1, prev):
            head = (e.store_seq, digest)
        self._heads[origin] = (first, head)
        if origin != self.store.store_id:
            seen = self._vector.get(origin)
            self._vector[origin] = (e.store_seq, e.hlc if seen is None else max(seen[1], e.hlc))

    def write_heads(self) -> None:
        """Write the chain heads and what has been seen of each origin, as
        :meth:`advance` moved them (the same rows as writing them event by event)."""
        conn = self.store.conn
        for origin, (first, head) in self._heads.items():
            if head == first or head is None:
                continue
            if first is None:
                conn.execute("INSERT INTO audit_heads (origin, seq, hash) VALUES (?, ?, ?) "
                             "ON CONFLICT(origin) DO NOTHING", (origin, *head))
            else:
                conn.execute("UPDATE audit_heads SET seq = ?, hash = ? WHERE origin = ? "
                             "AND seq = ? AND hash IS ?", (*head, origin, *first))
        for origin, (seq, hlc) in self._vector.items():
            conn.execute(
                "INSERT INTO sync_vector (origin, seq, hlc) VALUES (?, ?, ?) "
                "ON CONFLICT(origin) DO UPDATE SET seq = excluded.seq, "
                "hlc = max(hlc, excluded.hlc)", (origin, seq, hlc))
        self._heads.clear()
        self._vector.clear()

    def savepoint(self, e: Event) -> AbstractContextManager[Any]:
        """Where an event's writes go: a savepoint of its own, or (a batch applied in
        one savepoint) straight into the batch's."""
        return self.store.atomic() if self.own is None or e.id in self.own \
            else nullcontext()

    def refused(self, e: Event, exc: sqlite.IntegrityError) -> str:
        """The reason an event the store's own rules refuse is not applied; without a
        savepoint of its own, :class:`_Refused` (the batch is applied again, with one
        for it)."""
        if self.own is not None and e.id not in self.own:
            raise _Refused(e.id) from exc
        return f"event {e.id}: {e.entity.replace('_', ' ')} could not be applied ({exc})"

    def table(self, name: str) -> _Table | None:
        if self._tables is None:
            self._tables = _tables(self.store)
        return self._tables.get(name)

    def row(self, table: _Table, key: str) -> dict[str, Any] | None:
        sql = self._sql.get((table.name, "row"))
        if sql is None:
            sql = self._sql[(table.name, "row")] = (
                f"SELECT {', '.join(quote_name(c) for c in table.columns)} FROM "
                f"{quote_name(table.name)} WHERE {quote_name(table.key)} = ?")
        found = self.store.conn.execute(sql, (key,)).fetchone()
        return None if found is None else dict(zip(table.columns, found, strict=True))

    def has_conflicts(self, entity: str, entity_id: str) -> bool:
        """Whether a change that had seen all of the row's events may still alter its
        conflicts: one is open, or was set aside without a decision (a later decision
        would become its closing event). A row whose conflicts were all decided is as
        any other: such a change writes what it says."""
        if self._any_conflict is None:
            self._any_conflict = self.store.conn.execute(
                "SELECT 1 FROM sync_conflicts LIMIT 1").fetchone() is not None
        return self._any_conflict and self.store.conn.execute(
            "SELECT 1 FROM sync_conflicts WHERE entity_id = ? AND entity = ? AND "
            "(status = 'open' OR closed_by IS NULL) LIMIT 1",
            (entity_id, entity)).fetchone() is not None

    def write(self, table: _Table, key: str, values: Mapping[str, Any], created: str | None,
              updated: str, actor: str, *, exists: bool) -> None:
        conn = self.store.conn
        names = table.columns[1:] if table.columns[0] == table.key else tuple(
            c for c in table.columns if c != table.key)
        what = "insert" if not exists else "update" if created is None else "update created"
        sql = self._sql.get((table.name, what))
        if sql is None:
            if exists:
                sets = ", ".join(f"{quote_name(c)} = ?" for c in names)
                extra = ", created_at = ?" if created is not None else ""
                sql = (f"UPDATE {quote_name(table.name)} SET {sets}, updated_at = ?, "
                       f"updated_by = ?{extra} WHERE {quote_name(table.key)} = ?")
            else:
                cols = [table.key, *names, *LOCAL_COLUMNS]
                sql = (f"INSERT INTO {quote_name(table.name)} "
                       f"({', '.join(quote_name(c) for c in cols)}) "
                       f"VALUES ({', '.join('?' for _ in cols)})")
            self._sql[(table.name, what)] = sql
        if exists:
            conn.execute(sql, [*(values[c] for c in names), updated, actor,
                               *([created] if created is not None else []), key])
        else:
            conn.execute(sql, [key, *(values[c] for c in names), created or updated, updated,
                               actor])

    def settle(self, entity: str, entity_id: str) -> None:
        """Recompute one row from all its events: its values, whether it exists (kept
        while anything refers to it), and its conflicts."""
        table = self.table(entity)
        if table is None:
            return
        events = row_events(self.store, entity, entity_id)
        if not events:
            return
        merged = merge(events, table.fields, STATUS_FIELDS.get(entity, frozenset()))
        old = self.row(table, entity_id)
        values = {table.key: entity_id, **merged.values, "version": merged.version}
        referrer = None if merged.alive else self.referrer(table, entity_id)
        alive = merged.alive or referrer is not None
        if alive:
            self.write(table, entity_id, values, merged.created.at, merged.last.at,
                       merged.last.actor, exists=old is not None)
        elif old is not None:
            self.store.conn.execute(
                f"DELETE FROM {quote_name(table.name)} WHERE {quote_name(table.key)} = ?",
                (entity_id,))
        person = person_of(self.store, entity, values)
        records = [(c.id, c.field, c.kind, c.event_a.id, c.event_b.id,
                    _value(c.event_a, c.field), _value(c.event_b, c.field), c.status,
                    c.closed_by) for c in merged.conflicts]
        if referrer is not None:
            removal = max((e for e in events if e.deletion), key=lambda e: e.key)
            child_table, child_id, child_event = referrer
            records.append((conflict_id(removal.id, f"{child_table}:{child_id}", "referenced"),
                            DELETED, "referenced", removal.id, child_event, None,
                            audit.dumps({"entity": child_table, "id": child_id}), "open",
                            None))
        self._record(entity, entity_id, person, records)
        self.follow_references(table, old, values if alive else None)

    def _record(self, entity: str, entity_id: str, person: str | None,
                records: Sequence[tuple[Any, ...]]) -> None:
        conn = self.store.conn
        before = {str(i): str(s) for i, s in conn.execute(
            "SELECT id, status FROM sync_conflicts WHERE entity_id = ? AND entity = ?",
            (entity_id, entity))}
        conn.execute("DELETE FROM sync_conflicts WHERE entity_id = ? AND entity = ?",
                     (entity_id, entity))
        conn.executemany(
            "INSERT INTO sync_conflicts (id, entity, entity_id, person_id, field, kind, "
            "event_a, event_b, value_a, value_b, status, closed_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], entity, entity_id, person, *r[1:]) for r in records])
        if records:
            self._any_conflict = True
            if any(r[2] == "referenced" for r in records):
                self._any_referenced = True
        now_open = {r[0] for r in records if r[7] == "open"}
        was_open = {i for i, s in before.items() if s == "open"}
        self.opened |= now_open - was_open
        self.closed |= was_open - now_open

    def referrer(self, table: _Table, key: str) -> tuple[str, str, str] | None:
        """The first record (by table, then id) that refers to this row: its table, id
        and first event."""
        conn = self.store.conn
        for child, column in table.children:
            found = conn.execute(
                f"SELECT id FROM {quote_name(child)} WHERE {quote_name(column)} = ? "
                "ORDER BY id LIMIT 1", (key,)).fetchone()
            if found is not None:
                events = row_events(self.store, child, str(found[0]))
                first = min(events, key=lambda e: e.key).id if events else ""
                return child, str(found[0]), first
        return None

    def follow_references(self, table: _Table, old: Mapping[str, Any] | None,
                          new: Mapping[str, Any] | None) -> None:
        """Settle again the records this row refers to, or referred to, whose removal is
        held (or must now be held) because of what refers to them."""
        conn = self.store.conn
        if self._any_referenced is None:
            self._any_referenced = conn.execute(
                "SELECT 1 FROM sync_conflicts WHERE kind = 'referenced' LIMIT 1"
            ).fetchone() is not None
        any_held = self._any_referenced
        for column, parent in table.parents:
            was, now = (old or {}).get(column), (new or {}).get(column)
            parent_table = self.table(parent)
            if parent_table is None:
                continue
            for pid in (str(v) for v in {was, now} if v is not None):
                held = any_held and conn.execute(
                    "SELECT 1 FROM sync_conflicts WHERE entity_id = ? AND entity = ? "
                    "AND kind = 'referenced' LIMIT 1", (pid, parent)).fetchone() is not None
                # A new reference to a record removed here: it must be kept (held).
                missing = pid == now and now != was and conn.execute(
                    f"SELECT 1 FROM {quote_name(parent)} WHERE "
                    f"{quote_name(parent_table.key)} = ?", (pid,)).fetchone() is None \
                    and conn.execute("SELECT 1 FROM audit_events WHERE entity_id = ? "
                                     "AND entity = ? LIMIT 1", (pid, parent)).fetchone()
                if held or missing:
                    self.settle(parent, pid)


def _value(event: RowEvent, what: str) -> str | None:
    """What one side of a conflict says, as JSON: the field's value; for a removal
    conflict, ``{"deleted": true}`` or the fields the other change wrote."""
    if what != DELETED:
        return audit.dumps({"value": event.after.get(what)})
    if event.deletion:
        return audit.dumps({DELETED: True})
    if event.before is None or event.before.get(DELETED):
        changed = dict(event.after)
    else:
        changed = {k: v for k, v in event.after.items() if event.before.get(k) != v}
    changed.pop("version", None)
    return audit.dumps(changed)


@functools.lru_cache(maxsize=256)
def _known(columns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(columns) | {DELETED}


def _tables(store: Store) -> dict[str, _Table]:
    """Every table of records (with a ``version`` and the local columns)."""
    conn = store.conn
    names = [str(r[0]) for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    infos: dict[str, tuple[str, tuple[str, ...]]] = {}
    parents: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        info = conn.execute(f"PRAGMA table_info({quote_name(name)})").fetchall()
        cols = [str(r[1]) for r in info]
        if "version" not in cols or not set(LOCAL_COLUMNS) <= set(cols):
            continue
        key = next(str(r[1]) for r in info if r[5] == 1)
        infos[name] = (key, tuple(c for c in cols if c not in LOCAL_COLUMNS))
        parents[name] = [(str(r[3]), str(r[2])) for r in conn.execute(
            f"PRAGMA foreign_key_list({quote_name(name)})")]
    out = {}
    for name, (key, columns) in infos.items():
        children = tuple(sorted((child, column) for child, refs in parents.items()
                                for column, parent in refs if parent == name))
        out[name] = _Table(name, key, columns,
                           tuple(c for c in columns if c not in (key, "version")),
                           tuple(sorted(parents[name])), children)
    return out


def row_events(store: Store, entity: str, entity_id: str) -> list[RowEvent]:
    """Every event of one row, as :func:`careplan.models.sync.merge` takes them."""
    return [_event(r).row_event() for r in store.conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM audit_events WHERE entity_id = ? AND entity = ?",
        (entity_id, entity))]


def after_local_write(store: Store, entity: str, entity_id: str,
                      before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> None:
    """After a local write on a store that has seen others (careplan.store.audit):
    a row with conflicts is settled again (a change of a conflicting field decides
    it), and records held because this row referred to them are looked at again."""
    if entity in LOCAL_TABLES:
        return
    ctx = _Context(store)
    table = ctx.table(entity)
    if table is None:
        return
    if ctx.has_conflicts(entity, entity_id):
        ctx.settle(entity, entity_id)
    if store.conn.execute("SELECT 1 FROM sync_conflicts WHERE kind = 'referenced' "
                          "AND status = 'open' LIMIT 1").fetchone() is not None:
        ctx.follow_references(table, before, None if after.get(DELETED) else after)


def verify(store: Store, rows: Iterable[tuple[str, str]] | None = None) -> list[str]:
    """Rows whose stored state is not what their events say (empty: all agree). For
    tests and checks (careplan.store.audit_check); reads every event, or only those of
    ``rows`` (entity, id) when given."""
    ctx = _Context(store)
    problems = []
    targets = rows if rows is not None else store.conn.execute(
        "SELECT DISTINCT entity, entity_id FROM audit_events").fetchall()
    for entity, entity_id in targets:
        table = ctx.table(entity)
        if table is None or entity in LOCAL_TABLES:
            continue
        events = row_events(store, entity, entity_id)
        if not events:
            problems.append(f"{entity} {entity_id}: no event records it")
            continue
        merged = merge(events, table.fields, STATUS_FIELDS.get(entity, frozenset()))
        row = ctx.row(table, entity_id)
        alive = merged.alive or (row is not None and ctx.referrer(table, entity_id))
        if not alive:
            if row is not None:
                problems.append(f"{entity} {entity_id}: removed by its events, yet here")
            continue
        want = {table.key: entity_id, **merged.values, "version": merged.version}
        if row != want:
            problems.append(f"{entity} {entity_id}: stored {row}, events say {want}")
    return problems


# -- conflicts ------------------------------------------------------------------------------------


def open_conflicts(store: Store, person_ids: Sequence[str] | None = None,
                   *, record: tuple[str, str] | None = None) -> list[SyncConflict]:
    """Open conflicts (of the given persons, or of one ``(table, id)`` record), by id."""
    where, params = "c.status = 'open'", []
    if person_ids is not None:
        where += " AND c.person_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(person_ids)))
    if record is not None:
        where += " AND c.entity = ? AND c.entity_id = ?"
        params += list(record)
    out = []
    for r in store.conn.execute(
            "SELECT c.id, c.entity, c.entity_id, c.field, c.kind, c.person_id, c.event_a, "
            "c.event_b, c.value_a, c.value_b, coalesce(a.actor, ''), coalesce(b.actor, ''), "
            "coalesce(a.at, ''), coalesce(b.at, '') FROM sync_conflicts c "
            "LEFT JOIN audit_events a ON a.id = c.event_a "
            "LEFT JOIN audit_events b ON b.id = c.event_b "
            f"WHERE {where} ORDER BY c.id", params):
        what = str(r[3])

        def side(text: str | None, what: str = what) -> Any:
            value = None if text is None else json.loads(text)
            return value.get("value") if what != DELETED and isinstance(value, dict) \
                else value

        def moment(text: str) -> datetime:
            found = datetime.fromisoformat(text) if text else datetime.min
            return found if found.tzinfo is not None else found.replace(tzinfo=UTC)

        out.append(SyncConflict(
            id=r[0], entity=r[1], entity_id=r[2], field=what, kind=r[4], person_id=r[5],
            event_a=r[6], event_b=r[7], value_a=side(r[8]), value_b=side(r[9]),
            actor_a=r[10], actor_b=r[11], at_a=moment(r[12]), at_b=moment(r[13])))
    return out


# -- deciding a conflict ------------------------------------------------------------------------


def resolve(store: Store, conflict: str, keep: str, actor: str) -> None:
    """Decide an open conflict by keeping one side (``keep``: the id of one of its two
    events). Every field in conflict between the same two changes is decided with it
    (a handoff's status and the time it was answered go together), and so is every
    other open conflict over those fields of the record (a third store's value). An
    ordinary audited write that names the conflicts it decides; run it through
    ``operations.run``.

    Raises:
        NotFoundError: no such conflict.
        InputError: it is decided already, ``keep`` is not one of its sides, or keeping
            a removal while other records still refer to the record.
    """
    conn = store.conn
    with store.atomic():
        found = store.query("SELECT * FROM sync_conflicts WHERE id = ?", (conflict,))
        if not found:
            raise NotFoundError(f"There is no conflict {conflict} in this store.")
        rec = found[0]
        if rec["status"] != "open":
            raise InputError("conflict: it has been decided already; nothing was written")
        if keep not in (rec["event_a"], rec["event_b"]):
            raise InputError("keep: name one of the two changes in conflict")
        entity, entity_id, what = rec["entity"], rec["entity_id"], rec["field"]
        ctx = _Context(store)
        table = ctx.table(entity)
        assert table is not None
        fields = {str(r[0]) for r in conn.execute(
            "SELECT field FROM sync_conflicts WHERE entity_id = ? AND entity = ? AND "
            "status = 'open' AND event_a = ? AND event_b = ?",
            (entity_id, entity, rec["event_a"], rec["event_b"]))} | {what}
        decided = {str(r[0]): str(r[1]) for r in conn.execute(
            "SELECT id, field FROM sync_conflicts WHERE entity_id = ? AND entity = ? "
            "AND status = 'open'", (entity_id, entity)) if r[1] in fields}
        current = ctx.row(table, entity_id)
        if current is None:  # pragma: no cover - an open conflict keeps its row
            raise NotFoundError(f"That {entity.replace('_', ' ')} is not in this store.")
        now = store.clock()
        chosen = next(e for e in row_events(store, entity, entity_id) if e.id == keep) \
            if rec["kind"] != "referenced" or keep == rec["event_a"] else None
        if chosen is not None and chosen.deletion:
            if ctx.referrer(table, entity_id) is not None:
                raise InputError(f"{entity.replace('_', ' ')}: other records still refer "
                                 "to it; change or remove them first, then decide")
            conn.execute(f"DELETE FROM {quote_name(entity)} WHERE {quote_name(table.key)} = ?",
                         (entity_id,))
            after = {table.key: entity_id, "version": int(current["version"]) + 1,
                     DELETED: True}
            audit.record(store, entity, entity_id, current, after, actor, now, decided)
            return
        new = dict(current)
        if chosen is not None and what != DELETED:
            new.update({f: chosen.after.get(f) for f in fields})
        elif chosen is not None:  # keep the change made against the removal
            new.update({k: v for k, v in chosen.after.items()
                        if k in table.fields and (chosen.before is None
                                                  or chosen.before.get(k) != v)})
        new["version"] = int(current["version"]) + 1
        names = [c for c in table.columns if c != table.key]
        conn.execute(
            f"UPDATE {quote_name(entity)} SET "
            f"{', '.join(f'{quote_name(c)} = ?' for c in names)}, updated_at = ?, "
            f"updated_by = ? WHERE {quote_name(table.key)} = ?",
            [*(new[c] for c in names), now.isoformat(), actor, entity_id])
        audit.record(store, entity, entity_id, current, new, actor, now, decided)


__all__ = [
    "LOCAL_COLUMNS",
    "ApplyResult",
    "Authorise",
    "Event",
    "Refusal",
    "after_local_write",
    "apply_events",
    "events_by_id",
    "events_for",
    "new_identity",
    "open_conflicts",
    "withheld_ids",
    "resolve",
    "row_events",
    "verify",
    "version_vector",
]
