"""A realistic, deterministic demo caseload for one neighbourhood.

The same ``seed`` and ``today`` always give the same records, ids included: every id
comes from the demo's own random stream. Named persons come first, each showing one of
the failures between agencies the product exists to expose; the rest of the caseload is
drawn at random so that most people have no flags, as in a real caseload.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from careplan.demo.case import Case, add_working_days, at
from careplan.demo.funding import build_funding, money_for
from careplan.demo.scenarios import SCENARIOS
from careplan.demo.social_scenarios import social_for
from careplan.demo.world import Ids, World, build_world
from careplan.models.base import Entity
from careplan.models.enums import (
    ActionStatus,
    AssessmentKind,
    DischargePathway,
    HandoffStatus,
    HandoffSubject,
    NeedDomain,
    OutcomeStatus,
    PlanStatus,
    ReferralEventKind,
    ReferralStatus,
    Role,
)
from careplan.models.episodes import DelayReason, HospitalStay
from careplan.models.handoffs import Handoff, Referral, ReferralEvent
from careplan.models.nhs import check_digit
from careplan.models.people import Person
from careplan.resources import load_toml

MIN_PERSONS = len(SCENARIOS)
CHUNK = 500  # persons per batch handed to the store
_CHUNK_SPAN_MS = 100_000  # room on the id clock for one chunk (about 40 ids a person)
_MONEY_OFFSET_MS = 60_000  # where a chunk's money ids start on its span of the clock
_SOCIAL_OFFSET_MS = 90_000  # where its carers', EHC plans' and concerns' ids start

# domain -> (agency key serving adults, conditions, needs, outcomes in the person's words,
#            actions)
_DOMAINS: dict[NeedDomain, tuple[str, list[str], list[str], list[str], list[str]]] = {
    NeedDomain.PHYSICAL_HEALTH: (
        "dn", ["Type 2 diabetes", "COPD", "Heart failure", "Osteoarthritis", "Stroke"],
        ["Managing a long-term condition at home", "Mobility and falls risk"],
        ["I want to walk to the shops on my own.", "I want to stay out of hospital."],
        ["Review medicines with the practice pharmacist", "Falls assessment at home",
         "Weekly nurse visit for dressings"]),
    NeedDomain.MENTAL_HEALTH: (
        "cmht", ["Recurrent depressive disorder", "Schizophrenia", "Bipolar affective disorder",
                 "Post-traumatic stress disorder"],
        ["Mental health relapse prevention", "Low mood and isolation"],
        ["I want to feel safe at night.", "I want to get back to work part time."],
        ["Fortnightly CPN visit", "Medication review with psychiatrist",
         "Crisis plan shared with family"]),
    NeedDomain.LEARNING_DISABILITY: (
        "ldt", ["Moderate learning disability", "Mild learning disability"],
        ["Support to live independently", "Health checks and communication"],
        ["I want to manage my money myself.", "I want to choose who helps me."],
        ["Annual learning disability health check", "Easy-read health action plan"]),
    NeedDomain.SUBSTANCE_USE: (
        "dat", ["Alcohol dependence", "Opioid dependence"],
        ["Reducing drinking safely", "Staying drug free"],
        ["I want to stop drinking.", "I want to keep my tenancy."],
        ["Weekly key-work session", "Community detox planning"]),
    NeedDomain.SOCIAL_CARE: (
        "asc", [],
        ["Personal care at home", "Support for an unpaid carer"],
        ["I want to stay in my own home.", "I want my wife to get some rest."],
        ["Home care package review", "Carer's assessment", "Day centre two days a week"]),
    NeedDomain.HOUSING: (
        "housing", [],
        ["Housing that meets needs", "Rent arrears"],
        ["I want to keep my flat.", "I want a ground-floor home."],
        ["Housing register application", "Arrears repayment plan"]),
}


def nhs_numbers(start: int = 999_000_000) -> Iterator[str]:
    """Valid NHS numbers in the 999 range, which is never issued to real patients."""
    n = start
    while True:
        head = f"{n:09d}"
        check = check_digit(head)
        if check is not None:
            yield head + str(check)
        n += 1


class Demo:
    """Generates the demo store's records in batches, parents before children.

    The ordinary caseload comes in chunks of CHUNK persons, each drawn from its own
    random stream and NHS number range, so chunks can be made in any order (or in
    other processes) and still give the same store.
    """

    def __init__(self, persons: int, seed: int, today: date) -> None:
        if persons < MIN_PERSONS:
            raise ValueError(f"persons: must be at least {MIN_PERSONS}, got {persons}")
        self.persons = persons
        self.seed = seed
        self.today = today
        self.rng = random.Random(seed)
        # Ids "tick" from midnight of today; each chunk has its own span of the clock.
        self.epoch_ms = int(datetime.combine(today, time(), UTC).timestamp() * 1000)
        self.ids = Ids(self.rng, self.epoch_ms)
        self.names = load_toml("demo_names.toml")
        self.store_id = self.ids()
        self.world: World = build_world(self.ids, self.rng, self.names,
                                        self.names["neighbourhood"], persons)
        # Money has its own ids and random stream (just before midnight on the id clock).
        self.world.funding = build_funding(
            self.world, random.Random(f"{seed}:funding"), self.epoch_ms - _MONEY_OFFSET_MS,
            today, self.names["neighbourhood"], self.names["given"], self.names["family"],
            persons)

    @property
    def chunk_count(self) -> int:
        return -(-(self.persons - MIN_PERSONS) // CHUNK)

    def head(self) -> list[Entity]:
        """Agencies, professionals and the named persons."""
        first: list[Entity] = list(self.world.agencies.values())
        for staff in self.world.staff.values():
            first.extend(staff)
        assert self.world.funding is not None
        first.extend(self.world.funding.items)
        numbers = nhs_numbers()
        for scenario in SCENARIOS:
            first.extend(scenario(self.ids, lambda: next(numbers), self.world,
                                  self.today).items)
        return first

    def chunk(self, k: int) -> list[Entity]:
        """The records of ordinary persons ``k * CHUNK`` onwards."""
        count = min(CHUNK, self.persons - MIN_PERSONS - k * CHUNK)
        rng = random.Random(f"{self.seed}:{k}")
        # Fewer than 1 in 10 nine-digit stems lack a check digit: 2*CHUNK stems suffice.
        gen = _Gen(self, rng, nhs_numbers(999_001_000 + k * 2 * CHUNK),
                   self.epoch_ms + (k + 1) * _CHUNK_SPAN_MS)
        items: list[Entity] = []
        for _ in range(count):
            items.extend(gen.someone().items)
        return items

    def batches(self) -> Iterator[list[Entity]]:
        """Everything, in the order it must be written."""
        yield self.head()
        for k in range(self.chunk_count):
            yield self.chunk(k)


class _Gen:
    """Draws ordinary persons from one random stream."""

    def __init__(self, demo: Demo, rng: random.Random, numbers: Iterator[str],
                 start_ms: int) -> None:
        self.rng = rng
        self.ids = Ids(rng, start_ms)
        self.today = demo.today
        self.world = demo.world
        self.names = demo.names
        self._numbers = numbers
        assert demo.world.funding is not None
        self.money_rng = random.Random(f"{demo.seed}:money:{start_ms}")
        self.money = dataclasses.replace(
            demo.world.funding, ids=Ids(self.money_rng, start_ms + _MONEY_OFFSET_MS), items=[])
        self.social_rng = random.Random(f"{demo.seed}:social:{start_ms}")
        self.social_ids = Ids(self.social_rng, start_ms + _SOCIAL_OFFSET_MS)

    def nhs(self) -> str:
        return next(self._numbers)


    def someone(self) -> Case:
        rng, today, w = self.rng, self.today, self.world
        band = rng.random()
        age = rng.randint(3, 17) if band < 0.15 else (
            rng.randint(18, 64) if band < 0.6 else rng.randint(65, 99))
        born = today - timedelta(days=age * 365 + rng.randint(1, 364))
        given, family = rng.choice(self.names["given"]), rng.choice(self.names["family"])
        gp_key = "gp1" if rng.random() < 0.55 else "gp2"
        person = Person(
            id=self.ids(), given_name=given, family_name=family, birth_date=born,
            nhs_number=self.nhs(), gp_practice_id=w.agencies[gp_key].id,
            address=f"{rng.randint(1, 120)} {rng.choice(self.names['streets'])}, Northbridge",
            neighbourhood=self.names["neighbourhood"],
            local_authority_id=f"NB{rng.randint(100000, 999999)}",
            what_matters=rng.choice(_DOMAINS[NeedDomain.SOCIAL_CARE][3]),
        )
        c = Case(self.ids, person)
        child = age < 18
        domains = self._domains(child, age)
        since = today - timedelta(days=rng.randint(60, 1500))
        c.member(w.pro(gp_key, Role.GP, rng.randrange(64)), since - timedelta(days=900))
        lead_done = False
        team_keys: list[str] = []
        for d in domains:
            key = self._team_for(d, child)
            if key in team_keys:
                continue
            team_keys.append(key)
            pro = w.any_pro(key, rng)
            lead = not lead_done and rng.random() > 0.004  # a few plans lack a coordinator
            c.member(pro, since, role=Role.CARE_COORDINATOR if lead else None, lead=lead)
            lead_done = lead_done or lead
        if child and age >= 16 and rng.random() < 0.6:
            c.member(w.any_pro("asc", rng), today - timedelta(days=rng.randint(30, 300)))
            c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=200),
                         today - timedelta(days=rng.randint(10, 150)))
        elif not child and "asc" in team_keys:
            c.assessment(AssessmentKind.CARE_ACT_ADULT, since - timedelta(days=40),
                         since - timedelta(days=10))
        lead_pro = c.pros[1] if len(c.pros) > 1 else c.pros[0]
        skip = (c.team_agencies()[-1],) if rng.random() < 0.01 else ()
        c.consents(since, lead_pro, skip=skip)
        for d in domains:
            names = _DOMAINS[d][1]
            if names:
                c.condition(rng.choice(names), since - timedelta(days=rng.randint(0, 3000)))
        self._plan(c, domains, since, team_keys)
        self._episodes(c, age, team_keys)
        money_for(c, self.money, self.money_rng, today, age)
        social_for(c, self.social_ids, self.social_rng, today, age, self.names["given"], w)
        return c

    def _domains(self, child: bool, age: int) -> list[NeedDomain]:
        rng = self.rng
        if child:
            pool = [NeedDomain.SOCIAL_CARE, NeedDomain.MENTAL_HEALTH,
                    NeedDomain.LEARNING_DISABILITY, NeedDomain.PHYSICAL_HEALTH]
        elif age < 65:
            pool = [NeedDomain.MENTAL_HEALTH, NeedDomain.LEARNING_DISABILITY,
                    NeedDomain.SUBSTANCE_USE, NeedDomain.PHYSICAL_HEALTH,
                    NeedDomain.SOCIAL_CARE, NeedDomain.HOUSING]
        else:
            pool = [NeedDomain.PHYSICAL_HEALTH, NeedDomain.SOCIAL_CARE,
                    NeedDomain.SOCIAL_CARE, NeedDomain.HOUSING, NeedDomain.MENTAL_HEALTH]
        return list(dict.fromkeys(rng.sample(pool, k=rng.choice((1, 2, 2, 3)))))

    @staticmethod
    def _team_for(domain: NeedDomain, child: bool) -> str:
        if child:
            return "camhs" if domain is NeedDomain.MENTAL_HEALTH else "csc"
        return _DOMAINS[domain][0]

    def _plan(self, c: Case, domains: list[NeedDomain], since: date,
              team_keys: list[str]) -> None:
        rng, today = self.rng, self.today
        roll = rng.random()
        status = (PlanStatus.ACTIVE if roll < 0.9 else PlanStatus.DRAFT if roll < 0.95
                  else PlanStatus.UNDER_REVIEW if roll < 0.98 else PlanStatus.CLOSED)
        created = since + timedelta(days=rng.randint(0, 30))
        activated = created + timedelta(days=rng.randint(3, 20))
        # Reviews: 8 weeks after a new plan, then yearly (each one done on its day, the
        # next set a year on); a few are overdue.
        review = activated + timedelta(weeks=8)
        reviewed = None
        while review < today:
            reviewed, review = review, review + timedelta(days=365)
        if rng.random() < 0.03:
            review = today - timedelta(days=rng.randint(1, 60))
            # Missed: a year after the last review, or the first review itself.
            last = review - timedelta(days=365)
            reviewed = last if last >= activated + timedelta(weeks=8) else None
        closed = today - timedelta(days=rng.randint(1, 30)) if status is PlanStatus.CLOSED else None
        version = 2 if rng.random() < 0.2 else 1
        c.care_plan(created, status=status, version=version, activated=activated,
                    review=review, closed=max(closed, created) if closed else None,
                    reviewed=reviewed if status is not PlanStatus.DRAFT else None)
        for d in domains:
            _, _, needs, words, actions = _DOMAINS[d]
            need = c.need(d, rng.choice(needs))
            c.outcome(need, rng.choice(words), today + timedelta(days=rng.randint(30, 365)),
                      rng.choice([OutcomeStatus.IN_PROGRESS, OutcomeStatus.NOT_STARTED,
                                  OutcomeStatus.PARTLY_ACHIEVED]))
            owners = [p for p in c.pros[1:]] or c.pros
            for text in rng.sample(actions, k=min(len(actions), rng.choice((1, 2)))):
                state = rng.choice([ActionStatus.IN_PROGRESS, ActionStatus.SCHEDULED,
                                    ActionStatus.COMPLETED, ActionStatus.NOT_STARTED])
                due = today + timedelta(days=rng.randint(-20, 120))
                if state is not ActionStatus.COMPLETED and due < today:
                    due = today + timedelta(days=rng.randint(1, 60))
                c.action(need, text, rng.choice(owners), due, state)
        if status is not PlanStatus.DRAFT:
            skip = (c.team_agencies()[-1],) if rng.random() < 0.01 else ()
            c.sign(activated + timedelta(days=rng.randint(0, 10)), skip=skip)

    def _episodes(self, c: Case, age: int, team_keys: list[str]) -> None:
        """Occasional handoffs, referrals and hospital stays, mostly resolved."""
        rng, today, w = self.rng, self.today, self.world
        if len(c.pros) >= 2 and rng.random() < 0.06:
            a, b = c.pros[-1], c.pros[0]
            proposed = add_working_days(today, -rng.randint(3, 200))
            answered = rng.random() < 0.97
            c.add(Handoff(
                id=self.ids(), person_id=c.person.id, subject=HandoffSubject.COORDINATION,
                from_professional_id=a.id, from_agency_id=a.agency_id, to_professional_id=b.id,
                to_agency_id=b.agency_id, proposed_at=at(proposed, rng.randint(9, 16)),
                answer_by=add_working_days(proposed, 2),
                status=HandoffStatus.ACCEPTED if answered else HandoffStatus.PROPOSED,
                answered_at=at(add_working_days(proposed, rng.randint(0, 3)), 17)
                if answered else None,
                answered_by=b.id if answered else None,
                reason="Change of lead agency after review"))
        if age >= 18 and rng.random() < 0.03:
            domain = rng.choice([NeedDomain.MENTAL_HEALTH, NeedDomain.SUBSTANCE_USE,
                                 NeedDomain.LEARNING_DISABILITY])
            team = w.agencies[_DOMAINS[domain][0]]
            sent = add_working_days(today, -rng.randint(8, 300))
            ref = Referral(id=self.ids(), person_id=c.person.id, domain=domain,
                           summary=f"Referral for {domain.value} support",
                           from_agency_id=c.pros[0].agency_id, sent_on=sent,
                           status=ReferralStatus.ACCEPTED)
            c.add(ref)
            c.add(ReferralEvent(id=self.ids(), referral_id=ref.id, kind=ReferralEventKind.SENT,
                                occurred_on=sent, team_id=team.id))
            c.add(ReferralEvent(id=self.ids(), referral_id=ref.id,
                                kind=ReferralEventKind.ACCEPTED,
                                occurred_on=add_working_days(sent, rng.randint(1, 4)),
                                team_id=team.id, as_lead=True))
        if age >= 65 and rng.random() < 0.04:
            admitted = today - timedelta(days=rng.randint(2, 400))
            ready = admitted + timedelta(days=rng.randint(1, 12))
            discharged = ready + timedelta(days=rng.randint(0, 3))
            still_in = discharged >= today
            stay = HospitalStay(
                id=self.ids(), person_id=c.person.id, hospital_id=w.agencies["hosp"].id,
                admitted_on=admitted, discharge_ready_on=ready if ready <= today else None,
                discharged_on=None if still_in else discharged,
                pathway=rng.choice(list(DischargePathway)))
            c.add(stay)
            if not still_in and discharged > ready:
                c.add(DelayReason(id=self.ids(), stay_id=stay.id,
                                  owner_agency_id=w.agencies["asc"].id,
                                  reason="Waiting for a home care package",
                                  recorded_on=ready))
