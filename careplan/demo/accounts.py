"""The demo's accounts: an administrator and one account per demo professional, all with
one published password.

User names are the professionals' first and last names (``sue.marsh``; ``asha.patel``
for Dr Asha Patel); managers get manager accounts, everyone else practitioner accounts, and
``admin`` is the administrator (no professional). Every account has the password
:data:`DEMO_PASSWORD`, hashed once for them all: an argon2id hash costs a tenth of a
second, and a demo of 50,000 persons has over a thousand professionals. The hash's salt
comes from the demo's seed (careplan.store.accounts.published_hash), so the same demo
makes the same store; that is safe only because the password is published.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from datetime import UTC, datetime, time

from careplan.demo.generator import Demo
from careplan.demo.published import (
    ADMIN,
    DEMO_PASSWORD,
    example_manager,
    mark_as_demo,
    sign_in_text,
)
from careplan.demo.world import Ids
from careplan.models.accounts import USERNAME_MAX, Account, AccountRole
from careplan.models.enums import Role
from careplan.store import accounts
from careplan.store.db import Store
from careplan.store.errors import InputError

#: Where the accounts' ids start on the demo's id clock: before the money's, an hour
#: before midnight of the demo's today.
_ACCOUNTS_OFFSET_MS = 3_600_000


_TITLES = {"dr", "prof", "mr", "mrs", "ms", "miss", "mx"}


def username_for(name: str) -> str:
    """``first.last`` from a demo professional's name, without a title ("Dr Asha Patel":
    ``asha.patel``), in the letters a user name may hold."""
    words = name.split()
    if len(words) > 1 and words[0].lower().rstrip(".") in _TITLES:
        words = words[1:]
    plain = unicodedata.normalize("NFKD", ".".join(words)).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9._-]", "", plain.lower()).strip("._-")
    return (cleaned or "staff")[:USERNAME_MAX - 4]


def demo_accounts(demo: Demo) -> list[Account]:
    """The administrator, then one account per professional, in the world's order."""
    ids = Ids(random.Random(f"{demo.seed}:accounts"), demo.epoch_ms - _ACCOUNTS_OFFSET_MS)
    since = datetime.combine(demo.today, time(), UTC)
    made = [Account(id=ids(), username=ADMIN, role=AccountRole.ADMINISTRATOR,
                    password_changed_at=since)]
    taken = {ADMIN}
    for staff in demo.world.staff.values():
        for pro in staff:
            base = name = username_for(pro.name)
            n = 1
            while name in taken:  # two professionals with one name (only in huge demos)
                n += 1
                name = f"{base}.{n}"
            taken.add(name)
            role = AccountRole.MANAGER if pro.role is Role.MANAGER else AccountRole.PRACTITIONER
            made.append(Account(id=ids(), username=name, professional_id=pro.id, role=role,
                                password_changed_at=since))
    return made


def add_demo_accounts(store: Store, demo: Demo, actor: str, event_ids: list[str]) -> int:
    """Write the demo's accounts (``event_ids``: one per account, deterministic) and flag
    the store as the demo's (careplan.demo.published); return how many.

    Raises:
        InputError: the store has accounts already.
    """
    if accounts.count(store):
        raise InputError("demo: the store has accounts already; the demo fills only an "
                         "empty store and makes its own accounts (choose a new file name)")
    made = demo_accounts(demo)
    salt = hashlib.sha256(f"careplan demo {demo.store_id}".encode()).digest()[:16]
    password_hash = accounts.published_hash(DEMO_PASSWORD, salt)
    since = datetime.combine(demo.today, time(), UTC)
    with store.atomic():
        added = accounts.add_accounts_with_hash(store, made, password_hash, actor, since,
                                                event_ids[:len(made)])
        mark_as_demo(store)
    return added


def account_count(demo: Demo) -> int:
    """How many accounts the demo makes (for its audit event ids)."""
    return 1 + sum(len(staff) for staff in demo.world.staff.values())


def how_to_sign_in(store: Store, db: str) -> str:
    """What ``careplan demo`` prints about the demo's accounts."""
    manager = example_manager(store)
    return sign_in_text(manager) + f"\nFor example: careplan flags --db {db} --user " + (
        manager or ADMIN)


__all__ = ["ADMIN", "DEMO_PASSWORD", "account_count", "add_demo_accounts", "demo_accounts",
           "how_to_sign_in", "username_for"]
