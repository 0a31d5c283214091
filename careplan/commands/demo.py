"""``careplan demo``: a realistic, deterministic demo store."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from careplan import clock
from careplan.commands.common import UserError, add_user_option, open_store, parse_date
from careplan.demo.generator import MIN_PERSONS

#: A demo this big takes several minutes; beyond it a typo (an extra zero or three)
#: would run for hours.
MAX_PERSONS = 1_000_000
#: The demo's youngest people are 3 years old, and a birth date may not be later than
#: the real today: a --today further ahead would give them birth dates in the future.
MAX_DAYS_AHEAD = 3 * 365


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="create a demo store for one neighbourhood",
                       description="Create a demo store for one neighbourhood, with an "
                                   "account for every demo professional (first.last), an "
                                   "administrator (admin), and one published password for "
                                   "them all: careplan-demo. Never put real records in it.")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="the new store file (an existing store is filled only if it is "
                        "empty, never replaced)")
    p.add_argument("--persons", type=int, default=200, metavar="N",
                   help=f"how many persons (at least {MIN_PERSONS}; default 200)")
    p.add_argument("--seed", type=int, default=1, metavar="S",
                   help="random seed: the same seed and --today give the same store")
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="the date the demo is built around (default: today)")
    add_user_option(p, "only to fill an existing, empty encrypted store: your user name, to "
                       "unlock it (a new demo store needs no sign-in)")
    p.set_defaults(handler=run)


def _new_file(path: Path, args: argparse.Namespace, today: date,
              progress: Callable[[int, int], None]) -> int:
    """A new store file: built aside by worker processes, then given its name (never
    over a file made meanwhile)."""
    from careplan.demo.build_file import build_demo_file
    from careplan.store import InputError, StoreError

    if not path.parent.is_dir():
        raise UserError(f"--db: the folder {path.parent} does not exist.")
    try:
        return build_demo_file(path, persons=args.persons, seed=args.seed, today=today,
                               progress=progress)
    except (InputError, StoreError) as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    except OSError as exc:
        raise UserError(f"--db: cannot write {path} ({exc.strerror}).") from None


def run(args: argparse.Namespace) -> int:
    # Imported here: the generator (worker processes and all) would slow every start.
    from careplan.demo.accounts import how_to_sign_in
    from careplan.demo.build import build_demo

    today = parse_date(args.today, "--today")
    if args.persons < MIN_PERSONS:
        raise UserError(f"--persons: must be at least {MIN_PERSONS}, got {args.persons}.")
    if args.persons > MAX_PERSONS:
        raise UserError(f"--persons: must be at most {MAX_PERSONS:,}, got {args.persons:,}.")
    latest = clock.today() + timedelta(days=MAX_DAYS_AHEAD)
    if today > latest:
        raise UserError(f"--today: the demo can be built around a day up to "
                        f"{latest.isoformat()}, not {today.isoformat()} (its youngest people "
                        "would be born after the real today).")
    path = Path(args.db) if args.db else None
    created = path is not None and not path.exists()
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r  {done}/{total} batches")

    hint = None
    if created and path is not None:
        written = _new_file(path, args, today, progress)
    else:
        with open_store(args.db, create=True, args=args) as store:
            written = build_demo(store, persons=args.persons, seed=args.seed, today=today,
                                 progress=progress)
            if store.key is not None:
                _wrap_demo_accounts(store)
            hint = how_to_sign_in(store, str(args.db))
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(f"Demo store {args.db}: {args.persons:,} persons, {written:,} records, "
          f"in {time.perf_counter() - started:.1f} s.")
    print(hint or _from_keyring(str(args.db)))
    return 0


def _wrap_demo_accounts(store: Any) -> None:
    """The demo's accounts in an encrypted store: its key wrapped for each of them."""
    from careplan.demo.published import wrap_for_demo_accounts
    from careplan.store import keyring

    with keyring.changing(store.path) as ring:
        wrap_for_demo_accounts(store, ring)


def _from_keyring(db: str) -> str:
    """What to say about signing in to a new (encrypted) demo store, from its keyring."""
    from careplan.demo.accounts import ADMIN
    from careplan.demo.published import from_keyring, sign_in_text
    from careplan.store import keyring

    demo = from_keyring(keyring.load(db).demo)
    manager = demo.manager if demo else ""
    return (f"{sign_in_text(manager)}\n"
            f"The store is encrypted; its keyring is {keyring.path_of(db)}.\n"
            f"For example: careplan flags --db {db} --user {manager or ADMIN}")
