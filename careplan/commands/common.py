"""Helpers shared by the subcommands: turning user mistakes into one sentence."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from careplan import clock
from careplan.commands.errors import UserError as UserError  # re-exported for the commands
from careplan.models import Professional, nhs
from careplan.models import accounts as account_rules
from careplan.models.accounts import Account, SignInOutcome
from careplan.models.permissions import Who, administer
from careplan.store import (
    InputError,
    NotAStoreError,
    Store,
    StoreError,
    accounts,
    backup,
    find,
    keyring,
    sqlite,
)
from careplan.store.files import is_store_file
from careplan.store.repo import get

#: Dates a command accepts. The rules count years and weeks either side of "today";
#: near year 1 or 9999 that runs off the calendar, and no care record lives there.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def parse_date(text: str | None, option: str) -> date:
    """A ``--today``-style option (YYYY-MM-DD); when it is not given, the real today in
    England (Europe/London, :func:`careplan.clock.today`), whatever the machine's zone.

    Raises:
        UserError: the text is not a date, or is outside 1900 to 2199.
    """
    if text is None:
        return clock.today()
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


#: The password each open store was unlocked with, by the store object's id, so that the
#: sign-in that follows asks for it only once (an encrypted store: see open_store). Kept
#: only while the store is open.
_UNLOCKED: dict[int, tuple[str, str]] = {}


@contextlib.contextmanager
def open_store(path: str | None, *, create: bool = False, write: bool = False,
               check: bool = True, args: argparse.Namespace | None = None
               ) -> Iterator[Store]:
    """Open ``--db``; mistakes about the file become UserError.

    An encrypted store (one with a keyring beside it) is first unlocked with ``--user``
    and that account's password (``args``): its key is unwrapped from the keyring, and
    the store opened with it. The sign-in that follows (:func:`sign_in`) uses the same
    password. A plain store is opened as it is; on a terminal, it is said how to
    encrypt it.

    The store is checked for damage first (``check``; only the desktop app, which checks
    in the background, goes without). A store opened to write in (``create`` or
    ``write``) is then given an automatic backup (:func:`back_up_before_writing`); a
    command that signs in opens without ``write`` and takes it once signed in.
    """
    if not path:
        raise UserError("--db: name a store file, e.g. --db careplan.db.")
    if not create and not Path(path).exists():
        raise UserError(f"--db: there is no store at {path}.")
    key, unlocked = None, None
    if Path(path).exists() and keyring.exists(path):
        key, unlocked = unlock(path, args)
    try:
        # Checked before any command reads or writes: a damaged store answers nothing and
        # takes no write (SQLite alone notices only the pages a command happens to read).
        store = Store.open(path, create=create, check=check, key=key)
    except NotAStoreError as exc:
        raise UserError(damaged(path, exc, key)) from None
    except StoreError as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    if unlocked is not None:
        _UNLOCKED[id(store)] = unlocked
    elif key is None and not create:
        say_plain(path)
    try:
        if create or write:
            back_up_before_writing(store)
        yield store
    except NotAStoreError as exc:
        raise UserError(damaged(path, exc, key)) from None
    except (InputError, StoreError) as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    except sqlite.DatabaseError as exc:  # damage found while reading
        if "malformed" not in str(exc) and "not a database" not in str(exc):
            raise
        raise UserError(damaged(path, exc, key)) from None
    finally:
        _UNLOCKED.pop(id(store), None)
        store.close()


def unlock(path: str, args: argparse.Namespace | None) -> tuple[bytes, tuple[str, str]]:
    """The key of the encrypted store at ``path``, unwrapped with ``--user``'s password.

    Raises:
        UserError: no ``--user``, no password, a refusal (wrong password or user name,
            locked: one sentence each), or a missing or damaged keyring.
    """
    user = getattr(args, "user", None) if args is not None else None
    if not user:
        raise UserError(f"--user: {path} is encrypted; sign in with --user NAME to open it "
                        f"(the password is asked for, or read from the file named by "
                        f"{PASSWORD_FILE}).")
    password = read_password(user, path)
    try:
        key = keyring.unlock(path, user, password, clock.utc_now().replace(microsecond=0))
    except keyring.UnlockRefused as exc:
        raise UserError(str(exc)) from None
    except keyring.KeyringError as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    return key, (account_rules.typed_username(user), password)


def unlocked_password(store: Store, user: str) -> str | None:
    """The password ``user`` unlocked this encrypted store with, if they did."""
    found = _UNLOCKED.get(id(store))
    if found is not None and found[0] == account_rules.typed_username(user):
        return found[1]
    return None


def say_plain(path: str) -> None:
    """On a terminal, a plain store is not left unnoticed: one line saying how to
    encrypt it. (Not when stderr is a file or a pipe: scripts and tests may keep using
    plain stores, and their output stays as it was.)"""
    if _stderr_on_terminal():
        sys.stderr.write(f"careplan: warning: {plain_sentence(path)}\n")


def plain_sentence(path: str) -> str:
    """What is said about a store that is not encrypted."""
    return (f"{path} is not encrypted: anyone who can read the file can read its records; "
            f"encrypt it with: careplan encrypt --db {path} --user ADMIN.")


def _stderr_on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def back_up_before_writing(store: Store) -> None:
    """The automatic backup of a store about to be written in (careplan.store.backup: at
    most hourly, only when it changed). A command that signs in takes it once signed in,
    so a refused sign-in copies nothing."""
    made = backup.auto_backup(store.path, key=store.key)
    if made.path is None and made.reason.startswith("the backup failed"):
        sys.stderr.write(f"careplan: warning: {store.path} was not backed up: "
                         f"{made.reason}.\n")


def damaged(path: str, problem: Exception | str, key: bytes | None = None) -> str:
    """A damaged store or a file that is not one: say so, and offer the newest backup."""
    text = str(problem).rstrip(".")
    if isinstance(problem, sqlite.DatabaseError):
        text = f"{path} is damaged ({problem})"
    newest, hint = backup.recovery_hint(path, key)
    if newest is None:
        return f"{text}. {hint}"
    return f"{text}. {hint} Restore it with: careplan restore --db {path} --from {newest.path}"


def professional_by_name(store: Store, who: str, option: str) -> Professional:
    """A professional by id or exact name (any case).

    Raises:
        UserError: naming ``option``: no professional, or more than one, has that name.
    """
    try:
        return get(store, Professional, who)
    except StoreError:
        matches = [p for p in find(store, Professional) if p.name.lower() == who.lower()]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise UserError(f"{option}: no professional called {who!r} in this store.") from None
        raise UserError(f"{option}: {len(matches)} professionals are called {who!r}; "
                        "give the id instead.") from None


# -- signing in -----------------------------------------------------------------------------

#: The file whose first line is the password of ``--user`` (for scripts).
PASSWORD_FILE = "CAREPLAN_PASSWORD_FILE"
#: The file whose first line is a new password (``accounts add``, ``reset``, ``passwd``).
NEW_PASSWORD_FILE = "CAREPLAN_NEW_PASSWORD_FILE"

USER_HELP = (f"your account's user name; the password is asked for on the terminal, or "
             f"read from the first line of the file named by {PASSWORD_FILE} (never give it "
             "on the command line)")


#: ``--user`` of a command that signs in to no account but must unlock an encrypted store.
UNLOCK_HELP = (f"for an encrypted store: your user name, to unlock it (the password is asked "
               f"for, or read from the file named by {PASSWORD_FILE}); a plain store needs "
               "none")


def add_user_option(p: argparse.ArgumentParser, help: str = USER_HELP) -> None:
    """``--user NAME``, for a command that signs in."""
    p.add_argument("--user", metavar="NAME", help=help)


def _first_line(variable: str, db: str | None) -> str | None:
    """The first line of the file named by the environment variable, or None when the
    variable is not set. Its content is never shown, whatever goes wrong.

    Raises:
        UserError: the file cannot be read, is the store, or its first line is empty.
    """
    name = os.environ.get(variable)
    if name is None:
        return None
    path = Path(name)
    if is_store_file(path, db):
        raise UserError(f"{variable}: {name} is the store itself (or its journal), not a "
                        "password file.")
    try:
        # A pipe works too (a password manager's output: <(pass show careplan)).
        with path.open("rb") as handle:
            data = handle.readline(64 * 1024)
    except FileNotFoundError:
        raise UserError(f"{variable}: there is no file {name}.") from None
    except OSError as exc:
        raise UserError(f"{variable}: cannot read {name} ({exc.strerror or 'unreadable'})."
                        ) from None
    line = data.decode("utf-8", "surrogateescape").rstrip("\r\n")
    if not line:
        raise UserError(f"{variable}: the first line of {name} is empty; put the password "
                        "there.")
    return line


def _on_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def read_password(user: str, db: str | None) -> str:
    """The password of ``user``: from the file named by CAREPLAN_PASSWORD_FILE, else asked
    for on the terminal (not echoed). Never from the command line.

    Raises:
        UserError: neither is there.
    """
    from_file = _first_line(PASSWORD_FILE, db)
    if from_file is not None:
        return from_file
    if not _on_terminal():
        raise UserError(f"No password for {user}: set {PASSWORD_FILE} to a file whose first "
                        "line is the password, or run careplan on a terminal to be asked for "
                        "it.")
    return getpass.getpass(f"Password for {user}: ")


def read_new_password(user: str, db: str | None) -> str:
    """A new password for ``user``: from the file named by CAREPLAN_NEW_PASSWORD_FILE,
    else asked for twice on the terminal. Checked against the policy before anything is
    written.

    Raises:
        UserError: neither is there, the two typed differ, or it breaks the policy.
    """
    password = _first_line(NEW_PASSWORD_FILE, db)
    if password is None:
        if not _on_terminal():
            raise UserError(f"No new password for {user}: set {NEW_PASSWORD_FILE} to a file "
                            "whose first line is the password, or run careplan on a terminal "
                            "to be asked for it.")
        password = getpass.getpass(f"New password for {user} (at least "
                                   f"{account_rules.PASSWORD_MIN} characters): ")
        if getpass.getpass("The same again: ") != password:
            raise UserError("The two passwords differ; nothing was changed.")
    try:
        account_rules.check_password(password, user)
    except ValueError as exc:
        raise UserError(f"{exc}; nothing was changed.") from None
    return password


def first_account(db: str) -> str:
    """How to make a store's first account, its administrator."""
    return f"careplan accounts add NAME --db {db}"


