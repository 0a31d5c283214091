"""Accounts for tests that run signed-in commands (``careplan flags``, ``export``...).

``careplan`` commands that read or write person data sign in with ``--user NAME`` and
read the password from the file named by CAREPLAN_PASSWORD_FILE. The ``signed_in``
fixture (tests/conftest.py) gives a store an account and returns the ``--user`` options,
with that variable pointing at a file holding :data:`PASSWORD`, set for the test (and so
inherited by any ``python -m careplan`` it starts).
"""

from __future__ import annotations

from pathlib import Path

from careplan.models.accounts import Account, AccountRole
from careplan.store import Store, accounts

#: Every test account's password (it meets the policy).
PASSWORD = "test-password-1"
ADMIN = "admin"


def ensure_account(db: str | Path | Store, username: str = ADMIN,
                   role: AccountRole | str = AccountRole.ADMINISTRATOR,
                   professional_id: str | None = None) -> Account:
    """The store's account ``username``, added with :data:`PASSWORD` when it has none
    (after an administrator ``admin`` when the store has no account at all)."""
    if isinstance(db, Store):
        return _ensure(db, username, AccountRole(role), professional_id)
    with Store.open(db, create=False) as store:
        return _ensure(store, username, AccountRole(role), professional_id)


def _ensure(store: Store, username: str, role: AccountRole,
            professional_id: str | None) -> Account:
    found = accounts.find_account(store, username)
    if found is not None:
        return found
    if accounts.count(store) == 0:
        admin = accounts.add_account(store, ADMIN, PASSWORD, AccountRole.ADMINISTRATOR)
        if username == ADMIN:
            return admin
    row = store.conn.execute("SELECT username FROM accounts WHERE role = ? AND active = 1 "
                             "ORDER BY created_at LIMIT 1",
                             (AccountRole.ADMINISTRATOR.value,)).fetchone()
    admin = accounts.find_account(store, row[0])
    return accounts.add_account(store, username, PASSWORD, role, professional_id, admin,
                                temporary=False)


def digest_without_sign_ins(store: Store) -> str:
    """The store's content digest (careplan.store.digest) leaving out who signed in:
    ``sign_ins``, their audit events, the lockout counts in ``account_secrets`` and the
    audit log's chain heads (which move on with every event, a sign-in's included). A
    signed-in command that is refused records its sign-in and changes nothing else."""
    import hashlib

    h = hashlib.sha256()
    tables = [r[0] for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT IN ('sign_ins', 'account_secrets', 'audit_heads') ORDER BY name")]
    for table in tables:
        cols = [r[1] for r in store.conn.execute(f'PRAGMA table_info("{table}")')]
        h.update(f"\x00{table}:{','.join(cols)}\x00".encode())
        select = ", ".join(f'"{c}"' for c in cols if c not in ("seq", "store_seq", "parent_id"))
        where = " WHERE entity != 'sign_ins'" if table == "audit_events" else ""
        for row in store.conn.execute(f'SELECT {select} FROM "{table}"{where} ORDER BY 1'):
            h.update(repr(row).encode())
    return h.hexdigest()


def open_demo(db: str | Path) -> Store:
    """A demo store, opened with its key when it is encrypted (as ``careplan demo`` makes
    it): unwrapped with the administrator's published password."""
    from datetime import UTC, datetime

    from careplan.demo.accounts import ADMIN, DEMO_PASSWORD
    from careplan.store import keyring

    key = None
    if keyring.exists(db):
        key = keyring.unlock(db, ADMIN, DEMO_PASSWORD, datetime.now(UTC))
    return Store.open(db, create=False, key=key)
