"""Backups of a store: rotating automatic copies, one-off copies, and a verified restore.

Where: a ``backups`` folder beside the store file (``<folder>/backups/<name>-<UTC
time>.db``). Beside the store rather than under the user's data folder so that a store
on a shared or removable drive keeps its backups with it, and so that whoever finds a
damaged store finds its backups next to it.

Every copy is made with SQLite's online backup API (consistent even while another
window is writing), written under a temporary name, checked with ``PRAGMA quick_check``
and only then renamed into place: a backup in the folder is always whole.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from careplan.store import migrations
from careplan.store.errors import NotAStoreError, StoreError

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
#: How many automatic backups of one store are kept (the newest).
KEEP = 7
#: An automatic backup is skipped when the newest one is younger than this.
MIN_AGE = timedelta(hours=1)
_STAMP = "%Y%m%d-%H%M%S"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(StoreError):
    """A backup could not be made, or a file offered for restore is not a sound store."""


@dataclass(frozen=True, slots=True)
class Backup:
    """One automatic backup of a store."""

    path: Path
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class Verified:
    """What a sound backup file holds."""

    schema_version: int
    store_id: str
    persons: int


def backup_dir(store_path: str | Path) -> Path:
    return Path(store_path).parent / BACKUP_DIR


def _pattern(store_path: Path) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(store_path.stem)}-(\d{{8}}-\d{{6}})\.db")


def list_backups(store_path: str | Path) -> list[Backup]:
    """The automatic backups of the store at ``store_path``, newest first."""
    path = Path(store_path)
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    pattern = _pattern(path)
    found = []
    for entry in folder.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and entry.is_file():
            taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            found.append(Backup(entry, taken))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def newest_backup(store_path: str | Path) -> Backup | None:
    backups = list_backups(store_path)
    return backups[0] if backups else None


# -- making copies ---------------------------------------------------------------------


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=10)
    return sqlite3.connect(str(path), timeout=10)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_database(source: sqlite3.Connection, dest: Path, *, check: bool = True) -> None:
    """Copy an open database to ``dest`` (a new file) through the online backup API.

    The copy is one self-contained file (rollback journal, no ``-wal``), checked with
    ``quick_check`` when ``check`` is set, and appears under its name only when whole.

    Raises:
        BackupError: the copy failed its check.
        sqlite3.Error, OSError: the copy could not be written (disk full, no access).
    """
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    tmp.unlink(missing_ok=True)
    try:
        out = sqlite3.connect(str(tmp))
        try:
            source.backup(out)
            out.execute("PRAGMA journal_mode = DELETE")
            result = out.execute("PRAGMA quick_check").fetchone()[0] if check else "ok"
        finally:
            out.close()
        if result != "ok":
            raise BackupError(f"The copy of the store failed its check ({result}).")
        _fsync(tmp)
        os.replace(tmp, dest)
        with contextlib.suppress(OSError):  # not every platform can fsync a folder
            _fsync(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime(_STAMP)


def _marker(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """What changes whenever the store's content does: schema and the audit log's end
    (every write adds an audit event in the same transaction)."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    count, last = conn.execute("SELECT count(*), coalesce(max(seq), 0) FROM audit_events"
                               ).fetchone()
    return version, int(count), int(last)


@dataclass(frozen=True, slots=True)
class AutoBackup:
    """The outcome of :func:`auto_backup`: the new backup, or why none was made."""

    path: Path | None
    reason: str


