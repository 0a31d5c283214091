"""Backup files, read and written only through SQLite: errors, checks, and making a copy
that appears under its name only when whole and never takes an existing file's name.

The rest of backups (names, listing, rotation, which backup to offer) is in
careplan.store.backup; restoring in careplan.store.restore.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from careplan.store import migrations, secure, sqlite
from careplan.store.errors import StoreError


class BackupError(StoreError):
    """A backup could not be made or restored, or a file offered for restore is unsound.

    ``concerns`` says which file the sentence is about when it is the file's path that
    is wrong (a folder, a device, missing, read-only): ``"store"`` or ``"backup"``; the
    command line then names its option.
    """

    def __init__(self, message: str,
                 concerns: Literal["store", "backup"] | None = None) -> None:
        super().__init__(message)
        self.concerns = concerns


class OtherStoreError(BackupError):
    """The backup offered for restore was taken from another store than the one it
    would replace."""


@dataclass(frozen=True, slots=True)
class Verified:
    """What a sound backup file holds."""

    schema_version: int
    store_id: str
    persons: int
    #: Opened with the store's key (False: a plain file, say one taken before the store
    #: was encrypted).
    encrypted: bool = False


# -- reading a store or a backup through SQLite ----------------------------------------


def connect_file(path: Path, *, read_only: bool = False,
                 key: bytes | None = None) -> sqlite.Connection:
    """A connection to a store or backup file (with its key, when it is encrypted)."""
    if read_only:
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        return sqlite.connect(uri, uri=True, timeout=10, key=key)
    return sqlite.connect(str(path), timeout=10, key=key)


def store_id_of(path: str | Path, key: bytes | None = None) -> str | None:
    """The store id recorded in a store or backup file, or None when it cannot be read.

    Read through a read-only SQLite connection, never a plain file handle: this may run
    while the desktop app has the same file open, and closing a plain handle on it would
    drop the app's locks.
    """
    file = Path(path)
    try:
        if not file.is_file() or file.stat().st_size == 0:
            return None
        with contextlib.closing(connect_file(file, read_only=True, key=key)) as conn:
            row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'"
                               ).fetchone()
    except (OSError, sqlite.Error):
        if key is not None:  # a plain backup made before the store was encrypted
            return store_id_of(file)
        return None
    return None if row is None else str(row[0])


# -- making copies ---------------------------------------------------------------------


def fsync_path(path: Path) -> None:
    # Only ever on a file of our own making that no SQLite connection has open (a copy
    # just closed, or a folder): closing this descriptor drops no one's locks.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def place_new(tmp: Path, dest: Path) -> None:
    """Give the finished file ``tmp`` the name ``dest``, which must not exist yet.

    A hard link fails when the name is taken, in one step, so no existing file is ever
    replaced. Filesystems without hard links (FAT on a USB stick) get the name claimed
    with an exclusive create first, and then the file renamed over that empty claim.

    Raises:
        FileExistsError: ``dest`` exists (``tmp`` is left as it was).
    """
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV,
                             errno.EMLINK, errno.ENOSYS):
            raise
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(tmp, dest)
        return
    tmp.unlink()


def copy_database(source: sqlite.Connection, dest: Path, *, check: bool = True,
                  key: bytes | None = None, source_key: bytes | None | bool = True) -> None:
    """Copy an open database to ``dest`` (a new file) through the online backup API.

    The copy is one self-contained file (rollback journal, no ``-wal``), checked with
    ``quick_check`` when ``check`` is set, and appears under its name only when whole;
    an existing ``dest`` is never replaced. ``key``: the source's key, when it is
    encrypted; the copy is encrypted with the same key. The copy is mode 0600.
    ``source_key``: the source's own key when it differs from ``key`` (None: a plain
    source): the copy is then made with SQLCipher's ``sqlcipher_export`` (``careplan
    encrypt``, or a plain backup restored into an encrypted store).

    Raises:
        BackupError: the copy failed its check.
        FileExistsError: ``dest`` exists (it is left as it was).
        sqlite.Error, OSError: the copy could not be written (disk full, no access).
    """
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    tmp.unlink(missing_ok=True)
    try:
        with secure.private():
            out = sqlite.connect(str(tmp), key=key)
        try:
            if source_key is True or source_key == key:
                source.backup(out)
            else:
                out.close()
                _export(source, tmp, key)
                out = sqlite.connect(str(tmp), key=key)
            out.execute("PRAGMA journal_mode = DELETE")
            result = out.execute("PRAGMA quick_check").fetchone()[0] if check else "ok"
        finally:
            out.close()
        if result != "ok":
            raise BackupError(f"The copy of the store failed its check ({result}).")
        secure.tighten(tmp)
        fsync_path(tmp)
        place_new(tmp, dest)
        with contextlib.suppress(OSError):  # not every platform can fsync a folder
            fsync_path(dest.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _export(source: sqlite.Connection, tmp: Path, key: bytes | None) -> None:
    """Copy every table, index, trigger and the schema version of ``source`` into the new
    file ``tmp``, encrypted with ``key`` (or plain), with SQLCipher's own export."""
    tmp.unlink(missing_ok=True)
    version = int(source.execute("PRAGMA user_version").fetchone()[0])
    with secure.private():
        source.execute(f"ATTACH DATABASE ? AS careplan_copy {sqlite.attach_key(key)}",
                       (str(tmp),))
    try:
        source.execute("SELECT sqlcipher_export('careplan_copy')").fetchall()
        source.execute(f"PRAGMA careplan_copy.user_version = {version}")
    finally:
        source.execute("DETACH DATABASE careplan_copy")


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)


