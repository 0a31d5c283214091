"""``careplan info``: schema version, integrity check and row counts."""

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
    with open_store(args.db, args=args) as store:
        report = {
            "path": args.db,
            "store_id": store.store_id,
            "schema_version": store.schema_version,
            "encrypted": store.key is not None,
            "integrity_check": store.integrity_check(),
            "counts": store.table_counts(),
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
    print("Rows:")
    for table, n in report["counts"].items():
        print(f"  {table:<20} {n:>10,}")
    return 0
