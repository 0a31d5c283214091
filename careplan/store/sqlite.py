"""Every connection to a store goes through here: SQLCipher 4 (the ``sqlcipher3`` package,
whose wheel carries SQLCipher and its crypto library statically: no system library).

One library for every database file CarePlan opens, plain or encrypted: its exceptions
are the ones the store catches (a ``sqlite3.OperationalError`` clause of the standard
library would not catch sqlcipher3's), and two SQLite libraries in one process would
each keep their own POSIX locks on a shared file, so closing a connection of one would
drop the other's (SQLite's "How To Corrupt An SQLite Database File", 2.2).

An encrypted store is opened with its raw 256-bit key (``PRAGMA key = "x'…'"``): no key
derivation per connection, so opening stays as fast as for a plain file. The key comes
from the store's keyring at sign-in (careplan.store.keyring) and travels with the Store
object to every connection of the app (readers, the writer, backups, checks), never
through a file or the environment.

For the type checker the module is the standard library's ``sqlite3``: sqlcipher3 is its
fork and has the same API, but ships no type information.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite3 import (
        Connection,
        DatabaseError,
        Error,
        IntegrityError,
        InterfaceError,
        OperationalError,
        ProgrammingError,
        Row,
        complete_statement,
        sqlite_version,
    )
    from sqlite3 import connect as _connect
    from sqlite3 import register_adapter as _register_adapter
else:
    from sqlcipher3.dbapi2 import (
        Connection,
        DatabaseError,
        Error,
        IntegrityError,
        InterfaceError,
        OperationalError,
        ProgrammingError,
        Row,
        complete_statement,
        sqlite_version,
    )
    from sqlcipher3.dbapi2 import connect as _connect
    from sqlcipher3.dbapi2 import register_adapter as _register_adapter

#: The length of a store key, in bytes (AES-256).
KEY_BYTES = 32

# The driver binds int, float and str straight away, but looks for an adapter for any
# other value, None and bytes included, by asking the value and the protocol for
# ``__conform__`` and ``__adapt__``: about 0.8 us a value, twenty times an int's; a bulk
# insert binds a None for each empty field (the FHIR import of 10,000 persons about a
# million of them). An adapter registered for them is found at once; each gives back
# its value as it is (an empty dict's ``get`` returns None for None, ``bytes`` an
# exact bytes object itself), so SQLite binds the same NULL and BLOB as before.
_empty: dict[None, None] = {}
_as_null: Callable[[None], None] = _empty.get
_register_adapter(type(None), _as_null)
_register_adapter(bytes, bytes)

_quiet = False


def connect(target: str | Path, *, key: bytes | None = None, uri: bool = False,
            timeout: float = 5.0, isolation_level: str | None = "",
            check_same_thread: bool = True) -> Connection:
    """A connection to ``target`` (a path, an SQLite URI with ``uri``, or ":memory:"),
    keyed with ``key`` when the file is encrypted (None: a plain SQLite file).

    The key is only set here: whether it fits is found at the first read (SQLite then
    says "file is not a database", as for a file that is no database at all).
    """
    global _quiet
    options: dict[str, Any] = {"uri": uri, "timeout": timeout,
                               "isolation_level": isolation_level,
                               "check_same_thread": check_same_thread}
    conn: Connection = _connect(str(target), **options)
    if not _quiet:
        # SQLCipher writes a wrong key's HMAC failures to stderr unless told not to: a
        # command's refusal is one sentence, and a log must not fill with them.
        conn.execute("PRAGMA cipher_log_level = NONE")
        _quiet = True
    if key is not None:
        apply_key(conn, key)
    return conn


def apply_key(conn: Connection, key: bytes) -> None:
    """Key a fresh connection (before anything is read through it)."""
    conn.execute(key_pragma("main", key))


def key_pragma(schema: str, key: bytes) -> str:
    """``PRAGMA schema.key`` with a raw key (SQLCipher then skips its own key derivation)."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a store key has {KEY_BYTES} bytes, not {len(key)}")
    return f"PRAGMA {schema}.key = \"x'{key.hex()}'\""


def attach_key(key: bytes | None) -> str:
    """The ``KEY`` clause of an ``ATTACH``: a raw key, or an empty one (a plain file)."""
    return f"KEY \"x'{key.hex()}'\"" if key is not None else "KEY ''"


def text_literal(text: str) -> str | None:
    """``text`` as an SQL string literal (``'it''s'``), for a value that every row of a
    bulk insert shares: written into the statement, it is not bound again for each row
    (the driver's binding of a value, of None above all, costs more than SQLite's
    insert of a constant). None when the
    text cannot be written so (it holds a NUL)."""
    if "\0" in text:
        return None
    return "'" + text.replace("'", "''") + "'"


def error_name(exc: BaseException) -> str:
    """SQLite's name for an error's result code ("SQLITE_NOTADB"), or ""."""
    return str(getattr(exc, "sqlite_errorname", ""))


__all__ = [
    "KEY_BYTES",
    "Connection",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "OperationalError",
    "ProgrammingError",
    "Row",
    "apply_key",
    "attach_key",
    "complete_statement",
    "connect",
    "error_name",
    "key_pragma",
    "sqlite_version",
    "text_literal",
]
