"""Putting a backup back: replace a store with a verified backup, keeping the store as it
was in a safety copy first.

Holding the store while it is replaced. Nobody else may have it open: a write made by
another window after the safety copy would land in a file about to be unlinked.

- First, before this process opens any SQLite connection to the store, the locks SQLite
  takes are tried by hand on one descriptor each: the pending, reserved and shared bytes
  of the file, and the lock bytes of the ``-shm`` file, whose "open" byte every WAL
  connection holds shared for as long as it has the store open. Any of them held by
  another process means the store is in use. SQLite's own check below sees only locks
  on the main file, and those a process can lose by closing any plain handle on the file
  (as opening a second connection did in the desktop app); the ``-shm`` lock survives.
- A store SQLite can read is then held by SQLite itself. One connection leaves WAL mode
  (refused while another connection holds a lock) and takes an EXCLUSIVE lock in
  exclusive locking mode, so it keeps the lock after its transaction ends (the backup API
  refuses a source in a write transaction); the safety copy is made through that same
  connection with the backup API, which copies pages as they are, damaged ones included.
  No plain file handle is opened on the store meanwhile: closing one would drop that
  connection's locks (SQLite's "How To Corrupt An SQLite Database File", 2.2).
- A store SQLite cannot read (damaged header or schema, or not SQLite at all) must be
  copied byte for byte. The SQLite connection is closed first, and the store is held by
  hand: the same locks as in the first step, now kept, on one descriptor that stays open
  from the lock to the final rename and through which the copy is read. Another
  process's SQLite sees an exclusive lock and gives up with "busy". With no SQLite
  connection to the file left in this process, closing that descriptor drops only the
  locks it took itself. (Reading through a descriptor beside a live connection was the
  alternative; it is not safe: whenever that descriptor closes, the connection's locks
  go with it.)

So ``restore`` must be called while this process has no connection to the store open
(the command line has none; the desktop app closes its store first): POSIX locks are the
process's, so one of its own connections is invisible to these checks and would lose its
locks when the descriptors close.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from careplan.store import keyring, secure, sqlite
from careplan.store.backup import keep_keyring, list_backups, make_backup_dir
from careplan.store.backup_files import (
    BackupError,
    OtherStoreError,
    Verified,
    connect_file,
    copy_database,
    place_new,
    reason,
    store_id_of,
    verify_backup,
)

#: SQLite's lock bytes in a database file (os_unix.c): PENDING, RESERVED, then the
#: 510-byte SHARED range. A write lock on all of them is what an EXCLUSIVE lock is.
_PENDING_BYTE = 0x40000000
_LOCK_SPAN = 512
#: SQLite's lock bytes in a ``-shm`` file: eight WAL locks from 120, then the "DMS" byte
#: (128) that every connection holds shared while it has the store open.
_SHM_LOCK_START, _SHM_LOCK_SPAN = 120, 9
_SIDECARS = ("-wal", "-journal")


def restore(store_path: str | Path, backup: str | Path, now: datetime | None = None, *,
            other_store: bool = False, key: bytes | None = None
            ) -> tuple[Verified, Path | None]:
    """Replace the store with a verified backup; return what it holds and the safety copy.

    The store as it was (even if damaged) is first copied to
    ``backups/<name>-before-restore-<time to the microsecond>[-<n>].db``, a name never
    taken from an existing file and never rotated away. The backup is then copied beside
    the store and renamed over it in one step, so a crash leaves either the old store or
    the restored one, never a mixture.

    ``key``: the store's key when it is encrypted. The backup is verified with it (a plain
    backup taken before the store was encrypted is encrypted on its way back), the safety
    copy is encrypted with it, and the store's keyring stays as it is (the key never
    changes); a store that has lost its keyring gets the backup's.

    Raises:
        BackupError: the backup is not sound, the store is open elsewhere, a path is a
            folder, a device, read-only or in a missing folder, or the file at
            ``store_path`` is not a store and has no backups (nothing is changed).
        OtherStoreError: the backup was taken from another store, and ``other_store``
            was not given.
    """
    target, source = Path(store_path), Path(backup)
    check_target(target)
    verified = verify_backup(source, key)
    if target.exists() and target.samefile(source):
        raise BackupError(f"{source} is the store itself; choose a backup to restore from.",
                          "backup")
    if not other_store:  # asked first without a lock, so a refusal changes nothing at all
        _same_store(store_id_of(target, key), verified, source, target)
    now = now or datetime.now(UTC)
    with _exclusive(target, key) as held:
        if held.state in ("other", "notdb") and not list_backups(target, every_store=True):
            raise BackupError(f"{target} is not a CarePlan store and has no backups; "
                              "it was not replaced.")
        if not other_store:
            _same_store(held.store_id, verified, source, target)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
                               ".restoring")
        try:
            safety = _keep_as_it_was(held, target, now, key)
            source_key = key if verified.encrypted else None
            with contextlib.closing(connect_file(source, read_only=True,
                                                 key=source_key)) as src:
                # Verified above, in full.
                copy_database(src, tmp, check=False, key=key, source_key=source_key)
            _swap(tmp, target)
            if key is not None and not keyring.exists(target) and \
                    keyring.exists(source):
                secure.copy_file(keyring.path_of(source), keyring.path_of(target))
        except (OSError, sqlite.Error) as exc:
            raise BackupError(f"Could not restore {target} ({reason(exc)}); "
                              "the store was not changed.") from exc
        finally:
            tmp.unlink(missing_ok=True)
    return verified, safety


def _same_store(current: str | None, verified: Verified, source: Path, target: Path) -> None:
    if current is not None and current != verified.store_id:
        raise OtherStoreError(
            f"{source} is a backup of another store (id {verified.store_id}), not of "
            f"{target} (id {current})")


def check_target(target: Path) -> None:
    """The store to replace is a file (or nothing yet) in an existing folder, and both
    may be written: checked before anything is done, so a refusal changes nothing.

    ``os.access`` says no to a file marked immutable even for root, who may otherwise
    write anything.
    """
    where = target.parent
    if target.is_dir():
        raise BackupError(f"{target} is a folder, not a store file.", "store")
    if not where.is_dir():
        raise BackupError(f"The folder {where} does not exist.", "store")
    if target.exists():
        if not target.is_file():
            raise BackupError(f"{target} is not a file but a device or a pipe, so it "
                              "cannot be replaced.", "store")
        if not os.access(target, os.R_OK | os.W_OK):
            raise BackupError(f"{target} is read-only, so it cannot be replaced; "
                              "nothing was changed.", "store")
    if not os.access(where, os.W_OK | os.X_OK):
        raise BackupError(f"The folder {where} is read-only, so {target.name} cannot be "
                          "replaced; nothing was changed.", "store")


# -- holding the store ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Held:
    """The store while it is held: what it is, and how it is held (see the module
    docstring). ``state``: ``"none"`` (missing or empty), ``"store"``, ``"other"`` (an
    SQLite database, not a store), ``"damaged"`` (SQLite cannot read it) or ``"notdb"``
    (not an SQLite database at all)."""

    state: str
    store_id: str | None = None
    conn: sqlite.Connection | None = None
    fd: int | None = None


def _sidecars(target: Path) -> list[Path]:
    return [side for suffix in _SIDECARS
            if (side := Path(f"{target}{suffix}")).exists() and side.stat().st_size > 0]


def _busy(target: Path) -> BackupError:
    return BackupError(f"{target} is open in another window or program; close it there "
                       "and restore again.")


@contextlib.contextmanager
def _exclusive(target: Path, key: bytes | None = None) -> Iterator[_Held]:
    """Hold the store exclusively while it is replaced (see the module docstring).

    Raises:
        BackupError: another window or program has the store open.
    """
    if not target.exists():
        yield _Held("none")
        return
    if target.stat().st_size == 0:
        # Never opened with SQLite: it deletes the -wal of an empty database file, and the
        # -wal of a store cut to nothing may be all that is left of its work.
        with _locked_by_hand(target) as fd:
            yield _Held("damaged" if _sidecars(target) else "none", fd=fd)
        return
    with _locked_by_hand(target):
        pass  # only asks: raises if another process holds any of SQLite's locks
    conn = sqlite.connect(str(target), timeout=2, isolation_level=None, key=key)
    try:
        state, store_id = _hold(conn, target)
        if state in ("store", "other"):
            yield _Held(state, store_id, conn=conn)
            return
    finally:
        conn.close()
    # SQLite cannot read it: its connection is closed (above) before any descriptor opens.
    store_id = store_id_of(target, key) if state == "damaged" else None
    with _locked_by_hand(target) as fd:
        yield _Held(state, store_id, fd=fd)


def _hold(conn: sqlite.Connection, target: Path) -> tuple[str, str | None]:
    """Leave WAL mode and keep an EXCLUSIVE lock; say what the file is."""
    try:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise _busy(target)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        row = None
        if {"store_meta", "audit_events"} <= names:
            row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'"
                               ).fetchone()
        conn.execute("COMMIT")  # the lock stays: exclusive locking mode
    except sqlite.DatabaseError as exc:
        if _is_locked(exc):
            raise _busy(target) from exc
        return ("notdb" if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB"
                else "damaged"), None
    if not {"store_meta", "audit_events"} <= names:
        return "other", None
    return "store", None if row is None else str(row[0])


def _is_locked(exc: sqlite.Error) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


@contextlib.contextmanager
def _locked_by_hand(target: Path) -> Iterator[int]:
    """One descriptor on the store holding SQLite's own locks (see the module docstring);
    yields it for the byte-for-byte copy.

    Raises:
        BackupError: another process holds a lock on the store or its ``-shm`` file.
    """
    fd = os.open(target, os.O_RDWR)
    shm_fd = None
    try:
        if not _lock(fd, _PENDING_BYTE, _LOCK_SPAN):
            raise _busy(target)
        shm = Path(f"{target}-shm")
        if shm.exists():
            shm_fd = os.open(shm, os.O_RDWR)
            if not _lock(shm_fd, _SHM_LOCK_START, _SHM_LOCK_SPAN):
                raise _busy(target)
        yield fd
    finally:
        if shm_fd is not None:
            os.close(shm_fd)
        os.close(fd)


def _lock(fd: int, start: int, length: int) -> bool:
    """A write lock on a byte range, as SQLite takes them (POSIX record locks); False when
    another process holds any lock there."""
    if sys.platform == "win32":  # SQLite's locks there are mandatory: a copy would fail
        return True
    import fcntl

    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start, os.SEEK_SET)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise
    return True


# -- the safety copy and the swap ------------------------------------------------------------


def _keep_as_it_was(held: _Held, target: Path, now: datetime,
                    key: bytes | None = None) -> Path | None:
    """Copy the store as it is into a safety copy with a name of its own; None when there
    is nothing to keep."""
    if held.state == "none":
        return None
    folder = make_backup_dir(target)
    base = f"{target.stem}-before-restore-{now.astimezone(UTC):%Y%m%d-%H%M%S-%f}"
    for n in itertools.count(1):
        dest = folder / (f"{base}.db" if n == 1 else f"{base}-{n}.db")
        if dest.exists():
            continue  # cheap; placing the copy exclusively is what guarantees it
        try:
            if held.conn is not None:
                copy_database(held.conn, dest, check=False, key=key)
            else:  # SQLite cannot read it: byte for byte, through the holding descriptor
                assert held.fd is not None
                _copy_fd(held.fd, dest)
        except FileExistsError:
            continue
        _copy_sidecars(target, dest)
        keep_keyring(target, dest)
        return dest
    raise AssertionError("unreachable")


def _copy_sidecars(target: Path, dest: Path) -> None:
    """The store's ``-wal`` and ``-journal`` if any are left (SQLite folds a WAL it can
    read into the store when it leaves WAL mode; one it cannot read stays), which may hold
    committed work: kept beside the copy under the copy's name, where SQLite finds them
    if it is ever opened. SQLite takes no locks on these files, so reading them through
    a descriptor of their own drops none."""
    for side in _sidecars(target):
        side_fd = os.open(side, os.O_RDONLY)
        try:
            _copy_fd(side_fd, Path(f"{dest}{side.name.removeprefix(target.name)}"))
        finally:
            os.close(side_fd)


def _copy_fd(fd: int, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    with secure.private():
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            while chunk := os.read(fd, 1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
            os.fsync(out)
        finally:
            os.close(out)
        place_new(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _swap(tmp: Path, target: Path) -> None:
    """Rename the restored copy over the store.

    The old store's ``-wal``, ``-shm`` and ``-journal`` must not meet the new file (SQLite
    would apply them to it), so they are moved aside first, and moved back if the rename
    fails (the store is then as it was); their content is in the safety copy.
    """
    aside: list[tuple[Path, Path]] = []
    try:
        for suffix in ("-wal", "-shm", "-journal"):
            side = Path(f"{target}{suffix}")
            if side.exists():
                moved = tmp.with_name(f"{tmp.name}{suffix}")
                os.replace(side, moved)
                aside.append((moved, side))
        os.replace(tmp, target)
    except OSError:
        for moved, side in reversed(aside):
            with contextlib.suppress(OSError):
                os.replace(moved, side)
        raise
    for moved, _ in aside:
        moved.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not every platform can fsync a folder
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
