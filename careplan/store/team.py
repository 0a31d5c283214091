"""Care team membership, the lead professional and consent per agency.

Each function is one transaction with its audit events. Refusals raise
:class:`InputError` (or the model's ValueError) naming the field, or NotAllowedError
naming who may (careplan.models.permissions), and write nothing. The lead professional
changes when a coordination handoff is accepted (careplan.store.casework), or here, by
a manager of an agency on the care team, with the reason recorded on the membership.
"""

from __future__ import annotations

from datetime import date

from careplan.models import CareTeamMember, Consent, Professional
from careplan.models import permissions as rules
from careplan.store.db import Store
from careplan.store.errors import InputError
from careplan.store.permissions import names, require, team_of, today, who
from careplan.store.repo import actor_name, add, find, get, update


def _current(store: Store, person_id: str, day: date) -> list[CareTeamMember]:
    return [m for m in find(store, CareTeamMember, person_id=person_id) if m.active_on(day)]


def _reason(reason: str, name: str) -> str:
    if not reason.strip():
        raise InputError(f"reason: say why {name} becomes the lead professional (it is "
                         "recorded)")
    return reason.strip()


def add_member(store: Store, member: CareTeamMember, actor: str,
               reason: str = "") -> CareTeamMember:
    """Add a professional to a person's care team (as lead: the old lead steps down).

    Raises:
        NotAllowedError: the actor is neither a member of an agency on the care team
            nor a manager; or, to add the lead professional, not a manager of an agency
            on the care team.
        InputError: already in the team, or added as lead without a ``reason``.
    """
    with store.atomic():
        team, w, n = team_of(store, member.person_id, today(store)), who(store, actor), \
            names(store)
        require(rules.add_member(w, team, n))
        pro = get(store, Professional, member.professional_id)
        if member.is_lead:
            require(rules.set_lead(w, team, n))
            member = member.evolve(lead_reason=_reason(reason, pro.name))
        elif member.lead_reason:
            member = member.evolve(lead_reason="")
        if any(m.professional_id == pro.id for m in _current(store, member.person_id,
                                                             member.start_date)):
            raise InputError(f"professional: {pro.name} is already in the care team on "
                             f"{member.start_date:%d %b %Y}")
        saved = add(store, member, actor)
        if member.is_lead:
            _only_lead(store, saved, actor)
    return saved


def end_membership(store: Store, member: CareTeamMember, end: date,
                   actor: str) -> CareTeamMember:
    """Record the last day of a member's time in the team.

    Raises:
        NotAllowedError: the actor is not the member, a member of their agency or the
            lead professional.
        InputError: the member is the lead professional (choose another lead first).
        ValueError: the end date is before the start date (named by the model).
    """
    with store.atomic():
        stored = get(store, CareTeamMember, member.id).evolve(version=member.version)
        agency = get(store, Professional, stored.professional_id).agency_id
        require(rules.end_membership(who(store, actor), stored, agency,
                                     team_of(store, stored.person_id, today(store)),
                                     names(store)))
        ended = stored.evolve(end_date=end)  # the model checks the dates
        if stored.is_lead:
            name = actor_name(store, stored.professional_id)
            raise InputError(f"end date: {name} is the lead professional; make someone else "
                             "the lead professional first")
        return update(store, ended, actor)


def set_lead(store: Store, person_id: str, member_id: str | None, actor: str,
             reason: str = "") -> str | None:
    """Make ``member_id`` the only lead professional (None: nobody), recording
    ``reason`` on its membership; return the old lead.

    Raises:
        NotAllowedError: the actor is not a manager of an agency on the care team (the
            lead otherwise changes through an accepted coordination handoff).
        InputError: no reason, or the member is not in this person's team, or has left it.
    """
    with store.atomic():
        require(rules.set_lead(who(store, actor), team_of(store, person_id, today(store)),
                               names(store)))
        team = find(store, CareTeamMember, person_id=person_id)
        previous = next((m.id for m in team if m.is_lead), None)
        target = next((m for m in team if m.id == member_id), None)
        if member_id is not None and target is None:
            raise InputError("lead professional: not a member of this person's care team")
        if target is not None and target.end_date is not None:
            raise InputError("lead professional: this member has left the care team")
        why = _reason(reason, actor_name(store, target.professional_id)
                      if target is not None else "nobody")
        for m in team:
            if m.id == member_id:
                if not m.is_lead or m.lead_reason != why:
                    update(store, m.evolve(is_lead=True, lead_reason=why), actor)
            elif m.is_lead or m.lead_reason:
                update(store, m.evolve(is_lead=False, lead_reason=""), actor)
    return previous


def _only_lead(store: Store, lead: CareTeamMember, actor: str) -> None:
    for m in find(store, CareTeamMember, person_id=lead.person_id):
        if m.is_lead and m.id != lead.id:
            update(store, m.evolve(is_lead=False, lead_reason=""), actor)


def record_consent(store: Store, consent: Consent, actor: str) -> Consent:
    """Record consent to share with one agency (given, refused, withdrawn or a legal
    basis). Consent is a history: the latest record for an agency decides.

    Raises:
        NotAllowedError: the actor is not a member of an agency on the care team.
    """
    with store.atomic():
        require(rules.record_consent(who(store, actor),
                                     team_of(store, consent.person_id, today(store)),
                                     names(store)))
        return add(store, consent, actor)
