"""``careplan backup`` and ``careplan restore``: copies of a store, and putting one back.

Automatic backups are also taken whenever a command or the desktop app opens a store to
write in it (see careplan.store.backup); these commands are for doing it by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from careplan.commands.common import UserError, open_store
from careplan.export import outfile
from careplan.store import backup


def register(sub: Any) -> None:
    p = sub.add_parser("backup", help="copy a store safely, even while it is in use")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")
    p.add_argument("--out", metavar="FILE",
                   help="the new backup file (default: a new automatic backup in "
                        f"{backup.BACKUP_DIR}/ beside the store)")
    p.add_argument("--list", action="store_true", help="list the automatic backups instead")
    p.set_defaults(handler=run_backup)

    r = sub.add_parser("restore", help="replace a store with a backup (checked first)")
    r.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="the store to replace")
    r.add_argument("--from", dest="source", metavar="FILE", required=True,
                   help="the backup to restore")
    r.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    if args.list:
        if not db:
            raise UserError("--db: name a store file, e.g. --db careplan.db.")
        found = backup.list_backups(db)
        if not found:
            print(f"No automatic backups of {db} in {backup.backup_dir(db)}.")
        for item in found:
            print(f"{item.taken_at:%Y-%m-%d %H:%M:%S} UTC  {item.path}")
        return 0
    if args.out:
        try:  # before the store is opened: never the store, its WAL or SHM, or a device
            outfile.check(args.out, db, new_file=True)
        except outfile.OutRefused as exc:
            raise UserError(f"{exc}.") from None
    with open_store(db) as store:
        if args.out:
            backup.backup_to(store.conn, Path(args.out))
            made = Path(args.out)
        else:
            result = backup.auto_backup(store.path, force=True)
            if result.path is None:
                raise UserError(f"No backup was made: {result.reason}.")
            made = result.path
    size_kb = made.stat().st_size // 1024
    print(f"Backed up {db} to {made} ({size_kb:,} KB, checked).")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    if not db:
        raise UserError("--db: name the store to restore, e.g. --db careplan.db.")
    try:
        verified, safety = backup.restore(db, args.source)
    except backup.BackupError as exc:
        raise UserError(f"Not restored: {exc}") from None
    print(f"Restored {db} from {args.source} (schema {verified.schema_version}, "
          f"{verified.persons:,} persons).")
    if safety is not None:
        print(f"The store as it was before is kept at {safety}.")
    return 0
