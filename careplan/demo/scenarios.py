"""The named demo persons: each one of the situations the product exists for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from careplan.demo.case import Case, add_working_days, at
from careplan.demo.sharing_scenarios import SHARING_SCENARIOS
from careplan.demo.social_scenarios import SOCIAL_SCENARIOS
from careplan.demo.world import Ids, World
from careplan.models.costing import financial_year
from careplan.models.enums import (
    ActionStatus,
    AssessmentKind,
    DeclineReason,
    DischargePathway,
    HandoffStatus,
    HandoffSubject,
    NeedDomain,
    ReferralEventKind,
    ReferralStatus,
    Role,
)
from careplan.models.episodes import DelayReason, HospitalStay
from careplan.models.funding import CareType, Frequency, FundingStatus, PersonalBudget, TakenAs
from careplan.models.handoffs import Handoff, Referral, ReferralEvent
from careplan.models.health import (
    AdmissionMethod,
    AftercarePlan,
    ChcAssessment,
    ChecklistOutcome,
    MhaSection,
)
from careplan.models.people import Person
from careplan.models.plan import Action

NhsSource = Callable[[], str]
MH = NeedDomain.MENTAL_HEALTH
LD = NeedDomain.LEARNING_DISABILITY
SU = NeedDomain.SUBSTANCE_USE
PH = NeedDomain.PHYSICAL_HEALTH
SC = NeedDomain.SOCIAL_CARE
HO = NeedDomain.HOUSING


def years_ago(today: date, years: int, days: int = 0) -> date:
    """A birth date ``years`` years (plus ``days`` days) before today."""
    try:
        base = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        base = date(today.year - years, 3, 1)
    return base - timedelta(days=days)


def _person(ids: Ids, nhs: NhsSource, w: World, given: str, family: str, born: date,
            gp: str, address: str, matters: str) -> Person:
    return Person(id=ids(), given_name=given, family_name=family, birth_date=born,
                  nhs_number=nhs(), gp_practice_id=w.agencies[gp].id, address=address,
                  neighbourhood="Riverside", what_matters=matters,
                  local_authority_id=f"NB{born.year % 100:02d}{family[:3].upper()}")


def turning_18(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Jordan, 17, known to children's services; nobody from adult services yet."""
    c = Case(ids, _person(ids, nhs, w, "Jordan", "Ellis", years_ago(today, 18, -95), "gp1",
                          "14 Canal Street, Northbridge NB2 4RL",
                          "I want to go to college with my friends and have my own room."))
    sw = w.pro("csc", Role.SOCIAL_WORKER)
    c.member(sw, today - timedelta(days=900), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=2000))
    c.member(w.pro("camhs", Role.CPN), today - timedelta(days=400))
    c.consents(today - timedelta(days=400), sw)
    c.condition("Mild learning disability", today - timedelta(days=4000))
    c.condition("Generalised anxiety disorder", today - timedelta(days=500))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=20))
    c.care_plan(today - timedelta(days=300), review=today + timedelta(days=60))
    n1 = c.need(SC, "Move from children's to adult social care without a gap in support")
    c.outcome(n1, "I want the same people to help me after I'm 18.", today + timedelta(days=95))
    c.action(n1, "Refer to adult social care for a Care Act assessment", sw,
             today + timedelta(days=14))
    n2 = c.need(MH, "Anxiety when travelling and in new places")
    c.outcome(n2, "I want to get the bus to college on my own.", today + timedelta(days=180))
    c.action(n2, "Graded travel training with CAMHS", w.pro("camhs", Role.CPN),
             today + timedelta(days=30))
    c.sign(today - timedelta(days=290))
    return c


