"""The one shared care plan: needs, outcomes, actions, its issued versions and sign-offs.

Versions (see careplan.models.plan_versions for the rules): ``CarePlan.plan_version`` is
the version in force, the last one issued; each issued version may keep a
:class:`PlanVersion` row with a snapshot of what the agencies sign. Progress (an action's
status, an outcome's achievement) is not part of it, so it never makes a new version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from careplan.models.base import Entity, not_before, require_text
from careplan.models.enums import ActionStatus, NeedDomain, OutcomeStatus, PlanStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class CarePlan(Entity):
    """A person's shared plan; ``plan_version`` is the version in force (the last issued)."""

    TABLE = "care_plans"
    NOUN = "care plan"

    person_id: str
    status: PlanStatus = PlanStatus.DRAFT
    plan_version: int = 1
    created_on: date
    activated_on: date | None = None
    review_date: date | None = None
    closed_on: date | None = None
    #: The day the version in force was issued (its agencies' 14 days to sign run from
    #: then); None while version 1 runs from ``activated_on``.
    version_since: date | None = None
    #: The day the last review of the plan was completed (None: not reviewed since it
    #: became active). The next review is due within 12 months of it at the latest.
    reviewed_on: date | None = None

    def validate(self) -> None:
        if self.plan_version < 1:
            raise ValueError(f"plan version: must be 1 or more, got {self.plan_version}")
        not_before(self.activated_on, self.created_on, "activated_on", "created_on")
        not_before(self.closed_on, self.created_on, "closed_on", "created_on")
        not_before(self.version_since, self.created_on, "version_since", "created_on")
        not_before(self.reviewed_on, self.created_on, "reviewed_on", "created_on")
        if self.status is PlanStatus.CLOSED and self.closed_on is None:
            raise ValueError("closed on: is required when the plan is closed")

    @property
    def is_open(self) -> bool:
        return self.status is not PlanStatus.CLOSED

    @property
    def current_version_start(self) -> date | None:
        """When the version in force began: its own start, or the plan's activation."""
        if self.activated_on is None:
            return None
        if self.version_since is None:
            return self.activated_on
        return max(self.activated_on, self.version_since)


@dataclass(frozen=True, slots=True, kw_only=True)
class Need(Entity):
    """Something the person needs help with, in one domain."""

    TABLE = "needs"
    NOUN = "need"

    plan_id: str
    description: str
    domain: NeedDomain

    def validate(self) -> None:
        require_text(self.description, "description")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome(Entity):
    """A goal in the person's own words ("what matters to me")."""

    TABLE = "outcomes"
    NOUN = "outcome"

    plan_id: str
    need_id: str | None = None
    description: str
    target_date: date | None = None
    achievement: OutcomeStatus = OutcomeStatus.NOT_STARTED

    def validate(self) -> None:
        require_text(self.description, "description")


@dataclass(frozen=True, slots=True, kw_only=True)
class Action(Entity):
    """Who does what, for which agency, by when."""

    TABLE = "actions"
    NOUN = "action"

    plan_id: str
    need_id: str | None = None
    description: str
    owner_professional_id: str | None = None
    owner_agency_id: str | None = None
    due_date: date | None = None
    status: ActionStatus = ActionStatus.NOT_STARTED
    conference_id: str | None = None

    def validate(self) -> None:
        require_text(self.description, "description")

    @property
    def is_open(self) -> bool:
        return self.status.is_open


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionNeed(Entity):
    """A further need an action meets, besides its own ``need_id``.

    An action meets its ``need_id`` (the need it was first written for, if any) and every
    need an ActionNeed links it to: see :func:`needs_met`. Links are kept apart from the
    action's row so that an older store's actions, imports and exports that know one
    need read as they always did.
    """

    TABLE = "action_needs"
    NOUN = "need an action meets"

    action_id: str
    need_id: str


def needs_met(action: Action, links: Iterable[ActionNeed] = ()) -> frozenset[str]:
    """The needs ``action`` meets: its own need and those ``links`` add (links of other
    actions are ignored)."""
    found = {link.need_id for link in links if link.action_id == action.id}
    if action.need_id is not None:
        found.add(action.need_id)
    return frozenset(found)


def needs_by_action(links: Iterable[ActionNeed]) -> dict[str, list[ActionNeed]]:
    """Links grouped by the action they belong to."""
    out: dict[str, list[ActionNeed]] = {}
    for link in links:
        out.setdefault(link.action_id, []).append(link)
    return out


def in_plan_order(need_ids: Iterable[str], needs: Sequence[Need]) -> list[str]:
    """``need_ids`` in the order the plan lists its needs (ids it does not list last,
    in text order): how a list of an action's needs is shown."""
    wanted = set(need_ids)
    listed = [n.id for n in needs if n.id in wanted]
    return listed + sorted(wanted - set(listed))


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSignOff(Entity):
    """An agency's signature on one version of the plan."""

    TABLE = "plan_signoffs"
    NOUN = "sign-off"

    plan_id: str
    agency_id: str
    plan_version: int
    signed_by: str
    signed_at: datetime

    def validate(self) -> None:
        require_text(self.signed_by, "signed_by")
        if self.plan_version < 1:
            raise ValueError(f"plan version: must be 1 or more, got {self.plan_version}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanVersion(Entity):
    """One issued version of a plan: when, by whom, and what the agencies sign.

    ``snapshot`` holds the signed content, one JSON object per item (what matters to
    the person, each need, outcome and action): see careplan.models.plan_versions. A
    row with no ``issued_by`` records a version issued before versions were kept (its
    content as it stood when the plan was first changed after that).
    """

    TABLE = "plan_versions"
    NOUN = "plan version"

    plan_id: str
    number: int
    issued_at: datetime | None = None
    issued_by: str | None = None
    snapshot: tuple[str, ...] = ()

    def validate(self) -> None:
        if self.number < 1:
            raise ValueError(f"number: must be 1 or more, got {self.number}")
