"""Backups of a store: automatic copies kept in generations, one-off copies, and finding
the backup to restore from (restoring itself is in careplan.store.restore).

Where: a ``backups`` folder beside the store file. Beside the store rather than under the
user's data folder so that a store on a shared or removable drive keeps its backups with
it, and so that whoever finds a damaged store finds its backups next to it.

Names: ``<stem>-<YYYYMMDD-HHMMSS UTC>-<id>.db``, where ``<id>`` is the first eight hex
digits of the store's id (``store_meta.store_id``, a UUID; a digest of any other id), so
that two stores with the same stem in one folder (``care.db`` and ``care.sqlite``, or a
store deleted and made anew) never share a rotation. The name is what listing and
rotation go by (no file need be opened); whether a backup really is this store's is
checked from its ``store_meta`` before it is offered for a restore, and a restore
compares the full ids. Backups named the older way, ``<stem>-<YYYYMMDD-HHMMSS>.db``,
are still recognised: whose they are is read from their ``store_meta`` through SQLite.
When the store's own id cannot be read (it is missing or damaged), the backups of every
store with that stem are listed, since any of them may be what is wanted; rotation then
deletes nothing.

Every copy is made with SQLite's online backup API (consistent even while another
window is writing), written under a temporary name, checked with ``PRAGMA quick_check``
and only then given its name, which it never takes from an existing file: a backup in
the folder is always whole.

Which automatic backups are kept (:func:`retained`), counting UTC calendar days, ISO
weeks and calendar months that have at least one backup of this store, not the days
on the clock (so a store left alone for a month keeps its history):

- the newest backup of each of the 7 most recent days with a backup,
- the newest backup of each of the 4 most recent weeks with a backup,
- the newest backup of each of the 6 most recent months with a backup,
- and, whatever its age, the newest backup that passes its check and has persons in it:
  a store emptied by mistake and then backed up many times still keeps the last copy of
  the caseload.

So at most 7 + 4 + 6 + 1 = 18 are kept; the newest is always among them (it is the
newest of its day). Within a day only the newest backup stays: the price of keeping six
months within that bound. Safety copies made before a restore (``<stem>-before-restore-...``)
are never removed automatically.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import re
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from careplan.store import keyring, secure, sqlite
from careplan.store.backup_files import (
    BackupError,
    OtherStoreError,
    Verified,
    connect_file,
    copy_database,
    reason,
    sound,
    store_id_of,
    verify_backup,
)
from careplan.store.errors import NotAStoreError, StoreError

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
#: An automatic backup is skipped when the newest one is younger than this.
MIN_AGE = timedelta(hours=1)
_STAMP = "%Y%m%d-%H%M%S"
#: Characters of the store id kept in a backup's name.
SHORT_ID = 8


@dataclass(frozen=True, slots=True)
class Backup:
    """One automatic backup of a store. ``store_id`` is the short id (eight characters)
    of the store it was taken from, when known."""

    path: Path
    taken_at: datetime
    store_id: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Retention:
    """How many generations of automatic backups are kept (see the module docstring)."""

    days: int = 7
    weeks: int = 4
    months: int = 6


RETENTION = Retention()


def backup_dir(store_path: str | Path) -> Path:
    return Path(store_path).parent / BACKUP_DIR


def short_id(store_id: str) -> str:
    """The part of a store id that goes into a backup's name: its first eight hex digits
    (a store id is a UUID), or a digest of any other id."""
    head = store_id.replace("-", "").lower()[:SHORT_ID]
    if re.fullmatch(rf"[0-9a-f]{{{SHORT_ID}}}", head):
        return head
    return hashlib.sha256(store_id.encode()).hexdigest()[:SHORT_ID]


def _pattern(store_path: Path) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(store_path.stem)}-(\d{{8}}-\d{{6}})"
                      rf"(?:-([0-9a-f]{{{SHORT_ID}}}))?\.db")


def _backup_name(store_path: Path, now: datetime, store_id: str | None) -> str:
    tail = f"-{short_id(store_id)}" if store_id else ""
    return f"{store_path.stem}-{now.astimezone(UTC).strftime(_STAMP)}{tail}.db"


# -- listing -------------------------------------------------------------------------------


def list_backups(store_path: str | Path, *, every_store: bool = False,
                 key: bytes | None = None) -> list[Backup]:
    """The automatic backups of the store at ``store_path``, newest first.

    Only this store's (by store id), unless ``every_store`` or the store's id cannot be
    read (an encrypted store without ``key``, its key): then the backups of every store
    with this stem.
    """
    path = Path(store_path)
    return _backups(path, None if every_store else store_id_of(path, key))


def _backups(path: Path, store_id: str | None) -> list[Backup]:
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    pattern = _pattern(path)
    mine = short_id(store_id) if store_id else None
    found = []
    for entry in folder.iterdir():
        match = pattern.fullmatch(entry.name)
        if not match or not entry.is_file():
            continue
        owner = match.group(2)
        if owner is None:  # named the older way: ask the file itself
            full = store_id_of(entry)
            owner = short_id(full) if full else None
            if mine is not None and full != store_id:
                continue  # another store's, or unreadable: not provably this store's
        elif mine is not None and owner != mine:
            continue
        taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
        found.append(Backup(entry, taken, owner))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def newest_backup(store_path: str | Path, key: bytes | None = None) -> Backup | None:
    backups = list_backups(store_path, key=key)
    return backups[0] if backups else None


def list_safety_copies(store_path: str | Path) -> list[Path]:
    """Copies of the store taken before a restore (never removed automatically), newest
    first by name."""
    folder = backup_dir(store_path)
    if not folder.is_dir():
        return []
    stem = Path(store_path).stem
    found = [p for p in folder.glob(f"{glob.escape(stem)}-before-restore-*.db") if p.is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


# -- which backups are kept ----------------------------------------------------------------


def retained(backups: Sequence[Backup], policy: Retention = RETENTION,
             protected: Backup | None = None) -> list[Backup]:
    """The backups rotation keeps (newest first): the newest of each of the most recent
    ``policy.days`` days, ``weeks`` ISO weeks and ``months`` months that have a backup,
    plus ``protected``. Pure: decides from the times alone."""
    ordered = sorted(backups, key=lambda b: (b.taken_at, b.path.name), reverse=True)
    keep: list[Backup] = [protected] if protected is not None else []
    if ordered:
        keep.append(ordered[0])
    tiers: list[tuple[int, Callable[[datetime], Hashable]]] = [
        (policy.days, lambda t: t.date()),
        (policy.weeks, lambda t: tuple(t.isocalendar())[:2]),
        (policy.months, lambda t: (t.year, t.month)),
    ]
    for count, period in tiers:
        seen: set[Hashable] = set()
        for item in ordered:  # newest first: the first seen of a period is its newest
            key = period(item.taken_at.astimezone(UTC))
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.add(key)
            keep.append(item)
    unique = {b.path: b for b in keep}
    return sorted(unique.values(), key=lambda b: (b.taken_at, b.path.name), reverse=True)


def protected(backups: Sequence[Backup],
              persons: Callable[[Backup], int | None]) -> Backup | None:
    """The backup rotation must keep whatever its age: the newest whose ``persons`` (None
    when it fails its check) is above zero. Asks newest first and stops at the answer, as
    asking means checking the file."""
    for item in sorted(backups, key=lambda b: (b.taken_at, b.path.name), reverse=True):
        if persons(item):
            return item
    return None


def _rotate(path: Path, store_id: str, policy: Retention,
            fresh: tuple[Path, int] | None, key: bytes | None = None) -> None:
    """Delete this store's backups that :func:`retained` does not keep. ``fresh`` is the
    backup just made and its number of persons (already checked while it was made)."""
    mine = _backups(path, store_id)

    def persons(item: Backup) -> int | None:
        if fresh is not None and item.path == fresh[0]:
            return fresh[1]  # usually the answer, at once
        found = sound(item.path, key)
        return found.persons if found and found.store_id == store_id else None

    keep = {b.path for b in retained(mine, policy, protected(mine, persons))}
    for old in mine:
        if old.path in keep:
            continue
        # The name's eight digits could be another's too.
        owner = store_id_of(old.path, key)
        if owner is not None and owner != store_id:
            continue
        try:
            old.path.unlink()
            keyring.path_of(old.path).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("Could not remove the old backup %s: %s", old.path, exc)


def _marker(conn: sqlite.Connection) -> tuple[int, int, int]:
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


def auto_backup(store_path: str | Path, *, now: datetime | None = None,
                policy: Retention = RETENTION, min_age: timedelta = MIN_AGE,
                force: bool = False, key: bytes | None = None) -> AutoBackup:
    """Back up a store that is being opened for writing, then rotate its backups.

    Skipped (cheaply) for ``:memory:``, a store with nothing in it yet, when the newest
    backup is younger than ``min_age``, or when the store has not changed since it (unless
    ``force``). Opens its own connection, so it may run in any thread. Never raises for
    trouble with the disk: a failed backup is logged and reported in the result, and
    the store itself is never touched. ``key``: the store's key, when it is encrypted
    (the backup is encrypted with it, and the keyring is copied beside it).
    """
    if str(store_path) == ":memory:":
        return AutoBackup(None, "an in-memory store is not backed up")
    path = Path(store_path)
    now = now or datetime.now(UTC)
    if not path.is_file():
        return AutoBackup(None, "there is no store file")
    try:
        with contextlib.closing(connect_file(path, key=key)) as conn:
            row = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'"
                               ).fetchone()
            store_id = None if row is None else str(row[0])
            mine = _backups(path, store_id)
            newest = mine[0] if mine else None
            if not force and newest is not None and \
                    timedelta(0) <= now - newest.taken_at < min_age:
                return AutoBackup(None, f"the newest backup is less than {min_age} old")
            marker = _marker(conn)
            if marker[1] == 0:
                return AutoBackup(None, "the store is empty")
            if not force and newest is not None and _unchanged(newest.path, marker, key):
                return AutoBackup(None, "the store has not changed since the newest backup")
            dest = backup_dir(path) / _backup_name(path, now, store_id)
            if dest.exists():
                return AutoBackup(None, "a backup was taken this second")
            make_backup_dir(path)
            _remove_stale_partials(dest.parent, path.stem)
            try:
                copy_database(conn, dest, key=key)
            except FileExistsError:  # another process took one this very second
                return AutoBackup(None, "a backup was taken this second")
            keep_keyring(path, dest)
        persons = _persons(dest, key)
    except (OSError, sqlite.Error, StoreError) as exc:
        log.warning("Could not back up %s: %s", path, exc)
        return AutoBackup(None, f"the backup failed ({exc})")
    if store_id is not None:  # whose backups are whose is unknown otherwise: keep all
        _rotate(path, store_id, policy, (dest, persons), key)
    return AutoBackup(dest, "backed up")


def make_backup_dir(store_path: str | Path) -> Path:
    """The store's ``backups`` folder, made (mode 0700) if there is none."""
    return secure.make_folder(backup_dir(store_path))


