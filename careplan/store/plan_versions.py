"""A plan's versions in the store: recording the version in force, issuing the draft.

The rules are careplan.models.plan_versions'. Here:

- :func:`record_in_force` keeps the snapshot of the version in force before its signed
  content is first changed (a plan from before versions were kept, imported or written
  in bulk has none yet). Every write of signed content calls it first, in the same
  operation, so undoing that write removes the snapshot with it. A plan still being
  written (status draft, its version signed by nobody) is changed in place: nothing
  is in force yet, so there is nothing to keep.
- :func:`issue_version` is the explicit act that turns the draft into the next
  version: the snapshot of the plan as it is, the plan's ``plan_version`` and
  ``version_since`` moved on, in one operation (undoing it puts version N back in force,
  unless an agency has signed the new version meanwhile).
- Nothing here ever removes or rewrites a signature: signatures belong to a version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from careplan.models import (
    Action,
    ActionNeed,
    CarePlan,
    Need,
    Outcome,
    Person,
    PlanSignOff,
    PlanVersion,
)
from careplan.models import permissions as rules
from careplan.models.plan_versions import (
    Content,
    PlanChange,
    VersionState,
    being_written,
    signed_content,
    to_snapshot,
    version_state,
)
from careplan.store.db import Store
from careplan.store.errors import InputError, StaleWriteError
from careplan.store.permissions import names, require, team_of, who
from careplan.store.repo import add, find, get, update
from careplan.store.rows import from_row


def versions_of(store: Store, plan_id: str) -> list[PlanVersion]:
    """The recorded versions of a plan, oldest first."""
    return find(store, PlanVersion, order_by="number", plan_id=plan_id)


def plan_links(store: Store, plan_id: str) -> list[ActionNeed]:
    """The further needs the plan's actions meet (careplan.models.plan.ActionNeed)."""
    return [from_row(ActionNeed, r) for r in store.query(
        "SELECT l.* FROM action_needs l JOIN actions a ON a.id = l.action_id "
        "WHERE a.plan_id = ? ORDER BY l.rowid", (plan_id,))]


def current_content(store: Store, plan: CarePlan) -> Content:
    """The plan's signed content as its records hold it now."""
    person = get(store, Person, plan.person_id)
    return signed_content(person.what_matters,
                          find(store, Need, plan_id=plan.id),
                          find(store, Outcome, plan_id=plan.id),
                          find(store, Action, order_by="due_date", plan_id=plan.id),
                          plan_links(store, plan.id))


def state(store: Store, plan: CarePlan) -> VersionState:
    """The plan's version in force, its draft and what it changed."""
    return version_state(plan, versions_of(store, plan.id), current_content(store, plan))


def record_in_force(store: Store, plan_id: str, actor: str) -> PlanVersion | None:
    """Record the snapshot of the version in force, if it has none yet: call before any
    write that changes the plan's signed content. Returns the row it added, if any
    (none either for a plan still being written: careplan.models.plan_versions.
    being_written)."""
    plans = find(store, CarePlan, id=plan_id)
    if not plans:
        return None  # the write that follows names the missing plan
    plan = plans[0]
    found = store.conn.execute(
        "SELECT 1 FROM plan_versions WHERE plan_id = ? AND number = ?",
        (plan_id, plan.plan_version)).fetchone()
    if found or being_written(plan, find(store, PlanSignOff, plan_id=plan.id,
                                         plan_version=plan.plan_version)):
        return None
    return add(store, PlanVersion(plan_id=plan_id, number=plan.plan_version,
                                  snapshot=to_snapshot(current_content(store, plan))), actor)


def issue_version(store: Store, plan: CarePlan, actor: str, at: datetime,
                  expected: Sequence[PlanChange] | None = None) -> PlanVersion:
    """Issue the draft for sign-off: it becomes version N+1, in force from ``at``.

    ``expected`` is the list of changes the issuer was shown: when given, the draft
    must still be exactly that.

    Issued by the lead professional, or a manager of an agency on the care team
    (careplan.models.permissions.issue_version).

    Raises:
        NotAllowedError: the actor is neither.
        StaleWriteError: the plan or its draft changed since ``plan`` was read (or
            ``expected`` listed); nothing is written.
        InputError: the plan is closed, or nothing has changed since version N.
    """
    with store.atomic():
        current = get(store, CarePlan, plan.id)
        require(rules.issue_version(who(store, actor), team_of(store, current.person_id,
                                                               at.date()), names(store)))
        if current.version != plan.version:
            raise StaleWriteError(
                "The plan changed after you opened it; nothing was issued. "
                "Read its changes again and issue it then.")
        if not current.is_open:
            raise InputError("plan: it is closed, so it gets no new version")
        content = current_content(store, current)
        found = version_state(current, versions_of(store, current.id), content)
        if not found.draft:
            raise InputError(f"plan: nothing the agencies sign has changed since version "
                             f"{current.plan_version}, so there is no new version to issue")
        if expected is not None and tuple(expected) != found.draft:
            raise StaleWriteError(
                "The plan's changes are not the ones you were shown: someone changed the "
                "plan meanwhile; nothing was issued. Read its changes again.")
        number = current.plan_version + 1
        issued = add(store, PlanVersion(plan_id=current.id, number=number, issued_at=at,
                                        issued_by=actor, snapshot=to_snapshot(content)),
                     actor)
        update(store, current.evolve(plan_version=number, version_since=at.date()), actor)
    return issued


__all__ = ["current_content", "issue_version", "plan_links", "record_in_force", "state",
           "versions_of"]
