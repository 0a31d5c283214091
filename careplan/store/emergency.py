"""Emergency access ("break glass"): opening, in an emergency, the record of a person
one's agency may not see, and the lead professional's review of it.

Each is one transaction with its audit event, checked against the permission rules
(careplan.models.permissions.break_glass, review_emergency_access). The access opens the
record to the professional for the rest of that day (careplan.store.visibility); the
``break-glass`` flag reports it to the lead professional until reviewed.
"""

from __future__ import annotations

from datetime import datetime

from careplan.models import EmergencyAccess, Person, nhs
from careplan.models import permissions as rules
from careplan.store.db import Store
from careplan.store.errors import InputError
from careplan.store.permissions import names, require, team_of, who
from careplan.store.repo import add, find, get, update
from careplan.store.visibility import basis_for

#: Fewer characters than this cannot say why (a reason is read by the lead professional).
SHORTEST_REASON = 10


def person_by_nhs(store: Store, text: str) -> Person:
    """The person with this NHS number (typed with or without spaces).

    Raises:
        InputError: naming the field: not an NHS number, or nobody has it.
    """
    try:
        number = nhs.normalise(text)
    except ValueError as exc:
        raise InputError(f"NHS number: {exc}") from None
    found = find(store, Person, nhs_number=number)
    if not found:
        raise InputError(f"NHS number: no person with NHS number {nhs.format_334(number)} "
                         "in this store")
    return found[0]


def open_in_emergency(store: Store, person_id: str, reason: str, actor: str,
                      at: datetime) -> EmergencyAccess:
    """Record that ``actor`` opens the person's record in an emergency at ``at``, for
    ``reason``: it then opens to them for the rest of that day.

    Raises:
        NotAllowedError: the actor is not a professional (an administrator's account).
        InputError: no reason (or too short a one), or the record is already shared with
            the actor's agency (it opens from the caseload, with no emergency).
    """
    text = " ".join(reason.split())
    if len(text) < SHORTEST_REASON:
        raise InputError("reason: say why you must open this record in an emergency (it is "
                         "recorded and the lead professional reads it)")
    with store.atomic():
        w = who(store, actor)
        require(rules.break_glass(w))
        assert w is not None and w.professional_id is not None and w.agency_id is not None
        get(store, Person, person_id)
        if basis_for(store, person_id, w.agency_id, at.date()).allowed:
            raise InputError("emergency access: this record is shared with your agency; "
                             "open it from the caseload")
        return add(store, EmergencyAccess(person_id=person_id,
                                          professional_id=w.professional_id,
                                          agency_id=w.agency_id, reason=reason.strip(),
                                          opened_at=at), actor)


def review(store: Store, access: EmergencyAccess, note: str, actor: str,
           at: datetime) -> EmergencyAccess:
    """Record that the lead professional (or a manager of an agency on the care team)
    reviewed the emergency access, with their note: its ``break-glass`` flag clears.

    Raises:
        NotAllowedError: the actor is neither the lead professional nor a manager of an
            agency on the care team.
        InputError: it was already reviewed.
        StaleWriteError: it changed since ``access`` was read.
    """
    with store.atomic():
        stored = get(store, EmergencyAccess, access.id).evolve(version=access.version)
        w = who(store, actor)
        require(rules.review_emergency_access(w, team_of(store, stored.person_id, at.date()),
                                              names(store)))
        assert w is not None and w.professional_id is not None
        if stored.reviewed:
            raise InputError("review: this emergency access was already reviewed")
        try:
            reviewed = stored.evolve(reviewed_by=w.professional_id, reviewed_at=at,
                                     review_note=note.strip())
        except ValueError as exc:
            raise InputError(str(exc)) from None
        return update(store, reviewed, actor)


def accesses_of(store: Store, person_id: str) -> list[EmergencyAccess]:
    """The person's emergency accesses, newest first."""
    return find(store, EmergencyAccess, order_by="-opened_at", person_id=person_id)