def keep_keyring(store_path: str | Path, dest: Path) -> None:
    """Copy an encrypted store's keyring beside its backup ``dest`` (``dest.keys``): a
    backup cannot be opened without it if the store's own is lost. Nothing for a plain
    store (it has none). Trouble is logged: the backup itself is whole."""
    source = keyring.path_of(store_path)
    if not source.is_file():
        return
    try:
        secure.copy_file(source, keyring.path_of(dest), replace=True)
    except OSError as exc:
        log.warning("Could not copy the keyring beside the backup %s: %s", dest, exc)


def _persons(backup: Path, key: bytes | None = None) -> int:
    try:
        with contextlib.closing(connect_file(backup, read_only=True, key=key)) as conn:
            return int(conn.execute("SELECT count(*) FROM persons").fetchone()[0])
    except sqlite.DatabaseError:
        if key is None:
            raise
        return _persons(backup)  # a plain backup, taken before the store was encrypted


def describe(backup: Path, key: bytes | None = None) -> str:
    """How many persons a backup holds, for listing it (not a check of the whole file)."""
    try:
        count = _persons(backup, key)
    except sqlite.Error:
        return "unreadable"
    return "1 person" if count == 1 else f"{count:,} persons"


def _remove_stale_partials(folder: Path, stem: str) -> None:
    """Half-made copies left by a crash (a day old: a younger one may be in progress)."""
    for stale in folder.glob(f".{glob.escape(stem)}-*.partial"):
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > 86_400:
                stale.unlink()