def auto_backup(store_path: str | Path, *, now: datetime | None = None, keep: int = KEEP,
                min_age: timedelta = MIN_AGE, force: bool = False) -> AutoBackup:
    """Back up a store that is being opened for writing, then keep only the newest ``keep``.

    Skipped (cheaply) for ``:memory:``, a store with nothing in it yet, when the newest
    backup is younger than ``min_age``, or when the store has not changed since it (unless
    ``force``). Opens its own connection, so it may run in any thread. Never raises for
    trouble with the disk: a failed backup is logged and reported in the result, and
    the store itself is never touched.
    """
    if str(store_path) == ":memory:":
        return AutoBackup(None, "an in-memory store is not backed up")
    path = Path(store_path)
    now = now or datetime.now(UTC)
    newest = newest_backup(path)
    if not force and newest is not None and timedelta(0) <= now - newest.taken_at < min_age:
        return AutoBackup(None, f"the newest backup is less than {min_age} old")
    try:
        with contextlib.closing(_connect(path)) as conn:
            marker = _marker(conn)
            if marker[1] == 0:
                return AutoBackup(None, "the store is empty")
            if not force and newest is not None and _unchanged(newest.path, marker):
                return AutoBackup(None, "the store has not changed since the newest backup")
            dest = backup_dir(path) / f"{path.stem}-{_stamp(now)}.db"
            if dest.exists():
                return AutoBackup(None, "a backup was taken this second")
            dest.parent.mkdir(exist_ok=True)
            _remove_stale_partials(dest.parent, path.stem)
            copy_database(conn, dest)
    except (OSError, sqlite3.Error, StoreError) as exc:
        log.warning("Could not back up %s: %s", path, exc)
        return AutoBackup(None, f"the backup failed ({exc})")
    _rotate(path, keep)
    return AutoBackup(dest, "backed up")


def _remove_stale_partials(folder: Path, stem: str) -> None:
    """Half-made copies left by a crash (a day old: a younger one may be in progress)."""
    for stale in folder.glob(f".{stem}-*.partial"):
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > 86_400:
                stale.unlink()


def _unchanged(backup: Path, marker: tuple[int, int, int]) -> bool:
    try:
        with contextlib.closing(_connect(backup, read_only=True)) as conn:
            return _marker(conn) == marker
    except sqlite3.Error:
        return False  # an unreadable backup does not count as a copy of anything


def _rotate(store_path: Path, keep: int) -> None:
    for old in list_backups(store_path)[keep:]:
        try:
            old.path.unlink()
        except OSError as exc:
            log.warning("Could not remove the old backup %s: %s", old.path, exc)


def backup_to(conn: sqlite3.Connection, dest: Path) -> None:
    """A one-off, checked copy of an open store at ``dest`` (which must not exist)."""
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name.")
    if not dest.parent.is_dir():
        raise BackupError(f"The folder {dest.parent} does not exist.")
    try:
        copy_database(conn, dest)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"Could not write the backup {dest} ({_reason(exc)}); "
                          "the store was not changed.") from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)


# -- checking and restoring -----------------------------------------------------------


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(16)


