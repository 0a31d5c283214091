"""Accounts: who may sign in, with which role, and the pure rules of signing in.

An account is a professional's sign-in (an administrator's may belong to no
professional). Its password hash lives apart from it, in the store's
``account_secrets`` table, so that no audit event, list or export ever carries it.

The rules here are pure functions (no clock, no store): the user name's form, the
password policy and the lockout schedule, which takes the number of consecutive
failures, the time of the last one and "now".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from careplan.models.base import Entity
from careplan.models.limits import CODE


class AccountRole(StrEnum):
    """What an account may do beyond its own casework (see the permission rules)."""

    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"


class SignInOutcome(StrEnum):
    """How one sign-in attempt ended (the ``outcome`` of a ``sign_ins`` row)."""

    SIGNED_IN = "signed in"
    WRONG_PASSWORD = "wrong password"
    UNKNOWN_USER = "unknown user"
    LOCKED = "locked"
    DEACTIVATED = "deactivated"
    MUST_CHANGE_PASSWORD = "must change password"


#: Outcomes that count towards a lockout: a wrong password for a known user name, or any
#: password for an unknown one (so that a user name's existence cannot be found by
#: watching which names lock).
FAILURES = frozenset({SignInOutcome.WRONG_PASSWORD, SignInOutcome.UNKNOWN_USER})

# -- user names ---------------------------------------------------------------------------

USERNAME_MIN = 2
USERNAME_MAX = 64
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]*")


def normalise_username(text: str) -> str:
    """A new account's user name as stored: trimmed and lower-case.

    Raises:
        ValueError: one sentence naming the user name and the rule it breaks.
    """
    name = text.strip().lower()
    if not name:
        raise ValueError("user name: is required")
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        raise ValueError(f"user name: must be {USERNAME_MIN} to {USERNAME_MAX} characters "
                         f"(this one has {len(name)})")
    if not _USERNAME.fullmatch(name):
        raise ValueError(f"user name: {name!r} may hold only letters a to z, digits and "
                         ". _ - @, and must begin with a letter or digit")
    return name


_NOT_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f]")


def typed_username(text: str) -> str:
    """A user name as someone typed it at sign-in, fit to record whatever it holds:
    trimmed, lower-case, control characters shown as ``?`` and cut to the id limit."""
    return _NOT_SHOWN.sub("?", text.strip().lower())[:CODE.chars]


# -- passwords ----------------------------------------------------------------------------

PASSWORD_MIN = 10
#: Long enough for any passphrase; a longer one is refused before it is hashed.
PASSWORD_MAX = 1_000


def check_password(password: str, username: str) -> None:
    """Refuse a new password that breaks the policy; never repeats the password.

    Raises:
        ValueError: one sentence naming the password and the rule.
    """
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"password: must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise ValueError(f"password: must be at most {PASSWORD_MAX:,} characters")
    if _NOT_SHOWN.search(password):
        raise ValueError("password: may not hold line breaks, tabs or other control "
                         "characters")
    if password.strip().lower() == username.strip().lower():
        raise ValueError("password: must not be the user name")


# -- lockout ------------------------------------------------------------------------------

#: Consecutive failures allowed before the first wait.
LOCK_AFTER = 5
FIRST_WAIT = timedelta(seconds=60)
LONGEST_WAIT = timedelta(hours=1)


def lockout_wait(failures: int) -> timedelta:
    """How long a user name waits after ``failures`` consecutive failures: nothing
    before the fifth, then 60 s, doubling with each further failure, at most an hour."""
    if failures < LOCK_AFTER:
        return timedelta(0)
    doublings: int = min(failures - LOCK_AFTER, 16)  # 2**16 minutes: far past the cap
    return min(FIRST_WAIT * (1 << doublings), LONGEST_WAIT)


def locked_for(failures: int, last_failed_at: datetime | None, now: datetime) -> int:
    """Whole seconds (rounded up) until the next attempt is allowed; 0 when it is now."""
    if last_failed_at is None:
        return 0
    left = (last_failed_at + lockout_wait(failures) - now).total_seconds()
    return max(0, math.ceil(left))


def wait_words(seconds: int) -> str:
    """A wait as a person says it: "42 seconds", "1 second", "3 minutes"."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


# -- what a refused sign-in says ----------------------------------------------------------

WRONG = "Wrong user name or password."


def refusal(outcome: SignInOutcome, wait_seconds: int = 0) -> str:
    """The one sentence a refused sign-in shows. A wrong password and an unknown user
    name read the same, so that user names cannot be found by trying them."""
    if outcome is SignInOutcome.LOCKED:
        return (f"Too many failed sign-ins with this user name; try again in "
                f"{wait_words(wait_seconds)}.")
    if outcome is SignInOutcome.DEACTIVATED:
        return "This account has been deactivated; ask an administrator to reactivate it."
    if outcome is SignInOutcome.MUST_CHANGE_PASSWORD:
        return "Your password was reset or set by an administrator: you must set a new " \
               "password first."
    if outcome is SignInOutcome.SIGNED_IN:
        raise ValueError("a successful sign-in is not refused")
    return WRONG


# -- records ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Account(Entity):
    """One person's sign-in. The password hash is not here: see ``account_secrets``."""

    TABLE = "accounts"
    NOUN = "account"

    username: str
    #: The professional who signs in; only an administrator's account may have none.
    professional_id: str | None = None
    role: AccountRole = AccountRole.PRACTITIONER
    active: bool = True
    #: Set when an administrator set the password (a new account, a reset): the next
    #: sign-in must choose a new one.
    must_change_password: bool = False
    #: When the password last changed: the audited trace of a change (never the hash).
    password_changed_at: datetime | None = None

    def validate(self) -> None:
        if normalise_username(self.username) != self.username:
            raise ValueError(f"user name: {self.username!r} must be stored trimmed and "
                             "lower-case")
        if self.professional_id is None and self.role is not AccountRole.ADMINISTRATOR:
            raise ValueError(f"professional: is required for a {self.role.value}'s account "
                             "(only an administrator's account may belong to no "
                             "professional)")

    @property
    def actor(self) -> str:
        """Who this account's changes are recorded as in the audit log: the
        professional's id, else ``account:<id>``."""
        return self.professional_id or actor_of(self.id)


ACCOUNT_ACTOR = "account:"


def actor_of(account_id: str) -> str:
    """The audit log's actor for an account that belongs to no professional."""
    return f"{ACCOUNT_ACTOR}{account_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignIn(Entity):
    """One attempt to sign in, kept whatever its outcome (with its audit event)."""

    TABLE = "sign_ins"
    NOUN = "sign-in"

    #: As typed, through :func:`typed_username`.
    username: str
    #: The account signed in to, when the user name is one.
    account_id: str | None = None
    at: datetime
    outcome: SignInOutcome
