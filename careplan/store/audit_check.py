"""Checking that nobody quietly rewrote the store: every hash chain of the audit log, and
every record against its events (``careplan audit verify``; the app at sign-in).

Two checks, reading only:

1. The chains (careplan.store.chain): every event of every origin hashes to its stored
   hash after its predecessor's; no number is missing; each origin's head is its last
   event; no event's row-parent is missing from the log.
2. The records: every row of every audited table (a table with a ``version``) equals
   the ``after`` of its latest event, every record its events say exists is here, and
   none is here that no event records. The common case is compared in SQL (the row as
   JSON in the log's canonical form against the stored ``after``); the rest is looked
   at one by one: a row whose events ran concurrently on several stores is what merging
   them gives (careplan.store.replication.verify), columns added by a later migration
   are not in older events and are not compared, and accounts and sign-ins, which are
   kept per computer, must equal an event of theirs with the same version.

Problems name the record kind, its id and the broken link (the event, by its number in
its origin's chain), never what a record says: the report may be shown to anyone who
signs in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from careplan.models.sync import DELETED, LOCAL_TABLES
from careplan.store import chain, replication
from careplan.store.db import Store, quote_name

#: Columns that say when and by whom a row was written on this computer: not in events.
_LOCAL_COLUMNS = frozenset({"created_at", "updated_at", "updated_by"})
#: Tables with a version that are not records: the log's own bookkeeping.
_NOT_RECORDS = frozenset({"audit_events", "audit_heads", "store_meta", "sync_vector",
                          "sync_pending", "sync_conflicts"})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing found wrong: the record (kind and id), what is wrong, and the link of
    the chain it breaks (in words)."""

    entity: str
    entity_id: str
    what: str
    link: str

    def line(self) -> str:
        return f"{self.entity} {self.entity_id}: {self.what}; first broken link: {self.link}"


