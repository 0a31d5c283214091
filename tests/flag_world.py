"""A small, flag-free world for rule tests: one person, a signed active plan, a lead.

Tests change one fact and check the one flag that follows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from careplan.models import (
    Agency,
    CarePlan,
    CareTeamMember,
    Consent,
    Person,
    PlanSignOff,
    Professional,
)
from careplan.models.facts import Directory, PersonFacts
from careplan.models.flags import Flag, FlagCode
from careplan.models.rules import evaluate
from careplan.store.overrides import default_thresholds

TODAY = date(2025, 3, 12)  # a Wednesday

GP = Agency(name="Riverside Surgery", sector="health", kind="gp practice")
ASC = Agency(name="Adult Social Care", sector="social care", kind="adult social care",
             client_group="adults", domain="social care")
CSC = Agency(name="Children's Social Care", sector="social care",
             kind="children's social care", client_group="children")
CMHT = Agency(name="Community Mental Health Team", sector="health", kind="mental health",
              client_group="adults", domain="mental health")
LDT = Agency(name="Learning Disability Team", sector="health", kind="learning disability",
             domain="learning disability")
DAS = Agency(name="Drug and Alcohol Service", sector="health", kind="substance use",
             domain="substance use")
HOSP = Agency(name="General Hospital", sector="health", kind="acute hospital")
AGENCIES = (GP, ASC, CSC, CMHT, LDT, DAS, HOSP)

DR = Professional(name="Dr Asha Patel", role="GP", agency_id=GP.id)
SW = Professional(name="Sam Green", role="social worker", agency_id=ASC.id)
CSW = Professional(name="Chris Young", role="social worker", agency_id=CSC.id)
CPN = Professional(name="Nia Evans", role="community psychiatric nurse", agency_id=CMHT.id)
LDN = Professional(name="Owen Price", role="learning disability nurse", agency_id=LDT.id)
PROS = (DR, SW, CSW, CPN, LDN)

DIRECTORY = Directory(agencies={a.id: a for a in AGENCIES},
                      professionals={p.id: p for p in PROS})


def member(pro: Professional, person: Person, **kw: Any) -> CareTeamMember:
    fields: dict[str, Any] = {"role": pro.role, "start_date": date(2025, 1, 1)}
    fields.update(kw)
    return CareTeamMember(person_id=person.id, professional_id=pro.id, **fields)


def world(born: date = date(1950, 5, 1), **changes: Any) -> PersonFacts:
    """The flag-free world; keyword arguments replace whole fields of the facts."""
    person = Person(given_name="Ada", family_name="Lovelace", birth_date=born,
                    nhs_number="9434765919")
    plan = CarePlan(person_id=person.id, status="active", created_on=date(2025, 1, 1),
                    activated_on=date(2025, 1, 5), review_date=date(2025, 6, 1))
    facts = PersonFacts(
        person=person,
        directory=DIRECTORY,
        plans=[plan],
        team=[member(DR, person, is_lead=True), member(SW, person)],
        consents=[Consent(person_id=person.id, agency_id=a.id, status="given",
                          recorded_on=date(2025, 1, 2), recorded_by=DR.id) for a in (GP, ASC)],
        signoffs=[PlanSignOff(plan_id=plan.id, agency_id=a.id, plan_version=1,
                              signed_by=DR.id, signed_at=datetime(2025, 1, 6, 10))
                  for a in (GP, ASC)],
    )
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


def flags_of(facts: PersonFacts, today: date = TODAY,
             code: FlagCode | None = None, **limits: int) -> list[Flag]:
    thresholds = default_thresholds()
    if limits:
        thresholds = thresholds.with_overrides({k.replace("_", ".", 1): v
                                                for k, v in limits.items()})
    found = evaluate(facts, today, thresholds)
    return [f for f in found if code is None or f.code is code]


def plan_of(facts: PersonFacts) -> CarePlan:
    return facts.plans[0]
