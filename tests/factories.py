"""Small, valid graphs of domain objects for tests (one of every entity)."""

from __future__ import annotations

from datetime import date, datetime

from careplan.models import (
    Action,
    ActionCost,
    ActionFunder,
    ActionNeed,
    AftercarePlan,
    Agency,
    Assessment,
    BudgetContribution,
    CarePlan,
    Carer,
    CareTeamMember,
    CaseConference,
    ChcAssessment,
    Condition,
    Consent,
    DelayReason,
    EmergencyAccess,
    Entity,
    FundingStream,
    Handoff,
    HospitalStay,
    JointBudget,
    Need,
    Outcome,
    Person,
    PersonalBudget,
    PlanSignOff,
    PlanVersion,
    Professional,
    Referral,
    ReferralEvent,
    SafeguardingConcern,
    YoungPersonStatus,
)
from careplan.models.plan_versions import signed_content, to_snapshot


def one_of_each() -> list[Entity]:
    """One record of every entity type, parents first, all consistent."""
    gp = Agency(name="Riverside Medical Practice", sector="health", kind="gp practice")
    asc = Agency(name="Adult Social Care", sector="social care", kind="adult social care",
                 client_group="adults", domain="social care")
    hosp = Agency(name="General Hospital", sector="health", kind="acute hospital")
    dr = Professional(name="Dr Asha Patel", role="GP", agency_id=gp.id)
    sw = Professional(name="Sam Green", role="social worker", agency_id=asc.id)
    person = Person(given_name="Ada", family_name="Lovelace", birth_date=date(1950, 5, 1),
                    nhs_number="943 476 5919", gp_practice_id=gp.id,
                    what_matters="I want to stay at home.")
    member = CareTeamMember(person_id=person.id, professional_id=sw.id, role="care coordinator",
                            start_date=date(2025, 1, 1), is_lead=True)
    consent = Consent(person_id=person.id, agency_id=asc.id, status="given",
                      recorded_on=date(2025, 1, 2), recorded_by=sw.id)
    condition = Condition(person_id=person.id, name="Heart failure", domain="physical health")
    assessment = Assessment(person_id=person.id, kind="Care Act adult assessment",
                            status="completed", requested_on=date(2024, 12, 1),
                            completed_on=date(2024, 12, 20))
    plan = CarePlan(person_id=person.id, status="active", created_on=date(2025, 1, 1),
                    activated_on=date(2025, 1, 5), review_date=date(2025, 3, 2))
    need = Need(plan_id=plan.id, description="Personal care", domain="social care")
    outcome = Outcome(plan_id=plan.id, need_id=need.id, description="I want to wash myself.")
    conference = CaseConference(person_id=person.id, held_at=datetime(2025, 2, 1, 10),
                                attendee_ids=(dr.id, sw.id), other_attendees=("Daughter",),
                                agenda=("Discharge",), decisions=("Start home care",))
    action = Action(plan_id=plan.id, need_id=need.id, description="Start home care",
                    owner_professional_id=sw.id, owner_agency_id=asc.id,
                    due_date=date(2025, 2, 10), conference_id=conference.id)
    housing = Need(plan_id=plan.id, description="Somewhere safe to live", domain="housing")
    also = ActionNeed(action_id=action.id, need_id=housing.id)
    signoff = PlanSignOff(plan_id=plan.id, agency_id=asc.id, plan_version=1,
                          signed_by=sw.id, signed_at=datetime(2025, 1, 6, 9, 30))
    issued = PlanVersion(plan_id=plan.id, number=1, issued_at=datetime(2025, 1, 5, 9),
                         issued_by=sw.id, snapshot=to_snapshot(signed_content(
                             person.what_matters, [need, housing], [outcome], [action],
                             [also])))
    handoff = Handoff(person_id=person.id, subject="action", action_id=action.id,
                      from_professional_id=sw.id, from_agency_id=asc.id,
                      to_professional_id=dr.id, to_agency_id=gp.id,
                      proposed_at=datetime(2025, 2, 3, 9), answer_by=date(2025, 2, 5))
    referral = Referral(person_id=person.id, need_id=need.id, domain="mental health",
                        summary="Low mood", from_agency_id=gp.id, sent_on=date(2025, 2, 1))
    event = ReferralEvent(referral_id=referral.id, kind="declined",
                          occurred_on=date(2025, 2, 3), team_id=asc.id, reason="Not ours",
                          reason_code="other team should lead")
    stay = HospitalStay(person_id=person.id, hospital_id=hosp.id,
                        admitted_on=date(2025, 1, 20), discharge_ready_on=date(2025, 1, 25),
                        pathway=1)
    delay = DelayReason(stay_id=stay.id, reason="Awaiting home care", owner_agency_id=asc.id,
                        recorded_on=date(2025, 1, 26))
    detained = HospitalStay(person_id=person.id, hospital_id=hosp.id,
                            admitted_on=date(2024, 10, 1), discharged_on=date(2024, 11, 20),
                            admission_method="emergency", mha_section="section 3")
    aftercare = AftercarePlan(person_id=person.id, stay_id=detained.id,
                              agreed_on=date(2024, 11, 15), nhs_agency_id=gp.id,
                              council_agency_id=asc.id, summary="Supported housing")
    chc = ChcAssessment(person_id=person.id, checklist_on=date(2025, 1, 22),
                        outcome="positive", agency_id=gp.id, received_on=date(2025, 1, 23),
                        stay_id=stay.id, note="Positive on mobility")
    pool = JointBudget(name="Riverside Better Care Fund", arrangement="pooled",
                       neighbourhood="Riverside", period_start=date(2025, 4, 1),
                       period_end=date(2026, 3, 31), host_agency_id=asc.id)
    put_in = BudgetContribution(budget_id=pool.id, agency_id=asc.id, amount_pence=50_000_00)
    council = FundingStream(name="Adult social care", kind="council adult social care",
                            principle="means-tested", agency_id=asc.id)
    pooled = FundingStream(name="Better Care Fund", kind="pooled fund (Section 75)",
                           principle="free at the point of use", budget_id=pool.id)
    cost = ActionCost(action_id=action.id, unit_cost_pence=35_000, frequency="weekly",
                      start_date=date(2025, 2, 10), care_type="preventive",
                      funding_status="disputed", disputed_since=date(2025, 2, 12),
                      disputed_by=(asc.id, hosp.id))
    budget = PersonalBudget(person_id=person.id, allocation_pence=1_200_000,
                            stream_ids=(council.id,), taken_as="direct payment",
                            start_date=date(2025, 4, 1))
    funder = ActionFunder(cost_id=cost.id, stream_id=council.id, share_bp=10_000,
                          personal_budget_id=budget.id)
    offered = Assessment(person_id=person.id, kind="carer's assessment", status="requested",
                         requested_on=date(2025, 2, 1), agency_id=asc.id)
    carer = Carer(person_id=person.id, name="Grace Lovelace", relationship="son or daughter",
                  recorded_on=date(2025, 1, 10), assessment_id=offered.id)
    status = YoungPersonStatus(person_id=person.id, kind="care leaver",
                               start_date=date(1968, 5, 1), end_date=date(1975, 5, 1),
                               agency_id=asc.id)
    concern = SafeguardingConcern(person_id=person.id, received_on=date(2025, 2, 4),
                                  summary="Bruising seen at a home visit", agency_id=gp.id,
                                  decision="section 42 enquiry", decided_on=date(2025, 2, 5))
    basis = Consent(person_id=person.id, agency_id=gp.id, status="legal basis",
                    recorded_on=date(2025, 1, 3), recorded_by=sw.id, basis="direct care",
                    legal_basis="Shared care record with the practice")
    emergency = EmergencyAccess(person_id=person.id, professional_id=dr.id, agency_id=gp.id,
                                reason="Seen unconscious in the emergency department",
                                opened_at=datetime(2025, 2, 6, 2, 15),
                                reviewed_by=sw.id, reviewed_at=datetime(2025, 2, 6, 9, 0),
                                review_note="Appropriate: admitted overnight")
    return [gp, asc, hosp, dr, sw, person, member, consent, basis, condition, assessment, plan,
            need, housing, outcome, conference, action, also, signoff, issued, handoff, referral,
            event, stay, delay, detained, aftercare, chc, pool, put_in, council, pooled, cost,
            budget, funder, offered, carer, status, concern, emergency]
