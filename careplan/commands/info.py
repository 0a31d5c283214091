"""``careplan info``: schema version, integrity check, row counts and where the bytes go."""

from __future__ import annotations

import argparse
import json
from typing import Any

from careplan.commands.common import UNLOCK_HELP, add_user_option, open_store


def register(sub: Any) -> None:
    p = sub.add_parser("info", help="schema version, integrity check and row counts of a store",
                       description="Schema version, integrity check and row counts of a "
                                   "store. No sign-in: it shows no one's records.")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_user_option(p, UNLOCK_HELP)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from careplan.store.sizes import sizes

    with open_store(args.db, args=args) as store:
        measured = sizes(store)
        report = {
            "path": args.db,
            "store_id": store.store_id,
            "schema_version": store.schema_version,
            "encrypted": store.key is not None,
            "integrity_check": store.integrity_check(),
            "counts": store.table_counts(),
            "file_bytes": measured.file_bytes,
            "free_bytes": measured.free_bytes,
            "data_bytes": measured.tables,
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Store        {report['path']}")
    print(f"Store id     {report['store_id']}")
    print(f"Schema       version {report['schema_version']}")
    print("Encrypted    " + ("yes (SQLCipher 4; keyring beside the store)" if report["encrypted"]
                             else f"no: encrypt it with careplan encrypt --db {args.db}"))
    print(f"Integrity    {report['integrity_check']}")
    persons = report["counts"].get("persons", 0)
    each = f", {measured.file_bytes / persons / 1000:,.1f} KB a person" if persons else ""
    print(f"Size         {measured.file_bytes / 1e6:,.1f} MB{each}; data "
          f"{measured.data_bytes / 1e6:,.1f} MB, free pages {measured.free_bytes / 1e6:,.1f} "
          "MB, the rest indexes and page space")
    print(f"  {'table':<20} {'rows':>10} {'data bytes':>14} {'of the data':>12}")
    whole = measured.data_bytes or 1
    for table, n in report["counts"].items():
        data = measured.tables.get(table, 0)
        print(f"  {table:<20} {n:>10,} {data:>14,} {100 * data / whole:>11.1f}%")
    return 0
