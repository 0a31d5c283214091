"""``careplan encrypt``: convert a plain store to an encrypted one, in place."""

from __future__ import annotations

import argparse
from typing import Any

from careplan.commands.common import (
    UserError,
    add_user_option,
    read_password,
    require_administrator,
)
from careplan.models.accounts import SignInOutcome, typed_username
from careplan.store import InputError, Store, StoreError, accounts, backup, encryption, keyring


def register(sub: Any) -> None:
    p = sub.add_parser(
        "encrypt", help="encrypt a plain store (SQLCipher), in place",
        description="Encrypt a plain store in place with SQLCipher, under a new random key "
                    "kept wrapped per account in a keyring beside the store (NAME.keys). "
                    "An administrator signs in; every account keeps its password. The "
                    "plain store is copied to backups/ first and kept until you delete it.")
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                   help="the plain store to encrypt")
    add_user_option(p, "an administrator's user name; the password is asked for, or read "
                       "from the file named by CAREPLAN_PASSWORD_FILE")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    if not db:
        raise UserError("--db: name the store to encrypt, e.g. --db careplan.db.")
    if keyring.exists(db):
        raise UserError(f"--db: {db} is encrypted already (its keyring {keyring.path_of(db)} "
                        "is beside it); nothing was changed.")
    user = getattr(args, "user", None)
    if not user:
        raise UserError("--user: an administrator signs in to encrypt a store: give --user "
                        "NAME (the password is asked for, or read from the file named by "
                        "CAREPLAN_PASSWORD_FILE).")
    from careplan.commands.common import damaged

    password = read_password(user, db)

    def check_admin(store: Store) -> None:
        try:
            account = accounts.authenticate(store, user, password)
        except accounts.SignInError as exc:
            if exc.outcome is SignInOutcome.MUST_CHANGE_PASSWORD:
                raise UserError(f"{str(exc).rstrip('.')}, with: careplan accounts passwd "
                                f"--user {typed_username(user)} --db {db}.") from None
            raise UserError(str(exc)) from None
        require_administrator(account, "encrypt the store")

    try:
        done = encryption.encrypt(db, typed_username(user), password, check_admin)
    except backup.NotAStoreError as exc:
        raise UserError(damaged(db, exc)) from None
    except (InputError, StoreError) as exc:
        raise UserError(str(exc).rstrip(".") + ".") from None
    rows = sum(done.counts.values())
    print(f"Encrypted {db} ({rows:,} rows, checked); its keyring is {keyring.path_of(db)}.")
    print(f"Every account keeps its password ({done.wrapped} can sign in).")
    if done.missing:
        print(f"No key for {', '.join(done.missing)} (no password set): an administrator "
              "resets their passwords.")
    print(f"The plain store as it was is kept at {done.plain_copy}: anyone who can read that "
          "file can read its records; delete it once the encrypted store has been checked.")
    plain = [b for b in backup.list_backups(db, key=None, every_store=True)
             if b.path != done.plain_copy]
    if plain:
        print(f"{len(plain)} earlier backup{'s' if len(plain) != 1 else ''} in "
              f"{backup.backup_dir(db)} {'are' if len(plain) != 1 else 'is'} not encrypted "
              "either; delete them too once the encrypted store has its own.")
    print("Keep the keyring with the store: without it nobody can open the store; each "
          "backup has a copy beside it.")
    return 0
