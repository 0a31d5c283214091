"""``careplan flags``: where people are falling between agencies, worst first."""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap
from typing import Any

from careplan.commands.common import (
    UserError,
    add_user_option,
    open_store,
    parse_date,
    parse_nhs,
    sign_in,
)
from careplan.models import nhs
from careplan.models.flags import Flag, FlagCode, Severity


def register(sub: Any) -> None:
    p = sub.add_parser(
        "flags",
        help="flags raised by the rules: unanswered handoffs, transitions, disputes...",
        description="List the flags the rules raise for the caseload, worst first: for "
                    "the persons whose records may be shared with your agency.",
    )
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")
    add_user_option(p)
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the day to judge (default: today)")
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    p.add_argument("--nhs", metavar="N", help="only this person (NHS number)")
    p.add_argument("--code", metavar="C", action="append",
                   help="only this flag code (may be repeated): "
                        + ", ".join(c.value for c in FlagCode))
    p.add_argument("--severity", metavar="S",
                   help="only flags this severe or worse: info, warning or critical")
    p.set_defaults(handler=run)


def _codes(values: list[str] | None) -> list[FlagCode] | None:
    if not values:
        return None
    out = []
    for value in values:
        try:
            out.append(FlagCode(value.strip().lower()))
        except ValueError:
            known = ", ".join(c.value for c in FlagCode)
            raise UserError(
                f"--code: {value!r} is not a flag code (use one of {known})."
            ) from None
    return out


def _severity(value: str | None) -> Severity | None:
    if value is None:
        return None
    try:
        return Severity(value.strip().lower())
    except ValueError:
        raise UserError(f"--severity: {value!r} is not info, warning or critical.") from None


def run(args: argparse.Namespace) -> int:
    from careplan.store import flagdata  # the rules load on demand: fast --help
    from careplan.store.overrides import thresholds_in_force
    from careplan.store.visibility import require_visible, viewer_of, visible_ids

    today = parse_date(args.today, "--today")
    codes = _codes(args.code)
    worst = _severity(args.severity)
    number = parse_nhs(args.nhs) if args.nhs else None
    with open_store(args.db, args=args) as store:
        viewer = viewer_of(store, sign_in(store, args))
        if not viewer.sees_anyone:
            raise UserError(viewer.nobody())
        if number is not None:
            row = store.conn.execute(
                "SELECT id FROM persons WHERE nhs_number = ?", (number,)
            ).fetchone()
            if row is None:
                raise UserError(f"--nhs: no person with NHS number {nhs.format_334(number)} "
                                "in this store.")
            require_visible(store, viewer, str(row[0]), today)
            flags = flagdata.caseload_flags(store, today, person_ids=[str(row[0])],
                                            codes=codes)
        else:
            # Only the persons whose records may be shared with the reader's agency, each
            # read and judged for the rules that chose them.
            limits = thresholds_in_force(store)
            found = flagdata.candidates_by_code(store, today, limits)
            shown = visible_ids(store, viewer, sorted(found), today)
            flags = flagdata.caseload_flags(
                store, today, limits, codes=codes,
                chosen={pid: rules for pid, rules in found.items() if pid in shown})
    if worst is not None:
        flags = [f for f in flags if f.severity.rank >= worst.rank]
    if args.json:
        print(json.dumps([f.to_json() for f in flags], indent=2, ensure_ascii=False))
    else:
        print_table(flags, today.isoformat())
    return 0


def print_table(flags: list[Flag], today: str) -> None:
    """Two lines and more per flag: who, what, since and due; then the message."""
    width = max(60, min(120, shutil.get_terminal_size((100, 20)).columns))
    if not flags:
        print(f"No flags on {today}.")
        return
    for f in flags:
        who = f.person_name + (f" ({nhs.format_334(f.nhs_number)})" if f.nhs_number else "")
        due = f"  due {f.due.isoformat()}" if f.due else ""
        print(f"{f.severity.value.upper():<9} {f.code.value:<23} {who}  "
              f"since {f.since.isoformat()}{due}")
        for line in textwrap.wrap(f.message, width - 10):
            print(f"          {line}")
    counts = {s: sum(1 for f in flags if f.severity is s) for s in reversed(Severity)}
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    print(f"\n{len(flags)} flag{'s' if len(flags) != 1 else ''} on {today}: {summary}.")
