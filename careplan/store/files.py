"""The store file on disk: checks that never open it, and making a new one whole.

Two rules from SQLite's "How To Corrupt An SQLite Database File" shape this module:

- Nothing here opens a store (or its ``-wal``/``-shm``) with a plain file handle. On
  POSIX, closing any descriptor of a file drops every lock the process holds on it,
  SQLite's included; another process then believes nobody has the store open and
  deletes the WAL that this process is still writing into (section 2.2). Checks use
  ``os.stat`` only; what is *in* a file is read through SQLite.
- A new store appears under its name only when whole: it is built under a hidden
  temporary name and hard-linked into place, which fails if the name was taken
  meanwhile. So a file that exists but is empty (0 bytes, or an SQLite file with no
  tables) was never a store this program made, and is never silently made into one:
  it may be what is left of a real caseload.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from careplan.store import secure, sqlite
from careplan.store.errors import NotAStoreError, StoreError

#: A temporary file of a store being made, left behind by a crash, is removed when older.
STALE_AFTER_S = 3600


def check_path(path: Path, *, create: bool) -> bool:
    """Check ``path`` without opening it; return whether a store must be created there.

    Raises:
        StoreError: a folder, a missing file (and ``create`` is false), a missing folder,
            or something that is not a regular file.
        NotAStoreError: an empty (0-byte) file.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        if not create:
            raise StoreError(f"There is no store at {path}.") from None
        if not path.parent.is_dir():
            raise StoreError(f"The folder {path.parent} does not exist.") from None
        return True
    except OSError as exc:
        raise StoreError(f"{path} cannot be read ({(exc.strerror or str(exc)).lower()}).") \
            from None
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{path} is a folder, not a store file.")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path} is not a regular file (a device or a pipe), not a store.")
    if info.st_size == 0:
        raise NotAStoreError(f"{path} is an empty file (0 bytes), not a CarePlan store; "
                             "nothing was written to it")
    return False


def is_store_file(file: Path, db: str | None) -> bool:
    """Whether ``file`` is the store at ``db`` or its WAL, SHM or journal (by identity).

    Such a file must never be opened with a plain handle while the store is open:
    closing that handle would drop SQLite's locks (see this module).
    """
    if not db:
        return False
    try:
        target = file.stat()
    except OSError:
        return False
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            mine = Path(f"{db}{suffix}").stat()
        except OSError:
            continue
        if (mine.st_dev, mine.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def read_only_uri(path: Path) -> str:
    """An SQLite URI that opens ``path`` for reading only (it never creates a file)."""
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def create(path: Path, build: Callable[[sqlite.Connection], None], *,
           key: bytes | None = None) -> None:
    """Make a new store at ``path``: ``build`` fills a hidden temporary file, which is
    then linked into place. If another process made the store first, theirs is kept and
    this one discarded (both then open the same store). With ``key`` the store is
    encrypted with it. The file is its owner's only (mode 0600, careplan.store.secure)."""
    _remove_stale(path)
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    try:
        with secure.private():
            conn = sqlite.connect(str(tmp), isolation_level=None, key=key)
        try:
            build(conn)
        finally:
            conn.close()
        secure.tighten(tmp)
        _fsync(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return  # made by another process meanwhile: open that one
        except OSError as exc:
            # A file system without hard links (FAT on a memory stick): rename, checking
            # first, which leaves a moment in which two processes could both create.
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if path.exists():
                return
            os.replace(tmp, path)
        with contextlib.suppress(OSError):  # not every platform can fsync a folder
            _fsync(path.parent)
    except OSError as exc:
        raise StoreError(f"Could not create the store {path} "
                         f"({(exc.strerror or str(exc)).lower()}).") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _fsync(path: Path) -> None:
    """Flush a file this process has no SQLite connection to (a finished temporary file,
    or a folder): the one place a plain descriptor is safe."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(path: Path) -> None:
    """Temporary files of stores being made that a crash left behind (an hour old: a
    younger one may belong to a process still making it)."""
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f".{path.name}.new-*"):
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > STALE_AFTER_S:
                    stale.unlink()


__all__ = ["STALE_AFTER_S", "check_path", "create", "is_store_file", "read_only_uri"]
