"""Care team membership, the lead professional and consent per agency; undoing additions.

Each function is one transaction with its audit events. Refusals raise
:class:`InputError` (or the model's ValueError) naming the field, and write nothing.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import TypeVar

from careplan.models import CareTeamMember, Consent, Professional
from careplan.models.base import Entity
from careplan.store import audit
from careplan.store.db import Store
from careplan.store.errors import InputError, StaleWriteError
from careplan.store.repo import actor_name, add, find, get, update
from careplan.store.rows import to_row

E = TypeVar("E", bound=Entity)


def _current(store: Store, person_id: str, day: date) -> list[CareTeamMember]:
    return [m for m in find(store, CareTeamMember, person_id=person_id) if m.active_on(day)]


def add_member(store: Store, member: CareTeamMember, actor: str) -> CareTeamMember:
    """Add a professional to a person's care team (as lead: the old lead steps down)."""
    with store.atomic():
        pro = get(store, Professional, member.professional_id)
        if any(m.professional_id == pro.id for m in _current(store, member.person_id,
                                                             member.start_date)):
            raise InputError(f"professional: {pro.name} is already in the care team on "
                             f"{member.start_date:%d %b %Y}")
        saved = add(store, member, actor)
        if member.is_lead:
            _only_lead(store, saved, actor)
    return saved


def undo_add_member(store: Store, member: CareTeamMember, previous_lead: str | None,
                    actor: str) -> None:
    """Take back :func:`add_member`: remove the member and give the lead back."""
    with store.atomic():
        remove_added(store, member, actor)
        if member.is_lead and previous_lead is not None:
            set_lead(store, member.person_id, previous_lead, actor)


def end_membership(store: Store, member: CareTeamMember, end: date,
                   actor: str) -> CareTeamMember:
    """Record the last day of a member's time in the team.

    Raises:
        InputError: the member is the lead professional (choose another lead first).
        ValueError: the end date is before the start date (named by the model).
    """
    ended = member.evolve(end_date=end)  # the model checks the dates
    if member.is_lead:
        name = actor_name(store, member.professional_id)
        raise InputError(f"end date: {name} is the lead professional; make someone else "
                         "the lead professional first")
    return update(store, ended, actor)


def set_lead(store: Store, person_id: str, member_id: str | None, actor: str) -> str | None:
    """Make ``member_id`` the only lead professional (None: nobody); return the old lead.

    Raises:
        InputError: the member is not in this person's team, or has left it.
    """
    with store.atomic():
        team = find(store, CareTeamMember, person_id=person_id)
        previous = next((m.id for m in team if m.is_lead), None)
        target = next((m for m in team if m.id == member_id), None)
        if member_id is not None and target is None:
            raise InputError("lead professional: not a member of this person's care team")
        if target is not None and target.end_date is not None:
            raise InputError("lead professional: this member has left the care team")
        for m in team:
            if m.is_lead != (m.id == member_id):
                update(store, m.evolve(is_lead=m.id == member_id), actor)
    return previous


def _only_lead(store: Store, lead: CareTeamMember, actor: str) -> None:
    for m in find(store, CareTeamMember, person_id=lead.person_id):
        if m.is_lead and m.id != lead.id:
            update(store, m.evolve(is_lead=False), actor)


def record_consent(store: Store, consent: Consent, actor: str) -> Consent:
    """Record consent to share with one agency (given, refused, withdrawn or a legal
    basis). Consent is a history: the latest record for an agency decides."""
    return add(store, consent, actor)


def rewrite(store: Store, values: E, expected: E, actor: str) -> E:
    """Write ``values`` over a record whose content must still be ``expected`` (undo and
    redo; versions move on with other undoable edits, content must not).

    Raises:
        StaleWriteError: someone changed the record meanwhile; nothing is written.
    """
    with store.atomic():
        current = get(store, type(expected), expected.id)
        if current.evolve(version=0) != expected.evolve(version=0):
            raise _changed(store, expected)
        return update(store, values.evolve(version=current.version), actor)


def remove_added(store: Store, entity: E, actor: str) -> None:
    """Undo an addition: delete the record if nothing changed it or points at it since.

    The audit trail keeps both the creation and this removal (``after`` says deleted).

    Raises:
        StaleWriteError: the record changed since it was added.
        InputError: another record now refers to it.
    """
    with store.atomic():
        current = get(store, type(entity), entity.id)
        if current.evolve(version=0) != entity.evolve(version=0):
            raise _changed(store, entity)
        before = to_row(current)
        try:
            store.conn.execute(f"DELETE FROM {entity.TABLE} WHERE id = ?", (entity.id,))
        except sqlite3.IntegrityError:
            raise InputError(f"{entity.NOUN}: other records now refer to it, so adding it "
                             "cannot be undone") from None
        after = {"id": entity.id, "version": current.version + 1, "deleted": True}
        audit.record(store, entity.TABLE, entity.id, before, after, actor, store.clock())


def _changed(store: Store, entity: Entity) -> StaleWriteError:
    who = actor_name(store, store.query(f"SELECT updated_by FROM {entity.TABLE} WHERE id = ?",
                                        (entity.id,))[0]["updated_by"])
    return StaleWriteError(f"This {entity.NOUN} was changed by {who} since; nothing was "
                           "undone or redone. It has been reloaded.")