def turned_18(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Kyle turned 18 three weeks ago; still only children's services around him."""
    c = Case(ids, _person(ids, nhs, w, "Kyle", "Fletcher", years_ago(today, 18, 21), "gp2",
                          "3 Lock Close, Northbridge NB2 7TT",
                          "I want to keep my part-time job at the garage."))
    sw = w.pro("csc", Role.SOCIAL_WORKER, 1)
    c.member(sw, today - timedelta(days=1500), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=3000))
    c.consents(today - timedelta(days=700), sw)
    c.condition("Cerebral palsy", today - timedelta(days=6000))
    c.care_plan(today - timedelta(days=500), review=today + timedelta(days=100),
                reviewed=today - timedelta(days=265))
    n = c.need(SC, "Personal care support each morning")
    c.outcome(n, "I want to get ready for work without my mum doing it.", None)
    c.action(n, "Agree adult social care package before children's package ends", sw,
             today - timedelta(days=7), ActionStatus.IN_PROGRESS)
    c.sign(today - timedelta(days=490))
    return c


def year_nine(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Sophie is in school Year 9: transition planning should start now (NICE NG43)."""
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    c = Case(ids, _person(ids, nhs, w, "Sophie", "Hughes", years_ago(start, 14, -40), "gp1",
                          "22 Orchard Way, Northbridge NB3 1QA",
                          "I like drawing and I want to do art at college."))
    sw = w.pro("csc", Role.TRANSITION_WORKER)
    c.member(sw, today - timedelta(days=600), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=3000))
    c.consents(today - timedelta(days=600), sw)
    c.condition("Moderate learning disability", today - timedelta(days=4000))
    c.care_plan(today - timedelta(days=200), review=today + timedelta(days=160))
    n = c.need(LD, "Support to plan for adult life (education, health, independence)")
    c.outcome(n, "I want to choose my college myself.", today + timedelta(days=600))
    c.action(n, "Year 9 transition review with school and family", sw,
             today + timedelta(days=40), ActionStatus.SCHEDULED)
    c.sign(today - timedelta(days=190))
    return c


def delayed_discharge(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Margaret, 84, medically fit for nine days and still on the ward."""
    c = Case(ids, _person(ids, nhs, w, "Margaret", "Okafor", years_ago(today, 84, 120), "gp2",
                          "7 Victoria Terrace, Northbridge NB1 5HD",
                          "I want to go home to my cat and my own bed."))
    sw = w.pro("asc", Role.SOCIAL_WORKER)
    dc = w.pro("hosp", Role.DISCHARGE_COORDINATOR)
    c.member(sw, today - timedelta(days=700), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=5000))
    c.member(w.pro("dn", Role.COMMUNITY_NURSE), today - timedelta(days=300))
    c.member(dc, today - timedelta(days=21))
    c.consents(today - timedelta(days=20), sw)
    c.condition("Heart failure", today - timedelta(days=1500))
    c.condition("Fractured neck of femur", today - timedelta(days=22))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=700),
                 today - timedelta(days=680))
    c.care_plan(today - timedelta(days=650), version=2, activated=today - timedelta(days=15),
                review=today + timedelta(days=40))
    n = c.need(SC, "Care at home after the hip fracture: four calls a day")
    c.outcome(n, "I want to be back in my own home before Christmas.", today + timedelta(days=30))
    home = c.action(n, "Start home care package (4 calls a day)", sw, today - timedelta(days=6))
    bed = c.action(n, "Deliver hospital bed and hoist", w.pro("dn", Role.OT),
                   today - timedelta(days=5))
    c.sign(today - timedelta(days=12))
    stay = HospitalStay(id=ids(), person_id=c.person.id, hospital_id=w.agencies["hosp"].id,
                        admitted_on=today - timedelta(days=21),
                        discharge_ready_on=today - timedelta(days=9),
                        pathway=DischargePathway.HOME_WITH_SUPPORT)
    c.add(stay)
    c.add(DelayReason(id=ids(), stay_id=stay.id, owner_agency_id=w.agencies["asc"].id,
                      reason="Awaiting a home care package (no provider has capacity)",
                      recorded_on=today - timedelta(days=8)))
    c.add(DelayReason(id=ids(), stay_id=stay.id, owner_agency_id=w.agencies["dn"].id,
                      reason="Awaiting a hospital bed and hoist at home",
                      recorded_on=today - timedelta(days=7)))
    _margaret_money(c, w, today, home, bed, stay)
    return c


