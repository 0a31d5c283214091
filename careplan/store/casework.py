"""The deliberate acts of casework, each one transaction with its audit events.

Plan edits change the plan's records and nothing else: the version in force and its
signatures stay as they were (careplan.models.plan_versions). A change to what the
agencies sign goes into the draft of the next version, which is issued explicitly
(careplan.store.plan_versions.issue_version); before the first such change the version
in force has its snapshot recorded, in the same operation. Progress (an action's status,
an outcome's achievement) is no change to what was signed. Handoff and referral steps
change the records they concern together (an accepted handoff moves the action's owner,
a change the draft then lists).

Each act is checked against the permission rules (careplan.models.permissions) before
anything is written, against the records as stored: a refusal raises NotAllowedError
naming who may, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from careplan.models import (
    Action,
    ActionNeed,
    CarePlan,
    CareTeamMember,
    CaseConference,
    Handoff,
    Need,
    Outcome,
    PlanSignOff,
    Professional,
    Referral,
    ReferralEvent,
)
from careplan.models import permissions as rules
from careplan.models.base import Entity
from careplan.models.enums import (
    DeclineReason,
    HandoffStatus,
    HandoffSubject,
    ReferralEventKind,
    ReferralStatus,
)
from careplan.models.plan import in_plan_order, needs_met
from careplan.models.plan_versions import same_terms
from careplan.models.referral_chain import bounce_chain
from careplan.store.db import Store
from careplan.store.errors import InputError, StaleWriteError
from careplan.store.permissions import names, person_of_plan, require, team_of, today, who
from careplan.store.plan_versions import record_in_force
from careplan.store.repo import actor_name, add, find, get, remove, update

E = TypeVar("E", bound=Entity)
PlanItem = TypeVar("PlanItem", Need, Outcome, Action)


def _changes_terms(store: Store, item: PlanItem) -> bool:
    """Whether saving ``item`` changes what the agencies sign (an addition does)."""
    if item.version == 0:
        return True
    stored = store.conn.execute(f"SELECT 1 FROM {item.TABLE} WHERE id = ?",
                                (item.id,)).fetchone()
    return stored is None or not same_terms(get(store, type(item), item.id), item)


def _check_plan_item(store: Store, item: PlanItem, actor: str) -> None:
    """An action as stored is changed by its owner, its agency or the lead (its status
    alone: careplan.models.permissions.change_action_status); anything else of the plan
    by a member of an agency on the care team."""
    person = person_of_plan(store, item.plan_id)
    if person is None:
        return  # the write names the missing plan
    team, w, n = team_of(store, person, today(store)), who(store, actor), names(store)
    if isinstance(item, Action) and item.version != 0:
        found = find(store, Action, id=item.id)
        if found:
            stored = found[0]
            if stored.evolve(status=item.status, version=item.version) == item:
                require(rules.change_action_status(w, stored, team, n))
            else:
                require(rules.change_action(w, stored, team, n))
            return
    require(rules.change_plan(w, team, n))


def save_plan_item(store: Store, item: PlanItem, actor: str) -> PlanItem:
    """Add (version 0) or update a need, outcome or action of a plan.

    Never touches the plan's version or its signatures: progress is just saved; a
    change to what was signed lands in the draft of the next version (the version in
    force has its snapshot recorded first, when it has none yet).

    Raises:
        NotAllowedError: the actor may not change this (careplan.models.permissions).
    """
    with store.atomic():
        _check_plan_item(store, item, actor)
        if _changes_terms(store, item):
            record_in_force(store, item.plan_id, actor)
        saved = add(store, item, actor) if item.version == 0 else update(store, item, actor)
    return saved


def set_action_needs(store: Store, action: Action, need_ids: Iterable[str],
                     actor: str) -> frozenset[str]:
    """Say which needs of its plan ``action`` meets (none, one or several); returns them.

    The action keeps its own ``need_id`` while it is still one of them (else it takes
    the first of them in the plan's order, or none); each other need is one
    :class:`~careplan.models.plan.ActionNeed` row, added or removed so that the links
    are exactly ``need_ids``. The needs an action meets are part of what the agencies
    sign: a change lands in the draft of the next version (the version in force has its
    snapshot recorded first, when it has none yet). Checked like any other change of
    the action (its owner, its agency or the lead: careplan.models.permissions).

    Raises:
        NotAllowedError: the actor may not change this action.
        StaleWriteError: the action changed since ``action`` was read.
        InputError: a need is not one of the action's plan.
    """
    wanted = frozenset(need_ids)
    with store.atomic():
        current = get(store, Action, action.id)
        if current.version != action.version:
            raise StaleWriteError(
                f"This action was changed by {actor_name(store, _updated_by(store, current))} "
                "after you opened it; nothing was saved.")
        person = person_of_plan(store, current.plan_id)
        if person is not None:
            require(rules.change_action(who(store, actor), current,
                                        team_of(store, person, today(store)), names(store)))
        needs = find(store, Need, plan_id=current.plan_id)
        known = {n.id for n in needs}
        stray = sorted(wanted - known)
        if stray:
            raise InputError(f"needs: {stray[0]} is not a need of this action's plan")
        links = find(store, ActionNeed, action_id=current.id)
        if needs_met(current, links) == wanted:
            return wanted
        record_in_force(store, current.plan_id, actor)
        own = current.need_id if current.need_id in wanted else next(
            (i for i in in_plan_order(wanted, needs)), None)
        if own != current.need_id:
            current = update(store, current.evolve(need_id=own), actor)
        further = wanted - {own} if own is not None else wanted
        kept: set[str] = set()
        for link in links:
            if link.need_id in further and link.need_id not in kept:
                kept.add(link.need_id)
            else:
                remove(store, link, actor)
        for need_id in in_plan_order(further - kept, needs):
            add(store, ActionNeed(action_id=current.id, need_id=need_id), actor)
    return wanted


def _updated_by(store: Store, entity: Entity) -> str:
    row = store.conn.execute(f"SELECT updated_by FROM {entity.TABLE} WHERE id = ?",
                             (entity.id,)).fetchone()
    return "someone" if row is None else str(row[0])


def rewrite_plan_item(store: Store, values: PlanItem, expected: PlanItem,
                      actor: str) -> PlanItem:
    """Write ``values`` over a record whose content must still be ``expected`` (undo/redo).

    Versions are not compared: other undoable edits of the same record move them on.
    The content is: if it differs, someone else changed the record meanwhile.

    Raises:
        StaleWriteError: the stored content is not ``expected``; nothing is written.
    """
    with store.atomic():
        current = get(store, type(expected), expected.id)
        if current.evolve(version=0) != expected.evolve(version=0):
            who = actor_name(store, store.query(
                f"SELECT updated_by FROM {expected.TABLE} WHERE id = ?",
                (expected.id,))[0]["updated_by"])
            raise StaleWriteError(
                f"This {expected.NOUN} was changed by {who} since; nothing was undone or "
                "redone. It has been reloaded.")
        return save_plan_item(store, values.evolve(version=current.version), actor)


def sign_plan(store: Store, plan: CarePlan, professional: Professional,
              at: datetime) -> PlanSignOff:
    """Sign the version in force for the professional's agency (a draft of the next
    version, if any, is not part of it: it is signed once issued). The professional
    signs, and only for their own agency while it is on the care team on the day of
    ``at``.

    Raises:
        NotAllowedError: not the signer's agency, or not on the care team.
        StaleWriteError: the plan changed since ``plan`` was read.
        InputError: the agency has already signed this version.
    """
    with store.atomic():
        current = get(store, CarePlan, plan.id)
        require(rules.sign_plan(who(store, professional.id), professional.agency_id,
                                team_of(store, current.person_id, at.date()), names(store)))
        if current.version != plan.version:
            raise StaleWriteError(
                "The plan changed after you opened it; nothing was signed. "
                "Read the new version and sign again.")
        done = find(store, PlanSignOff, plan_id=plan.id, agency_id=professional.agency_id,
                    plan_version=plan.plan_version)
        if done:
            raise InputError(f"sign-off: your agency already signed version {plan.plan_version}")
        return add(store, PlanSignOff(plan_id=plan.id, agency_id=professional.agency_id,
                                      plan_version=plan.plan_version,
                                      signed_by=professional.id, signed_at=at), professional.id)


# -- handoffs ----------------------------------------------------------------------------


def propose_handoff(store: Store, handoff: Handoff, actor: str) -> Handoff:
    """Record a new proposed handoff, with the proposer's note as its ``reason``.

    Raises:
        NotAllowedError: the actor may not hand this over (an action: its owner, its
            agency or the lead; coordination: the lead or a manager on the team).
        InputError: a handoff of the same action (or of the coordination) of this
            person is already waiting for an answer.
    """
    if handoff.status is not HandoffStatus.PROPOSED or handoff.answered_by \
            or handoff.answer_reason:
        raise InputError("handoff: a new handoff is proposed, not yet answered")
    with store.atomic():
        found = find(store, Action, id=handoff.action_id) if handoff.action_id else []
        require(rules.propose_handoff(
            who(store, actor), handoff, found[0] if found else None,
            team_of(store, handoff.person_id, handoff.proposed_at.date()), names(store)))
        open_ = [h for h in find(store, Handoff, person_id=handoff.person_id,
                                 status=HandoffStatus.PROPOSED)
                 if h.subject is handoff.subject and h.action_id == handoff.action_id]
        if open_:
            raise InputError("handoff: one is already waiting for an answer for this")
        return add(store, handoff, actor)


def _check_waiting(handoff: Handoff) -> None:
    # The stale-write check in update() makes sure this status is the stored one.
    if handoff.status is not HandoffStatus.PROPOSED:
        raise InputError(f"handoff: it was already {handoff.status.value}; only a proposed "
                         "handoff can be answered or withdrawn")


def _stored(store: Store, handoff: Handoff) -> Handoff:
    """The handoff as stored, at the version the caller read (a later one: the update
    refuses it as stale), so that only the answer's fields can change."""
    return get(store, Handoff, handoff.id).evolve(version=handoff.version)


