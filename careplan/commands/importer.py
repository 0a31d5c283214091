"""``careplan import fhir FILE``: take a FHIR R4 Bundle or resource into a store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from careplan.commands.common import UserError, open_store, resolve_actor


def register(sub: Any) -> None:
    top = sub.add_parser("import", help="import records from other systems (FHIR R4)")
    kinds = top.add_subparsers(dest="import_kind", metavar="KIND", required=True,
                               parser_class=type(top))
    p = kinds.add_parser("fhir", help="a FHIR R4 JSON Bundle or single resource")
    p.add_argument("file", metavar="FILE", help="the JSON file to import")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="the store (created when it does not exist yet)")
    p.add_argument("--as", dest="actor", metavar="PROFESSIONAL", default=argparse.SUPPRESS,
                   help="who is importing (recorded in the audit log)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from careplan.export.fhir_import import import_fhir
    from careplan.export.fhir_read import ImportRefused

    db = getattr(args, "db", None)
    if not Path(args.file).is_file():
        raise UserError(f"FILE: there is no file {args.file}.")
    if db and _is_store_file(Path(args.file), Path(db)):
        # Reading it would also open a plain handle on the open store, whose closing
        # drops SQLite's locks (see careplan.store.files).
        raise UserError(f"FILE: {args.file} is the store itself (or its journal), not a "
                        "FHIR file; nothing was imported.")
    created = db is not None and not Path(db).exists()
    try:
        with open_store(db, create=True) as store:
            actor = resolve_actor(store, getattr(args, "actor", None))
            report = import_fhir(store, args.file, actor if actor != "cli" else "import")
    except ImportRefused as exc:
        if created and db:
            for suffix in ("", "-wal", "-shm"):
                Path(db + suffix).unlink(missing_ok=True)
        raise UserError(f"Not imported: {str(exc).rstrip('.')}. Nothing was written.") from None
    print(f"Imported {args.file} into {db}.")
    for line in report.lines():
        print(line)
    return 0


def _is_store_file(file: Path, db: Path) -> bool:
    """Whether ``file`` is the store at ``db`` or its WAL/SHM (compared by identity)."""
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