def _margaret_money(c: Case, w: World, today: date, home: Action, bed: Action,
                    stay: HospitalStay) -> None:
    """Who pays for her home care is disputed: the council says her needs are primarily
    health needs (NHS continuing healthcare); the board's checklist says social care."""
    fw = w.funding
    assert fw is not None
    asc, icb = w.agencies["asc"].id, w.agencies["icb"].id
    since = add_working_days(today, -8)
    fw.charge(c, home, 58_800, Frequency.WEEKLY, today + timedelta(days=3), CareType.REACTIVE,
              [("chc", 10_000)], status=FundingStatus.DISPUTED, disputed_since=since,
              disputed_by=(asc, icb),
              note="Council: primary health need, so NHS continuing healthcare; board: "
                   "checklist negative, so council-funded care")
    fw.charge(c, bed, 145_000, Frequency.ONE_OFF, today - timedelta(days=5),
              CareType.PREVENTIVE, [("bcf", 10_000)])
    c.add(DelayReason(id=fw.ids(), stay_id=stay.id, owner_agency_id=icb,
                      reason="Funding dispute: NHS continuing healthcare or council-funded "
                             "home care", recorded_on=stay.discharge_ready_on or today))


def dual_diagnosis(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Daniel: schizophrenia and a learning disability; bounced between CMHT and the LD team."""
    c = Case(ids, _person(ids, nhs, w, "Daniel", "Price", years_ago(today, 29, 200), "gp1",
                          "Flat 4, 9 Wharf Street, Northbridge NB2 2EE",
                          "I want someone who understands both of my conditions."))
    gp = w.pro("gp1", Role.GP)
    c.member(gp, today - timedelta(days=3000), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("asc", Role.SOCIAL_WORKER), today - timedelta(days=400))
    c.consents(today - timedelta(days=60), gp)
    c.condition("Schizophrenia", today - timedelta(days=900))
    c.condition("Moderate learning disability", today - timedelta(days=9000))
    c.care_plan(today - timedelta(days=120), review=today + timedelta(days=30))
    n = c.need(MH, "Specialist team to lead care for psychosis and learning disability")
    c.outcome(n, "I want to stop being sent from one team to another.", None,)
    c.action(n, "Weekly welfare check until a specialist team takes the lead", gp,
             today + timedelta(days=3))
    c.sign(today - timedelta(days=110))
    cmht, ldt = w.agencies["cmht"].id, w.agencies["ldt"].id
    ref = Referral(id=ids(), person_id=c.person.id, need_id=n.id, domain=MH,
                   summary="Deteriorating mental state in a man with a moderate learning "
                           "disability; needs a lead specialist team",
                   from_agency_id=w.agencies["gp1"].id,
                   sent_on=add_working_days(today, -22), status=ReferralStatus.REDIRECTED,
                   interim_owner_id=gp.id)
    c.add(ref)
    steps = [
        (ReferralEventKind.SENT, -22, cmht, None, "", None),
        (ReferralEventKind.DECLINED, -19, cmht, None,
         "Presentation is driven by the learning disability; the LD team is better placed",
         DeclineReason.OTHER_TEAM),
        (ReferralEventKind.SENT, -18, ldt, None, "", None),
        (ReferralEventKind.DECLINED, -12, ldt, None,
         "Psychosis is the primary need; the mental health team should lead",
         DeclineReason.OTHER_TEAM),
        (ReferralEventKind.REDIRECTED, -12, ldt, cmht, "Returned to the mental health team",
         None),
    ]
    for kind, offset, team, to_team, reason, code in steps:
        c.add(ReferralEvent(id=ids(), referral_id=ref.id, kind=kind,
                            occurred_on=add_working_days(today, offset), team_id=team,
                            to_team_id=to_team, reason=reason, reason_code=code,
                            by_professional_id=None))
    return c


def substance_use_refusal(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Aisha: bipolar disorder and alcohol dependence; refused by CMHT because of drinking."""
    c = Case(ids, _person(ids, nhs, w, "Aisha", "Rahman", years_ago(today, 35, 30), "gp2",
                          "12 Mill Lane, Northbridge NB1 8PL",
                          "I want to keep custody of my son and feel well again."))
    gp = w.pro("gp2", Role.GP)
    c.member(gp, today - timedelta(days=2500), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("vol", Role.SUPPORT_WORKER), today - timedelta(days=200))
    c.consents(today - timedelta(days=200), gp)
    c.condition("Bipolar affective disorder", today - timedelta(days=3000))
    c.condition("Alcohol dependence", today - timedelta(days=1000))
    c.care_plan(today - timedelta(days=90), review=today + timedelta(days=10))
    n = c.need(MH, "Mood relapse with heavy drinking")
    c.outcome(n, "I want to be well enough to do the school run every day.", None)
    c.action(n, "Crisis plan shared with the family", gp, today + timedelta(days=5))
    c.sign(today - timedelta(days=80))
    ref = Referral(id=ids(), person_id=c.person.id, need_id=n.id, domain=MH,
                   summary="Relapse of bipolar disorder with alcohol dependence",
                   from_agency_id=w.agencies["gp2"].id, sent_on=add_working_days(today, -14),
                   status=ReferralStatus.REDIRECTED)
    c.add(ref)
    cmht, dat = w.agencies["cmht"].id, w.agencies["dat"].id
    c.add(ReferralEvent(id=ids(), referral_id=ref.id, kind=ReferralEventKind.SENT,
                        occurred_on=add_working_days(today, -14), team_id=cmht))
    c.add(ReferralEvent(id=ids(), referral_id=ref.id, kind=ReferralEventKind.DECLINED,
                        occurred_on=add_working_days(today, -11), team_id=cmht,
                        reason="Alcohol use must be addressed before mental health treatment",
                        reason_code=DeclineReason.SUBSTANCE_USE))
    c.add(ReferralEvent(id=ids(), referral_id=ref.id, kind=ReferralEventKind.REDIRECTED,
                        occurred_on=add_working_days(today, -11), team_id=cmht, to_team_id=dat,
                        reason="Redirected to the drug and alcohol service"))
    return c


def unanswered_handoffs(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Peter: two handoffs proposed and never answered."""
    c = Case(ids, _person(ids, nhs, w, "Peter", "Walsh", years_ago(today, 67, 80), "gp1",
                          "31 Station Road, Northbridge NB4 6AA",
                          "I want to have a bath again without being frightened of falling."))
    dn = w.pro("dn", Role.COMMUNITY_NURSE)
    ot = w.pro("asc", Role.OT)
    sw = w.pro("asc", Role.SOCIAL_WORKER, 1)
    c.member(dn, today - timedelta(days=500), role=Role.CARE_COORDINATOR, lead=True)
    c.member(ot, today - timedelta(days=100))
    c.member(sw, today - timedelta(days=100))
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=5000))
    c.consents(today - timedelta(days=100), dn)
    c.condition("COPD", today - timedelta(days=2000))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=120),
                 today - timedelta(days=100))
    c.care_plan(today - timedelta(days=200), review=today + timedelta(days=50))
    n = c.need(SC, "Bathing safely at home")
    c.outcome(n, "I want to have a bath twice a week.", today + timedelta(days=60))
    act = c.action(n, "Assess for bathroom adaptations", dn, today + timedelta(days=10))
    c.sign(today - timedelta(days=190))
    proposed = add_working_days(today, -9)
    c.add(Handoff(id=ids(), person_id=c.person.id, subject=HandoffSubject.ACTION,
                  action_id=act.id, from_professional_id=dn.id, from_agency_id=dn.agency_id,
                  to_professional_id=ot.id, to_agency_id=ot.agency_id,
                  proposed_at=at(proposed, 9, 15), answer_by=add_working_days(proposed, 2),
                  reason="Adaptations are an occupational therapy assessment"))
    proposed2 = add_working_days(today, -3)
    c.add(Handoff(id=ids(), person_id=c.person.id, subject=HandoffSubject.COORDINATION,
                  from_professional_id=dn.id, from_agency_id=dn.agency_id,
                  to_professional_id=sw.id, to_agency_id=sw.agency_id,
                  proposed_at=at(proposed2, 16, 40), answer_by=add_working_days(proposed2, 2),
                  reason="Needs are now mainly social care; nursing input is ending"))
    return c


def unowned_action(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Grace: a housing action whose handoff was declined, and nobody took it."""
    c = Case(ids, _person(ids, nhs, w, "Grace", "Thompson", years_ago(today, 45, 10), "gp2",
                          "Flat 19, Willow Court, Northbridge NB2 9LL",
                          "I want a flat without stairs so I can get out on my own."))
    cpn = w.pro("cmht", Role.CPN)
    ho = w.pro("housing", Role.HOUSING_OFFICER)
    wr = w.pro("welfare", Role.SUPPORT_WORKER)
    c.member(cpn, today - timedelta(days=800), role=Role.CARE_COORDINATOR, lead=True)
    c.member(ho, today - timedelta(days=300))
    c.member(wr, today - timedelta(days=100))
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=4000))
    c.consents(today - timedelta(days=100), cpn)
    c.condition("Recurrent depressive disorder", today - timedelta(days=3000))
    c.care_plan(today - timedelta(days=250), review=today + timedelta(days=20))
    n = c.need(HO, "Housing that suits her mobility")
    c.outcome(n, "I want to be able to go out without help.", today + timedelta(days=200))
    act = c.action(n, "Complete the housing transfer application", None,
                   today + timedelta(days=3), ActionStatus.NOT_STARTED)
    c.action(n, "Claim the mobility component of PIP", None, today + timedelta(days=30),
             ActionStatus.NOT_STARTED)
    c.sign(today - timedelta(days=240))
    proposed = add_working_days(today, -8)
    c.add(Handoff(id=ids(), person_id=c.person.id, subject=HandoffSubject.ACTION,
                  action_id=act.id, from_professional_id=ho.id, from_agency_id=ho.agency_id,
                  to_professional_id=wr.id, to_agency_id=wr.agency_id,
                  proposed_at=at(proposed, 11), answer_by=add_working_days(proposed, 2),
                  status=HandoffStatus.DECLINED, answered_at=at(add_working_days(proposed, 1), 15),
                  reason="The transfer form asks about benefits; welfare rights can help",
                  answered_by=wr.id,
                  answer_reason="Housing applications are not a welfare rights service"))
    return c


