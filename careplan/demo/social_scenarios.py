"""Named demo persons for carers, young adults up to 25 and safeguarding concerns, and the
same records, now and then, in the ordinary caseload (:func:`social_for`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from careplan.demo.case import Case, add_working_days
from careplan.demo.world import Ids, World
from careplan.models.dates import nth_birthday
from careplan.models.enums import (
    AssessmentKind,
    AssessmentStatus,
    NeedDomain,
    PlanStatus,
    Role,
)
from careplan.models.people import Assessment, Person
from careplan.models.social import (
    Carer,
    CarerRelationship,
    SafeguardingConcern,
    SafeguardingDecision,
    YoungPersonStatus,
    YoungPersonStatusKind,
)

NhsSource = Callable[[], str]


def _born(today: date, years: int, days: int) -> date:
    """A birth date ``years`` years and ``days`` days before today."""
    return nth_birthday(today, -years) - timedelta(days=days)


def _case(ids: Ids, nhs: NhsSource, w: World, given: str, family: str, born: date,
          gp: str, address: str, matters: str) -> Case:
    return Case(ids, Person(
        id=ids(), given_name=given, family_name=family, birth_date=born, nhs_number=nhs(),
        gp_practice_id=w.agencies[gp].id, address=address, neighbourhood="Riverside",
        what_matters=matters, local_authority_id=f"NB{born.year % 100:02d}{family[:3].upper()}"))


def carers_not_offered(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Frank, 81, with early vascular dementia: his wife Maureen has cared for him, on the
    plan, for six weeks and nobody has offered her a carer's assessment; his daughter was
    recorded as a carer this week."""
    c = _case(ids, nhs, w, "Frank", "Doyle", _born(today, 81, 50), "gp2",
              "5 Weir Lane, Northbridge NB1 2DQ",
              "I want to stay at home with Maureen and keep my allotment.")
    sw = w.pro("asc", Role.SOCIAL_WORKER)
    c.member(sw, today - timedelta(days=200), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=4000))
    c.member(w.pro("dn", Role.COMMUNITY_NURSE), today - timedelta(days=150))
    c.consents(today - timedelta(days=190), sw)
    c.condition("Vascular dementia (early)", today - timedelta(days=400))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=190),
                 today - timedelta(days=170))
    c.care_plan(today - timedelta(days=165), activated=today - timedelta(days=160),
                review=today + timedelta(days=120), reviewed=today - timedelta(days=100))
    n = c.need(NeedDomain.SOCIAL_CARE, "Help with washing and dressing each morning")
    c.outcome(n, "I want Maureen to be my wife, not my nurse.", today + timedelta(days=90))
    c.action(n, "Morning home care calls, seven days a week", sw, today + timedelta(days=14))
    c.sign(today - timedelta(days=155))
    c.add(Carer(id=ids(), person_id=c.person.id, name="Maureen Doyle",
                relationship=CarerRelationship.SPOUSE_OR_PARTNER,
                recorded_on=today - timedelta(days=45)))
    c.add(Carer(id=ids(), person_id=c.person.id, name="Siobhan Doyle",
                relationship=CarerRelationship.SON_OR_DAUGHTER,
                recorded_on=today - timedelta(days=6)))
    return c


