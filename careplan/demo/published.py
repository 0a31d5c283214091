"""What the demo publishes about its accounts, and how a store says it was built as the
demo.

The demo's accounts share one published password (README: "Demo store"). A store built
by the demo carries the ``store_meta`` flag :data:`DEMO_FLAG`, written in the same
transaction as those accounts; only such a store's sign-in screen names its user names
and that password (:func:`demo_sign_in`). A store not built as the demo never shows them.

Kept apart from careplan.demo.accounts, which imports the generator, so that the desktop
app's sign-in screen reads it without loading the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from careplan.models.accounts import Account, AccountRole
from careplan.store import find
from careplan.store.db import Store

#: The one password of every demo account.
DEMO_PASSWORD = "careplan-demo"
#: The demo's administrator, who belongs to no professional.
ADMIN = "admin"
#: The ``store_meta`` key the demo builder sets on the store it fills (value "1").
DEMO_FLAG = "demo_accounts"


def mark_as_demo(store: Store) -> None:
    """Flag ``store`` as built by the demo (in the caller's transaction, if any)."""
    store.set_meta(DEMO_FLAG, "1")


def is_demo(store: Store) -> bool:
    """Whether ``store`` was built as the demo (and so has the published password)."""
    return store.meta(DEMO_FLAG) == "1"


@dataclass(frozen=True, slots=True)
class DemoSignIn:
    """What a demo store's sign-in screen says: its user names and their password."""

    password: str
    #: Every active account's user name: the administrator's first, then by name.
    usernames: tuple[str, ...]
    #: A manager's and a practitioner's user name, to give as examples ("" when none).
    manager: str
    practitioner: str


def demo_sign_in(store: Store) -> DemoSignIn | None:
    """The demo's user names and password, for a store built as the demo; else None."""
    if not is_demo(store):
        return None
    active = find(store, Account, order_by="username", active=True)
    names = sorted(active, key=lambda a: (a.username != ADMIN, a.username))

    def first(role: AccountRole) -> str:
        return next((a.username for a in names if a.role is role), "")

    return DemoSignIn(DEMO_PASSWORD, tuple(a.username for a in names),
                      first(AccountRole.MANAGER), first(AccountRole.PRACTITIONER))


__all__ = ["ADMIN", "DEMO_FLAG", "DEMO_PASSWORD", "DemoSignIn", "demo_sign_in", "is_demo",
           "mark_as_demo"]