def verify_backup(path: str | Path) -> Verified:
    """Check a file offered for restore: whole, a CarePlan store, not from a newer version.

    Raises:
        BackupError: with a sentence saying what is wrong.
    """
    file = Path(path)
    if not file.is_file():
        raise BackupError(f"There is no file {file}.")
    try:
        head = _head(file)
    except OSError as exc:
        raise BackupError(f"{file} cannot be read ({_reason(exc)}).") from exc
    if head != _SQLITE_MAGIC:
        raise BackupError(f"{file} is not a CarePlan backup (it is not an SQLite database).")
    try:
        with contextlib.closing(_connect(file, read_only=True)) as conn:
            check = ", ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
            if check != "ok":
                raise BackupError(f"{file} is damaged (integrity check: {check[:200]}).")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if version == 0 or not {"store_meta", "persons", "audit_events"} <= tables:
                raise BackupError(f"{file} is an SQLite database but not a CarePlan store.")
            if version > migrations.latest_version():
                raise BackupError(
                    f"{file} was written by a newer CarePlan (schema {version}); this "
                    f"version understands up to schema {migrations.latest_version()}.")
            row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
            if row is None:
                raise BackupError(f"{file} is an SQLite database but not a CarePlan store.")
            persons = int(conn.execute("SELECT count(*) FROM persons").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is damaged or is not a CarePlan store ({exc}).") from exc
    return Verified(version, str(row[0]), persons)


def restore(store_path: str | Path, backup: str | Path,
            now: datetime | None = None) -> tuple[Verified, Path | None]:
    """Replace the store with a verified backup; return what it holds and the safety copy.

    The store as it was (even if damaged) is first copied to
    ``backups/<name>-before-restore-<time>.db`` (never rotated away); the backup is
    then copied beside the store and renamed over it in one step, so a crash leaves
    either the old store or the restored one, never a mixture.

    Raises:
        BackupError: the backup is not sound, or the store is open elsewhere, or the
            file at ``store_path`` is not a store and has no backups (it is not replaced).
    """
    target, source = Path(store_path), Path(backup)
    verified = verify_backup(source)
    if target.exists() and target.samefile(source):
        raise BackupError(f"{source} is the store itself; choose a backup to restore from.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    now = now or datetime.now(UTC)
    safety: Path | None = None
    with _exclusive(target) as state:
        foreign = state == "other" or (state == "damaged" and _head(target) != _SQLITE_MAGIC)
        if foreign and not list_backups(target):
            raise BackupError(f"{target} is not a CarePlan store and has no backups; "
                              "it was not replaced.")
        try:
            if state != "none":
                safety = backup_dir(target) / f"{target.stem}-before-restore-{_stamp(now)}.db"
                safety.parent.mkdir(exist_ok=True)
                _raw_copy(target, safety, with_wal=state == "damaged")
            tmp = target.with_name(f".{target.name}.restoring")
            with contextlib.closing(_connect(source, read_only=True)) as src:
                copy_database(src, tmp, check=False)  # verified above, in full
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"Could not restore {target} ({_reason(exc)}); "
                              "the store was not changed.") from exc
        for suffix in ("-wal", "-shm"):  # a journal of the old file must not meet the new
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        with contextlib.suppress(OSError):
            _fsync(target.parent)
    return verified, safety


@contextlib.contextmanager
def _exclusive(target: Path) -> Iterator[str]:
    """Hold the store exclusively while it is replaced; yield what it is: ``"store"``,
    ``"other"`` (an SQLite database, not a store), ``"damaged"`` (SQLite cannot read it)
    or ``"none"`` (missing or empty).

    Leaving WAL mode needs every other connection closed, so it doubles as the check that
    no other window or program has the store open. It also folds the ``-wal`` file into
    the main file, so the safety copy is one file.
    """
    if not target.exists() or target.stat().st_size == 0:
        yield "none"
        return
    busy = BackupError(f"{target} is open in another window or program; close it there "
                       "and restore again.")
    conn = sqlite3.connect(str(target), timeout=2, isolation_level=None)
    try:
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            conn.execute("BEGIN EXCLUSIVE")
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            state = "store" if {"store_meta", "audit_events"} <= names else "other"
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise busy from exc
            state = "damaged"
        except sqlite3.DatabaseError:
            state = "damaged"  # not SQLite, or damaged: copied byte for byte instead
        else:
            if str(mode).lower() != "delete":
                raise busy
        yield state
    finally:
        conn.close()


def _is_locked(exc: sqlite3.Error) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _raw_copy(source: Path, dest: Path, *, with_wal: bool) -> None:
    """Byte-for-byte copy (the store may be damaged, so SQLite cannot be asked to copy it)."""
    tmp = dest.with_name(f".{dest.name}.partial")
    shutil.copyfile(source, tmp)
    _fsync(tmp)
    os.replace(tmp, dest)
    wal = Path(f"{source}-wal")
    if with_wal and wal.exists():
        shutil.copyfile(wal, f"{dest}-wal")


def recovery_hint(store_path: str | Path) -> tuple[Backup | None, str]:
    """The newest backup of a store, and a sentence naming it (or saying there is none)."""
    newest = newest_backup(store_path)
    if newest is None:
        return None, f"No backup of it was found in {backup_dir(store_path)}."
    taken = newest.taken_at.strftime("%Y-%m-%d %H:%M UTC")
    return newest, f"The newest backup is {newest.path} (taken {taken})."


__all__ = [
    "KEEP",
    "MIN_AGE",
    "AutoBackup",
    "Backup",
    "BackupError",
    "NotAStoreError",
    "Verified",
    "auto_backup",
    "backup_dir",
    "backup_to",
    "copy_database",
    "list_backups",
    "newest_backup",
    "recovery_hint",
    "restore",
    "verify_backup",
]