def answer_handoff(store: Store, handoff: Handoff, accept: bool, at: datetime,
                   actor: str, reason: str = "") -> Handoff:
    """Accept (responsibility moves to the receiver) or decline with a reason.

    The answer is recorded beside the proposal: who answered (``answered_by``) and why
    (``answer_reason``); the proposer's note stays as it was.

    Raises:
        NotAllowedError: the actor is neither the professional it is addressed to nor
            a manager of the receiving agency.
        InputError: the handoff is no longer proposed, or a decline gives no reason.
        StaleWriteError: the handoff changed since ``handoff`` was read.
    """
    _check_waiting(handoff)
    if not accept and not reason.strip():
        raise InputError("reason: say why the handoff is declined")
    status = HandoffStatus.ACCEPTED if accept else HandoffStatus.DECLINED
    with store.atomic():
        stored = _stored(store, handoff)
        w = who(store, actor)
        require(rules.answer_handoff(w, stored, names(store)))
        assert w is not None and w.professional_id is not None  # the rule says so
        saved = update(store, stored.evolve(status=status, answered_at=at,
                                            answered_by=w.professional_id,
                                            answer_reason=reason.strip()), actor)
        if accept and handoff.subject is HandoffSubject.ACTION and handoff.action_id:
            action = get(store, Action, handoff.action_id)
            record_in_force(store, action.plan_id, actor)  # who does it: a signed term
            update(store, action.evolve(owner_professional_id=handoff.to_professional_id,
                                        owner_agency_id=handoff.to_agency_id), actor)
        elif accept:
            _move_lead(store, handoff, at.date(), actor)
    return saved


