"""Syncing a store with its team's server (careplan.store.teamserver): pull what it
lacks, push what the server lacks, through the same apply path as change packs.

One sync:

1. **Pull.** The events the server received after this store's cursor, batch by
   batch, each batch applied (careplan.store.replication.apply_events, each event
   checked for its author by careplan.store.remote_permissions) in one transaction that
   also moves the cursor and what the server is known to hold: a sync cut short resumes
   from the last batch applied, and a batch is never applied twice (were it sent again,
   what it holds is skipped).
2. **Push.** Every event this store holds that the server is not known to hold, in this
   store's arrival order (each after all it depends on), batch by batch; each batch
   acknowledged by the server is remembered as held there. A push cut short is pushed
   again next time: the server keeps one copy of each event (unique id, and unique
   store and sequence), so nothing is duplicated.

Consent: what a pull hands this store follows the sharing basis of its agency as the
server records it for the store's database role (careplan.store.teamserver): an event
about a person the agency may not see arrives as a stub (careplan.store.exchange.stub),
kept as a withheld event. Each pull names the stubs this store holds; those its agency
may see by then come whole, first, and fill the stubs in
(careplan.store.replication.apply_events).

The cursor and what the server holds are kept per server (``share_servers``), by the
server's own id, so a server built again from nothing starts this store from nothing.
The server keeps each store's sequence whole: withheld events (stubs from change packs)
are never pushed, nor anything of their store after one; their store pushes them.

Which server a store syncs with is its ``team_server`` setting (:func:`configured`);
the desktop app syncs with it in the background, the command line when asked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from careplan.models.sync import WITHHELD
from careplan.store import teamserver
from careplan.store.changes import Changes
from careplan.store.db import Store, utc_now
from careplan.store.errors import InputError, StoreError
from careplan.store.exchange import (
    Arrived,
    Progress,
    arrived,
    merge_vectors,
    read_events,
    reading,
    stub_from,
)
from careplan.store.packs import PackError
from careplan.store.remote_permissions import authorise as check_authors
from careplan.store.replication import (
    ApplyResult,
    Authorise,
    Event,
    Refusal,
    apply_events,
    events_for,
    withheld_ids,
)
from careplan.store.teamserver import ServerError

#: Events pushed per round trip (and per acknowledgement kept).
PUSH_BATCH = 2_000
#: Events pulled per round trip (and per transaction here).
PULL_BATCH = teamserver.PULL_BATCH
#: A sync that changed more rows than this tells the views to show everything again.
MANY_ROWS = 5_000
#: The store setting naming its team server (a libpq DSN without a password).
SETTING = "team_server"


class SyncError(StoreError):
    """A sync that stopped part way: the sentence says why; ``report`` what was done
    before (kept: the next sync goes on from there)."""

    def __init__(self, message: str, report: SyncReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class SyncReport:
    """What one sync did."""

    server: str
    pulled: int = 0
    pushed: int = 0
    results: list[ApplyResult] = field(default_factory=list)
    finished: bool = False

    @property
    def result(self) -> ApplyResult:
        """Everything pulled, as one apply's result."""
        rs = self.results
        rows = sum(len(r.changes.rows) for r in rs)
        changes = Changes.of_everything() if rows > MANY_ROWS else Changes.merged(
            r.changes for r in rs)
        refused: dict[str, Refusal] = {x.event_id: x for r in rs for x in r.refused}
        return ApplyResult(
            applied=sum(r.applied for r in rs), already_seen=sum(r.already_seen for r in rs),
            pending=rs[-1].pending if rs else 0, refused=tuple(refused.values()),
            opened=tuple(sorted({c for r in rs for c in r.opened})),
            closed=tuple(sorted({c for r in rs for c in r.closed})), changes=changes,
            filled=sum(r.filled for r in rs))

    def arrived(self, store: Store) -> Arrived:
        return arrived(store, self.result)

    def lines(self, store: Store) -> list[str]:
        head = (f"Synced with the team server {self.server}: {self.pulled:,} change"
                f"{'s' if self.pulled != 1 else ''} received, {self.pushed:,} sent.")
        body = self.arrived(store).lines() if self.pulled else []
        return [head, *body]


