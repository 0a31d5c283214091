"""Opening a store: checks, pragmas, migrations, transactions, the store's identity."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careplan.store import migrations
from careplan.store.errors import NotAStoreError, StoreError


@contextlib.contextmanager
def _without(*names: str) -> Iterator[None]:
    """Make importing ``names`` fail for a moment (a ``None`` in sys.modules)."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


if TYPE_CHECKING:
    import sqlite_utils


def _sqlite_utils() -> Any:
    """sqlite_utils, imported on first use.

    Not at startup: with its dependencies it costs about a tenth of a second, and it
    imports pandas and numpy when they are installed (most of a second, more than all of
    Qt) only to accept DataFrames and numpy numbers, which the store never passes. Those
    two are hidden from it so the desktop app starts fast (bench/startup_bench.py); later
    imports of pandas, by the exports that use it, work as usual.
    """
    with _without("pandas", "numpy"):
        import sqlite_utils
    return sqlite_utils

_SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
#: Each attempt waits up to BUSY_TIMEOUT_MS for another process's write to finish (a big
#: import can hold the lock longer than one timeout); then the save is refused politely.
BEGIN_ATTEMPTS = 3
#: SQLite's result codes for trouble with the file or disk, not with the program: these
#: become a StoreError (a sentence for the user); any other error is a bug.
_ENVIRONMENT_ERRORS = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_BUSY", "SQLITE_LOCKED",
                       "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CANTOPEN")


@contextlib.contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    """A nested transaction (as sqlite_utils' ``atomic`` makes one)."""
    name = f"careplan_{uuid.uuid4().hex}"
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        # A RAISE(ROLLBACK) trigger can end the whole transaction, savepoints included:
        # cleaning up then would hide the first error behind "no such savepoint".
        if conn.in_transaction:
            conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            conn.execute(f"RELEASE SAVEPOINT {name}")
        raise
    conn.execute(f"RELEASE SAVEPOINT {name}")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Store:
    """One open store file: a single connection, used from one thread only."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._db: sqlite_utils.Database | None = None
        #: Wall clock for audit times; tests may replace it.
        self.clock: Callable[[], datetime] = utc_now
        self._store_id: str | None = None

    # -- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Store:
        """Open (and upgrade) the store at ``path``; create it if allowed.

        Raises:
            StoreError: the file is missing (and ``create`` is false), unreadable or
                read-only where it must be written.
            NotAStoreError: the file is not a CarePlan store.
        """
        text = str(path)
        if text != ":memory:":
            _check_file(Path(text), create)
        try:
            conn = sqlite3.connect(text, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.DatabaseError as exc:
            raise _as_store_error(exc, text) from exc
        try:
            _configure(conn, in_memory=text == ":memory:")
            _check_is_store(conn, text)
            migrations.upgrade(conn)
            store = cls(conn, text)
            store._ensure_identity()
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise _as_store_error(exc, text) from exc
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection as a ``sqlite_utils.Database`` (made on first use)."""
        if self._db is None:
            self._db = _sqlite_utils().Database(self.conn, execute_plugins=False)
        return self._db

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity ------------------------------------------------------------------

    @property
    def store_id(self) -> str:
        if self._store_id is None:
            self._store_id = self.meta("store_id")
        assert self._store_id is not None
        return self._store_id

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.atomic():
            self.conn.execute(
                "INSERT INTO store_meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        if key == "store_id":
            self._store_id = value

    def _ensure_identity(self) -> None:
        if self.meta("store_id") is not None:
            return
        # Check and set under the write lock: two processes creating the same new store
        # at once must not each give it an identity.
        with self.atomic() as conn:
            for key, value in (("store_id", str(uuid.uuid4())),
                               ("created_at", utc_now().isoformat())):
                conn.execute("INSERT OR IGNORE INTO store_meta(key, value) VALUES (?, ?)",
                             (key, value))

    @property
    def schema_version(self) -> int:
        return migrations.current_version(self.conn)

    # -- transactions --------------------------------------------------------------

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock up front, so a
        second process waits on the busy timeout instead of failing mid-transaction).
        Nested use becomes a savepoint."""
        conn = self.conn
        if conn.in_transaction:
            with _savepoint(conn):
                yield conn
            return
        for attempt in range(1, BEGIN_ATTEMPTS + 1):
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if attempt == BEGIN_ATTEMPTS or not _is_busy(exc):
                    raise _as_store_error(exc, self.path) from exc
                time.sleep(0.05 * attempt)
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if _is_environment(exc):  # disk full, read-only file, damaged file
                raise _as_store_error(exc, self.path) from exc
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _as_store_error(exc, self.path) from exc

    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def integrity_check(self) -> str:
        return ", ".join(str(r[0]) for r in self.conn.execute("PRAGMA integrity_check"))

    def table_counts(self) -> dict[str, int]:
        names = [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: int(self.conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0])
                for n in names}


def _configure(conn: sqlite3.Connection, *, in_memory: bool) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not in_memory:
        _use_wal(conn)
    # FULL: a committed care record survives power loss, not only a crash.
    conn.execute("PRAGMA synchronous = FULL")
    # 64 MB page cache: bulk writes into random-UUID indexes thrash the 2 MB default.
    conn.execute("PRAGMA cache_size = -65536")


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL journaling. The switch needs a moment of exclusive access that SQLite
    does not wait for, so a second process opening a new store at the same moment
    retries for up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    if str(mode).lower() != "wal":
        raise StoreError(f"Could not switch the store to WAL journaling (got {mode}).")


def _check_file(path: Path, create: bool) -> None:
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file.")
    if not path.exists():
        if not create:
            raise StoreError(f"There is no store at {path}.")
        if not path.parent.exists():
            raise StoreError(f"The folder {path.parent} does not exist.")
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise StoreError(f"{path} cannot be read ({exc.strerror}).") from exc
    if head and head != _SQLITE_MAGIC:
        raise NotAStoreError(f"{path} is not a CarePlan store (it is not an SQLite database).")


def _check_is_store(conn: sqlite3.Connection, path: str) -> None:
    # One statement, so one snapshot: another process may be creating the store meanwhile.
    version, tables = conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version), "
        "(SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%')"
    ).fetchone()
    if version > 0:
        return
    if tables:
        raise NotAStoreError(
            f"{path} is an SQLite database but not a CarePlan store (it has other tables)."
        )


def _is_busy(exc: sqlite3.Error) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _is_environment(exc: sqlite3.Error) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(_ENVIRONMENT_ERRORS)


def _as_store_error(exc: sqlite3.DatabaseError, path: str) -> StoreError:
    text = str(exc)
    if "file is not a database" in text or "malformed" in text:
        return NotAStoreError(f"{path} is damaged or is not a CarePlan store ({text}).")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} is read-only; nothing was changed.")
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path} is busy in another window or program; try again in a moment."
        )
    if "disk is full" in text or "database or disk is full" in text:
        return StoreError(f"The disk holding {path} is full; nothing more was saved.")
    return StoreError(f"{path}: {text}")
