"""``careplan accounts add|list|deactivate|reactivate|reset|passwd``: who may sign in.

A store's first account is made without signing in and is its administrator; every
other use is signed in with ``--user``. Passwords are never given on the command line:
the one you sign in with comes from the terminal or the file named by
CAREPLAN_PASSWORD_FILE, a new one from the terminal (typed twice) or the file named by
CAREPLAN_NEW_PASSWORD_FILE.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from careplan.commands.common import (
    NEW_PASSWORD_FILE,
    PASSWORD_FILE,
    UserError,
    add_user_option,
    back_up_before_writing,
    open_store,
    professional_by_name,
    read_new_password,
    read_password,
    sign_in,
    unlocked_password,
)
from careplan.models.accounts import AccountRole, normalise_username, typed_username
from careplan.store import InputError, StoreError, accounts, encryption, keyring

ADMIN_HELP = (f"an administrator's user name, to sign in (the password is asked for, or "
              f"read from the file named by {PASSWORD_FILE})")
EPILOG = (f"Passwords are never given on the command line. The password of --user is asked "
          f"for on the terminal, or read from the first line of the file named by "
          f"{PASSWORD_FILE}; a new password is asked for twice, or read from the first line "
          f"of the file named by {NEW_PASSWORD_FILE}.")


def register(sub: Any) -> None:
    top = sub.add_parser("accounts", help="who may sign in: add, list, deactivate, reset "
                         "passwords (administrators); change your own password",
                         description="Accounts of a store. " + EPILOG)
    kinds = top.add_subparsers(dest="accounts_kind", metavar="ACTION", required=True,
                               parser_class=type(top))
    p = kinds.add_parser(
        "add", help="add an account (the store's first one, its administrator, needs no "
                    "sign-in and creates the store if there is none)",
        description="Add an account. The first account of a store is its administrator and "
                    "is added without signing in (the store is created if it does not "
                    "exist); later accounts are added by an administrator (--user), and "
                    "must choose a new password when they first sign in. " + EPILOG)
    p.add_argument("username", metavar="NAME", help="the new account's user name "
                   "(e.g. first.last: letters a to z, digits and . _ - @)")
    p.add_argument("--role", choices=[r.value for r in AccountRole], metavar="ROLE",
                   help="practitioner, manager or administrator (default: administrator "
                        "for a store's first account, else practitioner)")
    p.add_argument("--professional", metavar="NAME_OR_ID",
                   help="the professional who signs in with it (required but for "
                        "administrators)")
    _db(p)
    add_user_option(p, ADMIN_HELP + "; not for a store's first account")
    p.set_defaults(handler=run_add)

    p = kinds.add_parser("list", help="every account: user name, name, agency, role, "
                         "active, last sign-in", description="List the accounts (for "
                         "administrators; password hashes are never shown). " + EPILOG)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _db(p)
    add_user_option(p, ADMIN_HELP)
    p.set_defaults(handler=run_list)

    for name, what in (("deactivate", "stop an account signing in (its records stay)"),
                       ("reactivate", "let a deactivated account sign in again")):
        p = kinds.add_parser(name, help=what, description=f"{what[0].upper()}{what[1:]}; "
                             "for administrators. " + EPILOG)
        p.add_argument("username", metavar="NAME", help="the account's user name")
        _db(p)
        add_user_option(p, ADMIN_HELP)
        p.set_defaults(handler=run_deactivate if name == "deactivate" else run_reactivate)

    p = kinds.add_parser(
        "reset", help="give an account a new password, to be changed at its next sign-in",
        description="Give an account a new password that you pass on to its owner; it "
                    "must be changed at the next sign-in (careplan accounts passwd), and "
                    "any lockout ends. For administrators. " + EPILOG)
    p.add_argument("username", metavar="NAME", help="the account's user name")
    _db(p)
    add_user_option(p, ADMIN_HELP)
    p.set_defaults(handler=run_reset)

    p = kinds.add_parser(
        "passwd", help="change your own password (also after a reset)",
        description="Change the password of --user: the current one is asked for (or read "
                    f"from {PASSWORD_FILE}), then the new one twice (or read from "
                    f"{NEW_PASSWORD_FILE}).")
    _db(p)
    add_user_option(p, "your user name")
    p.set_defaults(handler=run_passwd)


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")


def _name(text: str) -> str:
    try:
        return normalise_username(text)
    except ValueError as exc:
        raise UserError(f"NAME: {str(exc).removeprefix('user name: ')}.") from None


def run_add(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    if not db:
        raise UserError("--db: name a store file, e.g. --db careplan.db.")
    name = _name(args.username)
    wanted = AccountRole(args.role) if args.role else None
    new_store = not Path(db).exists()
    if new_store:  # refused before the store is made, so nothing is left behind
        _first_only(db, wanted)
        if args.professional:
            raise UserError(f"--professional: {db} is a new store with no professionals "
                            "yet; add its administrator without --professional.")
    if new_store:
        return _add_first(db, name, read_new_password(name, db))
    password = None
    with open_store(db, args=args) as store:
        first = accounts.count(store) == 0
        if first:
            _first_only(db, wanted)
        admin = None if first else sign_in(store, args)
        back_up_before_writing(store)
        role = wanted or (AccountRole.ADMINISTRATOR if first else AccountRole.PRACTITIONER)
        professional = (professional_by_name(store, args.professional, "--professional")
                        if args.professional else None)
        if professional is None and role is not AccountRole.ADMINISTRATOR:
            raise UserError(f"--professional: a {role}'s account belongs to a professional; "
                            "name them (only an administrator's may belong to no one).")
        if password is None:
            password = read_new_password(name, db)
        account = accounts.add_account(store, name, password, role,
                                       professional.id if professional else None, admin)
    who = f" for {professional.name}" if professional else ""
    print(f"Added the {account.role} account {account.username}{who} to {db}.")
    if first:
        print(f"It is this store's administrator: sign in with --user {account.username}.")
    elif account.must_change_password:
        print(f"Give {account.username} the password; it must be changed at the first "
              f"sign-in (careplan accounts passwd --user {account.username} --db {db}).")
    return 0


def _add_first(db: str, name: str, password: str) -> int:
    """A new store, encrypted, with its administrator: the store key is wrapped for them
    in its keyring. Nothing is left behind if the account is refused."""
    try:
        store = encryption.create_store(db)
    except StoreError as exc:
        raise UserError(f"--db: {str(exc).rstrip('.')}.") from None
    try:
        account = accounts.add_account(store, name, password, AccountRole.ADMINISTRATOR)
    except (InputError, StoreError) as exc:
        encryption.discard_new(store)
        raise UserError(str(exc).rstrip(".") + ".") from None
    store.close()
    print(f"Added the {account.role} account {account.username} to {db}.")
    print(f"It is this store's administrator: sign in with --user {account.username}. The "
          f"store is encrypted; its keyring is {keyring.path_of(db)} (keep it with the "
          "store).")
    return 0


def _first_only(db: str, wanted: AccountRole | None) -> None:
    if wanted not in (None, AccountRole.ADMINISTRATOR):
        raise UserError(f"--role: the first account of a store is its administrator "
                        f"(give --role administrator, or leave --role out); {db} has none "
                        "yet.")


def run_list(args: argparse.Namespace) -> int:
    with open_store(getattr(args, "db", None), args=args) as store:
        lines = accounts.list_accounts(store, sign_in(store, args))
    if args.json:
        print(json.dumps([{"username": a.username, "name": a.name, "agency": a.agency,
                           "role": a.role.value, "active": a.active,
                           "must_change_password": a.must_change_password,
                           "last_sign_in": a.last_sign_in} for a in lines], indent=2,
                         ensure_ascii=False))
        return 0
    print(f"{'user name':<24} {'name':<24} {'agency':<30} {'role':<14} {'active':<6} "
          "last sign-in")
    for a in lines:
        last = a.last_sign_in[:16].replace("T", " ") if a.last_sign_in else "never"
        note = "  (must change password)" if a.must_change_password else ""
        print(f"{a.username:<24} {a.name[:24]:<24} {a.agency[:30]:<30} {a.role.value:<14} "
              f"{'yes' if a.active else 'no':<6} {last}{note}")
    print(f"\n{len(lines)} account{'s' if len(lines) != 1 else ''}.")
    return 0


def run_deactivate(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    with open_store(db, args=args) as store:
        admin = sign_in(store, args)
        back_up_before_writing(store)
        account = accounts.deactivate(store, args.username, admin)
    print(f"Deactivated {account.username} in {db}: it can no longer sign in.")
    return 0


def run_reactivate(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    with open_store(db, args=args) as store:
        admin = sign_in(store, args)
        back_up_before_writing(store)
        account = accounts.reactivate(store, args.username, admin)
    print(f"Reactivated {account.username} in {db}.")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    with open_store(db, args=args) as store:
        admin = sign_in(store, args)
        found = accounts.find_account(store, args.username)
        if found is None:
            raise UserError(f"NAME: there is no account {args.username!r} in {db}.")
        password = read_new_password(found.username, db)
        back_up_before_writing(store)
        accounts.reset_password(store, found.username, password, admin)
    print(f"Reset the password of {found.username}: give it to them; it must be changed at "
          f"the next sign-in (careplan accounts passwd --user {found.username} --db {db}).")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    # No automatic backup: a change of one's own password is not casework to keep a copy of.
    db = getattr(args, "db", None)
    with open_store(db, args=args) as store:
        user = args.user
        if accounts.count(store) == 0 or not user:
            sign_in(store, args)  # says what is missing
        old = unlocked_password(store, user) or read_password(user, db)
        new = read_new_password(typed_username(user), db)
        try:
            account = accounts.change_password(store, user, old, new)
        except accounts.SignInError as exc:
            raise UserError(str(exc)) from None
    print(f"Changed the password of {account.username}.")
    return 0
