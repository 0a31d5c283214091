"""A store's own values for the rules' thresholds, each change audited.

Defaults live in ``careplan/resources/rules.toml`` (shipped in the package); a row in
``rule_overrides`` replaces one of them for this store. Keys are ``section.name``
(``discharge.critical_days``).
"""

from __future__ import annotations

import functools
from typing import Any

from careplan import resources
from careplan.models.permissions import administer
from careplan.models.thresholds import (
    Thresholds,
    attr_of,
    key_of,
    parse_value,
    thresholds_from_tables,
)
from careplan.store import audit
from careplan.store.db import Store
from careplan.store.errors import InputError, NotFoundError
from careplan.store.permissions import require, who

#: What changing an override is called in a refusal.
CHANGE = "change the rules' thresholds"

ENTITY = "rule_overrides"
#: The package data file with the default thresholds.
RULES = "rules.toml"


@functools.cache
def default_thresholds() -> Thresholds:
    """The defaults shipped in ``careplan/resources/rules.toml`` (read once).

    Raises:
        careplan.resources.ResourceError: the file is missing, damaged or holds a bad
            value: a broken installation, never the user's mistake (as a ValueError it
            would read as one).
    """
    try:
        return thresholds_from_tables(resources.load_toml(RULES), RULES)
    except ValueError as exc:
        raise resources.ResourceError(f"CarePlan's data file {RULES} is damaged: {exc}") from exc


def read_overrides(store: Store) -> dict[str, str]:
    """``{key: value}`` of every override in the store, by key."""
    rows = store.conn.execute("SELECT key, value FROM rule_overrides ORDER BY key").fetchall()
    return {str(k): str(v) for k, v in rows}


def thresholds_in_force(store: Store, defaults: Thresholds | None = None) -> Thresholds:
    """The defaults with this store's overrides applied.

    Raises:
        InputError: a stored override no longer fits (say, after a rules file change).
    """
    base = defaults or default_thresholds()
    try:
        return base.with_overrides(read_overrides(store))
    except ValueError as exc:
        raise InputError(f"rule overrides in this store: {exc}") from None


def _row(store: Store, key: str) -> dict[str, Any] | None:
    rows = store.query("SELECT key, value, version FROM rule_overrides WHERE key = ?", (key,))
    return rows[0] if rows else None


def set_override(store: Store, key: str, value: str | int, actor: str) -> int:
    """Store ``value`` for ``key`` in one transaction with its audit event; return it.

    Raises:
        NotAllowedError: ``actor`` is not an administrator.
        InputError: the key is unknown, the value is not a whole number, or the
            thresholds would no longer be consistent (e.g. critical before warning).
    """
    require(administer(who(store, actor), CHANGE))
    try:
        key = key_of(attr_of(key))
        number = parse_value(key, value)
        thresholds_in_force(store).with_overrides({key: number})
    except ValueError as exc:
        raise InputError(str(exc)) from None
    now = store.clock()
    stamp = now.isoformat()
    with store.atomic():
        before = _row(store, key)
        if before is None:
            # Set again after a clear: the number carries on from the removal, so that a
            # version always counts the row's events (as every other record's does).
            version = int(store.conn.execute(
                "SELECT count(*) FROM audit_events WHERE entity = ? AND entity_id = ?",
                (ENTITY, key)).fetchone()[0]) + 1
            after = {"key": key, "value": str(number), "version": version}
            store.conn.execute(
                "INSERT INTO rule_overrides (key, value, version, created_at, updated_at, "
                "updated_by) VALUES (?, ?, ?, ?, ?, ?)",
                (key, str(number), version, stamp, stamp, actor),
            )
        else:
            if before["value"] == str(number):
                return number
            after = {"key": key, "value": str(number), "version": int(before["version"]) + 1}
            store.conn.execute(
                "UPDATE rule_overrides SET value = ?, version = ?, updated_at = ?, "
                "updated_by = ? WHERE key = ?",
                (str(number), after["version"], stamp, actor, key),
            )
        audit.record(store, ENTITY, key, before, after, actor, now)
    return number


def clear_override(store: Store, key: str, actor: str) -> None:
    """Go back to the default for ``key``; the audit event records the value removed
    (its "after" carries ``value: null`` and ``deleted: true``, as every removal's does).

    Raises:
        NotAllowedError: ``actor`` is not an administrator.
        InputError: the key is unknown.
        NotFoundError: the store has no override for it.
    """
    require(administer(who(store, actor), CHANGE))
    try:
        key = key_of(attr_of(key))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    now = store.clock()
    with store.atomic():
        before = _row(store, key)
        if before is None:
            raise NotFoundError(f"{key}: this store has no override; the default is in force.")
        after = {"key": key, "value": None, "version": int(before["version"]) + 1,
                 "deleted": True}
        store.conn.execute("DELETE FROM rule_overrides WHERE key = ?", (key,))
        audit.record(store, ENTITY, key, before, after, actor, now)