def _unchanged(backup: Path, marker: tuple[int, int, int], key: bytes | None = None) -> bool:
    try:
        with contextlib.closing(connect_file(backup, read_only=True, key=key)) as conn:
            return _marker(conn) == marker
    except sqlite.Error:
        return False  # an unreadable backup does not count as a copy of anything


def backup_to(conn: sqlite.Connection, dest: Path, key: bytes | None = None,
              store_path: str | Path | None = None) -> None:
    """A one-off, checked copy of an open store at ``dest`` (which must not exist),
    encrypted with ``key`` when the store is, its keyring beside it (``store_path``)."""
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name.")
    if not dest.parent.is_dir():
        raise BackupError(f"The folder {dest.parent} does not exist.")
    try:
        copy_database(conn, dest, key=key)
    except FileExistsError:
        raise BackupError(f"{dest} already exists; choose a new file name.") from None
    except (OSError, sqlite.Error) as exc:
        raise BackupError(f"Could not write the backup {dest} ({reason(exc)}); "
                          "the store was not changed.") from exc
    if store_path is not None:
        keep_keyring(store_path, dest)


def newest_good_backup(store_path: str | Path, key: bytes | None = None) -> Backup | None:
    """The backup to offer for restoring this store: the newest of its backups that
    passes ``quick_check``, is this store's and has a schema this version understands;
    and, when any such backup has persons in it, the newest that has."""
    path = Path(store_path)
    store_id = store_id_of(path, key)
    fallback = None
    for item in _backups(path, store_id):
        found = sound(item.path, key)
        if found is None or (store_id is not None and found.store_id != store_id):
            continue
        if found.persons:
            return item
        fallback = fallback or item
    return fallback


