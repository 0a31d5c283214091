"""Opening a store: checks, pragmas, migrations, transactions, the store's identity."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from careplan.store import files, migrations, sqlite
from careplan.store.errors import (
    DamagedStoreError,
    EncryptedStoreError,
    NotAStoreError,
    StoreError,
)
from careplan.store.health import Health, run_check

BUSY_TIMEOUT_MS = 10_000
#: Each attempt waits up to BUSY_TIMEOUT_MS for another process's write to finish (a big
#: import can hold the lock longer than one timeout); then the save is refused politely.
BEGIN_ATTEMPTS = 3
#: SQLite's result codes for trouble with the file or disk, not with the program: these
#: become a StoreError (a sentence for the user); any other error is a bug.
_ENVIRONMENT_ERRORS = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_BUSY", "SQLITE_LOCKED",
                       "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CANTOPEN")


@contextlib.contextmanager
def _savepoint(conn: sqlite.Connection) -> Iterator[None]:
    """A nested transaction: a savepoint inside the open one."""
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

    def __init__(self, conn: sqlite.Connection, path: str, key: bytes | None = None) -> None:
        self.conn = conn
        self.path = path
        #: The store's key when it is encrypted (careplan.store.keyring); None when plain.
        #: Every other connection to this store (readers, the writer, backups, checks)
        #: is opened with it: see :meth:`open_again`.
        self.key = key
        #: Wall clock for audit times; tests may replace it.
        self.clock: Callable[[], datetime] = utc_now
        self._store_id: str | None = None
        #: Opened with ``read_only`` (a damaged store): every write is refused.
        self.read_only = False
        #: When set, writes wait for its verdict on damage (see careplan.store.health).
        self.health: Health | None = None
        #: When set, this connection only reads (the desktop window's): a write is a bug.
        self.reads_only: str | None = None

    # -- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, read_only: bool = False,
             check: bool = False, key: bytes | None = None) -> Store:
        """Open (and upgrade) the store at ``path``; create it if allowed.

        A store is recognised through SQLite, read-only, before anything is changed in
        the file: another program's database is never switched to WAL or given tables.
        An older store is backed up (``backups/``) before its schema is upgraded.
        ``read_only`` opens without upgrading or changing anything (for a damaged
        store): every write is then refused. ``check`` runs SQLite's quick check first
        (seconds for the largest stores; the desktop app checks in the background).
        ``key``: the store's key, when it is encrypted (a new store made with a key is
        encrypted with it; without, it is a plain SQLite file).

        Raises:
            StoreError: the file is missing (and ``create`` is false), unreadable or
                read-only where it must be written.
            NotAStoreError: the file is empty, damaged or not a CarePlan store.
            DamagedStoreError: ``check`` found damage.
            EncryptedStoreError: the store is encrypted and no key was given.
        """
        text = str(path)
        if text == ":memory:":
            return cls._open_connection(sqlite.connect(text), text, in_memory=True)
        file = Path(text)
        if files.check_path(file, create=create and not read_only):
            files.create(file, _build_new, key=key)
        try:
            if read_only:
                return cls._open_read_only(file, text, key)
            _recognise(file, text, check=check, key=key)
            try:
                conn = sqlite.connect(text, timeout=BUSY_TIMEOUT_MS / 1000, key=key)
            except sqlite.DatabaseError as exc:
                raise _as_store_error(exc, text) from exc
            return cls._open_connection(conn, text, in_memory=False, key=key)
        except NotAStoreError as exc:
            raise _keyed_error(exc, file, text, key) from exc

    def open_again(self, *, create: bool = False, read_only: bool = False,
                   check: bool = False) -> Store:
        """Another connection to this store, with its key (for another thread)."""
        return Store.open(self.path, create=create, read_only=read_only, check=check,
                          key=self.key)

    @classmethod
    def _open_connection(cls, conn: sqlite.Connection, text: str, *,
                         in_memory: bool, key: bytes | None = None) -> Store:
        try:
            _configure(conn, in_memory=in_memory)
            _check_is_store(conn, text, allow_empty=in_memory)
            if not in_memory and migrations.current_version(conn) < \
                    migrations.latest_version():
                _backup_before_upgrade(conn, Path(text), key)
            migrations.upgrade(conn)
            store = cls(conn, text, key)
            store._ensure_identity()
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite.DatabaseError):
                raise _as_store_error(exc, text) from exc
            raise
        return store

    @classmethod
    def _open_read_only(cls, file: Path, text: str, key: bytes | None) -> Store:
        conn = _connect_read_only(file, text, key)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _check_is_store(conn, text, allow_empty=False)
            version = migrations.current_version(conn)
            if version != migrations.latest_version():
                raise StoreError(
                    f"{text} has schema {version} and this CarePlan reads schema "
                    f"{migrations.latest_version()}; it cannot be opened read-only.")
            store = cls(conn, text, key)
            store.read_only = True
            if store.meta("store_id") is None:
                raise NotAStoreError(f"{text} is not a CarePlan store (it has no store id).")
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite.DatabaseError):
                raise _as_store_error(exc, text) from exc
            raise
        return store

    def close(self) -> None:
        self.conn.close()

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

    def reread_identity(self) -> None:
        """Forget the cached store id (a transaction that changed it was rolled back)."""
        self._store_id = None

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
    def atomic(self) -> Iterator[sqlite.Connection]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock up front, so a
        second process waits on the busy timeout instead of failing mid-transaction).
        Nested use becomes a savepoint.

        Raises:
            StoreError: the store was opened read-only (nothing is attempted).
        """
        conn = self.conn
        if conn.in_transaction:
            with _savepoint(conn):
                yield conn
            return
        self._check_writable()
        for attempt in range(1, BEGIN_ATTEMPTS + 1):
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite.OperationalError as exc:
                if attempt == BEGIN_ATTEMPTS or not _is_busy(exc):
                    raise _as_store_error(exc, self.path) from exc
                time.sleep(0.05 * attempt)
        try:
            yield conn
        except sqlite.DatabaseError as exc:
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
        except sqlite.DatabaseError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _as_store_error(exc, self.path) from exc

    def _check_writable(self) -> None:
        """Refuse a write, before attempting it, into a store that is read-only or damaged.

        Raises:
            StoreError: read-only or damaged.
            RuntimeError: a write on a connection that only reads (a bug).
        """
        if self.reads_only is not None:
            raise RuntimeError(f"A write was attempted where {self.reads_only}.")
        if self.health is not None and not self.read_only:
            verdict = self.health.wait()
            if verdict is None:
                raise StoreError(f"{self.path} is still being checked for damage; nothing "
                                 "was saved; try again in a moment.")
            if not verdict.ok:
                self.read_only = True
                raise StoreError(f"{verdict.sentence(self.path)}; it is open read-only and "
                                 "nothing was saved.")
        if self.read_only:
            raise StoreError(f"{self.path} is open read-only (it may be damaged); "
                             "nothing was saved.")

    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def integrity_check(self) -> str:
        """SQLite's full check ("ok", or what is wrong): every page, index against table."""
        return _pragma_check(self.conn, "integrity_check")

    def quick_check(self) -> str:
        """SQLite's quick check ("ok", or what is wrong): the file's structure, without
        matching indexes to their tables; a few seconds for the largest stores."""
        return _pragma_check(self.conn, "quick_check")

    def table_counts(self) -> dict[str, int]:
        names = [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: int(self.conn.execute(f"SELECT count(*) FROM {quote_name(n)}").fetchone()[0])
                for n in names}


