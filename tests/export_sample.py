"""A small, complete record for the export tests: every entity type, named situations.

Built with the store API (real SQLite), so exports see exactly what the app writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

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
from careplan.models.enums import (
    ActionStatus,
    AgencyKind,
    ClientGroup,
    ClinicalStatus,
    ConsentStatus,
    DeclineReason,
    DischargePathway,
    HandoffStatus,
    HandoffSubject,
    NeedDomain,
    OutcomeStatus,
    PlanStatus,
    ReferralEventKind,
    ReferralStatus,
    Role,
    Sector,
)
from careplan.store import Store, add_many

TODAY = date(2025, 3, 3)
NHS = "9434765919"


@dataclass
class Sample:
    """Ids of what was written, for assertions."""

    person: Person
    agencies: dict[str, Agency] = field(default_factory=dict)
    profs: dict[str, Professional] = field(default_factory=dict)
    plan: CarePlan | None = None
    conference: CaseConference | None = None
    team_agencies: set[str] = field(default_factory=set)

    def agencies_by_id(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies.values()}


def _agencies() -> dict[str, Agency]:
    spec = [
        ("gp", "Riverside Medical Practice", Sector.HEALTH, AgencyKind.GP_PRACTICE,
         ClientGroup.ALL_AGES, None, "Y01234"),
        ("mh", "Northfield Community Mental Health Team", Sector.HEALTH,
         AgencyKind.MENTAL_HEALTH, ClientGroup.ADULTS, NeedDomain.MENTAL_HEALTH, "RX4"),
        ("ld", "Northfield Learning Disability Team", Sector.HEALTH,
         AgencyKind.LEARNING_DISABILITY, ClientGroup.ADULTS, NeedDomain.LEARNING_DISABILITY,
         ""),
        ("asc", "Northfield Adult Social Care", Sector.SOCIAL_CARE,
         AgencyKind.ADULT_SOCIAL_CARE, ClientGroup.ADULTS, NeedDomain.SOCIAL_CARE, ""),
        ("hosp", "St Mary's Hospital", Sector.HEALTH, AgencyKind.ACUTE_HOSPITAL,
         ClientGroup.ALL_AGES, None, "RJ1"),
        ("housing", "Northfield Housing Options", Sector.HOUSING, AgencyKind.HOUSING,
         ClientGroup.ALL_AGES, NeedDomain.HOUSING, ""),
        ("vol", "Carers' Centre", Sector.VOLUNTARY, AgencyKind.VOLUNTARY,
         ClientGroup.ALL_AGES, None, ""),
    ]
    return {key: Agency(name=name, sector=sector, kind=kind, client_group=group,
                        domain=domain, neighbourhood="Northfield", ods_code=ods)
            for key, name, sector, kind, group, domain, ods in spec}


def build(store: Store, *, actions: int = 8, nhs: str | None = NHS,
          given: str = "Aisha", family: str = "Khan") -> Sample:
    """Write one person with a whole record; return what was written."""
    ag = _agencies()
    staff = [
        ("gp", "Dr Priya Shah", Role.GP, "gp"),
        ("cpn", "Tom Reilly", Role.CPN, "mh"),
        ("ldn", "Grace Okafor", Role.LD_NURSE, "ld"),
        ("sw", "Hannah Price", Role.SOCIAL_WORKER, "asc"),
        ("dc", "Ben Carter", Role.DISCHARGE_COORDINATOR, "hosp"),
        ("ho", "Liam Walsh", Role.HOUSING_OFFICER, "housing"),
        ("mgr", "Sue Marsh", Role.MANAGER, "asc"),
    ]
    profs = {key: Professional(name=name, role=role, agency_id=ag[a].id,
                               email=f"{key}@example.nhs.uk", phone="0113 496 0000")
             for key, name, role, a in staff}
    person = Person(given_name=given, family_name=family, birth_date=date(1988, 7, 14),
                    nhs_number=nhs, local_authority_id="LA-552301",
                    gp_practice_id=ag["gp"].id, address="12 Mill Lane, Northfield",
                    neighbourhood="Northfield",
                    what_matters="Staying in my own flat and seeing my sister on Sundays")
    team = [
        CareTeamMember(person_id=person.id, professional_id=profs["sw"].id,
                       role=Role.CARE_COORDINATOR, start_date=date(2024, 5, 1), is_lead=True),
        CareTeamMember(person_id=person.id, professional_id=profs["gp"].id, role=Role.GP,
                       start_date=date(2023, 1, 9)),
        CareTeamMember(person_id=person.id, professional_id=profs["cpn"].id, role=Role.CPN,
                       start_date=date(2024, 6, 3)),
        CareTeamMember(person_id=person.id, professional_id=profs["ho"].id,
                       role=Role.HOUSING_OFFICER, start_date=date(2024, 9, 2),
                       end_date=date(2025, 1, 31)),
    ]
    conditions = [
        Condition(person_id=person.id, name="Schizophrenia", domain=NeedDomain.MENTAL_HEALTH,
                  code="58214004", onset_date=date(2012, 3, 1)),
        Condition(person_id=person.id, name="Mild learning disability",
                  domain=NeedDomain.LEARNING_DISABILITY, code=""),
        Condition(person_id=person.id, name="Alcohol misuse", domain=NeedDomain.SUBSTANCE_USE,
                  clinical_status=ClinicalStatus.RESOLVED),
    ]
    plan = CarePlan(person_id=person.id, status=PlanStatus.ACTIVE, plan_version=3,
                    created_on=date(2024, 5, 10), activated_on=date(2024, 5, 20),
                    review_date=date(2025, 5, 20))
    needs = [
        Need(plan_id=plan.id, description="Keeping well with her mental health",
             domain=NeedDomain.MENTAL_HEALTH),
        Need(plan_id=plan.id, description="Managing the tenancy and bills",
             domain=NeedDomain.HOUSING),
        Need(plan_id=plan.id, description="Daily living support at home",
             domain=NeedDomain.SOCIAL_CARE),
    ]
    outcomes = [
        Outcome(plan_id=plan.id, need_id=needs[0].id,
                description="I want to stay out of hospital this year",
                target_date=date(2025, 12, 31), achievement=OutcomeStatus.IN_PROGRESS),
        Outcome(plan_id=plan.id, need_id=needs[1].id,
                description="I want to keep my flat", achievement=OutcomeStatus.PARTLY_ACHIEVED),
        Outcome(plan_id=plan.id, need_id=needs[2].id,
                description="I want to cook for myself", achievement=OutcomeStatus.NOT_STARTED),
    ]
    owners = [("cpn", "mh"), ("ho", "housing"), ("sw", "asc"), ("gp", "gp")]
    statuses = list(ActionStatus)
    acts = []
    for i in range(actions):
        who, where = owners[i % len(owners)]
        unowned = i == 3
        acts.append(Action(
            plan_id=plan.id, need_id=needs[i % len(needs)].id,
            description=f"Step {i + 1}: " + [
                "review medication and side effects with Aisha",
                "apply for housing benefit backdating",
                "arrange a Care Act assessment of daily living",
                "annual physical health check (SMI register)",
            ][i % 4],
            owner_professional_id=None if unowned else profs[who].id,
            owner_agency_id=None if unowned else ag[where].id,
            due_date=TODAY + timedelta(days=7 * (i % 9) - 14),
            status=statuses[i % len(statuses)],
        ))
    signoffs = [
        PlanSignOff(plan_id=plan.id, agency_id=ag["asc"].id, plan_version=3,
                    signed_by=profs["sw"].id, signed_at=datetime(2025, 1, 14, 11, 5)),
        PlanSignOff(plan_id=plan.id, agency_id=ag["mh"].id, plan_version=2,
                    signed_by=profs["cpn"].id, signed_at=datetime(2024, 11, 2, 15, 30)),
    ]
    handoffs = [
        Handoff(person_id=person.id, subject=HandoffSubject.ACTION, action_id=acts[1].id,
                from_professional_id=profs["sw"].id, from_agency_id=ag["asc"].id,
                to_professional_id=profs["ho"].id, to_agency_id=ag["housing"].id,
                proposed_at=datetime(2025, 1, 6, 9, 15), answer_by=date(2025, 1, 8),
                status=HandoffStatus.ACCEPTED, answered_at=datetime(2025, 1, 7, 14, 0),
                reason="The housing officer is handling the tenancy",
                answered_by=profs["ho"].id),
        Handoff(person_id=person.id, subject=HandoffSubject.COORDINATION,
                from_professional_id=profs["sw"].id, from_agency_id=ag["asc"].id,
                to_professional_id=profs["cpn"].id, to_agency_id=ag["mh"].id,
                proposed_at=datetime(2025, 2, 10, 10, 0), answer_by=date(2025, 2, 12),
                status=HandoffStatus.DECLINED, answered_at=datetime(2025, 2, 17, 16, 45),
                reason="Her needs are now mainly mental health ones",
                answered_by=profs["cpn"].id,
                answer_reason="Care coordination stays with social care while housing is "
                              "unsettled"),
        Handoff(person_id=person.id, subject=HandoffSubject.ACTION, action_id=acts[0].id,
                from_professional_id=profs["cpn"].id, from_agency_id=ag["mh"].id,
                to_professional_id=profs["gp"].id, to_agency_id=ag["gp"].id,
                proposed_at=datetime(2025, 2, 24, 8, 30), answer_by=date(2025, 2, 26)),
    ]
    referral = Referral(person_id=person.id, need_id=needs[0].id,
                        domain=NeedDomain.MENTAL_HEALTH,
                        summary="Assessment for psychosis with learning disability",
                        from_agency_id=ag["gp"].id, sent_on=date(2025, 1, 2),
                        status=ReferralStatus.ESCALATED, interim_owner_id=profs["sw"].id)
    steps = [
        ReferralEvent(referral_id=referral.id, kind=ReferralEventKind.SENT,
                      occurred_on=date(2025, 1, 2), team_id=ag["mh"].id,
                      by_professional_id=profs["gp"].id),
        ReferralEvent(referral_id=referral.id, kind=ReferralEventKind.DECLINED,
                      occurred_on=date(2025, 1, 9), team_id=ag["mh"].id,
                      by_professional_id=profs["cpn"].id, reason="Primary need is LD",
                      reason_code=DeclineReason.OTHER_TEAM),
        ReferralEvent(referral_id=referral.id, kind=ReferralEventKind.REDIRECTED,
                      occurred_on=date(2025, 1, 9), team_id=ag["mh"].id,
                      to_team_id=ag["ld"].id),
        ReferralEvent(referral_id=referral.id, kind=ReferralEventKind.DECLINED,
                      occurred_on=date(2025, 1, 20), team_id=ag["ld"].id,
                      by_professional_id=profs["ldn"].id,
                      reason="Alcohol use must be addressed first",
                      reason_code=DeclineReason.SUBSTANCE_USE),
        ReferralEvent(referral_id=referral.id, kind=ReferralEventKind.ESCALATED,
                      occurred_on=date(2025, 2, 3), reason="Referred to the joint panel"),
    ]
    stay = HospitalStay(person_id=person.id, hospital_id=ag["hosp"].id,
                        admitted_on=date(2025, 2, 1), discharge_ready_on=date(2025, 2, 14),
                        pathway=DischargePathway.HOME_WITH_SUPPORT,
                        admission_method="emergency", mha_section="section 3")
    delay = DelayReason(stay_id=stay.id, reason="Awaiting package of care start date",
                        owner_agency_id=ag["asc"].id, recorded_on=date(2025, 2, 15))
    consents = [
        Consent(person_id=person.id, agency_id=ag["mh"].id, status=ConsentStatus.GIVEN,
                recorded_on=date(2024, 5, 10), recorded_by=profs["sw"].id),
        Consent(person_id=person.id, agency_id=ag["housing"].id,
                status=ConsentStatus.LEGAL_BASIS, recorded_on=date(2024, 9, 1),
                recorded_by=profs["sw"].id, legal_basis="Care Act 2014 s.6 duty to cooperate"),
        Consent(person_id=person.id, agency_id=ag["vol"].id, status=ConsentStatus.REFUSED,
                recorded_on=date(2024, 9, 1), recorded_by=profs["sw"].id),
        # The rest of the team may see her record too (the sharing basis of every print).
        *(Consent(person_id=person.id, agency_id=ag[key].id, status=ConsentStatus.GIVEN,
                  recorded_on=date(2024, 5, 10), recorded_by=profs["sw"].id)
          for key in ("gp", "ld", "asc", "hosp")),
    ]
    conf = CaseConference(
        person_id=person.id, held_at=datetime(2025, 2, 20, 14, 0),
        ended_at=datetime(2025, 2, 20, 15, 30), chair_id=profs["mgr"].id,
        attendee_ids=(profs["sw"].id, profs["cpn"].id, profs["ldn"].id, profs["gp"].id),
        other_attendees=("Aisha Khan", "Mrs R. Khan (sister)"),
        agenda=("Discharge plan", "Who leads the dual diagnosis referral", "Housing"),
        decisions=("Social care keeps care coordination until discharge",
                   "Joint MH/LD assessment within 14 days"),
    )
    agreed = Action(plan_id=plan.id, need_id=needs[0].id,
                    description="Joint MH/LD assessment", owner_professional_id=profs["cpn"].id,
                    owner_agency_id=ag["mh"].id, due_date=date(2025, 3, 6),
                    status=ActionStatus.SCHEDULED, conference_id=conf.id)
    batch: list[Entity] = [*ag.values(), *profs.values(), person, *team, *conditions, plan,
                           *needs, *outcomes, conf, *acts, agreed, *signoffs, *handoffs,
                           referral, *steps, stay, delay, *consents]
    add_many(store, batch, "test")
    sample = Sample(person=person, agencies=ag, profs=profs, plan=plan, conference=conf)
    sample.team_agencies = {profs[k].agency_id for k in ("sw", "gp", "cpn", "ho")}
    return sample


#: The agency prints are made by and for in these tests: Sue Marsh's (the lead's).
LEAD_AGENCY = "Northfield Adult Social Care"


def _lead(store: Store) -> str:
    rows = store.query("SELECT id FROM agencies WHERE name = ?", (LEAD_AGENCY,))
    return str(rows[0]["id"])


def prints(store: Store) -> dict[str, Any]:
    """``audience=`` and ``reader=`` of a print made by and for the lead's agency, which
    may see everything of the sample."""
    from careplan.export.audience import audience_of

    audience = audience_of(store, _lead(store))
    return {"audience": audience, "reader": audience.viewer}


def tables(store: Store) -> dict[str, Any]:
    """``audience=`` and ``reader_agency_id=`` of a table or funding report made by and
    for the lead's agency."""
    from careplan.export.audience import audience_of

    agency = _lead(store)
    return {"audience": audience_of(store, agency), "reader_agency_id": agency}