def withdraw_handoff(store: Store, handoff: Handoff, actor: str) -> Handoff:
    """The proposer takes back a handoff nobody has answered yet.

    Raises:
        NotAllowedError: the actor is neither the professional handing over nor a
            manager of their agency.
        InputError: the handoff is no longer proposed.
        StaleWriteError: the handoff changed since ``handoff`` was read.
    """
    _check_waiting(handoff)
    with store.atomic():
        stored = _stored(store, handoff)
        require(rules.withdraw_handoff(who(store, actor), stored, names(store)))
        return update(store, stored.evolve(status=HandoffStatus.WITHDRAWN), actor)


def _move_lead(store: Store, handoff: Handoff, day: date, actor: str) -> None:
    """Coordination passes on ``day``. Lead periods are kept as history: a membership
    that began earlier is ended the day before and continued by a new one from ``day``,
    so the handoff audit sees who led when, with no false gap or overlap."""
    for member in find(store, CareTeamMember, person_id=handoff.person_id):
        if not member.active_on(day):
            continue
        receiving = member.professional_id == handoff.to_professional_id
        if member.is_lead == receiving:
            if receiving:
                return  # already the lead
            continue
        if member.start_date < day:
            update(store, member.evolve(end_date=day - timedelta(days=1)), actor)
            add(store, CareTeamMember(person_id=member.person_id,
                                      professional_id=member.professional_id,
                                      role=member.role, start_date=day,
                                      end_date=member.end_date, is_lead=receiving), actor)
        else:
            update(store, member.evolve(is_lead=receiving, lead_reason=""), actor)
    on_team = any(m.professional_id == handoff.to_professional_id and m.active_on(day)
                  for m in find(store, CareTeamMember, person_id=handoff.person_id))
    if not on_team:
        pro = get(store, Professional, handoff.to_professional_id)
        add(store, CareTeamMember(person_id=handoff.person_id, professional_id=pro.id,
                                  role=pro.role, start_date=day, is_lead=True), actor)


