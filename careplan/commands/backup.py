"""``careplan backup`` and ``careplan restore``: copies of a store, and putting one back.

Automatic backups are also taken whenever a command or the desktop app opens a store to
write in it (see careplan.store.backup); these commands are for doing it by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from careplan.commands.common import (
    UNLOCK_HELP,
    UserError,
    add_user_option,
    open_store,
    unlock,
)
from careplan.export import outfile
from careplan.store import backup, keyring


def register(sub: Any) -> None:
    p = sub.add_parser("backup", help="copy a store safely, even while it is in use",
                       description="Copy a store safely, even while it is in use. No sign-in "
                                   "to an account: a backup is the whole file, guarded by who "
                                   "may read the file, and must work even when a damaged "
                                   "store's accounts cannot be read. An encrypted store is "
                                   "unlocked with --user (its keyring, not its accounts); its "
                                   "backup is encrypted the same way, its keyring copied "
                                   "beside it.")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")
    p.add_argument("--out", metavar="FILE",
                   help="the new backup file (default: a new automatic backup in "
                        f"{backup.BACKUP_DIR}/ beside the store)")
    p.add_argument("--list", action="store_true", help="list the automatic backups instead")
    add_user_option(p, UNLOCK_HELP)
    p.set_defaults(handler=run_backup)

    r = sub.add_parser("restore", help="replace a store with a backup (checked first)",
                       description="Replace a store with a backup, checked first; the store "
                                   "as it was is kept. No sign-in to an account: it replaces "
                                   "the whole file, guarded by who may write the file, and "
                                   "must work on a damaged store whose accounts cannot be "
                                   "read. An encrypted store is unlocked with --user (its "
                                   "keyring, not its accounts). The restored store has the "
                                   "backup's accounts; an encrypted store keeps its keyring.")
    r.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="the store to replace")
    r.add_argument("--from", dest="source", metavar="FILE", required=True,
                   help="the backup to restore")
    r.add_argument("--other-store", action="store_true",
                   help="restore it even though it is a backup of another store")
    add_user_option(r, UNLOCK_HELP + " (a store that lost its keyring is unlocked with the "
                       "backup's, FILE.keys)")
    r.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    if args.list:
        if not db:
            raise UserError("--db: name a store file, e.g. --db careplan.db.")
        _list(db, _key(db, args))
        return 0
    if args.out:
        try:  # before the store is opened: never the store, its WAL or SHM, or a device
            outfile.check(args.out, db, new_file=True)
        except outfile.OutRefused as exc:
            raise UserError(f"{exc}.") from None
    with open_store(db, args=args) as store:
        if args.out:
            backup.backup_to(store.conn, Path(args.out), store.key, store.path)
            made = Path(args.out)
        else:
            result = backup.auto_backup(store.path, force=True, key=store.key)
            if result.path is None:
                raise UserError(f"No backup was made: {result.reason}.")
            made = result.path
    size_kb = made.stat().st_size // 1024
    print(f"Backed up {db} to {made} ({size_kb:,} KB, checked).")
    return 0


def _key(db: str, args: argparse.Namespace, backup_file: str | None = None) -> bytes | None:
    """The key of an encrypted store, unwrapped with --user's password from its keyring
    (or, when the store has lost its own, from the backup's); None for a plain store."""
    if keyring.exists(db):
        return unlock(db, args)[0]
    if backup_file is not None and keyring.exists(backup_file):
        return unlock(backup_file, args)[0]
    return None


def _list(db: str, key: bytes | None) -> None:
    """This store's automatic backups (with how many persons each holds, so the one with
    the caseload is easy to find), then its safety copies, then a word about backups of
    other stores with the same name in the folder."""
    folder = backup.backup_dir(db)
    found = backup.list_backups(db, key=key)
    if not found:
        print(f"No automatic backups of {db} in {folder}.")
    for item in found:
        print(f"{item.taken_at:%Y-%m-%d %H:%M:%S} UTC  {backup.describe(item.path, key):>13}  "
              f"{item.path}")
    safety = backup.list_safety_copies(db)
    if safety:
        print("Kept from before a restore (never removed automatically):")
        for path in safety:
            print(f"  {path}")
    others = len(backup.list_backups(db, every_store=True)) - len(found)
    if others > 0:
        print(f"Not shown: {others} backup{'s' if others > 1 else ''} in {folder} of "
              "another store with the same name.")


def run_restore(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    if not db:
        raise UserError("--db: name the store to restore, e.g. --db careplan.db.")
    key = _key(db, args, args.source)
    current = backup.store_id_of(db, key)
    try:
        verified, safety = backup.restore(db, args.source, other_store=args.other_store,
                                          key=key)
    except backup.OtherStoreError as exc:
        raise UserError(f"Not restored: {exc}; give --other-store to restore it "
                        "anyway.") from None
    except backup.BackupError as exc:
        if exc.concerns is not None:  # the path itself is wrong: name its option
            option = "--db" if exc.concerns == "store" else "--from"
            raise UserError(f"{option}: {exc}") from None
        raise UserError(f"Not restored: {exc}") from None
    if current is not None and current != verified.store_id:
        sys.stderr.write(f"careplan: warning: {db} (store {current}) now holds a backup of "
                         f"another store ({verified.store_id}), as --other-store asked.\n")
    print(f"Restored {db} from {args.source} (schema {verified.schema_version}, "
          f"{verified.persons:,} persons).")
    if safety is not None:
        print(f"The store as it was before is kept at {safety}.")
    return 0
