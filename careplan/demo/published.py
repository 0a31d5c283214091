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
from careplan.store.keyring import Keyring, wrap_many

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
                      example_manager(store) or first(AccountRole.MANAGER),
                      first(AccountRole.PRACTITIONER))


def sign_in_text(manager: str) -> str:
    """What ``careplan demo`` says of the demo's accounts (``manager``: an example)."""
    example = f" (e.g. {manager}, a manager)" if manager else ""
    return (f"Sign in as any demo professional by first.last{example}, or as {ADMIN} (the "
            "administrator, who manages accounts and sees no one's record); every demo "
            f"account's password is {DEMO_PASSWORD}. Each professional sees the persons whose "
            "records may be shared with their agency.")


def example_manager(store: Store) -> str:
    """The manager to give as an example: the one whose agency may see the most persons
    (consent given or a legal basis recorded for it; an agency with none would show an
    empty caseload); "" when there is no manager."""
    row = store.conn.execute(
        "SELECT a.username FROM accounts a JOIN professionals p ON p.id = a.professional_id "
        "LEFT JOIN consents k ON k.agency_id = p.agency_id "
        "AND k.status IN ('given', 'legal basis') WHERE a.role = ? AND a.active "
        "GROUP BY a.username ORDER BY count(DISTINCT k.person_id) DESC, a.username LIMIT 1",
        (AccountRole.MANAGER.value,)).fetchone()
    return str(row[0]) if row else ""


def keyring_hint(store: Store) -> dict[str, object] | None:
    """What an encrypted demo store's keyring keeps of :func:`demo_sign_in`, for its
    sign-in screen (the store itself cannot be read before the sign-in): None for a store
    not built as the demo."""
    demo = demo_sign_in(store)
    if demo is None:
        return None
    return {"password": demo.password, "usernames": list(demo.usernames),
            "manager": demo.manager, "practitioner": demo.practitioner}


def from_keyring(hint: object) -> DemoSignIn | None:
    """:func:`keyring_hint` read back (None when it is not one)."""
    if not isinstance(hint, dict):
        return None
    try:
        return DemoSignIn(str(hint["password"]), tuple(str(n) for n in hint["usernames"]),
                          str(hint.get("manager", "")), str(hint.get("practitioner", "")))
    except (KeyError, TypeError):
        return None


def wrap_for_demo_accounts(store: Store, ring: Keyring) -> None:
    """Wrap an encrypted demo store's key for every demo account, under the published
    password, and keep the sign-in screen's hint in ``ring`` (the caller writes it)."""
    assert store.key is not None, "only an encrypted store has a keyring"
    hint = keyring_hint(store)
    if hint is None:
        return
    names = [str(r[0]) for r in store.conn.execute("SELECT username FROM accounts")]
    wrap_many(ring, store.key, names, DEMO_PASSWORD)
    ring.demo = hint


__all__ = ["ADMIN", "DEMO_FLAG", "DEMO_PASSWORD", "DemoSignIn", "demo_sign_in",
           "example_manager", "from_keyring", "is_demo", "keyring_hint", "mark_as_demo",
           "sign_in_text", "wrap_for_demo_accounts"]