def reader_account(store: Store, username: str = "sue") -> str:
    """An account for Sue Marsh, the lead agency's manager (the command line's reader);
    returns its user name (password: tests/signin.py)."""
    from signin import ensure_account

    pro = store.query("SELECT id FROM professionals WHERE name = 'Sue Marsh'")[0]["id"]
    return ensure_account(store, username, "manager", str(pro)).username


def share_with_reader(store: Store, on: date = date(2000, 1, 1), *,
                      every_agency: bool = False) -> dict[str, Any]:
    """For a store written some other way (an import): an agency, "Reader Team", with one
    professional, and consent to share every person's record with it (with every agency,
    when ``every_agency``) recorded on ``on``. Returns ``audience=`` and ``reader=`` of
    prints made by and for it, and the professional's id as ``professional_id`` (pop it
    before passing the rest on)."""
    from careplan.export.audience import audience_of
    from careplan.store import add

    team = add(store, Agency(name="Reader Team", sector=Sector.HEALTH,
                             kind=AgencyKind.GP_PRACTICE), "test")
    pro = add(store, Professional(name="Rita Reader", role=Role.GP, agency_id=team.id),
              "test")
    agencies = ([str(r["id"]) for r in store.query("SELECT id FROM agencies")]
                if every_agency else [team.id])
    for row in store.query("SELECT id, birth_date FROM persons"):
        # Not before the person was born: the store checks every date it is given.
        day = max(on, date.fromisoformat(str(row["birth_date"])[:10]))
        for agency in agencies:
            add(store, Consent(person_id=str(row["id"]), agency_id=agency,
                               status=ConsentStatus.GIVEN, recorded_on=day,
                               recorded_by=pro.id), "test")
    from careplan.store.visibility import Viewer

    return {"audience": audience_of(store, team.id),
            "reader": Viewer(team.id, pro.id, team.name), "professional_id": pro.id}


