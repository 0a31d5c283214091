"""Files only their owner may read: stores, their ``-wal``/``-shm``, keyrings and backups
are made mode 0600, and the folders CarePlan makes for them 0700.

Files are created under a umask of 077 (so they are never readable by others, not even
for a moment) and given their mode again afterwards (a file system or an earlier umask
may have had its say). SQLite makes a store's ``-wal`` and ``-shm`` with the store file's
own permissions, so a 0600 store has 0600 companions. Folders the user chose (the one a
``--db`` names) are left as they are; only folders CarePlan makes are narrowed.

The umask belongs to the whole process: it is changed under a lock and put back, so two
threads never restore each other's.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_UMASK = 0o077
_lock = threading.RLock()


@contextlib.contextmanager
def private() -> Iterator[None]:
    """Whatever is created meanwhile, by this process, is its owner's only."""
    with _lock:
        old = os.umask(_UMASK)
        try:
            yield
        finally:
            os.umask(old)


def tighten(path: str | Path) -> None:
    """Give a file CarePlan made mode 0600 (a folder 0700), if it is not already; a file
    system that keeps no modes (FAT) is left as it is."""
    with contextlib.suppress(OSError):
        info = os.stat(path)
        mode = FOLDER_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
        if stat.S_IMODE(info.st_mode) != mode:
            os.chmod(path, mode)


def tighten_store(path: str | Path) -> None:
    """A store file and whichever of its ``-wal``, ``-shm`` and ``-journal`` exist."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{path}{suffix}")
        if suffix == "" or candidate.exists():
            tighten(candidate)


def make_folder(path: str | Path) -> Path:
    """A folder CarePlan keeps stores or backups in: made 0700 if it is new (a folder
    that exists is left as it is: the user may have chosen it)."""
    folder = Path(path)
    with private():
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            return folder
    tighten(folder)
    return folder


def make_folders(path: str | Path) -> Path:
    """Like :func:`make_folder`, with its missing parents (each new one 0700)."""
    folder = Path(path)
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for item in reversed(missing):
        make_folder(item)
    return folder


def write_file_whole(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` (mode 0600) so that it is there whole or not at all: a
    temporary file beside it, flushed, then renamed over it (``replace``) or linked to a
    name that must still be free.

    Raises:
        FileExistsError: ``replace`` is false and ``path`` exists.
        OSError: it could not be written.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with private():
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tighten(tmp)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def copy_file(source: Path, dest: Path, *, replace: bool = False) -> None:
    """Copy a small file that is no database (a keyring) to ``dest``, whole, mode 0600.

    Raises:
        FileExistsError: ``replace`` is false and ``dest`` exists.
        OSError: it could not be read or written.
    """
    write_file_whole(dest, source.read_bytes(), replace=replace)


__all__ = ["FILE_MODE", "FOLDER_MODE", "copy_file", "make_folder", "make_folders", "private",
           "tighten", "tighten_store", "write_file_whole"]
