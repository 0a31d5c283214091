"""Operations: every write as one transaction that returns what it changed, and its undo.

:func:`run` wraps any store write function (``add``, ``sign_plan``, ``save_funding``...):
the function's own checks and audit events are unchanged; the operation adds that it all
happens in one transaction and that the rows written are read back from the audit
events, with the persons they belong to (:class:`~careplan.store.changes.Changes`).

:func:`revert` undoes the rows of a ``Changes`` in one transaction: a created row is
removed, a changed row gets its earlier values back, a removed row comes back, each as
a new audited version. It first checks that every row is still as the operation left
it (by content: an undone later edit moves the version on, not the content); if anyone
changed one since, nothing is written. Reverting the revert's own
``Changes`` redoes the operation, so one undo command serves every kind of edit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from careplan.store import audit, sqlite
from careplan.store.changes import SHARED_TABLES, Changes, Done, RowChange
from careplan.store.db import Store, quote_name
from careplan.store.errors import InputError, StaleWriteError
from careplan.store.repo import actor_name

T = TypeVar("T")

#: Primary key of each table that is not ``id``.
_KEYS = {"rule_overrides": "key"}
#: How a row leads to its person: a column, and the table that column points into.
_PARENTS = (("person_id", None), ("plan_id", "care_plans"), ("referral_id", "referrals"),
            ("stay_id", "hospital_stays"), ("action_id", "actions"),
            ("cost_id", "action_costs"), ("conference_id", "case_conferences"))
#: The same, for those who find a row's person elsewhere (the team server's own table).
PERSON_PARENTS = _PARENTS


def run(store: Store, write: Callable[[Store], T]) -> Done[T]:
    """Run ``write`` as one operation: one transaction; its changes read back from the
    audit events it wrote. Whatever ``write`` raises leaves the store as it was."""
    with store.atomic():
        start = latest_seq(store)
        value = write(store)
        changes = changes_since(store, start)
    return Done(value, changes)


def changes_since(store: Store, seq: int, upto: int | None = None,
                  skip: frozenset[str] = frozenset()) -> Changes:
    """The rows written by audit events after ``seq`` (up to ``upto``, in this store's
    log order), leaving out the tables in ``skip``."""
    where = "seq > ?" + ("" if upto is None else " AND seq <= ?") + "".join(
        " AND entity != ?" for _ in skip)
    params = (seq, *(() if upto is None else (upto,)), *sorted(skip))
    rows = tuple(
        RowChange(str(r[0]), str(r[1]), r[2], int(r[3]),
                  None if r[4] is None else json.loads(r[4]), json.loads(r[5]))
        for r in store.conn.execute(
            "SELECT entity, entity_id, version_before, version_after, before, after "
            f"FROM audit_events WHERE {where} ORDER BY seq", params))
    return Changes(rows, _persons(store, rows), any(r.entity in SHARED_TABLES for r in rows))


def revert(store: Store, changes: Changes, actor: str) -> Done[None]:
    """Put every row of ``changes`` back as it was before them, in one operation.

    Raises:
        StaleWriteError: a row was changed by someone since; nothing was written.
        InputError: a row cannot be removed because another record now refers to it.
    """
    latest = _latest(changes)

    def write(s: Store) -> None:
        for change in reversed(list(latest.values())):
            _check_unchanged(s, change)
        for change in reversed(list(latest.values())):
            _put_back(s, change, actor)

    return run(store, write)


def latest_seq(store: Store) -> int:
    """The newest audit event's sequence number in this store's log (0 for an empty log)."""
    return int(store.conn.execute("SELECT coalesce(max(seq), 0) FROM audit_events"
                                  ).fetchone()[0])


def _latest(changes: Changes) -> dict[tuple[str, str], RowChange]:
    """One change per row, spanning all the operation's events on it (first before,
    last after), in the order the rows were first written."""
    out: dict[tuple[str, str], RowChange] = {}
    for r in changes.rows:
        key = (r.entity, r.entity_id)
        first = out.get(key)
        out[key] = r if first is None else RowChange(
            r.entity, r.entity_id, first.version_before, r.version_after, first.before,
            r.after)
    return out


def _current(store: Store, entity: str, entity_id: str) -> dict[str, Any] | None:
    key = _KEYS.get(entity, "id")
    cur = store.conn.execute(f"SELECT * FROM {quote_name(entity)} WHERE {key} = ?",
                             (entity_id,))
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row,
                                             strict=True))


def _check_unchanged(store: Store, change: RowChange) -> None:
    """The row must hold what ``change`` left in it. Content, not version: undoing a
    later edit of the same row gives it back this content under a newer version."""
    current = _current(store, change.entity, change.entity_id)
    if change.deleted:
        ok = current is None
    else:
        ok = current is not None and all(
            current.get(k) == v for k, v in change.after.items() if k != "version")
    if not ok:
        who = _who_changed(store, change.entity, change.entity_id)
        noun = change.entity.removesuffix("s").replace("_", " ")
        raise StaleWriteError(f"This {noun} was changed by {who} since; nothing was undone "
                              "or redone. It has been reloaded.")


def _who_changed(store: Store, entity: str, entity_id: str) -> str:
    row = store.conn.execute("SELECT actor FROM audit_events WHERE entity = ? AND "
                             "entity_id = ? ORDER BY seq DESC LIMIT 1",
                             (entity, entity_id)).fetchone()
    return "someone" if row is None else actor_name(store, str(row[0]))


def _put_back(store: Store, change: RowChange, actor: str) -> None:
    """Write ``change.before`` over the row (removing it if it was created)."""
    table, key = quote_name(change.entity), _KEYS.get(change.entity, "id")
    now = store.clock()
    stamp = now.isoformat()
    current = _current(store, change.entity, change.entity_id)
    # A removed row's number carries on from its events (its removal, and any other
    # store's changes merged with it), so versions never repeat and count the events.
    version = (_event_count(store, change.entity, change.entity_id) if current is None
               else int(current["version"])) + 1
    before_row = None if current is None else {k: current[k] for k in change.after
                                               if k in current and k != "deleted"}
    if change.created:
        try:
            store.conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (change.entity_id,))
        except sqlite.IntegrityError:
            noun = change.entity.removesuffix("s").replace("_", " ")
            raise InputError(f"{noun}: other records now refer to it, so adding it cannot "
                             "be undone") from None
        after: dict[str, Any] = {key: change.entity_id, "version": version, "deleted": True}
    else:
        assert change.before is not None
        after = {**change.before, "version": version}
        after.pop("deleted", None)
        names = list(after)
        if current is None:  # it was removed: bring it back
            cols = [*names, "created_at", "updated_at", "updated_by"]
            store.conn.execute(
                f"INSERT INTO {table} ({', '.join(quote_name(c) for c in cols)}) "
                f"VALUES ({', '.join('?' for _ in cols)})",
                [*after.values(), stamp, stamp, actor])
        else:
            sets = ", ".join(f"{quote_name(c)} = ?" for c in names)
            store.conn.execute(
                f"UPDATE {table} SET {sets}, updated_at = ?, updated_by = ? WHERE {key} = ?",
                [*after.values(), stamp, actor, change.entity_id])
    audit.record(store, change.entity, change.entity_id, before_row or None, after, actor,
                 now)


def person_of(store: Store, table: str, row: dict[str, Any]) -> str | None:
    """The person a row (as values) belongs to, if any (found through its parents)."""
    return _person_of(store, table, row, {})


def _event_count(store: Store, entity: str, entity_id: str) -> int:
    return int(store.conn.execute("SELECT count(*) FROM audit_events WHERE entity = ? AND "
                                  "entity_id = ?", (entity, entity_id)).fetchone()[0])


def _persons(store: Store, rows: tuple[RowChange, ...]) -> frozenset[str]:
    """The persons the written rows belong to (rows removed in the same operation are
    found through the values their events recorded)."""
    written = {(r.entity, r.entity_id): {**(r.before or {}), **r.after} for r in rows}
    found: set[str] = set()
    for r in rows:
        person = _person_of(store, r.entity, written[(r.entity, r.entity_id)], written)
        if person is not None:
            found.add(person)
    return frozenset(found)


def _person_of(store: Store, table: str, row: dict[str, Any],
               written: dict[tuple[str, str], dict[str, Any]], depth: int = 0) -> str | None:
    if table == "persons":
        return str(row.get("id")) if row.get("id") else None
    for column, parent in _PARENTS:
        value = row.get(column)
        if value is None:
            continue
        if parent is None:
            return str(value)
        if depth > 4:
            return None
        parent_row = written.get((parent, str(value))) or _current(store, parent, str(value))
        if parent_row is not None:
            return _person_of(store, parent, parent_row, written, depth + 1)
    return None


__all__ = ["PERSON_PARENTS", "changes_since", "person_of", "revert", "run"]