@dataclass(frozen=True, slots=True)
class ServerState:
    """What this store keeps of one server: where it is, its cursor, what it holds."""

    server_id: str
    address: str
    cursor: int
    vector: dict[str, int]
    last_synced: str | None
    last_error: str | None
    last_error_at: str | None


def check_dsn(dsn: str, option: str = "--server") -> None:
    """Refuse a DSN that cannot be read, or that holds a password (it belongs in
    ~/.pgpass or the file named by PGPASSFILE, never in a setting or on a command line).

    Raises:
        InputError: naming ``option``.
    """
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # psycopg.ProgrammingError: not a connection string at all
        raise InputError(f"{option}: not a PostgreSQL connection string (write it as "
                         "'host=server dbname=team user=laptop')") from None
    if parts.get("password"):
        raise InputError(f"{option}: a password does not belong in the connection string; "
                         "put it in ~/.pgpass or the file named by PGPASSFILE")


def address(dsn: str) -> str:
    """Where a DSN points, for people: database, host and port (never a password)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # not a connection string: connecting says so
        return "(a server this CarePlan cannot name)"
    host = str(parts.get("host") or parts.get("hostaddr") or "localhost")
    port = str(parts.get("port") or "5432")
    return f"{parts.get('dbname') or parts.get('user') or 'postgres'} on {host}:{port}"


def configured(store: Store) -> str | None:
    """The DSN of the team server this store syncs with, if one is set."""
    return store.meta(SETTING)


def configure(store: Store, dsn: str | None) -> None:
    """Set (or with None, clear) the team server this store syncs with.

    Raises:
        InputError: the DSN cannot be read or holds a password.
    """
    if dsn is None:
        with store.atomic() as conn:
            conn.execute("DELETE FROM store_meta WHERE key = ?", (SETTING,))
        return
    check_dsn(dsn, "DSN")
    store.set_meta(SETTING, dsn.strip())


def states(store: Store) -> list[ServerState]:
    """Every server this store has synced with, the latest first."""
    return [ServerState(str(r[0]), str(r[1]), int(r[2]),
                        {str(k): int(v) for k, v in json.loads(r[3]).items()}, r[4], r[5],
                        r[6])
            for r in store.conn.execute(
                "SELECT server_id, address, cursor, vector, last_synced, last_error, "
                "last_error_at FROM share_servers ORDER BY coalesce(last_synced, '') DESC, "
                "coalesce(last_error_at, '') DESC")]


def state(store: Store, server_id: str) -> ServerState | None:
    return next((s for s in states(store) if s.server_id == server_id), None)


def last_state(store: Store, dsn: str | None = None) -> ServerState | None:
    """The state kept for the server ``dsn`` points at (the latest one synced with, when
    several were there), or None: never synced."""
    wanted = None if dsn is None else address(dsn)
    for s in states(store):
        if wanted is None or s.address == wanted:
            return s
    return None


def _save(store: Store, server_id: str, where: str, cursor: int,
          vector: Mapping[str, int]) -> None:
    store.conn.execute(
        "INSERT INTO share_servers (server_id, address, cursor, vector) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(server_id) DO UPDATE SET address = excluded.address, "
        "cursor = excluded.cursor, vector = excluded.vector",
        (server_id, where, cursor, json.dumps(dict(vector), sort_keys=True)))


def _ended(store: Store, server_id: str, error: str | None) -> None:
    now = utc_now().isoformat()
    with store.atomic() as conn:
        if error is None:
            conn.execute("UPDATE share_servers SET last_synced = ?, last_error = NULL, "
                         "last_error_at = NULL WHERE server_id = ?", (now, server_id))
        else:
            conn.execute("UPDATE share_servers SET last_error = ?, last_error_at = ? "
                         "WHERE server_id = ?", (error, now, server_id))


def outgoing(store: Store, server_vector: Mapping[str, int]) -> list[Event]:
    """The events to push: every one the server is not known to hold, except withheld
    events and anything of their store after one (the server keeps sequences whole)."""
    stopped: set[str] = set()
    out = []
    for e in events_for(store, server_vector):
        if e.store_id in stopped:
            continue
        if e.entity == WITHHELD:
            stopped.add(e.store_id)
            continue
        out.append(e)
    return out


def sync(store: Store, dsn: str, *, authorise: Authorise | None = check_authors,
         progress: Progress | None = None, timeout: int = 10,
         connect: Callable[[str, int], Any] = teamserver.connect,
         cancelled: Callable[[], bool] = lambda: False) -> SyncReport:
    """Pull from the team server at ``dsn``, then push to it (see the module's note).

    ``cancelled`` is asked between batches: a sync stopped there keeps what it did.

    Raises:
        ServerError: the server cannot be reached (nothing was done).
        SyncError: the sync stopped part way (the server dropped, or refused); its
            report says what was done before, which is kept.
        StoreError: the store could not take the events (nothing of that batch kept).
    """
    where = address(dsn)
    report = SyncReport(where)
    conn = connect(dsn, timeout)
    server_id = ""
    try:
        server_id = teamserver.server_id(conn)
        known = state(store, server_id)
        cursor = known.cursor if known is not None else 0
        vector = dict(known.vector) if known is not None else {}
        if known is None:
            with store.atomic():
                _save(store, server_id, where, cursor, vector)
        # 1. pull, batch by batch; each batch and the cursor in one transaction
        while not cancelled():
            batch = teamserver.pull(conn, cursor, PULL_BATCH, withheld_ids(store))
            if not batch:
                break
            try:
                events = read_events(stub_from(p.event) for p in batch)
            except PackError as exc:
                raise ServerError(str(exc).replace("change pack", "team server")) from None
            news = [p.server_seq for p in batch if not p.again]
            with store.atomic():
                result = apply_events(store, events, authorise)
                cursor = max(news, default=cursor)
                vector = merge_vectors(vector, _tops(events))
                _save(store, server_id, where, cursor, vector)
            report.results.append(result)
            report.pulled += len(events)
            if progress is not None:
                progress(report.pulled, 0, f"Received {report.pulled:,} changes…")
            if not news:  # only what was withheld before, sent again whole
                break
        # 2. push what the server lacks, batch by batch, each acknowledged
        with reading(store):
            sending = outgoing(store, vector)
        for start in range(0, len(sending), PUSH_BATCH):
            if cancelled():
                break
            chunk = sending[start:start + PUSH_BATCH]
            teamserver.push(conn, [e.to_json() for e in chunk])
            vector = merge_vectors(vector, _tops(chunk))
            with store.atomic():
                _save(store, server_id, where, cursor, vector)
            report.pushed += len(chunk)
            if progress is not None:
                progress(report.pushed, len(sending), f"Sent {report.pushed:,} of "
                                                      f"{len(sending):,} changes…")
        report.finished = not cancelled()
    except ServerError as exc:
        if server_id:
            _ended(store, server_id, str(exc))
            done = (f" {report.pulled:,} changes received and {report.pushed:,} sent before "
                    "that are kept; the next sync goes on from there."
                    if report.pulled or report.pushed else "")
            raise SyncError(f"{str(exc).rstrip('.')}.{done}", report) from exc
        raise
    finally:
        _close(conn)
    if report.finished:
        _ended(store, server_id, None)
    return report


def _tops(events: list[Event]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in events:
        if e.store_seq > out.get(e.store_id, 0):
            out[e.store_id] = e.store_seq
    return out


def _close(conn: Any) -> None:
    with contextlib.suppress(Exception):  # a dropped connection closes as it can
        conn.close()


__all__ = ["PULL_BATCH", "PUSH_BATCH", "SETTING", "ServerState", "SyncError", "SyncReport",
           "address", "check_dsn", "configure", "configured", "last_state", "outgoing", "state",
           "states", "sync"]
