"""Stores that share their changes, for the replication tests: copies of one store made
into stores of their own, exchanging events in memory, and what "the same content"
means between them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from careplan.store import Store, add_many, audit_check, sqlite
from careplan.store.replication import (
    LOCAL_COLUMNS,
    ApplyResult,
    Event,
    apply_events,
    events_for,
    new_identity,
    version_vector,
)
from tests.factories import one_of_each
from tests.signin import ADMIN, ensure_account

#: Tables that belong to one computer (never made from another store's events) or are
#: the log and the bookkeeping of sharing itself, compared on their own.
NOT_CONTENT = frozenset({"store_meta", "audit_events", "audit_heads", "accounts", "sign_ins",
                         "account_secrets", "sync_vector", "sync_pending", "sync_conflicts",
                         "trusted_stores", "share_peers", "share_servers",
                         "share_withheld"})
#: The columns of an event every store must hold alike (``seq`` is its arrival here), its
#: link in its origin's hash chain included.
EVENT_COLUMNS = ("id, store_id, store_seq, parent_id, entity, entity_id, version_before, "
                 "version_after, before, after, actor, at, hlc, vector, resolves, hash")


def copy_store(source: Path, target: Path) -> None:
    """Copy a plain store file through SQLite's backup (never a plain file copy), with
    the store's own SQLite library (careplan.store.sqlite)."""
    src = sqlite.connect(source)
    dst = sqlite.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def stores(folder: Path, count: int = 3, records: Sequence[Any] | None = None) -> list[Store]:
    """``count`` stores with the same records (one_of_each by default) and ids: one made,
    the others copies of it, each given an identity of its own."""
    first = folder / "store-0.db"
    with Store.open(first) as store:
        add_many(store, list(records) if records is not None else one_of_each(), "setup")
        if records is None:  # the people entitled to act, on every copy alike
            ensure_account(store)
            ensure_account(store, "lead.manager", "manager", _lead_professional(store))
    paths = [first]
    for n in range(1, count):
        paths.append(folder / f"store-{n}.db")
        copy_store(first, paths[-1])
    opened = [Store.open(p) for p in paths]
    for store in opened[1:]:
        new_identity(store)
    return opened


def _lead_professional(store: Store) -> str:
    row = store.conn.execute("SELECT professional_id FROM care_team_members WHERE is_lead = 1"
                             ).fetchone()
    return str(row[0])


def administrator(store: Store) -> str:
    """The actor of the stores' administrator (an account with no professional)."""
    row = store.conn.execute("SELECT id FROM accounts WHERE username = ?", (ADMIN,)).fetchone()
    return f"account:{row[0]}"


def lead_manager(store: Store) -> str:
    """The actor of the manager's account given to the first lead professional (their
    agency stays on the care team whoever leads later)."""
    row = store.conn.execute("SELECT professional_id FROM accounts WHERE username = ?",
                             ("lead.manager",)).fetchone()
    return str(row[0])


def send(source: Store, target: Store) -> ApplyResult:
    """Everything ``source`` holds that ``target`` has not seen, applied to ``target``."""
    return apply_events(target, events_for(source, version_vector(target)))


def exchange(all_stores: Iterable[Store]) -> None:
    """Send between every pair until nobody learns anything new."""
    group = list(all_stores)
    while True:
        moved = 0
        for source in group:
            for target in group:
                if source is not target:
                    moved += send(source, target).applied
        if not moved:
            return


def content(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every record of every shared table, without the columns that say when and by
    whom it was written on this computer (``LOCAL_COLUMNS``)."""
    out = {}
    for (table,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"):
        if table in NOT_CONTENT:
            continue
        cols = [r[1] for r in store.conn.execute(f'PRAGMA table_info("{table}")')
                if r[1] not in LOCAL_COLUMNS]
        out[table] = sorted(store.conn.execute(
            f'SELECT {", ".join(cols)} FROM "{table}"').fetchall(), key=repr)
    return out


def log(store: Store) -> dict[str, tuple[Any, ...]]:
    """Every event held, by id, as every store must hold it."""
    return {r[0]: r for r in store.conn.execute(f"SELECT {EVENT_COLUMNS} FROM audit_events")}


def conflicts(store: Store) -> list[tuple[Any, ...]]:
    return store.conn.execute(
        "SELECT id, entity, entity_id, field, kind, person_id, event_a, event_b, value_a, "
        "value_b, status, closed_by FROM sync_conflicts ORDER BY id").fetchall()


def open_ids(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute(
        "SELECT id FROM sync_conflicts WHERE status = 'open'")}


def events(store: Store) -> list[Event]:
    return events_for(store, {})


def verified(store: Store) -> tuple[str, ...]:
    """What ``careplan audit verify`` finds wrong with ``store`` (empty: every origin's
    hash chain holds, and every record is what its events say)."""
    report = audit_check.verify(store)
    assert report is not None
    return tuple(p.line() for p in report.problems)