def no_coordinator(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Tom: an active plan, several agencies, and no lead professional."""
    c = Case(ids, _person(ids, nhs, w, "Tom", "Baker", years_ago(today, 52, 300), "gp1",
                          "5 Ferry Close, Northbridge NB4 2DD",
                          "I want to stay sober and get back to work."))
    dat = w.pro("dat", Role.SUBSTANCE_USE_WORKER)
    c.member(dat, today - timedelta(days=300))
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=4000))
    c.member(w.pro("housing", Role.HOUSING_OFFICER), today - timedelta(days=90))
    c.consents(today - timedelta(days=90), dat)
    c.condition("Alcohol dependence", today - timedelta(days=2000))
    c.condition("Type 2 diabetes", today - timedelta(days=1500))
    c.care_plan(today - timedelta(days=100), review=today + timedelta(days=70))
    n = c.need(SU, "Staying abstinent after detox")
    c.outcome(n, "I want to be sober for my daughter's wedding.", today + timedelta(days=150))
    c.action(n, "Weekly relapse-prevention group", dat, today + timedelta(days=7))
    c.sign(today - timedelta(days=90))
    return c


def unsigned_plan(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Ruth: version 2 of her plan has been active a month; adult social care never signed."""
    c = Case(ids, _person(ids, nhs, w, "Ruth", "Collins", years_ago(today, 71, 50), "gp1",
                          "2 Meadow View, Northbridge NB3 3RR",
                          "I want to keep going to my church lunch club on Thursdays."))
    dn = w.pro("dn", Role.COMMUNITY_NURSE, 1)
    sw = w.pro("asc", Role.SOCIAL_WORKER)
    c.member(dn, today - timedelta(days=800), role=Role.CARE_COORDINATOR, lead=True)
    c.member(sw, today - timedelta(days=700))
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=6000))
    c.consents(today - timedelta(days=700), dn)
    c.condition("Vascular dementia (early)", today - timedelta(days=700))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=720),
                 today - timedelta(days=700))
    c.care_plan(today - timedelta(days=720), version=2, activated=today - timedelta(days=30),
                review=today - timedelta(days=10))
    n = c.need(SC, "Help with meals and medicines")
    c.outcome(n, "I want to stay in my own house.", None)
    c.action(n, "Medicines in a blister pack, checked weekly", dn, today + timedelta(days=7))
    c.sign(today - timedelta(days=700), version=1)
    c.sign(today - timedelta(days=28), skip=(sw.agency_id,))
    return c