# -- checking ------------------------------------------------------------------------------


def check_backup_path(file: Path) -> None:
    """The file offered as a backup is a readable, non-empty regular file.

    Raises:
        BackupError: one sentence saying what it is instead.
    """
    try:
        if file.is_dir():
            raise BackupError(f"{file} is a folder, not a backup file.", "backup")
        if not file.exists():
            raise BackupError(f"There is no file {file}.", "backup")
        if not file.is_file():
            raise BackupError(f"{file} is not a file but a device or a pipe, so it "
                              "cannot be a backup.", "backup")
        if file.stat().st_size == 0:
            raise BackupError(f"{file} is empty, so it is not a CarePlan backup.", "backup")
    except OSError as exc:
        raise BackupError(f"{file} cannot be read ({reason(exc)}).", "backup") from exc
    if not os.access(file, os.R_OK):
        raise BackupError(f"{file} cannot be read (permission denied).", "backup")


def verify_backup(path: str | Path, key: bytes | None = None) -> Verified:
    """Check a file offered for restore in full: whole, a CarePlan store, not from a
    newer version. Read only through SQLite (see ``store_id_of``).

    Raises:
        BackupError: with a sentence saying what is wrong.
    """
    file = Path(path)
    check_backup_path(file)
    return _inspect(file, "integrity_check", key)


def _inspect(file: Path, check: str, key: bytes | None = None) -> Verified:
    if key is not None:
        try:
            return _inspect_with(file, check, key)
        except BackupError as exc:
            # A plain backup taken before the store was encrypted is still its backup.
            if not isinstance(exc.__cause__, sqlite.DatabaseError) or \
                    sqlite.error_name(exc.__cause__) != "SQLITE_NOTADB":
                raise
            try:
                return _inspect_with(file, check, None)
            except BackupError:
                raise exc from None
    return _inspect_with(file, check, None)


def _inspect_with(file: Path, check: str, key: bytes | None) -> Verified:
    try:
        with contextlib.closing(connect_file(file, read_only=True, key=key)) as conn:
            result = ", ".join(str(r[0]) for r in conn.execute(f"PRAGMA {check}"))
            if result != "ok":
                raise BackupError(f"{file} is damaged (integrity check: {result[:200]}).")
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
    except sqlite.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
            if key is not None:
                raise BackupError(f"{file} cannot be opened with this store's key: it is "
                                  "damaged, or it is another store's backup.") from exc
            raise BackupError(f"{file} is not a CarePlan backup (it is not an SQLite "
                              "database, or it is encrypted: sign in to restore it).") from exc
        raise BackupError(f"{file} is damaged or is not a CarePlan store ({exc}).") from exc
    return Verified(version, str(row[0]), persons, key is not None)


def sound(file: Path, key: bytes | None = None) -> Verified | None:
    """What a backup holds if it passes ``quick_check`` and is a store this version
    understands; None otherwise."""
    try:
        return _inspect(file, "quick_check", key)
    except (BackupError, OSError):
        return None
