"""Accounts in the store: adding them, signing in, passwords, deactivation.

Each write is one transaction with its audit events (through careplan.store.repo). The
password hash is kept in ``account_secrets``, which no audit event, list or export
reads: a new password is audited as the account's ``password_changed_at`` only.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher`` defaults: RFC 9106's
low-memory profile, 64 MiB, 3 passes, 4 lanes). A hash made with other parameters is
made again at the next successful sign-in.

Every sign-in attempt is kept in ``sign_ins`` with its audit event, in one transaction,
whatever its outcome. After 5 consecutive failures a user name waits (see
careplan.models.accounts.lockout_wait); unknown user names are counted and locked the
same way, and read the same as a wrong password, so that trying names reveals nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher, low_level
from argon2.exceptions import InvalidHashError, VerificationError

from careplan.models.accounts import (
    Account,
    AccountRole,
    SignIn,
    SignInOutcome,
    actor_of,
    check_password,
    locked_for,
    normalise_username,
    refusal,
    typed_username,
)
from careplan.models.permissions import Who, administer
from careplan.store.db import Store
from careplan.store.errors import InputError, NotAllowedError, StoreError
from careplan.store.permissions import require
from careplan.store.repo import add, add_many, get, update
from careplan.store.rows import from_row

#: The password hasher. The product never changes it: nothing reads a setting for it.
#: The test suite alone replaces it, within its own process, with cheaper parameters
#: (tests/conftest.py, ``cheap_password_hashing``); hashes keep their parameters, so a
#: store made by a test signs in anywhere, and is re-hashed with these at first sign-in.
HASHER = PasswordHasher()

#: The audit log's actor for an attempt with a user name that is no account.
UNKNOWN_ACTOR = "sign-in"


class SignInError(StoreError):
    """A sign-in was refused; the message is the one sentence to show."""

    def __init__(self, outcome: SignInOutcome, wait_seconds: int = 0) -> None:
        super().__init__(refusal(outcome, wait_seconds))
        self.outcome = outcome
        self.wait_seconds = wait_seconds


# -- reading ------------------------------------------------------------------------------


def count(store: Store) -> int:
    """How many accounts the store has (0: it has no administrator yet)."""
    return int(store.conn.execute("SELECT count(*) FROM accounts").fetchone()[0])


def find_account(store: Store, username: str) -> Account | None:
    """The account with this user name (any case, trimmed), or None."""
    rows = store.query("SELECT * FROM accounts WHERE username = ?", (typed_username(username),))
    return from_row(Account, rows[0]) if rows else None


def _account(store: Store, username: str) -> Account:
    found = find_account(store, username)
    if found is None:
        raise InputError(f"user name: there is no account {typed_username(username)!r} in "
                         "this store")
    return found


@dataclass(frozen=True, slots=True)
class AccountLine:
    """One account as ``careplan accounts list`` shows it: never its hash."""

    username: str
    name: str
    agency: str
    role: AccountRole
    active: bool
    must_change_password: bool
    last_sign_in: str | None


def list_accounts(store: Store, actor: Account) -> list[AccountLine]:
    """Every account, by user name, with its professional, agency and last sign-in.

    Raises:
        NotAllowedError: ``actor`` is not an active administrator.
    """
    _administrator(store, actor, "see the accounts")
    rows = store.conn.execute(
        "SELECT a.username, coalesce(p.name, ''), coalesce(g.name, ''), a.role, a.active, "
        "a.must_change_password, (SELECT max(s.at) FROM sign_ins s WHERE s.account_id = a.id "
        "AND s.outcome = ?) FROM accounts a "
        "LEFT JOIN professionals p ON p.id = a.professional_id "
        "LEFT JOIN agencies g ON g.id = p.agency_id ORDER BY a.username",
        (SignInOutcome.SIGNED_IN.value,)).fetchall()
    return [AccountLine(str(r[0]), str(r[1]), str(r[2]), AccountRole(r[3]), bool(r[4]),
                        bool(r[5]), r[6]) for r in rows]


def parse_role(text: AccountRole | str) -> AccountRole:
    """A role by its name (any case).

    Raises:
        InputError: naming the roles there are.
    """
    try:
        return AccountRole(str(text).strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in AccountRole)
        raise InputError(f"role: {text!r} is not one of {known}") from None


# -- passwords ----------------------------------------------------------------------------


def _secret(password: str) -> bytes:
    # Lone surrogates (a file read with errors="surrogateescape") hash as they are.
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str, username: str) -> str:
    """The argon2id hash of a new password, after checking it against the policy.

    Raises:
        InputError: the password breaks the policy (one sentence naming it).
    """
    try:
        check_password(password, username)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return HASHER.hash(_secret(password))


def _verify(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, _secret(password))
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against for an unknown user name, so that it takes as long as a
    known one (made once per hasher)."""
    key = id(HASHER)
    if key not in _DUMMY:
        _DUMMY[key] = HASHER.hash(b"no account has this password")
    return _DUMMY[key]


