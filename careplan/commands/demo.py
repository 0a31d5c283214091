"""``careplan demo``: a realistic, deterministic demo store."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from careplan.commands.common import UserError, open_store, parse_date
from careplan.models.demo import MIN_PERSONS


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="create a demo store for one neighbourhood")
    p.add_argument("--db", metavar="PATH", help="the new store file")
    p.add_argument("--persons", type=int, default=200, metavar="N",
                   help=f"how many persons (at least {MIN_PERSONS}; default 200)")
    p.add_argument("--seed", type=int, default=1, metavar="S",
                   help="random seed: the same seed and --today give the same store")
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="the date the demo is built around (default: today)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the generator (worker processes and all) would slow every start.
    from careplan.store.demo import build_demo

    today = parse_date(args.today, "--today")
    if args.persons < MIN_PERSONS:
        raise UserError(f"--persons: must be at least {MIN_PERSONS}, got {args.persons}.")
    path = Path(args.db) if args.db else None
    created = path is not None and not path.exists()
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r  {done}/{total} batches")

    try:
        with open_store(args.db, create=True) as store:
            written = build_demo(store, persons=args.persons, seed=args.seed, today=today,
                                 progress=progress)
    except BaseException:
        # Nothing was committed; do not leave an empty new file behind.
        if created and path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(f"Demo store {args.db}: {args.persons:,} persons, {written:,} records, "
          f"in {time.perf_counter() - started:.1f} s.")
    return 0
