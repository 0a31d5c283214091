"""Everything the person workspace shows about one person, read in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from careplan.models import (
    Action,
    ActionNeed,
    Agency,
    AuditEvent,
    CarePlan,
    CareTeamMember,
    CaseConference,
    Condition,
    Consent,
    DelayReason,
    EmergencyAccess,
    Handoff,
    HospitalStay,
    Need,
    Outcome,
    Person,
    PlanSignOff,
    PlanVersion,
    Professional,
    Referral,
    ReferralEvent,
)
from careplan.models.base import Entity
from careplan.models.facts import Directory
from careplan.models.sync import hlc_text, wall
from careplan.store.audit import event_from_row
from careplan.store.db import Store
from careplan.store.plan_versions import plan_links
from careplan.store.repo import find, get
from careplan.store.rows import from_row
from careplan.store.social import SocialFile, load_social
from careplan.store.visibility import (
    NotSharedError,
    Viewer,
    basis_for,
    emergency_access,
    not_shared,
)


def load_directory(store: Store) -> Directory:
    """All agencies and professionals of a store (small next to the persons); a missing
    id shows as a blank on screen."""
    return Directory(
        agencies={a.id: a for a in find(store, Agency, order_by="name")},
        professionals={p.id: p for p in find(store, Professional, order_by="name")},
        unknown_agency="", unknown_professional="",
    )


@dataclass(slots=True)
class PersonFile:
    """One person and every row about them; ``plan`` is the open plan, if any."""

    person: Person
    directory: Directory
    team: list[CareTeamMember] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    plans: list[CarePlan] = field(default_factory=list)
    plan: CarePlan | None = None
    needs: list[Need] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    #: The further needs the plan's actions meet (careplan.models.plan.needs_met).
    action_needs: list[ActionNeed] = field(default_factory=list)
    signoffs: list[PlanSignOff] = field(default_factory=list)
    #: The plan's recorded versions, oldest first (careplan.models.plan_versions).
    versions: list[PlanVersion] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    referral_events: dict[str, list[ReferralEvent]] = field(default_factory=dict)
    stays: list[HospitalStay] = field(default_factory=list)
    delay_reasons: dict[str, list[DelayReason]] = field(default_factory=dict)
    conferences: list[CaseConference] = field(default_factory=list)
    #: Carers, EHC plans and care leaver status, safeguarding concerns.
    social: SocialFile = field(default_factory=SocialFile)
    #: Emergency openings of this record ("break glass"), newest first.
    emergency_accesses: list[EmergencyAccess] = field(default_factory=list)
    #: The reader's own emergency access that opened this record today; None when their
    #: agency's sharing basis allows it.
    opened_in_emergency: EmergencyAccess | None = None

    def row_ids(self) -> list[str]:
        """Ids of every row shown, for the person's audit trail."""
        groups: list[list[Entity]] = [
            [self.person], list(self.team), list(self.consents), list(self.conditions),
            list(self.plans), list(self.needs), list(self.outcomes), list(self.actions),
            list(self.action_needs),
            list(self.signoffs), list(self.versions), list(self.handoffs), list(self.referrals),
            list(self.stays), list(self.conferences), list(self.emergency_accesses),
        ]
        ids = [e.id for group in groups for e in group]
        ids += [e.id for events in self.referral_events.values() for e in events]
        ids += [r.id for reasons in self.delay_reasons.values() for r in reasons]
        ids += self.social.row_ids()
        return ids


def _many(store: Store, cls: type[Entity], column: str, ids: list[str],
          order: str) -> list[Entity]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = store.query(
        f"SELECT * FROM {cls.TABLE} WHERE {column} IN ({marks}) ORDER BY {order}", tuple(ids))
    return [from_row(cls, r) for r in rows]


def load_person_file(store: Store, person_id: str, directory: Directory | None = None, *,
                     viewer: Viewer, today: date) -> PersonFile:
    """Read the person and their rows for ``viewer`` on ``today``.

    Raises:
        NotFoundError: no person has that id.
        NotSharedError: the reader's agency may not see this person's record and the
            reader opened it in no emergency today (careplan.store.visibility); nothing
            of the person is returned.
    """
    get(store, Person, person_id)  # an unknown id says so first
    basis = basis_for(store, person_id, viewer.agency_id, today)
    emergency = None if basis.allowed else emergency_access(store, viewer, person_id, today)
    if not basis.allowed and emergency is None:
        raise NotSharedError(not_shared(viewer, basis))
    person = get(store, Person, person_id)
    pf = PersonFile(person=person, directory=directory or load_directory(store))
    pf.team = find(store, CareTeamMember, order_by="start_date", person_id=person_id)
    pf.consents = find(store, Consent, order_by="recorded_on", person_id=person_id)
    pf.conditions = find(store, Condition, person_id=person_id)
    pf.plans = find(store, CarePlan, order_by="created_on", person_id=person_id)
    open_plans = [p for p in pf.plans if p.is_open]
    pf.plan = open_plans[-1] if open_plans else (pf.plans[-1] if pf.plans else None)
    if pf.plan is not None:
        plan_id = pf.plan.id
        pf.needs = find(store, Need, plan_id=plan_id)
        pf.outcomes = find(store, Outcome, plan_id=plan_id)
        pf.actions = find(store, Action, order_by="due_date", plan_id=plan_id)
        pf.action_needs = plan_links(store, plan_id)
        pf.signoffs = find(store, PlanSignOff, order_by="signed_at", plan_id=plan_id)
        pf.versions = find(store, PlanVersion, order_by="number", plan_id=plan_id)
    pf.handoffs = find(store, Handoff, order_by="-proposed_at", person_id=person_id)
    pf.referrals = find(store, Referral, order_by="-sent_on", person_id=person_id)
    for event in _many(store, ReferralEvent, "referral_id", [r.id for r in pf.referrals],
                       "occurred_on, created_at"):
        assert isinstance(event, ReferralEvent)
        pf.referral_events.setdefault(event.referral_id, []).append(event)
    pf.stays = find(store, HospitalStay, order_by="-admitted_on", person_id=person_id)
    for reason in _many(store, DelayReason, "stay_id", [s.id for s in pf.stays],
                        "recorded_on"):
        assert isinstance(reason, DelayReason)
        pf.delay_reasons.setdefault(reason.stay_id, []).append(reason)
    pf.conferences = find(store, CaseConference, order_by="-held_at", person_id=person_id)
    pf.social = load_social(store, person_id)
    pf.emergency_accesses = find(store, EmergencyAccess, order_by="-opened_at",
                                 person_id=person_id)
    pf.opened_in_emergency = emergency
    return pf


def person_history(store: Store, pf: PersonFile, limit: int = 500) -> list[AuditEvent]:
    """The person's audit trail, newest first: who changed what, when.

    Read through ``idx_audit_entity_id`` (migration 6), one index search per row id:
    the cost follows the person's rows, not the size of the audit log."""
    ids = pf.row_ids()
    found: list[tuple[tuple[str, str, int], AuditEvent]] = []
    # Chunked: SQLite limits the number of ? in one statement.
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = store.query(
            f"SELECT * FROM audit_events WHERE entity_id IN ({marks}) ORDER BY seq DESC "
            f"LIMIT {int(limit)}", tuple(chunk))
        # In the order the changes were made (their clock), wherever they were made:
        # another store's changes arrive later than they happened.
        found += [((r["hlc"] or hlc_text(wall(r["at"])), r["store_id"], r["store_seq"]),
                   event_from_row(r)) for r in rows]
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [e for _, e in found[:limit]]
