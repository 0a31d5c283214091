"""My work: what is waiting for one professional, across every person, in one list.

Five kinds of row (:class:`WorkKind`), each read by one statement that starts from an
index on the professional or their agency, never one query per person:

- handoffs proposed to me and not yet answered (accepted, declined or withdrawn ones
  drop out);
- referrals my agency (team) holds and has not answered yet: sent to it, or redirected
  to it, and still ``sent`` or ``redirected``;
- my open actions due on or before ``today + due_within`` days (overdue before today);
- plans in force whose version in force my agency has not signed, for persons whose
  care team I am on today;
- open sync conflicts of persons whose care team I am on today (one row per person).

"Me" is a professional (the signed-in account's): an account with none has no work
list (careplan.ui.mywork says why). Only persons whose records may be shared with my
agency on ``today`` are listed (careplan.store.visibility; one statement for the whole
list): work about anyone else waits until a sharing basis is recorded for my agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from careplan.models import Professional
from careplan.models.rules.common import ACTIVE_MEMBER_SQL, IN_FORCE_SQL
from careplan.store.db import Store
from careplan.store.repo import get
from careplan.store.visibility import Viewer, visible_ids

#: How many days ahead an action counts as due (today's and overdue ones always count).
DUE_WITHIN_DAYS = 7


class WorkKind(StrEnum):
    """The kinds of row in My work, in the order the list shows them."""

    HANDOFF = "handoff to answer"
    REFERRAL = "referral to my team"
    ACTION = "action due"
    SIGNATURE = "plan to sign"
    CONFLICT = "conflict to decide"


_ORDER = {kind: i for i, kind in enumerate(WorkKind)}


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One row of My work.

    ``subject_id``: the record to open (handoff, referral, action, plan; for a conflict
    the person). ``when``: the day it is due or was asked (answer by, sent on, due date,
    none for a signature or conflict). ``overdue``: ``when`` has passed.
    """

    kind: WorkKind
    person_id: str
    person_name: str
    subject_id: str
    what: str
    when: date | None
    overdue: bool


_NAME = "p.given_name || ' ' || p.family_name"

_HANDOFFS = (
    f"SELECT h.id, h.person_id, {_NAME} AS name, h.subject, h.answer_by AS day, "
    "a.description AS action, fa.name AS from_agency "
    "FROM handoffs h JOIN persons p ON p.id = h.person_id "
    "LEFT JOIN actions a ON a.id = h.action_id "
    "LEFT JOIN agencies fa ON fa.id = h.from_agency_id "
    "WHERE h.to_professional_id = :me AND h.status = 'proposed'"
)

# The referral's last event put it with my agency (sent to it or redirected to it), and
# the referral still waits for that team's answer.
_REFERRALS = (
    f"SELECT r.id, r.person_id, {_NAME} AS name, r.summary, e.occurred_on AS day "
    "FROM referral_events e JOIN referrals r ON r.id = e.referral_id "
    "JOIN persons p ON p.id = r.person_id "
    "WHERE ((e.kind = 'sent' AND e.team_id = :agency) "
    "OR (e.kind = 'redirected' AND e.to_team_id = :agency)) "
    "AND r.status IN ('sent', 'redirected') "
    "AND NOT EXISTS (SELECT 1 FROM referral_events later "
    "WHERE later.referral_id = e.referral_id AND (later.occurred_on > e.occurred_on "
    "OR (later.occurred_on = e.occurred_on AND later.rowid > e.rowid)))"
)

_ACTIONS = (
    f"SELECT a.id, c.person_id, {_NAME} AS name, a.description, a.due_date AS day "
    "FROM actions a JOIN care_plans c ON c.id = a.plan_id "
    "JOIN persons p ON p.id = c.person_id "
    "WHERE a.owner_professional_id = :me AND a.status NOT IN ('completed', 'cancelled') "
    "AND a.due_date IS NOT NULL AND a.due_date <= :due_by"
)

_MY_PERSONS = (
    "SELECT DISTINCT m.person_id FROM care_team_members m "
    f"WHERE m.professional_id = :me AND {ACTIVE_MEMBER_SQL}"
)

_SIGNATURES = (
    f"SELECT c.id, c.person_id, {_NAME} AS name, c.plan_version "
    "FROM care_plans c JOIN persons p ON p.id = c.person_id "
    f"WHERE c.person_id IN ({_MY_PERSONS}) AND c.status IN {IN_FORCE_SQL} "
    "AND c.plan_version >= 1 "
    "AND NOT EXISTS (SELECT 1 FROM plan_signoffs s WHERE s.plan_id = c.id "
    "AND s.plan_version = c.plan_version AND s.agency_id = :agency)"
)

_CONFLICTS = (
    f"SELECT x.person_id, {_NAME} AS name, count(*) AS n "
    "FROM sync_conflicts x JOIN persons p ON p.id = x.person_id "
    f"WHERE x.status = 'open' AND x.person_id IN ({_MY_PERSONS}) "
    "GROUP BY x.person_id"
)


def _day(text: Any) -> date | None:
    return date.fromisoformat(str(text)[:10]) if text else None


def my_work(store: Store, professional_id: str, today: date,
            due_within: int = DUE_WITHIN_DAYS) -> list[WorkItem]:
    """What waits for ``professional_id`` on ``today``: handoffs first, then referrals,
    actions, signatures and conflicts; within a kind, the most urgent (earliest) first.

    Raises:
        NotFoundError: no such professional.
    """
    me = get(store, Professional, professional_id)
    params = {"me": me.id, "agency": me.agency_id, "today": today.isoformat(),
              "due_by": (today + timedelta(days=due_within)).isoformat()}
    out: list[WorkItem] = []
    for r in store.query(_HANDOFFS, params):
        about = (f"Action “{r['action']}”" if r["subject"] == "action" and r["action"]
                 else "Coordinating the person's care")
        when = _day(r["day"])
        out.append(WorkItem(WorkKind.HANDOFF, r["person_id"], r["name"], r["id"],
                            f"{about}, handed over by {r['from_agency'] or 'an agency'}",
                            when, when is not None and when < today))
    for r in store.query(_REFERRALS, params):
        out.append(WorkItem(WorkKind.REFERRAL, r["person_id"], r["name"], r["id"],
                            f"Referral: {r['summary']}", _day(r["day"]), False))
    for r in store.query(_ACTIONS, params):
        when = _day(r["day"])
        out.append(WorkItem(WorkKind.ACTION, r["person_id"], r["name"], r["id"],
                            r["description"], when, when is not None and when < today))
    for r in store.query(_SIGNATURES, params):
        out.append(WorkItem(WorkKind.SIGNATURE, r["person_id"], r["name"], r["id"],
                            f"Sign version {r['plan_version']} of the care plan", None,
                            False))
    for r in store.query(_CONFLICTS, params):
        n = int(r["n"])
        out.append(WorkItem(WorkKind.CONFLICT, r["person_id"], r["name"], r["person_id"],
                            f"{n} sync conflict{'s' if n != 1 else ''} to decide", None,
                            False))
    shown = visible_ids(store, Viewer(me.agency_id, me.id), (w.person_id for w in out), today)
    out = [w for w in out if w.person_id in shown]
    out.sort(key=lambda w: (_ORDER[w.kind], w.when or date.max, w.person_name, w.subject_id))
    return out


__all__ = ["DUE_WITHIN_DAYS", "WorkItem", "WorkKind", "my_work"]
