"""Everything stored about a set of persons, loaded once and grouped for the exporters.

PDFs and FHIR both need a person's whole record (team, plan, handoffs, referrals...).
Loading each table once and grouping in memory keeps a 1,000-person export to a few
dozen queries instead of tens of thousands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from careplan.models import (
    Action,
    ActionNeed,
    Agency,
    CarePlan,
    CareTeamMember,
    CaseConference,
    Condition,
    Consent,
    DelayReason,
    Entity,
    Handoff,
    HospitalStay,
    Need,
    Outcome,
    Person,
    PlanSignOff,
    Professional,
    Referral,
    ReferralEvent,
)
from careplan.store import Store, find
from careplan.store.repo import find_in

E = TypeVar("E", bound=Entity)


def _group(items: Iterable[E], key: str) -> dict[str, list[E]]:
    out: dict[str, list[E]] = defaultdict(list)
    for item in items:
        value = getattr(item, key)
        if value is not None:
            out[value].append(item)
    return out


@dataclass
class Records:
    """Rows of one store, grouped by owner. Lists keep the store's order."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    professionals: dict[str, Professional] = field(default_factory=dict)
    persons: list[Person] = field(default_factory=list)
    team: dict[str, list[CareTeamMember]] = field(default_factory=dict)
    consents: dict[str, list[Consent]] = field(default_factory=dict)
    conditions: dict[str, list[Condition]] = field(default_factory=dict)
    plans: dict[str, list[CarePlan]] = field(default_factory=dict)
    needs: dict[str, list[Need]] = field(default_factory=dict)
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    actions: dict[str, list[Action]] = field(default_factory=dict)
    #: The further needs each action meets, by action id (careplan.models.plan.needs_met).
    action_needs: dict[str, list[ActionNeed]] = field(default_factory=dict)
    signoffs: dict[str, list[PlanSignOff]] = field(default_factory=dict)
    handoffs: dict[str, list[Handoff]] = field(default_factory=dict)
    referrals: dict[str, list[Referral]] = field(default_factory=dict)
    referral_events: dict[str, list[ReferralEvent]] = field(default_factory=dict)
    stays: dict[str, list[HospitalStay]] = field(default_factory=dict)
    delays: dict[str, list[DelayReason]] = field(default_factory=dict)
    conferences: dict[str, list[CaseConference]] = field(default_factory=dict)

    def agency_name(self, agency_id: str | None) -> str:
        agency = self.agencies.get(agency_id or "")
        return agency.name if agency else ""

    def professional_name(self, professional_id: str | None) -> str:
        prof = self.professionals.get(professional_id or "")
        return prof.name if prof else ""


