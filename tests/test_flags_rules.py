"""Each rule at its boundary dates: the day before, on and after each threshold."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from careplan.models import (
    Action,
    CarePlan,
    Condition,
    Consent,
    DelayReason,
    Handoff,
    HospitalStay,
    PlanSignOff,
    Referral,
    ReferralEvent,
)
from careplan.models.flags import FlagCode, Severity, SubjectType
from careplan.models.rules.common import Context
from careplan.models.rules.ownership import default_answer_by
from careplan.store.overrides import default_thresholds
from tests.flag_world import (
    ASC,
    CMHT,
    DAS,
    DR,
    GP,
    HOSP,
    LDN,
    LDT,
    SW,
    TODAY,
    flags_of,
    member,
    plan_of,
    world,
)

D = date
ONE = timedelta(days=1)


def test_the_base_world_has_no_flags() -> None:
    assert flags_of(world()) == []


def severities(facts, code, days):  # type: ignore[no-untyped-def]
    return [[f.severity for f in flags_of(facts, d, code)] for d in days]


# -- discharge-delayed -------------------------------------------------------------


def _stay(facts, ready: date, **kw):  # type: ignore[no-untyped-def]
    stay = HospitalStay(person_id=facts.person.id, hospital_id=HOSP.id,
                        admitted_on=ready - timedelta(days=10), discharge_ready_on=ready, **kw)
    facts.stays = [stay]
    facts.delay_reasons = {stay.id: [DelayReason(stay_id=stay.id, reason="Awaiting home care",
                                                 owner_agency_id=ASC.id, recorded_on=ready)]}
    return stay


def test_discharge_delayed_warning_from_one_day_critical_from_seven() -> None:
    facts = world()
    ready = D(2025, 3, 3)
    stay = _stay(facts, ready)
    days = [ready, ready + ONE, ready + 6 * ONE, ready + 7 * ONE, ready + 8 * ONE]
    assert severities(facts, FlagCode.DISCHARGE_DELAYED, days) == [
        [], [Severity.WARNING], [Severity.WARNING], [Severity.CRITICAL], [Severity.CRITICAL]]
    flag = flags_of(facts, ready + 2 * ONE, FlagCode.DISCHARGE_DELAYED)[0]
    assert (flag.subject_type, flag.subject_id) == (SubjectType.HOSPITAL_STAY, stay.id)
    assert flag.since == ready + ONE and flag.due == ready + 7 * ONE
    assert flag.evidence["days_delayed"] == 2
    assert "Awaiting home care" in flag.message and ASC.name in flag.message
    assert "3 March 2025" in flag.message and "7 days" in flag.message


def test_discharged_or_not_ready_is_not_delayed() -> None:
    facts = world()
    _stay(facts, D(2025, 3, 1), discharged_on=D(2025, 3, 5))
    assert flags_of(facts, code=FlagCode.DISCHARGE_DELAYED) == []
    # Not ready yet, and in hospital for less than a week: no discharge ready date is
    # missed yet (tests/test_flags_safety.py has the stay that is).
    facts.stays = [HospitalStay(person_id=facts.person.id, hospital_id=HOSP.id,
                                admitted_on=TODAY - 6 * ONE)]
    assert flags_of(facts, code=FlagCode.DISCHARGE_DELAYED) == []


def test_discharge_thresholds_come_from_the_thresholds() -> None:
    facts = world()
    ready = D(2025, 3, 3)
    _stay(facts, ready)
    found = flags_of(facts, ready + 3 * ONE, FlagCode.DISCHARGE_DELAYED,
                     discharge_critical_days=3)
    assert [f.severity for f in found] == [Severity.CRITICAL]


# -- handoff-unacknowledged --------------------------------------------------------


def _handoff(facts, proposed: datetime, answer_by: date, **kw):  # type: ignore[no-untyped-def]
    h = Handoff(person_id=facts.person.id, subject="coordination",
                from_professional_id=DR.id, from_agency_id=GP.id,
                to_professional_id=SW.id, to_agency_id=ASC.id,
                proposed_at=proposed, answer_by=answer_by, **kw)
    facts.handoffs = [h]
    return h


def test_handoff_warning_after_answer_by_critical_at_twice_the_time() -> None:
    facts = world()
    # Proposed Monday 3 March, 2 working days: answer by Wednesday 5 March; critical once
    # 4 working days have passed (Friday 7 March), i.e. from Saturday 8 March.
    h = _handoff(facts, datetime(2025, 3, 3, 9), D(2025, 3, 5))
    days = [D(2025, 3, 5), D(2025, 3, 6), D(2025, 3, 7), D(2025, 3, 8)]
    assert severities(facts, FlagCode.HANDOFF_UNACKNOWLEDGED, days) == [
        [], [Severity.WARNING], [Severity.WARNING], [Severity.CRITICAL]]
    flag = flags_of(facts, D(2025, 3, 6), FlagCode.HANDOFF_UNACKNOWLEDGED)[0]
    assert flag.subject_id == h.id and flag.since == D(2025, 3, 6)
    assert flag.due == D(2025, 3, 8)
    assert "5 March 2025" in flag.message and SW.name in flag.message


def test_answered_handoffs_raise_nothing() -> None:
    for status in ("accepted", "declined", "withdrawn"):
        facts = world()
        extra = {"answered_at": datetime(2025, 3, 4, 9)} if status != "withdrawn" else {}
        _handoff(facts, datetime(2025, 3, 3, 9), D(2025, 3, 5), status=status,
                 answer_reason="Not ours" if status == "declined" else "", **extra)
        assert flags_of(facts, code=FlagCode.HANDOFF_UNACKNOWLEDGED) == []


def test_default_answer_by_skips_weekend_and_bank_holidays() -> None:
    ctx = Context(TODAY, default_thresholds())
    assert default_answer_by(D(2025, 3, 7), ctx) == D(2025, 3, 11)  # Friday -> Tuesday
    # Thursday before Easter: Good Friday and Easter Monday are bank holidays.
    assert default_answer_by(D(2025, 4, 17), ctx) == D(2025, 4, 23)


# -- action-unowned ----------------------------------------------------------------


def _action(facts, **kw):  # type: ignore[no-untyped-def]
    fields = {"description": "Arrange a home visit", "due_date": D(2025, 3, 20)}
    fields.update(kw)
    action = Action(plan_id=plan_of(facts).id, **fields)
    facts.actions = [action]
    facts.action_recorded_on = {action.id: D(2025, 2, 1)}
    return action


def test_unowned_action_warning_then_critical_seven_days_before_due() -> None:
    facts = world()
    action = _action(facts)
    days = [D(2025, 3, 12), D(2025, 3, 13), D(2025, 3, 14), D(2025, 3, 25)]
    assert severities(facts, FlagCode.ACTION_UNOWNED, days) == [
        [Severity.WARNING], [Severity.CRITICAL], [Severity.CRITICAL], [Severity.CRITICAL]]
    flag = flags_of(facts, D(2025, 3, 12), FlagCode.ACTION_UNOWNED)[0]
    assert flag.subject_id == action.id and flag.since == D(2025, 2, 1)
    assert flag.due == D(2025, 3, 13)
    assert "Arrange a home visit" in flag.message and "20 March 2025" in flag.message


def test_owned_or_closed_actions_are_not_flagged() -> None:
    facts = world()
    _action(facts, owner_professional_id=SW.id, owner_agency_id=ASC.id)
    assert flags_of(facts, code=FlagCode.ACTION_UNOWNED) == []
    _action(facts, status="completed")
    assert flags_of(facts, code=FlagCode.ACTION_UNOWNED) == []


def test_declined_handoff_leaves_the_action_unowned_until_someone_takes_it() -> None:
    facts = world()
    action = _action(facts, owner_professional_id=DR.id, owner_agency_id=GP.id)
    declined = Handoff(person_id=facts.person.id, subject="action", action_id=action.id,
                       from_professional_id=DR.id, from_agency_id=GP.id,
                       to_professional_id=SW.id, to_agency_id=ASC.id,
                       proposed_at=datetime(2025, 3, 3, 9), answer_by=D(2025, 3, 5),
                       status="declined", answered_at=datetime(2025, 3, 4, 15),
                       reason="Social care arranges the equipment",
                       answer_reason="Not a social care task")
    facts.handoffs = [declined]
    found = flags_of(facts, code=FlagCode.ACTION_UNOWNED)
    assert len(found) == 1 and found[0].since == D(2025, 3, 4)
    assert "declined" in found[0].message and "Not a social care task" in found[0].message
    taken = Handoff(person_id=facts.person.id, subject="action", action_id=action.id,
                    from_professional_id=DR.id, from_agency_id=GP.id,
                    to_professional_id=LDN.id, to_agency_id=LDT.id,
                    proposed_at=datetime(2025, 3, 5, 9), answer_by=D(2025, 3, 7),
                    status="accepted", answered_at=datetime(2025, 3, 5, 11))
    facts.handoffs = [declined, taken]
    assert flags_of(facts, code=FlagCode.ACTION_UNOWNED) == []
    facts.handoffs = [declined]
    facts.actions = [action.evolve(owner_professional_id=LDN.id, owner_agency_id=LDT.id)]
    assert flags_of(facts, code=FlagCode.ACTION_UNOWNED) == []


# -- coordinator-missing -----------------------------------------------------------


def test_no_lead_professional_is_critical_from_activation() -> None:
    facts = world()
    facts.team = [member(DR, facts.person), member(SW, facts.person)]
    found = flags_of(facts, code=FlagCode.COORDINATOR_MISSING)
    assert [f.severity for f in found] == [Severity.CRITICAL]
    assert found[0].since == D(2025, 1, 5) and found[0].due is None
    assert "care coordinator" in found[0].message


def test_lead_leaving_counts_from_the_day_after() -> None:
    facts = world()
    left = D(2025, 3, 11)
    facts.team = [member(DR, facts.person, is_lead=True, end_date=left),
                  member(SW, facts.person)]
    assert flags_of(facts, left, FlagCode.COORDINATOR_MISSING) == []
    found = flags_of(facts, left + ONE, FlagCode.COORDINATOR_MISSING)
    assert len(found) == 1 and found[0].since == left + ONE


def test_a_draft_plan_needs_no_coordinator_yet() -> None:
    facts = world()
    facts.plans = [CarePlan(id=plan_of(facts).id, person_id=facts.person.id,
                            created_on=D(2025, 1, 1))]
    facts.team = [member(SW, facts.person)]
    assert flags_of(facts, code=FlagCode.COORDINATOR_MISSING) == []


# -- review-overdue ----------------------------------------------------------------


def test_review_overdue_the_day_after_the_review_date() -> None:
    facts = world()
    facts.plans = [plan_of(facts).evolve(review_date=TODAY)]
    assert severities(facts, FlagCode.REVIEW_OVERDUE, [TODAY - ONE, TODAY, TODAY + ONE]) == [
        [], [], [Severity.WARNING]]
    flag = flags_of(facts, TODAY + ONE, FlagCode.REVIEW_OVERDUE)[0]
    assert flag.since == TODAY + ONE and "12 March 2025" in flag.message


def test_first_review_defaults_to_eight_weeks_after_activation() -> None:
    facts = world()
    facts.plans = [plan_of(facts).evolve(review_date=None)]
    due = D(2025, 1, 5) + timedelta(weeks=8)  # 2 March 2025
    assert severities(facts, FlagCode.REVIEW_OVERDUE, [due, due + ONE]) == [
        [], [Severity.WARNING]]
    assert "8 weeks" in flags_of(facts, due + ONE, FlagCode.REVIEW_OVERDUE)[0].message


def test_a_plan_under_review_is_not_overdue() -> None:
    facts = world()
    facts.plans = [plan_of(facts).evolve(review_date=D(2025, 2, 1), status="under review")]
    assert flags_of(facts, code=FlagCode.REVIEW_OVERDUE) == []


# -- plan-unsigned -----------------------------------------------------------------


def test_unsigned_agency_flagged_fourteen_days_after_activation() -> None:
    facts = world()
    facts.signoffs = [s for s in facts.signoffs if s.agency_id == GP.id]
    sign_by = D(2025, 1, 5) + timedelta(days=14)
    assert severities(facts, FlagCode.PLAN_UNSIGNED, [sign_by, sign_by + ONE]) == [
        [], [Severity.WARNING]]
    flag = flags_of(facts, sign_by + ONE, FlagCode.PLAN_UNSIGNED)[0]
    assert (flag.subject_type, flag.subject_id) == (SubjectType.AGENCY, ASC.id)
    assert ASC.name in flag.message and "14 days" in flag.message


def test_signing_an_older_version_does_not_count() -> None:
    facts = world()
    facts.plans = [plan_of(facts).evolve(plan_version=2)]
    found = flags_of(facts, code=FlagCode.PLAN_UNSIGNED)
    assert sorted(f.subject_id for f in found) == sorted([GP.id, ASC.id])
    facts.signoffs = [PlanSignOff(plan_id=plan_of(facts).id, agency_id=a, plan_version=2,
                                  signed_by=DR.id, signed_at=datetime(2025, 3, 1))
                      for a in (GP.id, ASC.id)]
    assert flags_of(facts, code=FlagCode.PLAN_UNSIGNED) == []


# -- consent-missing ---------------------------------------------------------------


def _consent(facts, status: str, on: date, **kw) -> Consent:  # type: ignore[no-untyped-def]
    return Consent(person_id=facts.person.id, agency_id=ASC.id, status=status,
                   recorded_on=on, recorded_by=DR.id, **kw)


def test_no_consent_for_a_team_agency_is_a_warning() -> None:
    facts = world()
    facts.consents = [c for c in facts.consents if c.agency_id != ASC.id]
    found = flags_of(facts, code=FlagCode.CONSENT_MISSING)
    assert [(f.severity, f.subject_id) for f in found] == [(Severity.WARNING, ASC.id)]
    assert found[0].since == D(2025, 1, 1) and SW.name in found[0].message


@pytest.mark.parametrize("status", ["refused", "withdrawn"])
def test_refused_or_withdrawn_consent_is_critical(status: str) -> None:
    facts = world()
    facts.consents = [*facts.consents, _consent(facts, status, D(2025, 2, 10))]
    found = flags_of(facts, code=FlagCode.CONSENT_MISSING)
    assert [f.severity for f in found] == [Severity.CRITICAL]
    assert found[0].since == D(2025, 2, 10) and status in found[0].message


def test_later_consent_or_legal_basis_clears_a_withdrawal() -> None:
    facts = world()
    withdrawn = _consent(facts, "withdrawn", D(2025, 2, 10))
    gp = [c for c in facts.consents if c.agency_id == GP.id]
    facts.consents = [*gp, withdrawn, _consent(facts, "legal basis", D(2025, 2, 11),
                                               legal_basis="Care Act 2014 s.42 safeguarding")]
    assert flags_of(facts, code=FlagCode.CONSENT_MISSING) == []
    # Given and withdrawn on the same day: the withdrawal wins.
    facts.consents = [*gp, withdrawn, _consent(facts, "given", D(2025, 2, 10))]
    assert len(flags_of(facts, code=FlagCode.CONSENT_MISSING)) == 1


# -- referral-dispute --------------------------------------------------------------


def _referral(facts, sent: date, events: list[tuple], **kw):  # type: ignore[no-untyped-def]
    ref = Referral(person_id=facts.person.id, domain="mental health", summary="Low mood",
                   from_agency_id=GP.id, sent_on=sent, **kw)
    evs = []
    for kind, on, team, *rest in events:
        extra = rest[0] if rest else {}
        if kind == "declined":
            extra = {"reason": "Not for us", **extra}
        evs.append(ReferralEvent(referral_id=ref.id, kind=kind, occurred_on=on,
                                 team_id=None if team is None else team.id, **extra))
    facts.referrals = [ref]
    facts.referral_events = {ref.id: evs}
    return ref


def test_referral_not_accepted_within_five_working_days() -> None:
    facts = world()
    sent = D(2025, 3, 3)  # Monday: five working days take it to Monday 10 March
    _referral(facts, sent, [("sent", sent, CMHT)])
    days = [D(2025, 3, 9), D(2025, 3, 10), D(2025, 3, 11)]
    assert severities(facts, FlagCode.REFERRAL_DISPUTE, days) == [[], [], [Severity.WARNING]]
    flag = flags_of(facts, D(2025, 3, 11), FlagCode.REFERRAL_DISPUTE)[0]
    assert flag.since == D(2025, 3, 11) and "5 working days" in flag.message


def test_two_teams_declining_is_a_dispute_escalating_five_working_days_later() -> None:
    facts = world()
    sent = D(2025, 3, 3)
    ref = _referral(facts, sent, [("sent", sent, CMHT), ("declined", D(2025, 3, 4), CMHT),
                                  ("sent", D(2025, 3, 4), LDT),
                                  ("declined", D(2025, 3, 5), LDT)],
                    interim_owner_id=DR.id)
    escalation = D(2025, 3, 12)
    days = [D(2025, 3, 4), D(2025, 3, 5), escalation - ONE, escalation]
    assert severities(facts, FlagCode.REFERRAL_DISPUTE, days) == [
        [], [Severity.WARNING], [Severity.WARNING], [Severity.CRITICAL]]
    flag = flags_of(facts, D(2025, 3, 6), FlagCode.REFERRAL_DISPUTE)[0]
    assert flag.subject_id == ref.id and flag.since == D(2025, 3, 5)
    assert flag.due == escalation and flag.evidence["escalation_due"] == "2025-03-12"
    assert [s["step"] for s in flag.evidence["chain"]] == ["sent", "declined", "sent",
                                                           "declined"]
    assert flag.evidence["interim_owner"] == DR.name and DR.name in flag.message
    assert flag.evidence["days_since_sent"] == 3


def test_dual_diagnosis_dispute_is_critical_at_once() -> None:
    facts = world()
    facts.conditions = [
        Condition(person_id=facts.person.id, name="Schizophrenia", domain="mental health"),
        Condition(person_id=facts.person.id, name="Learning disability",
                  domain="learning disability"),
    ]
    sent = D(2025, 3, 3)
    _referral(facts, sent, [("sent", sent, CMHT),
                            ("redirected", D(2025, 3, 4), CMHT, {"to_team_id": LDT.id}),
                            ("declined", D(2025, 3, 5), LDT)])
    flag = flags_of(facts, D(2025, 3, 6), FlagCode.REFERRAL_DISPUTE)[0]
    assert flag.severity is Severity.CRITICAL and flag.evidence["dual_diagnosis"]
    assert flag.message.startswith("Dual-diagnosis referral dispute")
    # A resolved condition no longer makes it dual diagnosis.
    facts.conditions = [facts.conditions[0],
                        facts.conditions[1].evolve(clinical_status="resolved")]
    flag = flags_of(facts, D(2025, 3, 6), FlagCode.REFERRAL_DISPUTE)[0]
    assert flag.severity is Severity.WARNING and not flag.evidence["dual_diagnosis"]


def test_coming_back_to_a_team_that_declined_is_a_dispute() -> None:
    facts = world()
    sent = D(2025, 3, 3)
    _referral(facts, sent, [("sent", sent, CMHT), ("declined", D(2025, 3, 4), CMHT),
                            ("sent", D(2025, 3, 5), CMHT)])
    assert flags_of(facts, D(2025, 3, 4), FlagCode.REFERRAL_DISPUTE) == []
    found = flags_of(facts, D(2025, 3, 5), FlagCode.REFERRAL_DISPUTE)
    assert len(found) == 1 and found[0].since == D(2025, 3, 5)


def test_decline_for_substance_use_is_critical_from_fourteen() -> None:
    facts = world(born=D(2009, 1, 1))
    sent = D(2025, 3, 3)
    substance = {"reason_code": "substance use"}
    _referral(facts, sent, [("sent", sent, CMHT), ("declined", D(2025, 3, 4), CMHT, substance),
                            ("sent", D(2025, 3, 4), DAS), ("declined", D(2025, 3, 5), DAS)])
    flag = flags_of(facts, D(2025, 3, 6), FlagCode.REFERRAL_DISPUTE)[0]
    assert flag.severity is Severity.CRITICAL and "QS188" in flag.message


@pytest.mark.parametrize("settle", [
    ("accepted", {"as_lead": True}),
    ("panel decision", {}),
])
def test_acceptance_as_lead_or_panel_decision_settles_it(settle: tuple) -> None:
    facts = world()
    sent = D(2025, 3, 3)
    kind, extra = settle
    _referral(facts, sent, [("sent", sent, CMHT), ("declined", D(2025, 3, 4), CMHT),
                            ("sent", D(2025, 3, 4), LDT), ("declined", D(2025, 3, 5), LDT),
                            (kind, D(2025, 3, 7), LDT if kind == "accepted" else None, extra)])
    assert flags_of(facts, D(2025, 3, 6), FlagCode.REFERRAL_DISPUTE) != []
    assert flags_of(facts, D(2025, 3, 7), FlagCode.REFERRAL_DISPUTE) == []


def test_acceptance_not_as_lead_stops_the_clock_but_not_a_bounce() -> None:
    facts = world()
    sent = D(2025, 3, 3)
    _referral(facts, sent, [("sent", sent, CMHT), ("accepted", D(2025, 3, 4), CMHT)])
    assert flags_of(facts, D(2025, 3, 20), FlagCode.REFERRAL_DISPUTE) == []


# -- every rule -------------------------------------------------------------------


def test_closing_the_plan_clears_every_flag_but_the_stays() -> None:
    """A hospital stay is open in itself: closing the plan leaves its flag (issue 15)."""
    facts = world()
    facts.team = [member(SW, facts.person)]
    facts.consents = []
    facts.signoffs = []
    _stay(facts, D(2025, 3, 1))
    assert {f.code for f in flags_of(facts)} >= {
        FlagCode.COORDINATOR_MISSING, FlagCode.CONSENT_MISSING, FlagCode.PLAN_UNSIGNED,
        FlagCode.DISCHARGE_DELAYED}
    facts.plans = [plan_of(facts).evolve(status="closed", closed_on=D(2025, 3, 11))]
    assert [f.code for f in flags_of(facts)] == [FlagCode.DISCHARGE_DELAYED]


def test_a_decline_and_redirect_by_one_team_on_one_day_is_one_refusal() -> None:
    """Declined and sent on to another team the same day is one refusal: escalation
    waits for a second team's (or a later) decline, or for the time to accept to run out
    (then 5 working days after the accept-by date, issue 15)."""
    facts = world()
    sent = D(2025, 3, 3)
    _referral(facts, sent, [("sent", sent, CMHT), ("declined", D(2025, 3, 4), CMHT),
                            ("redirected", D(2025, 3, 4), CMHT, {"to_team_id": LDT.id})])
    flag = flags_of(facts, D(2025, 3, 12), FlagCode.REFERRAL_DISPUTE)[0]
    assert flag.evidence["escalation_due"] == "2025-03-17"
    assert "second decline" not in flag.message and "after the accept-by date" in flag.message
    assert flag.severity is Severity.WARNING and "5 working days" in flag.message
    # The team to which it was redirected declines too: escalation is due 5 working days
    # after that second refusal.
    ref = facts.referrals[0]
    facts.referral_events[ref.id].append(ReferralEvent(
        referral_id=ref.id, kind="declined", occurred_on=D(2025, 3, 6), team_id=LDT.id,
        reason="Not for us"))
    flag = flags_of(facts, D(2025, 3, 7), FlagCode.REFERRAL_DISPUTE)[0]
    assert flag.evidence["escalation_due"] == "2025-03-13"
    assert "5 working days after the second decline" in flag.message
