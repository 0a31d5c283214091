"""Registering a person and correcting their details, each one transaction with its
audit events.

Before a person is registered the stored persons who may be them are listed
(:func:`possible_duplicates`: the same NHS number, or the same date of birth and a
similar name, careplan.models.matching). A stored person with the NHS number cannot be
registered again; one with the same date of birth and a similar name can, once whoever
registers has seen them and said this is someone else (``seen``): a similar person
recorded meanwhile refuses the registration, so nobody confirms what they were not shown.

A change of name, date of birth or NHS number is an update of the person's record, so
its audit event keeps the values before and after (the History tab shows them).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date

from careplan.models import Agency, CareTeamMember, Consent, Person, Professional
from careplan.models import permissions as rules
from careplan.models.dates import uk_date
from careplan.models.enums import AgencyKind, ConsentStatus, LegalBasis
from careplan.models.matching import SAME_NHS_NUMBER, duplicate_reason
from careplan.models.nhs import format_334
from careplan.store.db import Store
from careplan.store.errors import InputError, NotFoundError
from careplan.store.fastload import build_rows, columns_sql
from careplan.store.permissions import names, require, team_of, today, who
from careplan.store.repo import add, get, update
from careplan.store.visibility import Viewer, viewer_for, visible_ids


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    """A stored person who may be the one being registered, and why. ``shared``: whether
    the registering professional's agency may see their record; when it may not, the
    person is described without name, date of birth or NHS number (their existence is
    all that is said, so that nobody is registered twice)."""

    person: Person
    reason: str
    shared: bool = True

    def describe(self) -> str:
        """``Margaret Okafor, born 3 Mar 1941, NHS number 999 000 0123 (the same date of
        birth and a similar name)``, or, for a record not shared with the registering
        agency, ``a person whose record is not shared with your agency (…)``."""
        if not self.shared:
            return f"a person whose record is not shared with your agency ({self.reason})"
        p = self.person
        number = f", NHS number {format_334(p.nhs_number)}" if p.nhs_number else ""
        return f"{p.name}, born {uk_date(p.birth_date)}{number} ({self.reason})"


def possible_duplicates(store: Store, person: Person, viewer: Viewer | None = None,
                        on: date | None = None) -> list[PossibleDuplicate]:
    """The stored persons (other than ``person`` itself) who may be ``person``: the same
    NHS number first, then the same date of birth and a similar name, by name. With a
    ``viewer`` (on ``on``), those whose record the viewer's agency may not see are marked
    not ``shared``."""
    rows = store.conn.execute(
        f"SELECT {columns_sql(Person, 'p')} FROM persons p "
        "WHERE (p.birth_date = ? OR (? IS NOT NULL AND p.nhs_number = ?)) AND p.id != ? "
        "ORDER BY p.family_name, p.given_name",
        (person.birth_date.isoformat(), person.nhs_number, person.nhs_number, person.id))
    found = []
    for stored in build_rows(Person, rows):
        reason = duplicate_reason(person.nhs_number, person.birth_date, person.given_name,
                                  person.family_name, stored.nhs_number, stored.birth_date,
                                  stored.given_name, stored.family_name)
        if reason is not None:
            found.append(PossibleDuplicate(stored, reason))
    found.sort(key=lambda d: d.reason != SAME_NHS_NUMBER)
    if viewer is not None and found:
        seen = visible_ids(store, viewer, [d.person.id for d in found], on or today(store))
        found = [replace(d, shared=d.person.id in seen) for d in found]
    return found


def _check_gp_practice(store: Store, person: Person) -> None:
    if person.gp_practice_id is None:
        return
    row = store.conn.execute("SELECT name, kind FROM agencies WHERE id = ?",
                             (person.gp_practice_id,)).fetchone()
    if row is not None and row[1] != AgencyKind.GP_PRACTICE.value:
        raise InputError(f"GP practice: {row[0]} is not a GP practice")


def register_person(store: Store, person: Person, actor: str, *,
                    seen: Collection[str] = (), join_team_on: date | None = None) -> Person:
    """Register ``person`` (a new record). ``seen``: the ids of the possible duplicates
    the person registering was shown and said are someone else. ``join_team_on``: the
    registering professional joins the person's care team from that day (in their own
    role), so that they can go on to record the person's care.

    The registering professional's agency is given, in the same transaction, a legal
    basis of kind direct care for the person, dated the registration (``join_team_on``,
    else the store's today): it registered them to provide their care, and must be able
    to open the record it made (careplan.store.visibility). No other agency is given
    anything: their consent or legal basis is recorded on the Care team tab. A refusal
    recorded later stands against it, as against any direct-care basis.

    Raises:
        NotAllowedError: the actor is no professional signed in to their own account.
        InputError: the NHS number is already recorded; a possible duplicate was not
            among those seen; the GP practice is no GP practice; a date is implausible.
    """
    if person.version != 0:
        raise InputError("person: a registration is of a new person")
    with store.atomic():
        w = who(store, actor)
        require(rules.register_person(w))
        for dup in possible_duplicates(store, person, viewer_for(store, actor)):
            if dup.reason == SAME_NHS_NUMBER and not dup.shared:
                raise InputError(f"NHS number: {format_334(dup.person.nhs_number or '')} is "
                                 "already recorded for a person whose record is not shared "
                                 "with your agency; ask their lead professional, or use "
                                 "emergency access if the need is urgent")
            if dup.reason == SAME_NHS_NUMBER:
                raise InputError(f"NHS number: {format_334(dup.person.nhs_number or '')} is "
                                 f"already recorded for {dup.person.name}, born "
                                 f"{uk_date(dup.person.birth_date)}; open their record "
                                 "instead")
            if dup.person.id not in seen:
                raise InputError(f"possible duplicate: {dup.describe()} is already "
                                 "recorded; check that this is someone else first")
        _check_gp_practice(store, person)
        saved = add(store, person, actor)
        pro = get(store, Professional, actor)
        agency = get(store, Agency, pro.agency_id)
        add(store, Consent(person_id=saved.id, agency_id=pro.agency_id,
                           status=ConsentStatus.LEGAL_BASIS, basis=LegalBasis.DIRECT_CARE,
                           recorded_on=join_team_on or today(store), recorded_by=pro.id,
                           legal_basis=f"Registered by {pro.name} of {agency.name} for "
                                       "their care"), actor)
        if join_team_on is not None:
            add(store, CareTeamMember(person_id=saved.id, professional_id=pro.id,
                                      role=pro.role, start_date=join_team_on), actor)
    return saved


def edit_person(store: Store, person: Person, actor: str) -> Person:
    """Save a correction of a stored person's details (name, date of birth, NHS number,
    GP practice, address, what matters to them); the audit event keeps the values
    before and after.

    Raises:
        NotAllowedError: the actor is neither on the care team nor a manager.
        StaleWriteError: someone changed the person since ``person`` was read.
        InputError: the NHS number is another person's; a date is implausible...
    """
    with store.atomic():
        try:
            get(store, Person, person.id)
        except NotFoundError:
            raise InputError("person: there is no such person in this store") from None
        require(rules.edit_person(who(store, actor), team_of(store, person.id, today(store)),
                                  names(store)))
        _check_gp_practice(store, person)
        return update(store, person, actor)


def neighbourhoods(store: Store) -> list[str]:
    """The neighbourhoods the store knows (of its agencies and persons), by name."""
    return [str(r[0]) for r in store.conn.execute(
        "SELECT neighbourhood FROM agencies WHERE neighbourhood != '' UNION "
        "SELECT neighbourhood FROM persons WHERE neighbourhood != '' ORDER BY 1")]


__all__ = ["PossibleDuplicate", "edit_person", "neighbourhoods", "possible_duplicates",
           "register_person"]
