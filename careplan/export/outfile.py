"""Where an export may write, and how: one rule for the command line and the desktop.

An export never replaces the store it reads, that store's ``-wal``, ``-shm`` or
``-journal``, anything in its backups folder, any other SQLite database, or anything
that is not a regular file (a folder, device, pipe or socket, or a symbolic link),
however the path is spelled. Files are compared by identity (device and inode), names
by the identity of their folder: nothing is opened to compare, because closing a plain
handle on a store drops SQLite's locks on it.

The file is written under a hidden temporary name beside the target and renamed over
it only when whole, and only while the target is absent or a regular file; on any
failure the temporary file is removed and the old target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from careplan.store import keyring
from careplan.store.backup import backup_dir
from careplan.store.probe import is_sqlite_database

#: The store's own files: its name plus each of these endings, and what to call it.
STORE_FILES: tuple[tuple[str, str], ...] = (
    ("", "the store being exported"),
    ("-wal", "the store's write-ahead log"),
    ("-shm", "the store's shared-memory file"),
    ("-journal", "the store's rollback journal"),
    (".keys", "the store's keyring"),
)


class OutRefused(ValueError):
    """The file chosen to write is one an export must never replace.

    ``reason`` is the sentence without the option's name (the desktop has no ``--out``).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"--out: {reason}")
        self.reason = reason


def check(out: str | Path, store_path: str | Path | None, *, new_file: bool = False) -> Path:
    """``out`` as a Path, if an export of the store at ``store_path`` may write it.

    Args:
        out: the file to write.
        store_path: the store being read (None or ``":memory:"``: no store file).
        new_file: ``out`` must not exist yet (a backup), rather than may be replaced.

    Raises:
        OutRefused: see :func:`refusal`.
    """
    reason = refusal(out, store_path, new_file=new_file)
    if reason is not None:
        raise OutRefused(reason)
    return Path(out)


def refusal(out: str | Path, store_path: str | Path | None, *,
            new_file: bool = False) -> str | None:
    """Why ``out`` must not be written (a sentence without its full stop), or None."""
    path = Path(out)
    link = _stat(path, follow=False)
    target = _stat(path) if link is not None else None
    if store_path is not None and str(store_path) != ":memory:":
        clash = _store_clash(path, target, Path(store_path))
        if clash is not None:
            return f"{out} {clash}; choose another file"
    if link is not None and stat.S_ISLNK(link.st_mode):
        return f"{out} is a symbolic link; name the file itself"
    if target is not None and stat.S_ISDIR(target.st_mode):
        return f"{out} is a folder; name a file in it"
    if target is not None and not stat.S_ISREG(target.st_mode):
        return f"{out} is not a regular file (a device, pipe or socket); name a file"
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist"
    if target is not None and new_file:
        return f"{out} already exists; choose a new file name"
    if target is not None and path.name.endswith(keyring.SUFFIX) and \
            _stat(path.with_name(path.name.removesuffix(keyring.SUFFIX))) is not None:
        return f"{out} is the keyring of an encrypted store or backup, which is never replaced"
    if target is not None and is_sqlite_database(path):
        return f"{out} is an SQLite database (a store or a backup), which is never replaced"
    return None


def _stat(path: Path, *, follow: bool = True) -> os.stat_result | None:
    try:
        return os.stat(path, follow_symlinks=follow)
    except (OSError, ValueError):  # missing, a file as a folder, a NUL in the name...
        return None


def _same(a: os.stat_result | None, b: os.stat_result | None) -> bool:
    return a is not None and b is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _store_clash(path: Path, target: os.stat_result | None, store: Path) -> str | None:
    """How ``path`` is one of the store's own files or backups, or None."""
    if _stat(store) is None:
        return None  # no store there; opening it will say so
    for ending, what in STORE_FILES:
        if _same(target, _stat(Path(f"{store}{ending}"))):
            return f"is {what}"
    folder = _stat(path.parent)
    if folder is None:
        return None
    name = path.name.casefold()  # a case-insensitive disk sees S.DB-WAL as s.db-wal
    for base in (store, Path(os.path.realpath(store))):
        if _same(folder, _stat(base.parent)):
            for ending, what in STORE_FILES:
                if name == f"{base.name}{ending}".casefold():
                    return f"is {what}"
        if _same(folder, _stat(backup_dir(base))):
            return "is in the store's backups folder"
    return None


@contextlib.contextmanager
def replacing(out: str | Path) -> Iterator[Path]:
    """A new, hidden, empty file beside ``out`` for the caller to write.

    When the block ends normally the file is flushed to disk and renamed over ``out``
    (keeping the old file's permissions), provided ``out`` is still absent or a regular
    file; otherwise, and on any error, it is removed and ``out`` is left as it was.

    Raises:
        OutRefused: ``out`` became something other than a regular file meanwhile.
        OSError: the file could not be written (named as ``out``, not the temporary).
    """
    path = Path(out)
    tmp = path.with_name(f".{path.name[:160]}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        try:
            yield tmp
            _finish(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        if exc.filename not in (str(tmp), tmp):
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def _finish(tmp: Path, path: Path) -> None:
    old = _stat(path, follow=False)
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise OutRefused(f"{path} is no longer a regular file; nothing was written")
    if old is not None:
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
    fd = os.open(tmp, os.O_RDWR)  # read-only is not enough to flush on every system
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
