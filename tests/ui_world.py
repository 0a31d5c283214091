"""A small, named neighbourhood written through the store API, for the UI tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from careplan.models import (
    Action,
    Agency,
    CarePlan,
    CareTeamMember,
    Condition,
    Consent,
    DelayReason,
    Handoff,
    HospitalStay,
    Need,
    Outcome,
    Person,
    Professional,
    Referral,
    ReferralEvent,
)
from careplan.models.enums import (
    AgencyKind,
    ClientGroup,
    ConsentStatus,
    DeclineReason,
    HandoffSubject,
    NeedDomain,
    PlanStatus,
    ReferralEventKind,
    ReferralStatus,
    Role,
    Sector,
)
from careplan.store import Store, add

TODAY = date(2025, 3, 10)
#: When the neighbourhood's consents to share were recorded (before every team began).
SHARED_SINCE = date(2024, 1, 2)
ACTOR = "test"


@dataclass
class World:
    """Ids of the records the tests talk about."""

    gp: str
    mh_team: str
    ld_team: str
    adult_care: str
    children: str
    hospital: str
    dr_shah: str
    sam_social: str
    nina_nurse: str
    carl_cpn: str
    lena_ld: str
    #: A manager of children's social care, by job title: a manager to the permission
    #: rules only once given a manager's account (:func:`make_manager`).
    rosa_manager: str
    teen: str
    older: str
    dual: str
    teen_plan: str
    teen_action: str
    dual_referral: str
    handoff: str


def build(store: Store, extra_persons: int = 0) -> World:
    """Write the neighbourhood; ``extra_persons`` adds plain persons for list tests."""

    def put(entity):  # type: ignore[no-untyped-def]
        return add(store, entity, ACTOR)

    gp = put(Agency(name="Riverside Surgery", sector=Sector.HEALTH, kind=AgencyKind.GP_PRACTICE))
    mh = put(Agency(name="Community Mental Health Team", sector=Sector.HEALTH,
                    kind=AgencyKind.MENTAL_HEALTH, domain=NeedDomain.MENTAL_HEALTH,
                    client_group=ClientGroup.ADULTS))
    ld = put(Agency(name="Learning Disability Team", sector=Sector.HEALTH,
                    kind=AgencyKind.LEARNING_DISABILITY, domain=NeedDomain.LEARNING_DISABILITY,
                    client_group=ClientGroup.ADULTS))
    asc = put(Agency(name="Adult Social Care", sector=Sector.SOCIAL_CARE,
                     kind=AgencyKind.ADULT_SOCIAL_CARE, client_group=ClientGroup.ADULTS))
    csc = put(Agency(name="Children's Social Care", sector=Sector.SOCIAL_CARE,
                     kind=AgencyKind.CHILDRENS_SOCIAL_CARE, client_group=ClientGroup.CHILDREN))
    hosp = put(Agency(name="Northbridge General Hospital", sector=Sector.HEALTH,
                      kind=AgencyKind.ACUTE_HOSPITAL))
    shah = put(Professional(name="Dr Asha Shah", role=Role.GP, agency_id=gp.id))
    sam = put(Professional(name="Sam Okafor", role=Role.SOCIAL_WORKER, agency_id=csc.id))
    nina = put(Professional(name="Nina Clarke", role=Role.SOCIAL_WORKER, agency_id=asc.id))
    carl = put(Professional(name="Carl Hughes", role=Role.CPN, agency_id=mh.id))
    lena = put(Professional(name="Lena Nowak", role=Role.LD_NURSE, agency_id=ld.id))
    rosa = put(Professional(name="Rosa Martin", role=Role.MANAGER, agency_id=csc.id))

    teen = put(Person(given_name="Jordan", family_name="Baker", birth_date=date(2007, 6, 2),
                      nhs_number="9434765919", what_matters="Going to college with my friends"))
    older = put(Person(given_name="Margaret", family_name="Wood", birth_date=date(1938, 1, 20),
                       nhs_number="4010232137"))
    dual = put(Person(given_name="Ryan", family_name="Price", birth_date=date(1994, 9, 14)))
    start = TODAY - timedelta(days=200)
    for person, prof, lead in ((teen, sam, True), (teen, shah, False), (older, nina, True),
                               (older, shah, False), (dual, carl, False), (dual, shah, True)):
        put(CareTeamMember(person_id=person.id, professional_id=prof.id, role=prof.role,
                           start_date=start, is_lead=lead))
    put(Consent(person_id=teen.id, agency_id=csc.id, status=ConsentStatus.GIVEN,
                recorded_on=start, recorded_by=sam.id))

    plan = put(CarePlan(person_id=teen.id, status=PlanStatus.ACTIVE, created_on=start,
                        activated_on=start, review_date=TODAY + timedelta(days=30)))
    need = put(Need(plan_id=plan.id, description="Plan the move to adult services",
                    domain=NeedDomain.SOCIAL_CARE))
    put(Outcome(plan_id=plan.id, need_id=need.id, description="I want to live with my mum "
                "until I am ready to move out", target_date=TODAY + timedelta(days=300)))
    action = put(Action(plan_id=plan.id, need_id=need.id,
                        description="Care Act assessment before 18th birthday",
                        owner_professional_id=sam.id, owner_agency_id=csc.id,
                        due_date=TODAY + timedelta(days=40)))
    put(Action(plan_id=plan.id, need_id=need.id, description="Find an adult-services worker",
               due_date=TODAY + timedelta(days=20)))
    handoff = put(Handoff(person_id=teen.id, subject=HandoffSubject.ACTION, action_id=action.id,
                          from_professional_id=sam.id, from_agency_id=csc.id,
                          to_professional_id=nina.id, to_agency_id=asc.id,
                          proposed_at=datetime(2025, 3, 1, 9, 30),
                          answer_by=TODAY - timedelta(days=2)))

    stay = put(HospitalStay(person_id=older.id, hospital_id=hosp.id,
                            admitted_on=TODAY - timedelta(days=30),
                            discharge_ready_on=TODAY - timedelta(days=9)))
    put(DelayReason(stay_id=stay.id, reason="Waiting for a package of care at home",
                    owner_agency_id=asc.id, recorded_on=TODAY - timedelta(days=8)))

    for name, domain in (("Schizophrenia", NeedDomain.MENTAL_HEALTH),
                         ("Moderate learning disability", NeedDomain.LEARNING_DISABILITY)):
        put(Condition(person_id=dual.id, name=name, domain=domain))
    referral = put(Referral(person_id=dual.id, domain=NeedDomain.MENTAL_HEALTH,
                            summary="Psychosis relapse; needs a lead team",
                            from_agency_id=gp.id, sent_on=TODAY - timedelta(days=60),
                            status=ReferralStatus.REDIRECTED))
    steps = [
        (ReferralEventKind.SENT, 60, mh, None, ""),
        (ReferralEventKind.DECLINED, 52, mh, None, "Primary need is the learning disability"),
        (ReferralEventKind.REDIRECTED, 52, mh, ld, "Sent on to the learning disability team"),
        (ReferralEventKind.DECLINED, 40, ld, None, "Mental illness is the primary need"),
        (ReferralEventKind.REDIRECTED, 40, ld, mh, "Back to mental health"),
    ]
    for kind, days_ago, team, to_team, reason in steps:
        put(ReferralEvent(referral_id=referral.id, kind=kind,
                          occurred_on=TODAY - timedelta(days=days_ago), team_id=team.id,
                          to_team_id=to_team.id if to_team else None, reason=reason,
                          reason_code=DeclineReason.OTHER_TEAM
                          if kind is ReferralEventKind.DECLINED else None))
    extras = [put(Person(given_name=f"Test{i:05d}", family_name=f"Person{i % 97:02d}",
                         birth_date=date(1950 + i % 60, 1 + i % 12, 1 + i % 28)))
              for i in range(extra_persons)]
    # Every agency may see everyone (a sharing basis: careplan.models.sharing_basis), so
    # any professional's caseload lists the whole neighbourhood; the tests of sharing
    # record refusals on top (tests/test_caseload_visibility.py).
    for person in (teen, older, dual, *extras):
        for agency in (gp, mh, ld, asc, csc, hosp):
            if (person, agency) != (teen, csc):
                put(Consent(person_id=person.id, agency_id=agency.id,
                            status=ConsentStatus.GIVEN, recorded_on=SHARED_SINCE,
                            recorded_by=shah.id))
    return World(
        gp=gp.id, mh_team=mh.id, ld_team=ld.id, adult_care=asc.id, children=csc.id,
        hospital=hosp.id, dr_shah=shah.id, sam_social=sam.id, nina_nurse=nina.id,
        carl_cpn=carl.id, lena_ld=lena.id, rosa_manager=rosa.id, teen=teen.id,
        older=older.id, dual=dual.id,
        teen_plan=plan.id, teen_action=action.id, dual_referral=referral.id,
        handoff=handoff.id,
    )


def team_store(path: Path) -> Path:
    """A plain store at ``path`` with the UI world and an administrator."""
    from signin import ADMIN, ensure_account

    with Store.open(path) as store:
        build(store)
        ensure_account(store, ADMIN)
    return path


def make_manager(store: Store, professional_id: str, username: str = "manager") -> None:
    """Give the professional a manager's account (the store's administrator is made
    first, as for any store's first account)."""
    from signin import ensure_account

    ensure_account(store, username, "manager", professional_id)


def query(store: Store, **kw: object) -> Any:
    """A caseload query read by Riverside Surgery (any agency of the neighbourhood may
    see everyone in it)."""
    from careplan.store.caseload import CaseloadQuery

    gp = store.conn.execute("SELECT id FROM agencies WHERE name = 'Riverside Surgery'"
                            ).fetchone()[0]
    return CaseloadQuery(viewer_agency_id=str(gp), **kw)  # type: ignore[arg-type]


def prints(store: Store) -> dict[str, Any]:
    """``audience=`` and ``reader=`` of a print made by and for Riverside Surgery."""
    from careplan.export.audience import audience_of

    gp = store.conn.execute("SELECT id FROM agencies WHERE name = 'Riverside Surgery'"
                            ).fetchone()[0]
    audience = audience_of(store, str(gp))
    return {"audience": audience, "reader": audience.viewer}