@dataclass(frozen=True, slots=True)
class Report:
    """What verifying found, and how much it read."""

    events: int
    chains: int
    records: int
    problems: tuple[Problem, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: all well, or how many problems."""
        read = (f"{self.events:,} events in {self.chains:,} "
                f"chain{'s' if self.chains != 1 else ''} and {self.records:,} records")
        if self.ok:
            return f"the audit log verifies: {read} checked in {self.seconds:.1f} s"
        count = len(self.problems)
        return (f"the audit log does NOT verify: {count:,} problem{'s' if count != 1 else ''} "
                f"in {read}")


def verify(store: Store, *, progress: Callable[[str], None] | None = None,
           cancelled: Callable[[], bool] | None = None) -> Report | None:
    """Check every chain and every record of ``store`` (reads only). None when
    ``cancelled`` said stop."""
    started = time.perf_counter()

    def say(what: str) -> None:
        if progress is not None:
            progress(what)

    say("Checking the audit log's hash chains")
    chains = chain.check(store.conn, cancelled=cancelled,
                         progress=lambda done, total: say(
                             f"Checking the audit log's hash chains ({done:,} of {total:,})"))
    if chains is None:
        return None
    problems = [_chain_problem(b, chains) for b in chains.breaks]
    records = 0
    for table in _tables(store):
        if cancelled is not None and cancelled():
            return None
        say(f"Checking the records of {table.name.replace('_', ' ')} against their events")
        found, count = _check_table(store, table)
        problems += found
        records += count
    return Report(chains.events, chains.chains, records, tuple(problems),
                  time.perf_counter() - started)


def _event_name(origin: str, seq: int, event_id: str | None = None) -> str:
    named = f" ({event_id})" if event_id else ""
    return f"event {seq} of store {origin}{named}"


def _chain_problem(b: chain.Break, report: chain.ChainReport) -> Problem:
    first = report.first_break(b.origin)
    link = _event_name(b.origin, first.seq, first.event_id) if first is not None else ""
    if b.entity is not None and b.entity_id is not None:
        return Problem(b.entity, b.entity_id,
                       f"its {_event_name(b.origin, b.seq, b.event_id)}: {b.what}", link)
    return Problem("audit log", f"of store {b.origin}", b.what, link)


# -- records against their events ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    key: str
    columns: tuple[str, ...]  # compared with the events: all but the local ones

    @property
    def local(self) -> bool:
        """Rows kept per computer (accounts, sign-ins): events of other stores travel
        with the log but never make rows here."""
        return self.name in LOCAL_TABLES


def _tables(store: Store) -> list[_Table]:
    """Every audited table: those with a ``version`` column, but the log's own."""
    out = []
    for (name,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name").fetchall():
        if name in _NOT_RECORDS:
            continue
        info = store.conn.execute(f"PRAGMA table_info({quote_name(name)})").fetchall()
        cols = [str(r[1]) for r in info]
        keys = [str(r[1]) for r in info if r[5] == 1]
        if "version" not in cols or len(keys) != 1:
            continue
        out.append(_Table(str(name), keys[0],
                          tuple(c for c in cols if c not in _LOCAL_COLUMNS)))
    return out


def _check_table(store: Store, table: _Table) -> tuple[list[Problem], int]:
    """The table's rows against their latest events: problems, and rows read."""
    conn = store.conn
    t, key = quote_name(table.name), quote_name(table.key)
    as_json = ", ".join(f"'{c}', r.{quote_name(c)}" for c in sorted(table.columns))
    count = int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
    # Rows whose latest event is not them, word for word (or that have no event).
    suspects = [str(r[0]) for r in conn.execute(
        f"SELECT r.{key} FROM {t} AS r LEFT JOIN audit_events AS e ON e.seq = ("
        f"SELECT max(x.seq) FROM audit_events AS x WHERE x.entity = ? AND "
        f"x.entity_id = r.{key}) WHERE e.seq IS NULL OR e.after IS NOT json_object({as_json})",
        (table.name,))]
    # Records whose latest event says they exist, that are not here.
    own = " AND e.store_id = ?" if table.local else ""
    params: list[Any] = [table.name] + ([store.store_id] if table.local else [])
    suspects += [str(r[0]) for r in conn.execute(
        "SELECT l.entity_id FROM (SELECT entity_id, max(seq) AS seq FROM audit_events "
        "WHERE entity = ? GROUP BY entity_id) AS l JOIN audit_events AS e ON e.seq = l.seq "
        f"WHERE json_extract(e.after, '$.{DELETED}') IS NOT 1{own} AND NOT EXISTS "
        f"(SELECT 1 FROM {t} AS r WHERE r.{key} = l.entity_id)", params)]
    problems = [p for entity_id in dict.fromkeys(suspects)
                if (p := _look_closer(store, table, entity_id)) is not None]
    return problems, count


def _look_closer(store: Store, table: _Table, entity_id: str) -> Problem | None:
    """One suspect row, looked at with everything its events say: None if it is right."""
    conn = store.conn
    cur = conn.execute(f"SELECT * FROM {quote_name(table.name)} WHERE "
                       f"{quote_name(table.key)} = ?", (entity_id,))
    found = cur.fetchone()
    row = None if found is None else {
        d[0]: v for d, v in zip(cur.description, found, strict=True)
        if d[0] not in _LOCAL_COLUMNS}
    events = [(str(r[0]), int(r[1]), str(r[2]), int(r[3]), json.loads(r[4]))
              for r in conn.execute(
                  "SELECT id, seq, store_id, store_seq, after FROM audit_events "
                  "WHERE entity = ? AND entity_id = ? ORDER BY seq",
                  (table.name, entity_id))]
    noun = table.name
    if not events:
        return Problem(noun, entity_id, "added outside CarePlan: no event records it",
                       "none (no event of this record is in the log)")
    event_id, _, origin, seq, after = events[-1]
    link = _event_name(origin, seq, event_id)
    if row is not None and not after.get(DELETED) and not _differs(row, after):
        return None
    if table.local:
        if row is not None and any(not e[4].get(DELETED) and not _differs(row, e[4])
                                   and e[4].get("version") == row.get("version")
                                   for e in events):
            return None
        if row is None and origin != store.store_id:
            return None
    elif not replication.verify(store, [(table.name, entity_id)]):
        return None  # what its concurrent events merge to
    if row is None:
        return Problem(noun, entity_id, "removed outside CarePlan: its events say it "
                       "exists, but it is not here", link)
    if after.get(DELETED):
        return Problem(noun, entity_id, "its events say it was removed, yet it is here "
                       "(put back outside CarePlan)", link)
    fields = _differs(row, after)
    return Problem(noun, entity_id, "edited outside CarePlan: it differs from its latest "
                   f"event in {', '.join(fields) or 'fields its events never wrote'}", link)


def _differs(row: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields the event wrote that the row does not hold as written (columns the
    event does not name came later, with a migration, and are not compared). A field
    the event wrote that the row lacks differs too."""
    return sorted(k for k, v in after.items() if k != DELETED and (k not in row or row[k] != v))


def lines(report: Report, limit: int | None = None) -> Sequence[str]:
    """The problems as lines, at most ``limit`` of them."""
    shown = report.problems if limit is None else report.problems[:limit]
    return [p.line() for p in shown]


__all__ = ["Problem", "Report", "lines", "verify"]