def load(store: Store, person_ids: Iterable[str] | None = None) -> Records:
    """Load the records of ``person_ids`` (every person when None).

    Agencies and professionals are always loaded whole: they are few and shared. For
    some persons, their rows are read by owner (indexed), not the whole store filtered:
    one person's plan from a 50,000-person store is a few dozen small queries.
    """
    if person_ids is None:
        persons = find(store, Person, order_by="family_name")

        def rows(cls: type[E], key: str, owners: Iterable[str], order_by: str = "") -> list[E]:
            wanted = set(owners)
            return [i for i in find(store, cls, order_by=order_by) if getattr(i, key) in wanted]
    else:
        persons = sorted((p for pid in dict.fromkeys(person_ids)
                          for p in find(store, Person, id=pid)), key=lambda p: p.family_name)

        def rows(cls: type[E], key: str, owners: Iterable[str], order_by: str = "") -> list[E]:
            return [i for owner in owners
                    for i in find(store, cls, order_by=order_by, **{key: owner})]

    keep = [p.id for p in persons]
    plans = rows(CarePlan, "person_id", keep, "created_on")
    plan_ids = [p.id for p in plans]
    referrals = rows(Referral, "person_id", keep, "sent_on")
    stays = rows(HospitalStay, "person_id", keep, "admitted_on")

    def of_persons(cls: type[E], order_by: str = "") -> dict[str, list[E]]:
        return _group(rows(cls, "person_id", keep, order_by), "person_id")

    def of_plans(cls: type[E], order_by: str = "") -> dict[str, list[E]]:
        return _group(rows(cls, "plan_id", plan_ids, order_by), "plan_id")

    actions = of_plans(Action, "due_date")
    action_ids = [a.id for group in actions.values() for a in group]
    return Records(
        agencies={a.id: a for a in find(store, Agency, order_by="name")},
        professionals={p.id: p for p in find(store, Professional, order_by="name")},
        persons=persons,
        team=of_persons(CareTeamMember, "start_date"),
        consents=of_persons(Consent, "recorded_on"),
        conditions=of_persons(Condition),
        plans=_group(plans, "person_id"),
        needs=of_plans(Need),
        outcomes=of_plans(Outcome),
        actions=actions,
        action_needs=_group(rows(ActionNeed, "action_id", action_ids), "action_id"),
        signoffs=of_plans(PlanSignOff),
        handoffs=of_persons(Handoff, "proposed_at"),
        referrals=_group(referrals, "person_id"),
        referral_events=_group(rows(ReferralEvent, "referral_id", [r.id for r in referrals],
                                    "occurred_on"), "referral_id"),
        stays=_group(stays, "person_id"),
        delays=_group(rows(DelayReason, "stay_id", [s.id for s in stays], "recorded_on"),
                      "stay_id"),
        conferences=of_persons(CaseConference, "held_at"),
    )


#: What each part of :class:`Records` needs read, for :func:`load_some`.
PARTS = frozenset({"consents", "team", "plans", "actions", "handoffs", "referrals", "stays"})


def load_some(store: Store, person_ids: Sequence[str], parts: Collection[str]) -> Records:
    """The records of ``person_ids`` (in that order), with only the ``parts`` asked for
    (names of :data:`PARTS`), each table read in a few ``IN`` statements: a table of
    50,000 persons reads in chunks with progress between them, and a table of the
    persons on screen reads only theirs."""
    unknown = set(parts) - PARTS
    if unknown:
        raise ValueError(f"records: no part called {', '.join(sorted(unknown))}")
    found = {p.id: p for p in find_in(store, Person, "id", person_ids)}
    persons = [found[pid] for pid in dict.fromkeys(person_ids) if pid in found]
    keep = [p.id for p in persons]
    rec = Records(
        agencies={a.id: a for a in find(store, Agency, order_by="name")},
        professionals={p.id: p for p in find(store, Professional, order_by="name")},
        persons=persons)
    if "consents" in parts:
        rec.consents = _group(find_in(store, Consent, "person_id", keep, "recorded_on"),
                              "person_id")
    if "team" in parts:
        rec.team = _group(find_in(store, CareTeamMember, "person_id", keep, "start_date"),
                          "person_id")
    if {"plans", "actions"} & set(parts):
        plans = find_in(store, CarePlan, "person_id", keep, "created_on")
        rec.plans = _group(plans, "person_id")
        if "actions" in parts:
            rec.actions = _group(find_in(store, Action, "plan_id", [p.id for p in plans],
                                         "due_date"), "plan_id")
    if "handoffs" in parts:
        rec.handoffs = _group(find_in(store, Handoff, "person_id", keep, "proposed_at"),
                              "person_id")
    if "referrals" in parts:
        referrals = find_in(store, Referral, "person_id", keep, "sent_on")
        rec.referrals = _group(referrals, "person_id")
        rec.referral_events = _group(find_in(store, ReferralEvent, "referral_id",
                                             [r.id for r in referrals], "occurred_on"),
                                     "referral_id")
    if "stays" in parts:
        rec.stays = _group(find_in(store, HospitalStay, "person_id", keep, "admitted_on"),
                           "person_id")
    return rec