def recovery_hint(store_path: str | Path, key: bytes | None = None
                  ) -> tuple[Backup | None, str]:
    """The backup to restore a store from (:func:`newest_good_backup`), and a sentence
    naming it (or saying there is none). An encrypted store's backups are checked with
    ``key``; without it, only the newest is named, unchecked."""
    if key is None and keyring.exists(store_path):
        newest = newest_backup(store_path)
        if newest is None:
            return None, f"No backup of it was found in {backup_dir(store_path)}."
        taken = newest.taken_at.strftime("%Y-%m-%d %H:%M UTC")
        return newest, f"The newest backup is {newest.path} (taken {taken})."
    good = newest_good_backup(store_path, key)
    every = list_backups(store_path, key=key)
    folder = backup_dir(store_path)
    if good is None:
        if not every:
            return None, f"No backup of it was found in {folder}."
        return None, (f"None of its {len(every)} backups in {folder} passes its check, so "
                      "none can be restored.")
    taken = good.taken_at.strftime("%Y-%m-%d %H:%M UTC")
    newer = sum(1 for b in every if b.taken_at > good.taken_at)
    if not newer:
        return good, f"The newest backup is {good.path} (taken {taken})."
    others = ("the newer one is damaged or holds no persons" if newer == 1 else
              f"the {newer} newer ones are damaged or hold no persons")
    return good, f"The newest good backup is {good.path} (taken {taken}; {others})."


def restore(store_path: str | Path, backup: str | Path, now: datetime | None = None, *,
            other_store: bool = False, key: bytes | None = None
            ) -> tuple[Verified, Path | None]:
    """Replace the store with a verified backup (see careplan.store.restore.restore)."""
    from careplan.store import restore as restoring  # it builds on this module

    return restoring.restore(store_path, backup, now, other_store=other_store, key=key)


__all__ = [
    "MIN_AGE",
    "RETENTION",
    "AutoBackup",
    "Backup",
    "BackupError",
    "NotAStoreError",
    "OtherStoreError",
    "Retention",
    "Verified",
    "auto_backup",
    "backup_dir",
    "backup_to",
    "copy_database",
    "describe",
    "list_backups",
    "keep_keyring",
    "list_safety_copies",
    "make_backup_dir",
    "newest_backup",
    "newest_good_backup",
    "protected",
    "recovery_hint",
    "restore",
    "retained",
    "store_id_of",
    "verify_backup",
]
