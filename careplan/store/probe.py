"""Is a file an SQLite database? Asked through SQLite itself, never a plain file handle.

Opened read-only and ``immutable``: SQLite then takes no lock and creates no ``-wal`` or
``-shm`` beside a WAL database (a plain read-only open leaves both behind, as it may not
remove them). Without locks its descriptor is closed at once, which drops every POSIX lock
this process holds on that file (SQLite's "How To Corrupt An SQLite Database File", 2.2):
so ask only about files this process has no connection to, never the open store (callers
compare with the store by identity first; the app opens no other database).
"""

from __future__ import annotations

import os
from pathlib import Path

from careplan.store import keyring, sqlite


def is_sqlite_database(path: str | Path) -> bool:
    """True when ``path`` is a non-empty SQLite database, or SQLite cannot tell (locked,
    damaged): callers use this to refuse to replace the file, so doubt counts as yes.
    False for an empty file and for anything SQLite calls "not a database", unless a
    keyring lies beside it (``NAME.keys``: an encrypted store or backup, which SQLite
    reads as noise without its key). Ask only about regular files (opening a FIFO would
    block)."""
    target = Path(path)
    if os.stat(target).st_size == 0:
        return False
    if keyring.exists(target):
        return True  # an encrypted store or backup: SQLite alone cannot tell it from noise
    uri = f"{target.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        conn = sqlite.connect(uri, uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite.DatabaseError as exc:
        return "not a database" not in str(exc)
    return True