def no_consent(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Leon: the housing officer joined the team but nobody recorded consent to share."""
    c = Case(ids, _person(ids, nhs, w, "Leon", "Carter", years_ago(today, 24, 150), "gp2",
                          "Room 6, 40 Bridge Street, Northbridge NB1 1BB",
                          "I want a place of my own and to see my little brother."))
    cc = w.pro("cmht", Role.CARE_COORDINATOR)
    ho = w.pro("housing", Role.HOUSING_OFFICER)
    c.member(cc, today - timedelta(days=400), lead=True)
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=4000))
    c.member(ho, today - timedelta(days=20))
    c.consents(today - timedelta(days=400), cc, skip=(ho.agency_id,))
    c.condition("First episode psychosis", today - timedelta(days=420))
    c.care_plan(today - timedelta(days=380), review=today + timedelta(days=200))
    n = c.need(HO, "Settled accommodation")
    c.outcome(n, "I want a flat near my family.", today + timedelta(days=120))
    c.action(n, "Housing register application", ho, today + timedelta(days=21))
    c.sign(today - timedelta(days=15))
    return c


def overcommitted_budget(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Helen: her integrated personal budget (council and NHS money, taken as a direct
    payment) is committed beyond its allocation since her PA hours went up."""
    c = Case(ids, _person(ids, nhs, w, "Helen", "Marsh", years_ago(today, 46, 75), "gp1",
                          "11 Beech Grove, Northbridge NB3 4HG",
                          "I want to choose my own personal assistants and keep swimming."))
    sw = w.pro("asc", Role.SOCIAL_WORKER, 1)
    dn = w.pro("dn", Role.COMMUNITY_NURSE)
    c.member(sw, today - timedelta(days=900), role=Role.CARE_COORDINATOR, lead=True)
    c.member(dn, today - timedelta(days=400))
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=6000))
    c.consents(today - timedelta(days=400), sw)
    c.condition("Multiple sclerosis (relapsing-remitting)", today - timedelta(days=3000))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=260),
                 today - timedelta(days=240))
    c.care_plan(today - timedelta(days=240), activated=today - timedelta(days=230),
                review=today + timedelta(days=120))
    n = c.need(SC, "Personal care and getting out, with personal assistants she employs")
    c.outcome(n, "I want to go swimming twice a week with my PA.", today + timedelta(days=90))
    pa = c.action(n, "Personal assistants, 24 hours a week", sw, today + timedelta(days=60))
    bike = c.action(n, "Adapted exercise bike for physiotherapy at home", dn,
                    today + timedelta(days=20), ActionStatus.SCHEDULED)
    c.sign(today - timedelta(days=225))
    fw = w.funding
    assert fw is not None
    first, last = financial_year(today)
    budget = PersonalBudget(id=fw.ids(), person_id=c.person.id, allocation_pence=2_000_000,
                            stream_ids=(fw.streams["pb"].id, fw.streams["phb"].id),
                            taken_as=TakenAs.DIRECT_PAYMENT, start_date=first, end_date=last)
    c.add(budget)
    # 24 hours at £16 from the start of the year, and the bike: about 5% over.
    fw.charge(c, pa, 38_400, Frequency.WEEKLY, first, CareType.PREVENTIVE,
              [("pb", 7_000), ("phb", 3_000)], budget=budget)
    fw.charge(c, bike, 65_000, Frequency.ONE_OFF, today + timedelta(days=20),
              CareType.PREVENTIVE, [("phb", 10_000)], budget=budget)
    return c