def _changed_at(account: Account, now: datetime) -> datetime:
    """When the password changes: ``now``, but always later than the last change, so that
    every change moves ``password_changed_at`` (times are kept to the second) and so is
    an audit event, however quickly two changes follow each other."""
    last = account.password_changed_at
    if last is not None and now <= last:
        return last + timedelta(seconds=1)
    return now


def _set_secret(store: Store, account_id: str, password_hash: str, at: datetime) -> None:
    store.conn.execute(
        "INSERT INTO account_secrets (account_id, password_hash, changed_at, failed_count, "
        "last_failed_at) VALUES (?, ?, ?, 0, NULL) ON CONFLICT(account_id) DO UPDATE SET "
        "password_hash = excluded.password_hash, changed_at = excluded.changed_at, "
        "failed_count = 0, last_failed_at = NULL",
        (account_id, password_hash, at.isoformat()))


# -- who may --------------------------------------------------------------------------------


def _administrator(store: Store, actor: Account | None, what: str) -> Account:
    """The actor as stored now, if it is an active administrator.

    Raises:
        NotAllowedError: naming who may, and who the actor is.
    """
    if actor is None:
        raise NotAllowedError(administer(None, what).reason)
    rows = store.query("SELECT * FROM accounts WHERE id = ?", (actor.id,))
    current = from_row(Account, rows[0]) if rows else None
    if current is None or not current.active:
        raise NotAllowedError(f"Only an administrator may {what}; the account "
                              f"{actor.username} is no longer active.")
    require(administer(Who(current.professional_id, None, current.role, current.username),
                       what))
    return current


# -- writing ------------------------------------------------------------------------------


def add_account(store: Store, username: str, password: str, role: AccountRole | str,
                professional_id: str | None = None, actor: Account | None = None, *,
                temporary: bool | None = None) -> Account:
    """Add an account. The first account of a store needs no actor and must be an
    administrator; later ones are added by an administrator.

    ``temporary``: the password must be changed at the first sign-in; by default so when
    an administrator added the account (they know its password), not for the first one.

    Raises:
        InputError: a bad or taken user name, a bad role, a weak password, an unknown
            professional or one who already has an account.
        NotAllowedError: a later account without an administrator.
    """
    try:
        name = normalise_username(username)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    kind = parse_role(role)
    password_hash = hash_password(password, name)  # slow: before the transaction
    with store.atomic():
        first = count(store) == 0
        if first:
            if kind is not AccountRole.ADMINISTRATOR:
                raise InputError("role: the first account of a store must be an "
                                 "administrator")
        else:
            actor = _administrator(store, actor, "add accounts")
        if find_account(store, name) is not None:
            raise InputError(f"user name: {name!r} is already taken")
        if professional_id is not None:
            taken = store.conn.execute(
                "SELECT username FROM accounts WHERE professional_id = ?",
                (professional_id,)).fetchone()
            if taken is not None:
                raise InputError(f"professional: already has an account ({taken[0]})")
        now = store.clock()
        try:
            account = Account(username=name, professional_id=professional_id, role=kind,
                              must_change_password=(not first) if temporary is None
                              else temporary, password_changed_at=now)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        who = actor_of(account.id) if actor is None else actor.actor
        stored = add(store, account, who)
        _set_secret(store, stored.id, password_hash, now)
    _wrap_key(store, name, password)
    return stored