def _configure(conn: sqlite.Connection, *, in_memory: bool) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not in_memory:
        _use_wal(conn)
    # FULL: a committed care record survives power loss, not only a crash.
    conn.execute("PRAGMA synchronous = FULL")
    # 64 MB page cache: bulk writes into random-UUID indexes thrash the 2 MB default.
    conn.execute("PRAGMA cache_size = -65536")


def _use_wal(conn: sqlite.Connection) -> None:
    """Switch to WAL journaling. The switch needs a moment of exclusive access that SQLite
    does not wait for, so a second process opening a new store at the same moment
    retries for up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    if str(mode).lower() != "wal":
        raise StoreError(f"Could not switch the store to WAL journaling (got {mode}).")


def quote_name(name: str) -> str:
    """An SQL identifier, quoted (a table name may hold any character, ``"`` included)."""
    return '"' + name.replace('"', '""') + '"'


def _pragma_check(conn: sqlite.Connection, pragma: str) -> str:
    return ", ".join(str(r[0]) for r in conn.execute(f"PRAGMA {pragma}"))


def _build_new(conn: sqlite.Connection) -> None:
    """A new store's content, written into its temporary file (see files.create)."""
    conn.execute("PRAGMA foreign_keys = ON")
    migrations.upgrade(conn)
    conn.execute("BEGIN IMMEDIATE")
    for key, value in (("store_id", str(uuid.uuid4())), ("created_at", utc_now().isoformat())):
        conn.execute("INSERT INTO store_meta(key, value) VALUES (?, ?)", (key, value))
    conn.execute("COMMIT")


def _connect_read_only(file: Path, text: str, key: bytes | None) -> sqlite.Connection:
    """A connection that can only read ``file`` (and never creates it)."""
    try:
        return sqlite.connect(files.read_only_uri(file), uri=True,
                              timeout=BUSY_TIMEOUT_MS / 1000, key=key)
    except sqlite.DatabaseError as exc:
        raise _as_store_error(exc, text) from exc


def _recognise(file: Path, text: str, *, check: bool, key: bytes | None) -> None:
    """Check, through a read-only connection, that ``file`` is a CarePlan store (and,
    with ``check``, not damaged) before a writing connection changes anything in it
    (its journal mode, its schema).

    Raises:
        NotAStoreError: not SQLite, damaged, another program's database, or empty.
        DamagedStoreError: ``check`` found damage.
        StoreError: the file cannot be opened.
    """
    conn = _connect_read_only(file, text, key)
    try:
        _check_is_store(conn, text, allow_empty=False)
        if check and not (verdict := run_check(conn)).ok:
            raise DamagedStoreError(verdict.sentence(text) + "; nothing was changed in it")
    except sqlite.DatabaseError as exc:
        if _is_busy(exc):
            return  # being written by another process: the writing connection waits
        raise _as_store_error(exc, text) from exc
    finally:
        conn.close()


def _check_is_store(conn: sqlite.Connection, path: str, *, allow_empty: bool) -> None:
    # One statement, so one snapshot.
    version, tables, meta = conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version), "
        "(SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'), "
        "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'store_meta')"
    ).fetchone()
    if version > 0 and meta:
        return
    if tables or version > 0:
        raise NotAStoreError(
            f"{path} is an SQLite database but not a CarePlan store (it has other tables); "
            "nothing was changed in it"
        )
    if not allow_empty:
        raise NotAStoreError(f"{path} is an empty SQLite database, not a CarePlan store; "
                             "nothing was written to it")