def chc_decision_awaited(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Harold, 79: a positive continuing healthcare checklist reached the board five
    weeks ago, and no eligibility decision yet (National Framework: 28 days)."""
    c = Case(ids, _person(ids, nhs, w, "Harold", "Jenkins", years_ago(today, 79, 40), "gp2",
                          "Room 12, Larch House Nursing Home, Northbridge NB3 8JD",
                          "I want my wife to stop worrying about how my care is paid for."))
    sw = w.pro("asc", Role.SOCIAL_WORKER)
    dn = w.pro("dn", Role.COMMUNITY_NURSE, 1)
    c.member(sw, today - timedelta(days=400), role=Role.CARE_COORDINATOR, lead=True)
    c.member(dn, today - timedelta(days=300))
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=6000))
    c.consents(today - timedelta(days=300), sw)
    c.condition("Stroke", today - timedelta(days=420))
    c.condition("Vascular dementia (early)", today - timedelta(days=380))
    c.assessment(AssessmentKind.CARE_ACT_ADULT, today - timedelta(days=410),
                 today - timedelta(days=395))
    c.care_plan(today - timedelta(days=200), review=today + timedelta(days=40))
    n = c.need(PH, "Nursing care after a stroke: NHS continuing healthcare or council-funded")
    c.outcome(n, "I want to know who pays, so that my wife can keep our house.",
              today + timedelta(days=30))
    c.action(n, "Full continuing healthcare assessment with the Decision Support Tool", dn,
             today + timedelta(days=5), ActionStatus.SCHEDULED)
    c.sign(today - timedelta(days=190))
    c.add(ChcAssessment(id=ids(), person_id=c.person.id, checklist_on=today - timedelta(days=37),
                        outcome=ChecklistOutcome.POSITIVE, agency_id=w.agencies["icb"].id,
                        received_on=today - timedelta(days=35),
                        note="Positive on cognition, behaviour and mobility; the nursing home "
                             "fees are paid privately meanwhile"))
    return c


def aftercare_unassigned(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Marcus, 32: discharged five days ago after detention under section 3; the
    aftercare plan names the board but no local authority (Mental Health Act s.117)."""
    c = Case(ids, _person(ids, nhs, w, "Marcus", "Reid", years_ago(today, 32, 200), "gp1",
                          "Flat 2, 17 Tannery Lane, Northbridge NB2 5TS",
                          "I want a home of my own and to stay out of hospital."))
    cc = w.pro("cmht", Role.CARE_COORDINATOR)
    sw = w.pro("asc", Role.SOCIAL_WORKER, 1)
    c.member(cc, today - timedelta(days=700), lead=True)
    c.member(sw, today - timedelta(days=150))
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=5000))
    c.consents(today - timedelta(days=150), cc)
    c.condition("Schizophrenia", today - timedelta(days=2500))
    c.care_plan(today - timedelta(days=150), review=today + timedelta(days=10))
    n = c.need(MH, "Aftercare after a section 3 admission: housing, medication, support")
    c.outcome(n, "I want to stay well in my own flat.", today + timedelta(days=90))
    c.action(n, "Depot clinic every two weeks", cc, today + timedelta(days=9))
    c.sign(today - timedelta(days=140))
    stay = HospitalStay(id=ids(), person_id=c.person.id, hospital_id=w.agencies["ward"].id,
                        admitted_on=today - timedelta(days=61),
                        discharge_ready_on=today - timedelta(days=9),
                        discharged_on=today - timedelta(days=5),
                        admission_method=AdmissionMethod.EMERGENCY,
                        mha_section=MhaSection.SECTION_3)
    c.add(stay)
    c.add(AftercarePlan(id=ids(), person_id=c.person.id, stay_id=stay.id,
                        agreed_on=today - timedelta(days=8), nhs_agency_id=w.agencies["icb"].id,
                        summary="Care coordination and depot clinic from the community mental "
                                "health team; supported housing still to be agreed with the "
                                "council, whose place at the section 117 meeting was empty"))
    return c


