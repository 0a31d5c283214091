"""``careplan import fhir FILE``: take a FHIR R4 Bundle or resource into a store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from careplan.commands.common import (
    UserError,
    add_user_option,
    back_up_before_writing,
    first_account,
    open_store,
    sign_in,
)
from careplan.store.files import is_store_file


def register(sub: Any) -> None:
    top = sub.add_parser("import", help="import records from other systems (FHIR R4)")
    kinds = top.add_subparsers(dest="import_kind", metavar="KIND", required=True,
                               parser_class=type(top))
    p = kinds.add_parser("fhir", help="a FHIR R4 JSON Bundle or single resource",
                         description="Import a FHIR R4 file into a store, signed in as "
                                     "--user (the audit log records the import as yours).")
    p.add_argument("file", metavar="FILE", help="the JSON file to import")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="the store (it must exist: a new store begins with its "
                        "administrator, careplan accounts add)")
    add_user_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from careplan.export.fhir_import import import_fhir
    from careplan.export.fhir_read import ImportRefused

    db = getattr(args, "db", None)
    if not Path(args.file).is_file():
        raise UserError(f"FILE: there is no file {args.file}.")
    if is_store_file(Path(args.file), db):
        # Reading it would also open a plain handle on the open store, whose closing
        # drops SQLite's locks (see careplan.store.files).
        raise UserError(f"FILE: {args.file} is the store itself (or its journal), not a "
                        "FHIR file; nothing was imported.")
    if db and not Path(db).exists():
        raise UserError(f"--db: there is no store at {db}; create it and its administrator "
                        f"first with: {first_account(db)}.")
    try:
        with open_store(db, args=args) as store:
            account = sign_in(store, args)
            back_up_before_writing(store)
            report = import_fhir(store, args.file, account.actor)
    except ImportRefused as exc:
        raise UserError(f"Not imported: {str(exc).rstrip('.')}. Nothing was written.") from None
    print(f"Imported {args.file} into {db}.")
    for line in report.lines():
        print(line)
    return 0