def care_leaver_without_a_plan(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Chloe, 19, a care leaver: her children's plan closed on her 18th birthday and no
    plan from adult services followed (NICE NG43 covers her up to 25)."""
    born = _born(today, 19, 120)
    eighteen = nth_birthday(born, 18)
    c = _case(ids, nhs, w, "Chloe", "Martin", born, "gp1",
              "Flat 3, 40 Station Road, Northbridge NB2 8FE",
              "I want my own flat and a job in a hair salon.")
    sw = w.pro("csc", Role.SOCIAL_WORKER, 1)
    c.member(sw, eighteen - timedelta(days=1500), role=Role.CARE_COORDINATOR, lead=True,
             end=eighteen)
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=5000))
    c.consents(eighteen - timedelta(days=1400), sw)
    c.condition("Post-traumatic stress disorder", eighteen - timedelta(days=700))
    c.care_plan(eighteen - timedelta(days=1400), status=PlanStatus.CLOSED,
                activated=eighteen - timedelta(days=1390), review=eighteen,
                reviewed=eighteen - timedelta(days=200), closed=eighteen)
    n = c.need(NeedDomain.SOCIAL_CARE, "Leaving care: somewhere to live and someone to ask")
    c.outcome(n, "I want to know who to call when things go wrong.", eighteen)
    c.sign(eighteen - timedelta(days=1380))
    c.add(YoungPersonStatus(id=ids(), person_id=c.person.id,
                            kind=YoungPersonStatusKind.CARE_LEAVER, start_date=eighteen,
                            agency_id=w.agencies["csc"].id))
    return c


def ehc_plan_no_adult_assessment(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Ryan, 22, at college with an education, health and care plan: the learning
    disability team works with him, but his Care Act adult assessment was never finished."""
    born = _born(today, 22, 40)
    c = _case(ids, nhs, w, "Ryan", "Shah", born, "gp1", "9 Mill Street, Northbridge NB3 6LP",
              "I want to finish my catering course and cook for my friends.")
    ldn = w.pro("ldt", Role.LD_NURSE)
    c.member(ldn, today - timedelta(days=700), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=7000))
    c.consents(today - timedelta(days=690), ldn)
    c.condition("Moderate learning disability", today - timedelta(days=7000))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=300))
    c.care_plan(today - timedelta(days=680), activated=today - timedelta(days=670),
                review=today + timedelta(days=150), reviewed=today - timedelta(days=215))
    n = c.need(NeedDomain.LEARNING_DISABILITY, "Support to travel to college and budget")
    c.outcome(n, "I want to get the train to college on my own.", today + timedelta(days=200))
    c.action(n, "Travel training with the learning disability team", ldn,
             today + timedelta(days=30))
    c.sign(today - timedelta(days=660))
    c.add(YoungPersonStatus(id=ids(), person_id=c.person.id,
                            kind=YoungPersonStatusKind.EHC_PLAN,
                            start_date=nth_birthday(born, 16)))
    return c