def _wrap_key(store: Store, username: str, password: str) -> None:
    """An encrypted store's key, wrapped for ``username`` under ``password`` in the
    store's keyring (careplan.store.keyring); nothing for a plain store. The account's
    record is written first: if the keyring cannot be written, the account exists and
    cannot sign in yet, and an administrator's reset wraps the key again.

    Raises:
        StoreError: the keyring could not be written (one sentence saying what to do).
    """
    if store.key is None:
        return
    from careplan.store import keyring

    try:
        with keyring.changing(store.path) as ring:
            keyring.wrap_with_password(ring, store.key, username, password)
    except keyring.KeyringError as exc:
        raise StoreError(f"{str(exc).rstrip('.')}; the account {username} was saved but "
                         "cannot sign in until an administrator resets its password.") \
            from exc


def published_hash(password: str, salt: bytes) -> str:
    """The hash of a password that is published (the demo's), with the hasher's parameters
    and a salt the caller chooses, so that the same demo makes the same store. Never for
    a real password: its salt must be random (:func:`hash_password`)."""
    return low_level.hash_secret(
        _secret(password), salt, time_cost=HASHER.time_cost, memory_cost=HASHER.memory_cost,
        parallelism=HASHER.parallelism, hash_len=HASHER.hash_len, type=HASHER.type,
    ).decode("ascii")


def add_accounts_with_hash(store: Store, accounts: Sequence[Account], password_hash: str,
                           actor: str, changed_at: datetime | None = None,
                           event_ids: Iterable[str] | None = None) -> int:
    """Add many accounts that share one password, hashed once by the caller (the demo:
    an argon2 hash takes a tenth of a second, and a big demo has a thousand
    professionals). Their audit events are written as for any record (``event_ids`` as
    for ``repo.add_many``); the hash goes to ``account_secrets`` only.

    Raises:
        InputError: a user name or professional already has an account.
    """
    stamp = (changed_at or store.clock()).isoformat()
    with store.atomic():
        n = add_many(store, accounts, actor, event_ids)
        store.conn.executemany(
            "INSERT INTO account_secrets (account_id, password_hash, changed_at, "
            "failed_count, last_failed_at) VALUES (?, ?, ?, 0, NULL)",
            [(a.id, password_hash, stamp) for a in accounts])
    return n


def _set_active(store: Store, username: str, active: bool, actor: Account) -> Account:
    verb = "reactivate" if active else "deactivate"
    with store.atomic():
        admin = _administrator(store, actor, f"{verb} accounts")
        account = _account(store, username)
        if account.active == active:
            state = "active" if active else "deactivated"
            raise InputError(f"user name: {account.username} is already {state}")
        if not active and account.role is AccountRole.ADMINISTRATOR:
            others = store.conn.execute(
                "SELECT count(*) FROM accounts WHERE role = ? AND active = 1 AND id != ?",
                (AccountRole.ADMINISTRATOR.value, account.id)).fetchone()[0]
            if not others:
                raise InputError(f"user name: {account.username} is the only active "
                                 "administrator; add or reactivate another first")
        return update(store, account.evolve(active=active), admin.actor)


def deactivate(store: Store, username: str, actor: Account) -> Account:
    """Stop an account signing in (its records and audit trail stay).

    Raises:
        NotAllowedError: ``actor`` is not an active administrator.
        InputError: no such account, already deactivated, or the last administrator.
    """
    return _set_active(store, username, False, actor)


def reactivate(store: Store, username: str, actor: Account) -> Account:
    """Let a deactivated account sign in again.

    Raises:
        NotAllowedError: ``actor`` is not an active administrator.
        InputError: no such account, or it is active.
    """
    return _set_active(store, username, True, actor)


