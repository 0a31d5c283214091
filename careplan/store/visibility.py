"""Whose records a reader may see: the sharing basis, as the store's reads apply it.

A professional sees a person's record only when the sharing basis of their agency allows
it (careplan.models.sharing_basis: consent given or a recorded legal basis, the latest
record deciding); without one their agency sees nothing of the person: not in the
caseload, not in search, not among the persons behind the dashboard's figures, not in
flags or exports. The reads the app and the command line use take the reader
(:class:`Viewer`) and apply the rule in SQL (:func:`visible_sql`, the caseload query) or
refuse in one sentence (:func:`require_visible`, the person file).

An administrator's account that belongs to no professional belongs to no agency: no
sharing basis names it, so it sees no one's record (it manages accounts and thresholds).

In an emergency a professional may open a record their agency may not see, giving the
reason (careplan.store.emergency): the access, recorded and audited, opens the record for
them for the rest of that day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from careplan.models import Agency, Consent, EmergencyAccess, Professional
from careplan.models.accounts import ACCOUNT_ACTOR, Account
from careplan.models.sharing_basis import SharingBasis, allowed_persons_sql, sharing_basis
from careplan.store.db import Store
from careplan.store.errors import NotAllowedError
from careplan.store.repo import find
from careplan.store.rows import from_row


class NotSharedError(NotAllowedError):
    """The reader's agency may not see this person's record (or, for a print, the
    audience may receive nothing of it); nothing was shown or written."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading: the agency whose sharing basis decides what they see.

    ``agency_id`` None: no agency (an administrator's account that belongs to no
    professional), which sees no one's record.
    """

    agency_id: str | None
    professional_id: str | None = None
    #: The agency's name (or, with no agency, the account's user name) for sentences.
    name: str = ""

    @property
    def sees_anyone(self) -> bool:
        return self.agency_id is not None

    def nobody(self) -> str:
        """The sentence for a reader with no agency."""
        who = self.name or "This account"
        return (f"{who} is an account that belongs to no professional and so to no agency: "
                "no person's record is shared with it. Sign in with a professional's "
                "account.")


def viewer_of(store: Store, account: Account | None) -> Viewer:
    """The reader signed in with ``account`` (None: no one, who sees nothing)."""
    if account is None or account.professional_id is None or not account.active:
        return Viewer(None, None, account.username if account is not None else "")
    return viewer_for(store, account.professional_id)


def viewer_for(store: Store, actor: str) -> Viewer:
    """The reader behind an actor id: a professional's id, or ``account:<id>``."""
    if actor.startswith(ACCOUNT_ACTOR):
        rows = store.query("SELECT * FROM accounts WHERE id = ?",
                           (actor.removeprefix(ACCOUNT_ACTOR),))
        return viewer_of(store, from_row(Account, rows[0]) if rows else None)
    pros = find(store, Professional, id=actor)
    if not pros:
        return Viewer(None, None, actor)
    agency = find(store, Agency, id=pros[0].agency_id)
    return Viewer(pros[0].agency_id, pros[0].id, agency[0].name if agency else "")


def visible_sql(person: str = "p.id") -> str:
    """SQL true when the reader bound as ``:viewer_agency`` may see the person whose id
    is ``person`` on ``:today`` (:func:`params` binds both)."""
    return f"{person} IN ({allowed_persons_sql(':viewer_agency', ':today')})"


def params(viewer: Viewer, today: date) -> dict[str, Any]:
    """The values :func:`visible_sql` needs. A reader with no agency matches no consent
    (an id no row has), so sees no one."""
    return {"viewer_agency": viewer.agency_id if viewer.agency_id is not None else "",
            "today": today.isoformat()}


def consents_of(store: Store, person_id: str) -> list[Consent]:
    return find(store, Consent, order_by="recorded_on", person_id=person_id)


def basis_for(store: Store, person_id: str, agency_id: str | None,
              today: date) -> SharingBasis:
    """The sharing basis of ``agency_id`` for the person on ``today`` (no agency: none)."""
    if agency_id is None:
        return SharingBasis("", False)
    return sharing_basis(consents_of(store, person_id), agency_id, today)


def emergency_access(store: Store, viewer: Viewer, person_id: str,
                     today: date) -> EmergencyAccess | None:
    """The reader's emergency access to the person made on ``today``, if any: it opens
    the record to them for the rest of that day."""
    if viewer.professional_id is None:
        return None
    rows = store.query(
        "SELECT * FROM emergency_accesses WHERE person_id = ? AND professional_id = ? "
        "AND substr(opened_at, 1, 10) = ? ORDER BY opened_at DESC LIMIT 1",
        (person_id, viewer.professional_id, today.isoformat()))
    return from_row(EmergencyAccess, rows[0]) if rows else None


def may_see(store: Store, viewer: Viewer, person_id: str, today: date) -> bool:
    """Whether the reader may see the person's record on ``today`` (their agency's sharing
    basis, or their own emergency access that day)."""
    if basis_for(store, person_id, viewer.agency_id, today).allowed:
        return True
    return emergency_access(store, viewer, person_id, today) is not None


def not_shared(viewer: Viewer, basis: SharingBasis) -> str:
    """The sentence refusing a reader the record of a person."""
    if not viewer.sees_anyone:
        return viewer.nobody()
    return (f"This person's record is not shared with {viewer.name or 'your agency'} "
            f"({basis.reason}); in an emergency, open it with emergency access, giving "
            "the reason (it is recorded and reported to their lead professional).")


def require_visible(store: Store, viewer: Viewer, person_id: str, today: date) -> None:
    """Go on if the reader may see the person's record on ``today``.

    Raises:
        NotSharedError: one sentence saying why not; nothing was read for them.
    """
    basis = basis_for(store, person_id, viewer.agency_id, today)
    if basis.allowed or emergency_access(store, viewer, person_id, today) is not None:
        return
    raise NotSharedError(not_shared(viewer, basis))


def shareable_persons(store: Store, agency_id: str, today: date) -> set[str]:
    """Ids of every person whose records may be shared with ``agency_id`` on ``today``:
    for a print, an export or a change pack made for that agency."""
    sql = f"SELECT p.id FROM persons p WHERE {visible_sql()}"
    return {str(r[0]) for r in store.conn.execute(sql, params(Viewer(agency_id), today))}


def visible_ids(store: Store, viewer: Viewer, ids: Iterable[str], today: date) -> set[str]:
    """Those of ``ids`` the reader may see on ``today`` (by their agency's basis; an
    emergency access opens one person's file, never a list)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted or not viewer.sees_anyone:
        return set()
    sql = (f"SELECT p.id FROM persons p WHERE p.id IN (SELECT value FROM json_each(:ids)) "
           f"AND {visible_sql()}")
    return {str(r[0]) for r in store.conn.execute(
        sql, {**params(viewer, today), "ids": json.dumps(wanted)})}


__all__ = [
    "NotSharedError",
    "Viewer",
    "basis_for",
    "emergency_access",
    "may_see",
    "not_shared",
    "params",
    "require_visible",
    "shareable_persons",
    "viewer_for",
    "viewer_of",
    "visible_ids",
    "visible_sql",
]