def safeguarding_undecided(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Edna, 86: the district nurse raised a safeguarding concern three working days ago
    and nobody has decided whether it needs a Care Act s.42 enquiry (due within two)."""
    c = _case(ids, nhs, w, "Edna", "Clarke", _born(today, 86, 200), "gp2",
              "2 Chapel Row, Northbridge NB1 9AX",
              "I want to feel safe in my own home and see my grandson.")
    sw = w.pro("asc", Role.SOCIAL_WORKER, 1)
    dn = w.pro("dn", Role.COMMUNITY_NURSE)
    c.member(sw, today - timedelta(days=500), role=Role.CARE_COORDINATOR, lead=True)
    c.member(dn, today - timedelta(days=300))
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=9000))
    c.consents(today - timedelta(days=490), sw)
    c.condition("Heart failure", today - timedelta(days=2000))
    c.condition("Osteoarthritis", today - timedelta(days=5000))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=520),
                 today - timedelta(days=505))
    c.care_plan(today - timedelta(days=500), activated=today - timedelta(days=490),
                review=today + timedelta(days=60), reviewed=today - timedelta(days=300))
    n = c.need(NeedDomain.PHYSICAL_HEALTH, "Leg ulcer dressings and mobility at home")
    c.outcome(n, "I want to walk to the post office again.", today + timedelta(days=120))
    c.action(n, "Twice-weekly dressings", dn, today + timedelta(days=7))
    c.sign(today - timedelta(days=485))
    earlier = add_working_days(today, -160)
    c.add(SafeguardingConcern(
        id=ids(), person_id=c.person.id, received_on=earlier, agency_id=w.agencies["dn"].id,
        summary="Unpaid bills and no food in the house when the nurse visited.",
        decision=SafeguardingDecision.NO_ENQUIRY, decided_on=add_working_days(earlier, 1),
        reason="Grandson had been in hospital; shopping and bills now set up with him."))
    c.add(SafeguardingConcern(
        id=ids(), person_id=c.person.id, received_on=add_working_days(today, -3),
        agency_id=w.agencies["dn"].id,
        summary="Bruising on both forearms seen at a dressing visit; Edna would not say how."))
    return c


#: The named persons above, in the order the demo writes them.
SOCIAL_SCENARIOS = [
    carers_not_offered,
    care_leaver_without_a_plan,
    ehc_plan_no_adult_assessment,
    safeguarding_undecided,
]


# -- the ordinary caseload ---------------------------------------------------------------

_RELATIONS = {True: [CarerRelationship.SPOUSE_OR_PARTNER, CarerRelationship.SON_OR_DAUGHTER,
                     CarerRelationship.SON_OR_DAUGHTER, CarerRelationship.OTHER_RELATIVE],
              False: [CarerRelationship.PARENT, CarerRelationship.SPOUSE_OR_PARTNER,
                      CarerRelationship.FRIEND_OR_NEIGHBOUR]}


def social_for(c: Case, ids: Ids, rng: random.Random, today: date, age: int,
               given_names: list[str], w: World) -> None:
    """Now and then, for one ordinary person: an unpaid carer (nearly always offered a
    carer's assessment), an EHC plan or care leaver status (nearly always with adult
    services lined up after 18), a safeguarding concern (decided in time). Drawn from a
    stream and ids of their own, so the rest of the caseload is as it was."""
    person = c.person.id
    if age >= 18 and rng.random() < (0.12 if age >= 65 else 0.03):
        recorded = today - timedelta(days=rng.randint(20, 900))
        carer = Carer(id=ids(), person_id=person, name=f"{rng.choice(given_names)} "
                      f"{c.person.family_name}", relationship=rng.choice(_RELATIONS[age >= 65]),
                      recorded_on=recorded)
        if rng.random() < 0.95:
            offered = recorded + timedelta(days=rng.randint(0, 25))
            status = rng.choice([AssessmentStatus.COMPLETED, AssessmentStatus.COMPLETED,
                                 AssessmentStatus.DECLINED, AssessmentStatus.IN_PROGRESS])
            done = offered + timedelta(days=rng.randint(5, 40))
            finished = status is AssessmentStatus.COMPLETED and done <= today
            assessment = Assessment(
                id=ids(), person_id=person, kind=AssessmentKind.CARER,
                status=status if finished or status is not AssessmentStatus.COMPLETED
                else AssessmentStatus.IN_PROGRESS, requested_on=min(offered, today),
                completed_on=done if finished else None, agency_id=w.agencies["asc"].id)
            c.add(assessment)
            carer = carer.evolve(assessment_id=assessment.id)
        c.add(carer)
    if 5 <= age <= 24 and rng.random() < 0.05:
        kind = (YoungPersonStatusKind.CARE_LEAVER if age >= 18 and rng.random() < 0.3
                else YoungPersonStatusKind.EHC_PLAN)
        start = c.person.birth_date + timedelta(days=365 * (18 if kind is
                                                YoungPersonStatusKind.CARE_LEAVER
                                                else rng.randint(4, 16)) + 5)
        c.add(YoungPersonStatus(id=ids(), person_id=person, kind=kind,
                                start_date=min(start, today),
                                agency_id=w.agencies["csc"].id))
        if age >= 18 and rng.random() < 0.9:
            c.add(Assessment(id=ids(), person_id=person, kind=AssessmentKind.CARE_ACT_ADULT,
                             status=AssessmentStatus.COMPLETED,
                             requested_on=today - timedelta(days=400),
                             completed_on=today - timedelta(days=rng.randint(300, 380))))
    if age >= 18 and rng.random() < 0.01:
        received = add_working_days(today, -rng.randint(6, 700))
        decision = rng.choice(list(SafeguardingDecision))
        c.add(SafeguardingConcern(
            id=ids(), person_id=person, received_on=received,
            agency_id=rng.choice([w.agencies["dn"].id, w.agencies["gp1"].id, None]),
            summary="Concern about possible neglect raised after a home visit.",
            decision=decision, decided_on=add_working_days(received, rng.randint(0, 2)),
            reason="Needs met through a review of the care plan."
            if decision is SafeguardingDecision.NO_ENQUIRY else ""))