def reset_password(store: Store, username: str, new_password: str, actor: Account) -> None:
    """Give an account a password chosen by an administrator, to be changed at its next
    sign-in; its lockout ends. Returns nothing: the password is the administrator's to
    pass on.

    Raises:
        NotAllowedError: ``actor`` is not an active administrator.
        InputError: no such account, or the password breaks the policy.
    """
    account = _account(store, username)
    password_hash = hash_password(new_password, account.username)
    with store.atomic():
        admin = _administrator(store, actor, "reset passwords")
        account = _account(store, username)
        now = store.clock()
        update(store, account.evolve(must_change_password=True,
                                     password_changed_at=_changed_at(account, now)),
               admin.actor)
        _set_secret(store, account.id, password_hash, now)
    _wrap_key(store, account.username, new_password)


def change_password(store: Store, username: str, old: str, new: str,
                    now: datetime | None = None) -> Account:
    """Sign in with ``old`` (an attempt like any other, even when the password must be
    changed) and set ``new``.

    Raises:
        InputError: ``new`` breaks the policy or is ``old``; nothing is recorded.
        SignInError: the sign-in was refused (and recorded).
    """
    name = typed_username(username)
    if new == old:
        raise InputError("password: the new password must differ from the old one")
    password_hash = hash_password(new, name)
    account = authenticate(store, name, old, now, changing_password=True)
    with _rewrapped(store, account.username, new), store.atomic():
        current = get(store, Account, account.id)
        changed = _changed_at(current, store.clock())
        stored = update(store, current.evolve(must_change_password=False,
                                              password_changed_at=changed),
                        current.actor)
        _set_secret(store, account.id, password_hash, changed)
    return stored


@contextlib.contextmanager
def _rewrapped(store: Store, username: str, new: str) -> Iterator[None]:
    """Wrap an encrypted store's key under the new password before the store's hash
    changes, and put the old wrapping back if the store refuses the change: the password
    that opens the keyring and the one the store checks stay the same one."""
    if store.key is None:
        yield
        return
    from careplan.store import keyring

    try:
        with keyring.changing(store.path) as ring:
            entry_id = ring.entry_id(username)
            old = ring.entries.get(entry_id)
            keyring.wrap_with_password(ring, store.key, username, new)
    except keyring.KeyringError as exc:
        raise StoreError(f"{str(exc).rstrip('.')}; the password was not changed.") from exc
    try:
        yield
    except BaseException:
        with contextlib.suppress(keyring.KeyringError), keyring.changing(store.path) as ring:
            if old is None:
                ring.entries.pop(entry_id, None)
            else:
                ring.entries[entry_id] = old
        raise


# -- signing in -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Secret:
    password_hash: str
    failed_count: int
    last_failed_at: datetime | None


def _secret_of(store: Store, account_id: str) -> _Secret | None:
    row = store.conn.execute(
        "SELECT password_hash, failed_count, last_failed_at FROM account_secrets "
        "WHERE account_id = ?", (account_id,)).fetchone()
    if row is None:
        return None
    return _Secret(str(row[0]), int(row[1]),
                   None if row[2] is None else datetime.fromisoformat(row[2]))


def _unknown_failures(store: Store, typed: str) -> tuple[int, datetime | None]:
    """Failed attempts with a user name that is no account, and the time of the last."""
    row = store.conn.execute(
        "SELECT count(*), max(at) FROM sign_ins WHERE username = ? AND account_id IS NULL "
        "AND outcome = ?", (typed, SignInOutcome.UNKNOWN_USER.value)).fetchone()
    return int(row[0]), None if row[1] is None else datetime.fromisoformat(row[1])


