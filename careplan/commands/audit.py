"""``careplan audit verify``: has anyone rewritten the store outside CarePlan?

Recomputes every hash chain of the audit log (one per store whose events this store
holds) and checks every record against its latest event (careplan.store.audit_check).
Any signed-in account may run it: it changes nothing, and it names record kinds, ids and
event numbers only, never what a record says; the desktop app runs the same check for
everyone who signs in and warns them all.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from careplan.commands.common import add_user_option, open_store, sign_in

#: Problems printed at most (the rest are counted).
SHOWN = 200


def register(sub: Any) -> None:
    top = sub.add_parser("audit", help="check the audit log: nothing rewritten outside CarePlan")
    kinds = top.add_subparsers(dest="audit_action", metavar="ACTION", required=True,
                               parser_class=type(top))
    p = kinds.add_parser(
        "verify", help="recompute the audit log's hash chains and check every record",
        description="Recompute every hash chain of the audit log and check that every "
                    "record equals its latest event. Prints one line when all is well (exit "
                    "0); otherwise each edited, removed or added record or event, with its "
                    "kind, its id and the first broken link (exit 1). Any signed-in account "
                    "may run it; it changes nothing but the record of the sign-in.")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")
    add_user_option(p)
    p.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from careplan.store import audit_check

    with open_store(getattr(args, "db", None), args=args) as store:
        sign_in(store, args)
        report = audit_check.verify(store)
        path = store.path
    assert report is not None  # never cancelled here
    if report.ok:
        print(f"careplan audit verify: {path}: {report.summary()}.")
        return 0
    print(f"careplan audit verify: {path}: {report.summary()}:")
    for line in audit_check.lines(report, SHOWN):
        print(f"  {line}")
    if len(report.problems) > SHOWN:
        print(f"  … and {len(report.problems) - SHOWN:,} more.")
    print("Someone changed this store outside CarePlan. Tell your information governance "
          "lead (or Caldicott guardian) and the store's administrator; keep this file as it "
          "is for them, and work from a copy that verifies.", file=sys.stderr)
    return 1