# -- referrals ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferralStep:
    """One step a team takes on a referral (see ReferralEvent for the fields)."""

    kind: ReferralEventKind
    day: date
    team_id: str | None = None
    to_team_id: str | None = None
    reason: str = ""
    reason_code: DeclineReason | None = None
    #: An acceptance as the lead team (it settles a dispute); else to assess first.
    as_lead: bool = False


_STATUS = {
    ReferralEventKind.SENT: ReferralStatus.SENT,
    ReferralEventKind.ACCEPTED: ReferralStatus.ACCEPTED,
    ReferralEventKind.DECLINED: ReferralStatus.DECLINED,
    ReferralEventKind.REDIRECTED: ReferralStatus.REDIRECTED,
    ReferralEventKind.ESCALATED: ReferralStatus.ESCALATED,
    ReferralEventKind.PANEL_DECISION: ReferralStatus.RESOLVED,
}


def send_referral(store: Store, referral: Referral, to_team_id: str, actor: str) -> Referral:
    """Record a new referral and its first step: sent to ``to_team_id``.

    Raises:
        NotAllowedError: the actor is not a member of the referring agency.
    """
    with store.atomic():
        require(rules.send_referral(who(store, actor), referral.from_agency_id, names(store)))
        saved = add(store, referral, actor)
        add(store, ReferralEvent(referral_id=saved.id, kind=ReferralEventKind.SENT,
                                 occurred_on=referral.sent_on, team_id=to_team_id,
                                 by_professional_id=_pro_or_none(store, actor)), actor)
    return saved


def referral_step(store: Store, referral: Referral, step: ReferralStep,
                  actor: str) -> Referral:
    """Record a step and the referral's new status together.

    Raises:
        NotAllowedError: accepting, declining or redirecting by someone who is not a
            member of the team holding the referral (or naming another team as the one
            deciding); escalating or recording a panel's decision by someone who is not
            a manager.
        InputError: a decline without a reason.
    """
    if step.kind is ReferralEventKind.DECLINED and not step.reason.strip():
        raise InputError("reason: say why the referral is declined")
    with store.atomic():
        chain = bounce_chain(find(store, ReferralEvent, referral_id=referral.id))
        holder = chain.holdings[-1].holder if chain.holdings else None
        require(rules.referral_step(who(store, actor), step.kind, holder, names(store),
                                    step.team_id))
        saved = update(store, referral.evolve(status=_STATUS[step.kind]), actor)
        add(store, ReferralEvent(
            referral_id=referral.id, kind=step.kind, occurred_on=step.day,
            team_id=step.team_id, to_team_id=step.to_team_id,
            by_professional_id=_pro_or_none(store, actor), reason=step.reason.strip(),
            reason_code=step.reason_code,
            as_lead=step.kind is ReferralEventKind.PANEL_DECISION
            or (step.kind is ReferralEventKind.ACCEPTED and step.as_lead)), actor)
    return saved


def _pro_or_none(store: Store, actor: str) -> str | None:
    row = store.conn.execute("SELECT 1 FROM professionals WHERE id = ?", (actor,)).fetchone()
    return actor if row else None


# -- case conferences ----------------------------------------------------------------------


def save_conference(store: Store, conference: CaseConference, plan: CarePlan | None,
                    actions: list[Action], actor: str) -> CaseConference:
    """The conference record and the actions it agreed (which land in the plan).

    Raises:
        NotAllowedError: the actor is not a member of an agency on the care team.
    """
    if actions and plan is None:
        raise InputError("actions: this person has no care plan to add agreed actions to")
    if actions and plan is not None and plan.person_id != conference.person_id:
        raise InputError("actions: the care plan is another person's")
    with store.atomic():
        require(rules.record_conference(
            who(store, actor), team_of(store, conference.person_id, conference.held_at.date()),
            names(store)))
        if actions and plan is not None:
            record_in_force(store, plan.id, actor)  # the agreed actions join the draft
        saved = add(store, conference, actor)
        for action in actions:
            add(store, action.evolve(conference_id=saved.id), actor)
    return saved
