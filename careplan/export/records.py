"""Everything stored about a set of persons, loaded once and grouped for the exporters.

PDFs and FHIR both need a person's whole record (team, plan, handoffs, referrals...).
Loading each table once and grouping in memory keeps a 1,000-person export to a few
dozen queries instead of tens of thousands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from careplan.models import (
    Action,
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

    Agencies and professionals are always loaded whole: they are few and shared.
    """
    wanted = None if person_ids is None else set(person_ids)
    persons = [p for p in find(store, Person, order_by="family_name")
               if wanted is None or p.id in wanted]
    keep = {p.id for p in persons}

    def mine(items: list[E], key: str = "person_id") -> list[E]:
        return items if wanted is None else [i for i in items if getattr(i, key) in keep]

    plans = mine(find(store, CarePlan, order_by="created_on"))
    plan_ids = {p.id for p in plans}
    referrals = mine(find(store, Referral, order_by="sent_on"))
    referral_ids = {r.id for r in referrals}
    stays = mine(find(store, HospitalStay, order_by="admitted_on"))
    stay_ids = {s.id for s in stays}

    def of_plans(cls: type[E]) -> list[E]:
        items = find(store, cls)
        return [i for i in items if getattr(i, "plan_id") in plan_ids]  # noqa: B009

    return Records(
        agencies={a.id: a for a in find(store, Agency, order_by="name")},
        professionals={p.id: p for p in find(store, Professional, order_by="name")},
        persons=persons,
        team=_group(mine(find(store, CareTeamMember, order_by="start_date")), "person_id"),
        consents=_group(mine(find(store, Consent, order_by="recorded_on")), "person_id"),
        conditions=_group(mine(find(store, Condition)), "person_id"),
        plans=_group(plans, "person_id"),
        needs=_group(of_plans(Need), "plan_id"),
        outcomes=_group(of_plans(Outcome), "plan_id"),
        actions=_group(
            [a for a in find(store, Action, order_by="due_date") if a.plan_id in plan_ids],
            "plan_id",
        ),
        signoffs=_group(of_plans(PlanSignOff), "plan_id"),
        handoffs=_group(mine(find(store, Handoff, order_by="proposed_at")), "person_id"),
        referrals=_group(referrals, "person_id"),
        referral_events=_group(
            [e for e in find(store, ReferralEvent, order_by="occurred_on")
             if e.referral_id in referral_ids],
            "referral_id",
        ),
        stays=_group(stays, "person_id"),
        delays=_group(
            [d for d in find(store, DelayReason, order_by="recorded_on") if d.stay_id in stay_ids],
            "stay_id",
        ),
        conferences=_group(mine(find(store, CaseConference, order_by="held_at")), "person_id"),
    )
