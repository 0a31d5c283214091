"""The permission rules, applied to changes made on other computers.

Every store checks a person's act against careplan.models.permissions before writing it
(careplan.store.permissions). Another store's events arrive already written, so
:func:`authorise` checks them again as they are applied here
(``apply_events(..., authorise=authorise)``): each event just before it is applied,
against the records as they are here at that point (everything before it in the pack or
on the server has been applied). A refused event is kept, with its reason, and the
events that depend on it wait behind it (careplan.store.replication).

Who the author is: the event's actor, a professional (or ``account:<id>``, an
administrator's account that belongs to no professional), with the authority of their
account on the store where they acted. Accounts are each computer's own (their rows are
never made from another store's events), but their events travel: the author's account
is the last one their own store recorded before the event; if it recorded none (a store
copied from another keeps the history of its first identity), the account this store
has for them. A professional with no account anywhere is a practitioner, as here.

What is checked: the acts whose rule reads the records as they stand, as the store
functions check them:

- answering a handoff (accepted or declined) and withdrawing one;
- changing an action (its status alone, or anything else), unless it moved to the
  professional a handoff of it was given to and the author accepted;
- making someone the lead professional and ending a membership of the care team,
  unless it follows a coordination handoff the author accepted;
- signing a plan (a sign-off whose signer is the author) and issuing a version (a
  version whose issuer is the author);
- the rules' thresholds (administrators only).

Not checked: a record made by anyone else than the person the rule names (the records a
FHIR import or the demo makes are nobody's act, here as on the store that made them:
events do not say which operation wrote them), a change that puts back an earlier value
(the app's Undo is not checked on any store), a removal, and a conflict's decision (any
person may decide one, as here); the records the rules do not govern (a person's
details, carers, ...) are every signed-in person's to change, on every store.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from careplan import clock
from careplan.models import Action, CareTeamMember, Handoff, Professional
from careplan.models import permissions as rules
from careplan.models.accounts import ACCOUNT_ACTOR, AccountRole
from careplan.models.permissions import Decision, Who
from careplan.models.sync import DELETED, LOCAL_TABLES, WITHHELD
from careplan.store import permissions as local
from careplan.store.db import Store
from careplan.store.overrides import CHANGE as CHANGE_THRESHOLDS
from careplan.store.permissions import names, person_of_plan, team_of
from careplan.store.replication import Event
from careplan.store.repo import actor_name, find


def author(store: Store, event: Event) -> Who | None:
    """Who wrote ``event``, with the authority of their account on the store where they
    acted (see the module's note); None: no one the rules know."""
    account = _origin_account(store, event)
    if account is None:
        return local.who(store, event.actor)
    if not account.get("active", True):
        return None
    try:
        role = AccountRole(str(account.get("role")))
    except ValueError:
        return None
    username = str(account.get("username") or "")
    pro_id = account.get("professional_id")
    professional = _professional(store, str(pro_id)) if pro_id else None
    if professional is None:
        if role is not AccountRole.ADMINISTRATOR:
            return None
        return Who(None, None, role, username)
    return Who(professional.id, professional.agency_id, role, username or professional.name)


def _origin_account(store: Store, event: Event) -> dict[str, Any] | None:
    """The author's account as their own store last recorded it before ``event``.

    The accounts' own events are found first (a few hundred, by idx_audit_entity), never
    by walking back the author's store's whole log (the ``+`` keeps SQLite off that
    index: an import of 10,000 events took three times as long)."""
    if event.actor.startswith(ACCOUNT_ACTOR):
        row = store.conn.execute(
            "SELECT after FROM audit_events WHERE entity = 'accounts' AND entity_id = ? "
            "AND +store_id = ? AND +store_seq < ? ORDER BY store_seq DESC LIMIT 1",
            (event.actor.removeprefix(ACCOUNT_ACTOR), event.store_id,
             event.store_seq)).fetchone()
    else:
        row = store.conn.execute(
            "SELECT after FROM audit_events WHERE entity = 'accounts' AND +store_id = ? "
            "AND +store_seq < ? AND json_extract(after, '$.professional_id') = ? "
            "ORDER BY store_seq DESC LIMIT 1",
            (event.store_id, event.store_seq, event.actor)).fetchone()
    if row is None:
        return None
    found = json.loads(row[0])
    return found if isinstance(found, dict) and not found.get(DELETED) else None


def _professional(store: Store, professional_id: str) -> Professional | None:
    found = find(store, Professional, id=professional_id)
    return found[0] if found else None


def authorise(store: Store, event: Event) -> str | None:
    """None if the author of ``event`` may make that change here; else why not: who,
    what, and the rule's sentence naming who may."""
    if event.entity in LOCAL_TABLES or event.entity == WITHHELD or event.resolves:
        return None
    check = _CHECKS.get(event.entity)
    if check is None:
        return None
    decision = check(store, event, lambda: author(store, event))
    if decision is None or decision.allowed:
        return None
    return (f"{actor_name(store, event.actor)} ({_when(event)}, on store "
            f"{event.store_id[:8]}): {decision.reason}")


def _when(event: Event) -> str:
    try:
        return f"{datetime.fromisoformat(event.at):%d %b %Y %H:%M}"
    except ValueError:  # pragma: no cover - Event.from_json checked it
        return event.at


def _day(text: Any, event: Event) -> date:
    """The day of an act: the date it names, else the day the event was written."""
    for value in (text, event.at):
        if isinstance(value, str) and value:
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                continue
    return clock.today()  # pragma: no cover - an event always has its time


def _changed(event: Event) -> set[str]:
    """The fields an update changed; empty for a creation or a removal."""
    before, after = event.before, event.after
    if before is None or before.get(DELETED) or after.get(DELETED):
        return set()
    return {k for k, v in after.items() if k != "version" and before.get(k) != v}


def _puts_back(store: Store, event: Event, fields: set[str]) -> bool:
    """Whether the change gives ``fields`` values the record had before (an Undo)."""
    rows = store.conn.execute(
        "SELECT before FROM audit_events WHERE entity = ? AND entity_id = ? "
        "AND before IS NOT NULL", (event.entity, event.entity_id)).fetchall()
    for (text,) in rows:
        earlier = json.loads(text)
        if all(earlier.get(f) == event.after.get(f) for f in fields):
            return True
    return False


# -- the checks, by kind of record ------------------------------------------------------------

Author = Any  # a callable giving the author's Who (resolved only when a rule needs it)


def _handoff(store: Store, event: Event, who: Author) -> Decision | None:
    if "status" not in _changed(event) or (event.before or {}).get("status") != "proposed":
        return None
    stored = find(store, Handoff, id=event.entity_id)
    if not stored:
        return None
    status = event.after.get("status")
    if status in ("accepted", "declined"):
        return rules.answer_handoff(who(), stored[0], names(store))
    if status == "withdrawn":
        return rules.withdraw_handoff(who(), stored[0], names(store))
    return None


def _action(store: Store, event: Event, who: Author) -> Decision | None:
    changed = _changed(event)
    stored = find(store, Action, id=event.entity_id)
    if not changed or not stored or _puts_back(store, event, changed):
        return None
    action = stored[0]
    w = who()
    owner = {"owner_professional_id", "owner_agency_id"}
    if changed <= owner and _handed_over(store, event, w):
        return None
    person = person_of_plan(store, action.plan_id)
    if person is None:
        return None
    team = team_of(store, person, _day(None, event))
    if changed == {"status"}:
        return rules.change_action_status(w, action, team, names(store))
    return rules.change_action(w, action, team, names(store))


def _handed_over(store: Store, event: Event, w: Who | None) -> bool:
    """The action moved to the professional a handoff of it was given to, and the author
    accepted that handoff (careplan.store.casework.answer_handoff)."""
    if w is None or w.professional_id is None:
        return False
    return store.conn.execute(
        "SELECT 1 FROM handoffs WHERE action_id = ? AND status = 'accepted' AND "
        "to_professional_id IS ? AND answered_by = ? LIMIT 1",
        (event.entity_id, event.after.get("owner_professional_id"),
         w.professional_id)).fetchone() is not None


def _member(store: Store, event: Event, who: Author) -> Decision | None:
    changed = _changed(event)
    stored = find(store, CareTeamMember, id=event.entity_id)
    if not changed or not stored or _puts_back(store, event, changed):
        return None
    member = stored[0]
    w = who()
    if w is not None and w.professional_id is not None and store.conn.execute(
            "SELECT 1 FROM handoffs WHERE person_id = ? AND subject = 'coordination' AND "
            "status = 'accepted' AND answered_by = ? LIMIT 1",
            (member.person_id, w.professional_id)).fetchone() is not None:
        return None  # the lead moved with a coordination handoff the author accepted
    team = team_of(store, member.person_id, _day(None, event))
    if changed & {"is_lead", "lead_reason"}:
        return rules.set_lead(w, team, names(store))
    if "end_date" in changed:
        pro = _professional(store, member.professional_id)
        return rules.end_membership(w, member, pro.agency_id if pro else None, team,
                                    names(store))
    return None


def _signoff(store: Store, event: Event, who: Author) -> Decision | None:
    after = event.after
    if not _created(event) or after.get("signed_by") != event.actor:
        return None
    person = person_of_plan(store, str(after.get("plan_id")))
    if person is None:
        return None
    return rules.sign_plan(who(), str(after.get("agency_id")),
                           team_of(store, person, _day(after.get("signed_at"), event)),
                           names(store))


def _version(store: Store, event: Event, who: Author) -> Decision | None:
    after = event.after
    if not _created(event) or after.get("issued_by") != event.actor:
        return None
    person = person_of_plan(store, str(after.get("plan_id")))
    if person is None:
        return None
    return rules.issue_version(who(), team_of(store, person, _day(after.get("issued_at"),
                                                                   event)), names(store))


def _thresholds(store: Store, event: Event, who: Author) -> Decision | None:
    return rules.administer(who(), CHANGE_THRESHOLDS)


def _created(event: Event) -> bool:
    return not event.after.get(DELETED) and (event.before is None
                                             or bool(event.before.get(DELETED)))


_CHECKS = {
    "handoffs": _handoff,
    "actions": _action,
    "care_team_members": _member,
    "plan_signoffs": _signoff,
    "plan_versions": _version,
    "rule_overrides": _thresholds,
}

#: The kinds of record whose changes :func:`authorise` checks.
CHECKED = frozenset(_CHECKS)

__all__ = ["CHECKED", "author", "authorise"]