def _backup_before_upgrade(conn: sqlite.Connection, path: Path, key: bytes | None) -> None:
    """Copy a store whose schema is about to be upgraded, so that an upgrade gone wrong
    (or a newer CarePlan met by an older one) never costs the caseload. The copy is kept
    out of the automatic rotation.

    Raises:
        StoreError: the copy could not be made; the store is then not upgraded.
    """
    from careplan.store import backup  # only here: most opens need no upgrade

    version = migrations.current_version(conn)
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    folder = backup.backup_dir(path)
    dest = folder / f"{path.stem}-before-schema-{version + 1}-{stamp}-{uuid.uuid4().hex[:8]}.db"
    try:
        backup.make_backup_dir(path)
        backup.copy_database(conn, dest, key=key)
        backup.keep_keyring(path, dest)
    except (OSError, sqlite.Error, StoreError) as exc:
        raise StoreError(f"{path} needs its schema upgraded, and could not be backed up "
                         f"first ({exc}); nothing was changed.") from exc


def _keyed_error(exc: NotAStoreError, file: Path, text: str, key: bytes | None
                 ) -> StoreError:
    """What "not a database" means for a file that may be encrypted: without a key and with
    a keyring beside it, a store to sign in to; with a key, one that the key does not open
    (damaged, or not the store whose keyring it is)."""
    if not isinstance(exc.__cause__, sqlite.DatabaseError) or \
            sqlite.error_name(exc.__cause__) != "SQLITE_NOTADB":
        return exc
    from careplan.store import keyring

    if key is None and keyring.exists(file):
        return EncryptedStoreError(f"{text} is encrypted: sign in to open it.")
    if key is not None:
        return NotAStoreError(f"{text} cannot be opened with its key: it is damaged, or it "
                              "is not the store its keyring belongs to; nothing was changed "
                              "in it.")
    return exc


def _is_busy(exc: sqlite.Error) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _is_environment(exc: sqlite.Error) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(_ENVIRONMENT_ERRORS)


def _as_store_error(exc: sqlite.DatabaseError, path: str) -> StoreError:
    text = str(exc)
    if "file is not a database" in text:
        return NotAStoreError(f"{path} is not a CarePlan store (it is not an SQLite database, "
                              "or its first page is damaged); nothing was changed in it.")
    if "malformed" in text:
        return NotAStoreError(f"{path} is damaged ({text}).")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} is read-only; nothing was changed.")
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path} is busy in another window or program; try again in a moment."
        )
    if "disk is full" in text or "database or disk is full" in text:
        return StoreError(f"The disk holding {path} is full; nothing more was saved.")
    return StoreError(f"{path}: {text}")