def readmitted(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Irene, 81: back in hospital as an emergency two weeks after she was discharged."""
    c = Case(ids, _person(ids, nhs, w, "Irene", "Cooper", years_ago(today, 81, 230), "gp2",
                          "4 Chapel Row, Northbridge NB1 3CR",
                          "I want to manage my breathing at home, not in hospital."))
    dn = w.pro("dn", Role.COMMUNITY_NURSE)
    sw = w.pro("asc", Role.SOCIAL_WORKER)
    c.member(dn, today - timedelta(days=600), role=Role.CARE_COORDINATOR, lead=True)
    c.member(sw, today - timedelta(days=20))
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=7000))
    c.consents(today - timedelta(days=20), dn)
    c.condition("COPD", today - timedelta(days=3000))
    c.condition("Heart failure", today - timedelta(days=900))
    c.care_plan(today - timedelta(days=230), review=today + timedelta(days=30))
    n = c.need(PH, "Breathlessness at home after leaving hospital")
    c.outcome(n, "I want to sleep through the night without calling an ambulance.", None)
    c.action(n, "Rescue pack and a respiratory nurse visit within 48 hours of discharge", dn,
             today + timedelta(days=4))
    c.sign(today - timedelta(days=15))
    hosp = w.agencies["hosp"].id
    c.add(HospitalStay(id=ids(), person_id=c.person.id, hospital_id=hosp,
                       admitted_on=today - timedelta(days=26),
                       discharge_ready_on=today - timedelta(days=19),
                       discharged_on=today - timedelta(days=17),
                       pathway=DischargePathway.HOME_WITH_SUPPORT,
                       admission_method=AdmissionMethod.EMERGENCY))
    c.add(HospitalStay(id=ids(), person_id=c.person.id, hospital_id=hosp,
                       admitted_on=today - timedelta(days=3),
                       admission_method=AdmissionMethod.EMERGENCY))
    return c


def no_mh_coordinator(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Liam, 27: psychosis and opioid dependence; the mental health team took him on
    last week, but his only care coordinator is at the drug service (NICE QS188)."""
    c = Case(ids, _person(ids, nhs, w, "Liam", "Doyle", years_ago(today, 27, 110), "gp1",
                          "Room 3, 8 Foundry Street, Northbridge NB2 1FS",
                          "I want to get clean and stop hearing the voices."))
    dat = w.pro("dat", Role.SUBSTANCE_USE_WORKER)
    c.member(dat, today - timedelta(days=300), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=3000))
    c.member(w.pro("cmht", Role.CPN), today - timedelta(days=5))
    c.consents(today - timedelta(days=5), dat)
    c.condition("First episode psychosis", today - timedelta(days=60))
    c.condition("Opioid dependence", today - timedelta(days=1500))
    c.care_plan(today - timedelta(days=250), review=today + timedelta(days=60))
    n = c.need(MH, "Psychosis and opioid use, treated together")
    c.outcome(n, "I want one person who knows my whole story.", None)
    c.action(n, "Opioid substitution therapy review", dat, today + timedelta(days=7))
    c.sign(today - timedelta(days=4))
    return c


SCENARIOS = [
    turning_18,
    turned_18,
    year_nine,
    delayed_discharge,
    dual_diagnosis,
    substance_use_refusal,
    unanswered_handoffs,
    unowned_action,
    no_coordinator,
    unsigned_plan,
    no_consent,
    overcommitted_budget,
    *SOCIAL_SCENARIOS,
    chc_decision_awaited,
    aftercare_unassigned,
    readmitted,
    no_mh_coordinator,
    *SHARING_SCENARIOS,
]
