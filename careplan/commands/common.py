"""Helpers shared by the subcommands: turning user mistakes into one sentence."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from careplan.commands.errors import UserError as UserError  # re-exported for the commands
from careplan.models import Professional, nhs
from careplan.store import InputError, NotAStoreError, Store, StoreError, backup, find
from careplan.store.repo import get

#: Dates a command accepts. The rules count years and weeks either side of "today";
#: near year 1 or 9999 that runs off the calendar, and no care record lives there.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def parse_date(text: str | None, option: str) -> date:
    """A ``--today``-style option (YYYY-MM-DD); the real today when it is not given.

    Raises:
        UserError: the text is not a date, or is outside 1900 to 2199.
    """
    if text is None:
        return date.today()
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a date (use YYYY-MM-DD).") from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise UserError(f"{option}: {text} is out of range (use a date from "
                        f"{EARLIEST_DATE.year} to {LATEST_DATE.year}).")
    return value


def parse_nhs(text: str, option: str = "--nhs") -> str:
    """An NHS number option as its 10 digits.

    Raises:
        UserError: naming the option, when the number is malformed or fails Modulus 11.
    """
    try:
        return nhs.normalise(text)
    except ValueError as exc:
        raise UserError(f"{option}: {exc}.") from None


@contextlib.contextmanager
def open_store(path: str | None, *, create: bool = False, write: bool = False,
               check: bool = True) -> Iterator[Store]:
    """Open ``--db``; mistakes about the file become UserError.

    The store is checked for damage first (``check``; only the desktop app, which checks
    in the background, goes without). A store opened to write in (``create`` or
    ``write``) is then given an automatic backup (careplan.store.backup: at most hourly,
    only when it changed).
    """
    if not path:
        raise UserError("--db: name a store file, e.g. --db careplan.db.")
    if not create and not Path(path).exists():
        raise UserError(f"--db: there is no store at {path}.")
    try:
        # Checked before any command reads or writes: a damaged store answers nothing and
        # takes no write (SQLite alone notices only the pages a command happens to read).
        store = Store.open(path, create=create, check=check)
    except NotAStoreError as exc:
        raise UserError(damaged(path, exc)) from None
    except StoreError as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    try:
        if create or write:
            made = backup.auto_backup(path)
            if made.path is None and made.reason.startswith("the backup failed"):
                sys.stderr.write(f"careplan: warning: {path} was not backed up: "
                                 f"{made.reason}.\n")
        yield store
    except NotAStoreError as exc:
        raise UserError(damaged(path, exc)) from None
    except (InputError, StoreError) as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    except sqlite3.DatabaseError as exc:  # damage found while reading
        if "malformed" not in str(exc) and "not a database" not in str(exc):
            raise
        raise UserError(damaged(path, exc)) from None
    finally:
        store.close()


def damaged(path: str, problem: Exception | str) -> str:
    """A damaged store or a file that is not one: say so, and offer the newest backup."""
    text = str(problem).rstrip(".")
    if isinstance(problem, sqlite3.DatabaseError):
        text = f"{path} is damaged ({problem})"
    newest, hint = backup.recovery_hint(path)
    if newest is None:
        return f"{text}. {hint}"
    return f"{text}. {hint} Restore it with: careplan restore --db {path} --from {newest.path}"


def resolve_actor(store: Store, who: str | None) -> str:
    """``--as``: a professional's id or exact name (any case).

    Without ``--as`` the actor is ``"cli"``, which the audit log shows as it is.

    Raises:
        UserError: no professional, or more than one, has that name.
    """
    if who:
        try:
            return get(store, Professional, who).id
        except StoreError:
            matches = [p for p in find(store, Professional) if p.name.lower() == who.lower()]
            if len(matches) == 1:
                return matches[0].id
            if not matches:
                raise UserError(f"--as: no professional called {who!r} in this store.") from None
            raise UserError(f"--as: {len(matches)} professionals are called {who!r}; "
                            "give the id instead.") from None
    return "cli"