def lead_professional(store: Store, person_id: str) -> str:
    """The id of the person's lead professional (the latest marked lead); with none, of a
    professional of an agency the person consented to share with."""
    rows = store.query("SELECT professional_id FROM care_team_members WHERE person_id = ? "
                       "AND is_lead = 1 ORDER BY start_date DESC LIMIT 1", (person_id,))
    if not rows:
        rows = store.query(
            "SELECT p.id AS professional_id FROM consents k JOIN professionals p "
            "ON p.agency_id = k.agency_id WHERE k.person_id = ? AND k.status = 'given' "
            "ORDER BY k.recorded_on DESC, p.name LIMIT 1", (person_id,))
    return str(rows[0]["professional_id"])


def lead_prints(store: Store, person_id: str) -> dict[str, Any]:
    """``audience=`` and ``reader=`` of a print made by the person's lead professional
    for their own agency."""
    from careplan.export.audience import audience_of
    from careplan.store.visibility import viewer_for

    reader = viewer_for(store, lead_professional(store, person_id))
    assert reader.agency_id is not None
    return {"audience": audience_of(store, reader.agency_id), "reader": reader}


def reader_of_everyone(db: str | Path, signed_in: Any) -> list[str]:
    """``--user`` of a professional who may see every person of the store ``db``: "Rita
    Reader" of a "Reader Team" every person consented to share with (see
    :func:`share_with_reader`), signed in with the ``signed_in`` fixture."""
    with Store.open(db, create=False) as store:
        pro = share_with_reader(store)["professional_id"]
    return list(signed_in(db, "rita", "practitioner", pro))
