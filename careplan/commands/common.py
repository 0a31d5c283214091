"""Helpers shared by the subcommands: turning user mistakes into one sentence."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from careplan.models import Professional, nhs
from careplan.store import InputError, Store, StoreError, find
from careplan.store.repo import get


class UserError(Exception):
    """A mistake by the person at the keyboard: reported as one sentence, exit 2."""


def parse_date(text: str | None, option: str) -> date:
    """``--today``-style options; default is the real today."""
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a date (use YYYY-MM-DD).") from None


def parse_nhs(text: str, option: str = "--nhs") -> str:
    try:
        return nhs.normalise(text)
    except ValueError as exc:
        raise UserError(f"{option}: {exc}.") from None


@contextlib.contextmanager
def open_store(path: str | None, *, create: bool = False) -> Iterator[Store]:
    """Open ``--db``; mistakes about the file become UserError."""
    if not path:
        raise UserError("--db: name a store file, e.g. --db careplan.db.")
    if not create and not Path(path).exists():
        raise UserError(f"--db: there is no store at {path}.")
    try:
        store = Store.open(path, create=create)
    except StoreError as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    try:
        yield store
    except (InputError, StoreError) as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    finally:
        store.close()


def resolve_actor(store: Store, who: str | None) -> str:
    """``--as``: a professional's id or exact name; defaults to the store's first manager."""
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
