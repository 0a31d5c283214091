"""Encrypted stores: making a new one, and converting a plain one (``careplan encrypt``).

A store is encrypted with SQLCipher 4 under a random 256-bit key, kept wrapped per account
in its keyring (careplan.store.keyring). New stores made by the app, by ``careplan
accounts add`` and by the demo are encrypted; ``Store.open`` alone, given no key, still
makes a plain SQLite store (the tests' and scripts' stores), and opens either.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from careplan.store import backup, keyring, secure, sqlite
from careplan.store.backup_files import copy_database
from careplan.store.db import Store, quote_name
from careplan.store.errors import InputError, StoreError


def is_encrypted(path: str | Path) -> bool:
    """Whether the store at ``path`` is encrypted: it has a keyring beside it."""
    return keyring.exists(path)


def create_store(path: str | Path, *, wrap: Sequence[tuple[str, str]] = (),
                 demo: dict[str, Any] | None = None) -> Store:
    """A new, encrypted store at ``path`` (which must not exist), open with its new key.

    The keyring is written first, with the key wrapped for each (user name, password) in
    ``wrap``; then the store. A keyring left without its store by a crash is replaced.

    Raises:
        StoreError: ``path`` exists, or the keyring or the store could not be written.
    """
    file = Path(path)
    if file.exists():
        raise StoreError(f"{file} exists already; a new store never replaces a file.")
    if keyring.exists(file):  # left by a creation that died before the store was made
        keyring.path_of(file).unlink()
    key = keyring.new_key()
    keyring.create(file, key, "", wrap, demo=demo)
    try:
        store = Store.open(file, create=True, key=key)
    except BaseException:
        with contextlib.suppress(OSError):
            if not file.exists():
                keyring.path_of(file).unlink()
        raise
    try:
        with keyring.changing(file) as ring:
            ring.store_id = store.store_id
    except BaseException:
        store.close()
        raise
    return store


def discard_new(store: Store) -> None:
    """Remove a store just made by :func:`create_store` that is to be given up (its first
    account was refused): the file, its journal files and its keyring."""
    path = Path(store.path)
    store.close()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    keyring.path_of(path).unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Converted:
    """What ``careplan encrypt`` did."""

    #: The plain store as it was, kept in ``backups/`` (remove it once the encrypted one
    #: has been checked: it is readable by anyone who can read the file).
    plain_copy: Path
    #: Accounts whose key was wrapped under their present password (provisional until
    #: their next sign-in), and accounts that had no password hash to wrap it with.
    wrapped: int
    missing: tuple[str, ...]
    counts: dict[str, int]


def encrypt(path: str | Path, admin: str, admin_password: str,
            check_admin: Callable[[Store], None], now: datetime | None = None) -> Converted:
    """Convert the plain store at ``path`` to an encrypted one, in place.

    ``check_admin`` signs the administrator in on the plain store (and refuses anyone
    else) before anything is written. Then, holding the store to itself (as a restore
    does: no other window or program may have it open), the plain store is copied to
    ``backups/<name>-before-encryption-<time>.db`` and kept; its content is exported with
    SQLCipher's ``sqlcipher_export`` into a new file beside it, which is checked
    (``quick_check``, and every table's row count against the plain store's) and only
    then renamed over the plain store. Every account gets the key wrapped under its
    present password (its argon2id hash: a provisional entry, wrapped anew at its next
    sign-in); the administrator's under the password just typed.

    Raises:
        InputError: the store is encrypted already, or has no accounts.
        StoreError: it is open elsewhere, damaged, or could not be converted (then
            nothing was changed).
    """
    from careplan.store import restore as holding

    file = Path(path)
    if keyring.exists(file):
        raise InputError(f"--db: {file} is encrypted already (its keyring is beside it); "
                         "nothing was changed")
    now = now or datetime.now(UTC)
    with Store.open(file, create=False, check=True) as plain:
        if not plain.conn.execute("SELECT count(*) FROM accounts").fetchone()[0]:
            raise InputError(f"--db: {file} has no accounts, so nobody could open it once "
                             f"encrypted; add its administrator first (careplan accounts "
                             f"add NAME --db {file})")
        check_admin(plain)
        store_id = plain.store_id
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    key = keyring.new_key()
    tmp = file.with_name(f".{file.name}.{os.getpid()}.encrypting")
    try:
        with holding._exclusive(file) as held:  # noqa: SLF001 - the restore's own hold
            if held.conn is None or held.state != "store" or held.store_id != store_id:
                raise StoreError(f"{file} changed while it was being encrypted")
            conn = held.conn
            accounts = conn.execute(
                "SELECT a.username, s.password_hash FROM accounts a "
                "LEFT JOIN account_secrets s ON s.account_id = a.id ORDER BY a.username"
            ).fetchall()
            counts = _counts(conn)
            folder = backup.make_backup_dir(file)
            plain_copy = folder / (f"{file.stem}-before-encryption-{stamp}-"
                                   f"{uuid.uuid4().hex[:8]}.db")
            copy_database(conn, plain_copy)  # checked with quick_check
            copy_database(conn, tmp, key=key, source_key=None)
            _check_copy(tmp, key, counts)
            ring = keyring.Keyring(store_id=store_id, salt=os.urandom(16))
            missing = [str(username) for username, password_hash in accounts
                       if password_hash is None or not keyring.wrap_with_hash(
                           ring, key, str(username), str(password_hash))]
            keyring.wrap_with_password(ring, key, admin, admin_password)
            keyring.save(file, ring, new=True)
            try:
                holding._swap(tmp, file)  # noqa: SLF001
            except BaseException:
                keyring.path_of(file).unlink(missing_ok=True)
                raise
    except backup.BackupError as exc:
        raise StoreError(f"{str(exc).rstrip('.')}; {file} was not encrypted.") from exc
    except (OSError, sqlite.Error) as exc:
        raise StoreError(f"{file} could not be encrypted ({exc}); it was not "
                         "changed.") from exc
    finally:
        tmp.unlink(missing_ok=True)
    secure.tighten_store(file)
    return Converted(plain_copy, len(accounts) - len(missing), tuple(missing), counts)


def _counts(conn: sqlite.Connection) -> dict[str, int]:
    names = [str(r[0]) for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {n: int(conn.execute(f"SELECT count(*) FROM {quote_name(n)}").fetchone()[0])
            for n in names}


def _check_copy(tmp: Path, key: bytes, counts: dict[str, int]) -> None:
    """The encrypted copy opens with its key, passes quick_check and holds every row; it
    is then switched to WAL, as every store is.

    Raises:
        StoreError: it does not.
    """
    conn = sqlite.connect(tmp, key=key, isolation_level=None)
    try:
        result = ", ".join(str(r[0]) for r in conn.execute("PRAGMA quick_check"))
        if result != "ok":
            raise StoreError(f"the encrypted copy failed its check ({result[:200]})")
        found = _counts(conn)
        if found != counts:
            differ = sorted(t for t in set(found) | set(counts)
                            if found.get(t) != counts.get(t))
            raise StoreError(f"the encrypted copy's rows differ from the store's "
                             f"({', '.join(differ)})")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


__all__ = ["Converted", "create_store", "discard_new", "encrypt", "is_encrypted"]