def no_accounts(db: str) -> str:
    """What a store without accounts says to a command that signs in."""
    return f"{db} has no accounts yet; create its administrator first with: {first_account(db)}"


def sign_in(store: Store, args: argparse.Namespace) -> Account:
    """Sign in ``--user`` to the open store: the account, or one sentence why not.

    Every attempt is recorded with its audit event (careplan.store.accounts).

    Raises:
        UserError: the store has no accounts, no ``--user``, no password to be had, or
            the sign-in was refused (wrong password or user name, locked, deactivated,
            the password must be changed first).
    """
    db = str(getattr(args, "db", None) or store.path)
    if accounts.count(store) == 0:
        raise UserError(no_accounts(db) + ".")
    user = getattr(args, "user", None)
    if not user:
        raise UserError(f"--user: sign in with --user NAME (the password is asked for, or "
                        f"read from the file named by {PASSWORD_FILE}).")
    password = unlocked_password(store, user) or read_password(user, db)
    accounts.record_pending(store)  # refusals the keyring kept while the store was shut
    try:
        return accounts.authenticate(store, user, password)
    except accounts.SignInError as exc:
        if exc.outcome is SignInOutcome.MUST_CHANGE_PASSWORD:
            raise UserError(f"{str(exc).rstrip('.')}, with: careplan accounts passwd --user "
                            f"{account_rules.typed_username(user)} --db {db}.") from None
        raise UserError(str(exc)) from None


def require_administrator(account: Account, what: str) -> None:
    """Refuse, naming who may, unless ``account`` is an administrator.

    Raises:
        UserError: ``account`` is a practitioner or manager.
    """
    decision = administer(Who(account.professional_id, None, account.role,
                              account.username), what)
    if not decision:
        raise UserError(decision.reason)
