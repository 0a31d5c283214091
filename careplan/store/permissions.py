"""What the permission rules need from the store, and refusing a write they refuse.

The rules are careplan.models.permissions'. Every store function a person's act goes
through (casework, team, funding, plan versions, rule overrides, accounts) resolves
its ``actor`` with :func:`who`, gathers what the rule reads (:func:`team_of`,
:func:`names`) and calls :func:`require` before it writes anything, inside its
transaction. Bulk writers that are no person's act (the demo, FHIR import, test set-up
through careplan.store.repo) are not checked.
"""

from __future__ import annotations

from datetime import date

from careplan.models import CareTeamMember, Professional
from careplan.models.accounts import ACCOUNT_ACTOR, Account
from careplan.models.permissions import CareTeam, Decision, Who, care_team, who_is
from careplan.store.db import Store
from careplan.store.errors import NotAllowedError
from careplan.store.repo import find
from careplan.store.rows import from_row


def who(store: Store, actor: str) -> Who | None:
    """Who ``actor`` is (a professional's id, or ``account:<id>`` for an account that
    belongs to no professional), with the authority of their account; None when the
    store knows no such person, or their account is deactivated."""
    account: Account | None = None
    professional: Professional | None = None
    if actor.startswith(ACCOUNT_ACTOR):
        rows = store.query("SELECT * FROM accounts WHERE id = ?",
                           (actor.removeprefix(ACCOUNT_ACTOR),))
        if not rows:
            return None
        account = from_row(Account, rows[0])
        if account.professional_id is not None:
            professional = _professional(store, account.professional_id)
    else:
        professional = _professional(store, actor)
        if professional is None:
            return None
        rows = store.query("SELECT * FROM accounts WHERE professional_id = ?", (actor,))
        account = from_row(Account, rows[0]) if rows else None
    return who_is(professional, account)


def _professional(store: Store, professional_id: str) -> Professional | None:
    rows = store.query("SELECT * FROM professionals WHERE id = ?", (professional_id,))
    return from_row(Professional, rows[0]) if rows else None


class StoreNames:
    """Names for the rules' sentences, read when a sentence needs them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def agency_name(self, agency_id: str | None) -> str:
        row = self.store.conn.execute("SELECT name FROM agencies WHERE id = ?",
                                      (agency_id,)).fetchone()
        return str(row[0]) if row else "an unknown agency"

    def professional_name(self, professional_id: str | None) -> str:
        row = self.store.conn.execute("SELECT name FROM professionals WHERE id = ?",
                                      (professional_id,)).fetchone()
        return str(row[0]) if row else "an unknown professional"


def names(store: Store) -> StoreNames:
    return StoreNames(store)


def team_of(store: Store, person_id: str, day: date) -> CareTeam:
    """The person's care team on ``day``: its members' agencies and the lead."""
    members = find(store, CareTeamMember, person_id=person_id)
    agency_of = {str(r[0]): str(r[1]) for r in store.conn.execute(
        "SELECT p.id, p.agency_id FROM care_team_members m JOIN professionals p "
        "ON p.id = m.professional_id WHERE m.person_id = ?", (person_id,))}
    return care_team(members, agency_of, day)


def person_of_plan(store: Store, plan_id: str) -> str | None:
    row = store.conn.execute("SELECT person_id FROM care_plans WHERE id = ?",
                             (plan_id,)).fetchone()
    return None if row is None else str(row[0])


def today(store: Store) -> date:
    """The day an undated act is checked on: the store's clock."""
    return store.clock().date()


def require(decision: Decision) -> None:
    """Go on if the rule allowed it.

    Raises:
        NotAllowedError: its reason, naming who may; nothing has been written.
    """
    if not decision.allowed:
        raise NotAllowedError(decision.reason)


__all__ = ["StoreNames", "names", "person_of_plan", "require", "team_of", "today", "who"]