def authenticate(store: Store, username: str, password: str, now: datetime | None = None,
                 *, changing_password: bool = False) -> Account:
    """Sign in: the account, when the password is right and the account may sign in.

    Every attempt is recorded in ``sign_ins`` with its audit event, in one transaction,
    before anything is raised. The password is checked outside that transaction (it
    takes a tenth of a second), so other writers do not wait for it.

    Args:
        now: the time of the attempt (injectable: the lockout counts from it).
        changing_password: the attempt is to change the password, so an account whose
            password must be changed may sign in.

    Raises:
        SignInError: wrong password or unknown user (the same sentence), locked,
            deactivated, or the password must be changed first.
        RuntimeError: called inside a transaction (operations.run, store.atomic): the
            refusal would roll back the record of the attempt with it. A bug.
    """
    if store.conn.in_transaction:
        raise RuntimeError("authenticate runs in a transaction of its own: a refused "
                           "sign-in is recorded, then refused")
    at = now if now is not None else store.clock()
    typed = typed_username(username)
    account = find_account(store, typed)
    secret = None if account is None else _secret_of(store, account.id)
    wait = 0
    if account is None or secret is None:
        failures, last = _unknown_failures(store, typed)
        wait = locked_for(failures, last, at)
        if not wait:
            _verify(_dummy_hash(), password)  # the same time as a known user name
        outcome = SignInOutcome.LOCKED if wait else SignInOutcome.UNKNOWN_USER
        account = None
    else:
        wait = locked_for(secret.failed_count, secret.last_failed_at, at)
        if wait:
            outcome = SignInOutcome.LOCKED
        elif not _verify(secret.password_hash, password):
            outcome = SignInOutcome.WRONG_PASSWORD
        elif not account.active:
            outcome = SignInOutcome.DEACTIVATED
        elif account.must_change_password and not changing_password:
            outcome = SignInOutcome.MUST_CHANGE_PASSWORD
        else:
            outcome = SignInOutcome.SIGNED_IN
    new_hash = None
    if account is not None and secret is not None and outcome in (
            SignInOutcome.SIGNED_IN, SignInOutcome.MUST_CHANGE_PASSWORD) and \
            HASHER.check_needs_rehash(secret.password_hash):
        new_hash = HASHER.hash(_secret(password))
    with store.atomic():
        add(store, SignIn(username=typed, account_id=None if account is None else account.id,
                          at=at, outcome=outcome),
            UNKNOWN_ACTOR if account is None else account.actor)
        if account is not None:
            if outcome is SignInOutcome.WRONG_PASSWORD:
                store.conn.execute(
                    "UPDATE account_secrets SET failed_count = failed_count + 1, "
                    "last_failed_at = ? WHERE account_id = ?", (at.isoformat(), account.id))
            elif outcome is not SignInOutcome.LOCKED:  # the password was right
                store.conn.execute(
                    "UPDATE account_secrets SET failed_count = 0, last_failed_at = NULL "
                    "WHERE account_id = ?", (account.id,))
            if new_hash is not None:
                store.conn.execute(
                    "UPDATE account_secrets SET password_hash = ? WHERE account_id = ?",
                    (new_hash, account.id))
    if outcome is not SignInOutcome.SIGNED_IN or account is None:
        raise SignInError(outcome, wait)
    return account


def record_pending(store: Store) -> int:
    """Record in the store the sign-ins an encrypted store's keyring refused while the
    store could not be read (careplan.store.keyring), each with its audit event, in one
    transaction; return how many. Nothing for a plain store.

    Raises:
        StoreError: the store could not be written (the attempts stay in the keyring).
    """
    if store.key is None or store.read_only or store.reads_only is not None:
        return 0
    from careplan.store import keyring

    try:
        pending = keyring.take_attempts(store.path)
    except keyring.KeyringError:
        return 0
    if not pending:
        return 0
    try:
        with store.atomic():
            for item in pending:
                typed = typed_username(item.get("username", "")) or "?"
                try:
                    at = datetime.fromisoformat(item["at"])
                    outcome = SignInOutcome(item["outcome"])
                except (KeyError, ValueError):
                    continue  # not written by CarePlan: nothing to record
                account = find_account(store, typed)
                add(store, SignIn(username=typed,
                                  account_id=None if account is None else account.id,
                                  at=at, outcome=outcome),
                    UNKNOWN_ACTOR if account is None else account.actor)
    except BaseException:
        keyring.put_back_attempts(store.path, pending)
        raise
    return len(pending)


__all__ = [
    "AccountLine",
    "NotAllowedError",
    "SignInError",
    "add_account",
    "add_accounts_with_hash",
    "authenticate",
    "change_password",
    "count",
    "deactivate",
    "find_account",
    "hash_password",
    "list_accounts",
    "parse_role",
    "published_hash",
    "reactivate",
    "record_pending",
    "reset_password",
]
