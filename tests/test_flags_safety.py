"""Clinical safety (issue 15): the rules at the edges where they stayed silent.

Each test reproduces one defect the issue found (each failed before its fix) and names
the guidance it follows: NICE QS188 statement 2 for refusals because of substance misuse
or severe mental illness; the Care and Support Statutory Guidance (Care Act 2014),
chapter 13, for reviews; NHS England's Discharge Ready Date guidance for stays; CarePlan's
own thresholds (careplan/resources/rules.toml) where the guidance leaves the choice.
"today" is the date in England (careplan.clock).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from export_sample import reader_of_everyone

from careplan import clock
from careplan.cli import main
from careplan.commands.common import parse_date
from careplan.demo.build import build_demo
from careplan.models import (
    Action,
    ActionCost,
    CarePlan,
    DelayReason,
    Handoff,
    HospitalStay,
    Referral,
    ReferralEvent,
)
from careplan.models.dates import add_months
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity
from careplan.models.workdays import ENGLAND_AND_WALES
from careplan.store import Store, add_many, find
from careplan.store.flagdata import caseload_flags, load_facts
from careplan.store.overrides import thresholds_in_force
from tests.flag_world import (
    AGENCIES,
    ASC,
    CMHT,
    DAS,
    DR,
    GP,
    HOSP,
    LDT,
    PROS,
    SW,
    TODAY,
    flags_of,
    plan_of,
    world,
)

D = date
ONE = timedelta(days=1)
SENT = D(2025, 3, 3)  # a Monday: five working days take it to Monday 10 March
ACCEPT_BY = D(2025, 3, 10)
DISPUTE = FlagCode.REFERRAL_DISPUTE


def disputes(facts: PersonFacts, today: date) -> list[Flag]:
    return flags_of(facts, today, DISPUTE)


def severity(facts: PersonFacts, code: FlagCode, today: date) -> list[Severity]:
    return [f.severity for f in flags_of(facts, today, code)]


def referral(facts: PersonFacts, events: list[tuple], domain: str = "mental health",
             sent: date = SENT, **kw: object) -> Referral:
    """A referral sent to CMHT (DAS for substance use) on ``sent``, then ``events``:
    ``(kind, day, team, extra)``."""
    ref = Referral(person_id=facts.person.id, domain=domain, summary="Relapse",
                   from_agency_id=GP.id, sent_on=sent, **kw)  # type: ignore[arg-type]
    first = DAS if domain == "substance use" else CMHT
    steps = [ReferralEvent(referral_id=ref.id, kind="sent", occurred_on=sent,
                           team_id=first.id)]
    for kind, on, team, *rest in events:
        extra = dict(rest[0]) if rest else {}
        if kind == "declined":
            extra.setdefault("reason", "Not for us")
        steps.append(ReferralEvent(referral_id=ref.id, kind=kind, occurred_on=on,
                                   team_id=None if team is None else team.id, **extra))
    facts.referrals = [ref]
    facts.referral_events = {ref.id: steps}
    return ref


SUBSTANCE = {"reason": "Drinking must stop first", "reason_code": "substance use"}


# -- 1. an acceptance that is not as lead settles nothing ------------------------------


def test_an_acceptance_for_assessment_after_the_accept_by_date_settles_no_dispute() -> None:
    """Only an acceptance as lead or a panel decision settles a dispute (rules.toml,
    [referral]); an acceptance for assessment stops the clock only within it."""
    facts = world()
    referral(facts, [("accepted", D(2025, 3, 12), CMHT)])
    flag = disputes(facts, D(2025, 3, 13))[0]
    assert (flag.severity, flag.since, flag.due) == (Severity.WARNING, ACCEPT_BY + ONE,
                                                     D(2025, 3, 17))
    assert (f"accepted for assessment only, not as lead, by {CMHT.name} on 12 March 2025, "
            "after its 5 working days (by 10 March 2025) to be accepted") in flag.message
    assert "no team has taken the lead" in flag.message
    # In time, it stops the clock (and settles no bounce).
    referral(facts, [("accepted", D(2025, 3, 7), CMHT)])
    assert disputes(facts, D(2025, 3, 20)) == []


# -- 2. NICE QS188 statement 2: no exclusion -------------------------------------------


def test_a_refusal_for_substance_use_is_critical_at_once() -> None:
    """NICE QS188 statement 2: from 14 nobody is excluded from mental health services
    because of substance misuse; the refusal is flagged the day it is made."""
    facts = world()
    referral(facts, [("declined", D(2025, 3, 4), CMHT, SUBSTANCE)])
    assert disputes(facts, D(2025, 3, 3)) == []
    flag = disputes(facts, D(2025, 3, 4))[0]
    assert (flag.severity, flag.since, flag.due) == (Severity.CRITICAL, D(2025, 3, 4), None)
    assert "QS188" in flag.message and flag.evidence["declined_for_substance_use"]
    assert flag.evidence["excluded_by"][0]["team"] == CMHT.name


def test_a_refusal_for_substance_use_after_an_acceptance_for_assessment_is_flagged() -> None:
    facts = world()
    referral(facts, [("accepted", D(2025, 3, 4), CMHT),
                     ("declined", D(2025, 3, 6), CMHT, SUBSTANCE)])
    assert disputes(facts, D(2025, 3, 5)) == []
    assert severity(facts, DISPUTE, D(2025, 3, 6)) == [Severity.CRITICAL]


def test_a_refusal_for_substance_use_stands_when_another_service_accepts() -> None:
    """QS188's process measure counts exactly these refusals, whoever then takes the
    person on: the flag stays until the refusing service accepts or a panel decides."""
    facts = world()
    base = [("declined", D(2025, 3, 4), CMHT, SUBSTANCE),
            ("redirected", D(2025, 3, 4), CMHT, {"to_team_id": DAS.id}),
            ("accepted", D(2025, 3, 5), DAS, {"as_lead": True})]
    referral(facts, base)
    flag = disputes(facts, D(2025, 3, 6))[0]
    assert flag.severity is Severity.CRITICAL and flag.since == D(2025, 3, 4)
    assert f"{DAS.name} accepted it as lead on 5 March 2025" in flag.message
    assert "from mental health services because of substance misuse" in flag.message
    assert "no team has taken the lead" not in flag.message
    for answer in [("accepted", D(2025, 3, 7), CMHT), ("panel decision", D(2025, 3, 7), None)]:
        referral(facts, [*base, answer])
        assert disputes(facts, D(2025, 3, 6)) != []
        assert disputes(facts, D(2025, 3, 7)) == [], answer


def test_a_substance_misuse_service_refusing_for_severe_mental_illness_is_flagged() -> None:
    """QS188 statement 2, the other way round: nor from substance misuse services
    because of severe mental illness (a decline reason of its own)."""
    facts = world()
    referral(facts, [("declined", D(2025, 3, 4), DAS,
                      {"reason": "Psychosis needs treating first",
                       "reason_code": "severe mental illness"})], domain="substance use")
    flag = disputes(facts, D(2025, 3, 4))[0]
    assert flag.severity is Severity.CRITICAL
    assert "from substance misuse services because of severe mental illness" in flag.message


# -- 3. once settled, not settled forever ----------------------------------------------


def test_a_bounce_after_a_panel_decision_is_a_dispute_at_once() -> None:
    facts = world()
    referral(facts, [("declined", D(2025, 3, 4), CMHT), ("declined", D(2025, 3, 5), LDT),
                     ("panel decision", D(2025, 3, 7), LDT),
                     ("declined", D(2025, 3, 10), LDT)])
    assert disputes(facts, D(2025, 3, 7)) == []
    flag = disputes(facts, D(2025, 3, 10))[0]
    assert (flag.severity, flag.since, flag.due) == (Severity.WARNING, D(2025, 3, 10),
                                                     D(2025, 3, 17))
    assert flag.evidence["reopened_on"] == "2025-03-10"
    assert "a panel decided that" in flag.message and "opening it again" in flag.message
    assert severity(facts, DISPUTE, D(2025, 3, 17)) == [Severity.CRITICAL]


def test_a_lead_acceptance_handed_back_and_declined_is_a_dispute() -> None:
    facts = world()
    handed_back = [("accepted", D(2025, 3, 4), CMHT, {"as_lead": True}),
                   ("declined", D(2025, 3, 10), CMHT)]
    referral(facts, handed_back)
    # Handed back: the time to accept starts again (to 17 March).
    assert [disputes(facts, d) for d in (D(2025, 3, 10), D(2025, 3, 17))] == [[], []]
    assert disputes(facts, D(2025, 3, 18))[0].since == D(2025, 3, 18)
    # ... and declined by the next team: two teams refused, a dispute at once.
    referral(facts, [*handed_back, ("sent", D(2025, 3, 10), LDT),
                     ("declined", D(2025, 3, 11), LDT)])
    flag = disputes(facts, D(2025, 3, 11))[0]
    assert flag.since == D(2025, 3, 11) and flag.due == D(2025, 3, 18)
    assert "5 working days after the second decline" in flag.message


# -- 4. lateness escalates ---------------------------------------------------------------


def test_an_unanswered_referral_turns_critical() -> None:
    """Escalation is due 5 working days after the accept-by date (rules.toml,
    referral.escalation_working_days): five months on it is not a warning."""
    facts = world()
    referral(facts, [])
    flag = disputes(facts, D(2025, 3, 11))[0]
    assert (flag.severity, flag.due) == (Severity.WARNING, D(2025, 3, 17))
    assert "escalation is due on 17 March 2025" in flag.message
    assert severity(facts, DISPUTE, D(2025, 3, 16)) == [Severity.WARNING]
    assert severity(facts, DISPUTE, D(2025, 3, 17)) == [Severity.CRITICAL]
    assert severity(facts, DISPUTE, D(2025, 8, 4)) == [Severity.CRITICAL]


def test_a_refusal_at_13_is_due_on_the_14th_birthday() -> None:
    """QS188 applies from 14: the refusal is a warning before, ``due`` the birthday on
    which it turns critical (a flag's ``due`` is the day it escalates)."""
    facts = world(born=D(2011, 3, 6))
    referral(facts, [("declined", D(2025, 3, 4), CMHT, SUBSTANCE)])
    flag = disputes(facts, D(2025, 3, 5))[0]
    assert (flag.severity, flag.due) == (Severity.WARNING, D(2025, 3, 6))
    assert "critical from their 14th birthday, 6 March 2025" in flag.message
    assert severity(facts, DISPUTE, D(2025, 3, 6)) == [Severity.CRITICAL]


# -- 8. reviews: at least every 12 months, and lateness escalates ---------------------


def _plan(facts: PersonFacts, **changes: object) -> CarePlan:
    plan = plan_of(facts).evolve(**changes)
    facts.plans = [plan]
    return plan


def test_a_review_date_five_years_out_is_held_to_twelve_months() -> None:
    """Care and Support Statutory Guidance 13.32: reviewed no later than every 12 months,
    from the plan's activation (5 January 2025) here."""
    facts = world()
    _plan(facts, review_date=D(2030, 1, 1))
    review = FlagCode.REVIEW_OVERDUE
    assert flags_of(facts, D(2026, 1, 5), review) == []
    flag = flags_of(facts, D(2026, 1, 6), review)[0]
    assert (flag.severity, flag.since, flag.due) == (Severity.WARNING, D(2026, 1, 6),
                                                     D(2026, 2, 2))
    assert "12 months after it was last agreed or reviewed on 5 January 2025" in flag.message
    assert "1 January 2030, is later" in flag.message
    assert severity(facts, review, D(2026, 2, 2)) == [Severity.CRITICAL]


@pytest.mark.parametrize(("changes", "due"), [
    ({"reviewed_on": D(2025, 9, 1)}, D(2026, 9, 1)),  # the last review
    ({"plan_version": 2, "version_since": D(2025, 6, 1)}, D(2026, 6, 1)),  # a new version
    ({"activated_on": D(2024, 2, 29), "created_on": D(2024, 2, 1)}, D(2025, 2, 28)),
])
def test_twelve_months_run_from_the_last_agreement(changes: dict, due: date) -> None:  # type: ignore[type-arg]
    facts = world()
    _plan(facts, review_date=D(2030, 1, 1), **changes)
    review = FlagCode.REVIEW_OVERDUE
    assert flags_of(facts, due, review) == []
    assert flags_of(facts, due + ONE, review)[0].since == due + ONE


def test_a_plan_under_review_since_2020_is_overdue() -> None:
    """A review under way must still end within the 12 months (the guidance's maximum)."""
    facts = world()
    _plan(facts, status="under review", created_on=D(2020, 1, 1),
          activated_on=D(2020, 1, 10), review_date=D(2020, 3, 1))
    flag = flags_of(facts, TODAY, FlagCode.REVIEW_OVERDUE)[0]
    assert (flag.severity, flag.since) == (Severity.CRITICAL, D(2021, 1, 11))
    assert "under review" in flag.message and flag.evidence["plan_status"] == "under review"
    # Under review within the 12 months: the review is under way, no flag.
    facts = world()
    _plan(facts, status="under review", review_date=D(2025, 2, 1))
    assert flags_of(facts, TODAY, FlagCode.REVIEW_OVERDUE) == []


def test_an_overdue_review_turns_critical_four_weeks_late() -> None:
    """CarePlan default (rules.toml, review.critical_weeks): the guidance sets none."""
    facts = world()
    _plan(facts, review_date=TODAY)
    review = FlagCode.REVIEW_OVERDUE
    flag = flags_of(facts, TODAY + ONE, review)[0]
    assert (flag.severity, flag.due) == (Severity.WARNING, TODAY + timedelta(weeks=4))
    assert severity(facts, review, TODAY + timedelta(weeks=4) - ONE) == [Severity.WARNING]
    assert severity(facts, review, TODAY + timedelta(weeks=4)) == [Severity.CRITICAL]


# -- 9. hospital stays ---------------------------------------------------------------


def _stay(facts: PersonFacts, admitted: date, ready: date | None = None,
          discharged: date | None = None) -> HospitalStay:
    stay = HospitalStay(person_id=facts.person.id, hospital_id=HOSP.id, admitted_on=admitted,
                        discharge_ready_on=ready, discharged_on=discharged)
    facts.stays = [stay]
    return stay


def test_a_stay_with_no_discharge_ready_date_is_flagged_after_a_week() -> None:
    """NHS England: a discharge ready date for every stay of a night or more once the
    person no longer meets the criteria to reside. CarePlan's choice (rules.toml): a
    warning after 7 days in hospital without one, critical after 21 (NHS England's long
    stays of 7 and 21 days)."""
    facts = world()
    admitted = D(2025, 3, 1)
    _stay(facts, admitted)
    code = FlagCode.DISCHARGE_DELAYED
    assert flags_of(facts, admitted + 6 * ONE, code) == []
    flag = flags_of(facts, admitted + 7 * ONE, code)[0]
    assert (flag.severity, flag.since, flag.due) == (Severity.WARNING, admitted + 7 * ONE,
                                                     admitted + 21 * ONE)
    assert flag.message.startswith("No discharge ready date: in General Hospital since "
                                   "1 March 2025, 7 nights")
    assert flag.evidence["discharge_ready_on"] is None
    assert severity(facts, code, admitted + 21 * ONE) == [Severity.CRITICAL]


def test_a_stay_judged_on_a_past_day_is_seen_as_it_stood_then() -> None:
    """Discharged on 20 March: on 12 March the person was still in, 11 days past the
    discharge ready date (NHS England: delay = discharge, or today, minus the DRD)."""
    facts = world()
    _stay(facts, D(2025, 2, 20), ready=D(2025, 3, 1), discharged=D(2025, 3, 20))
    flag = flags_of(facts, TODAY, FlagCode.DISCHARGE_DELAYED)[0]
    assert flag.severity is Severity.CRITICAL and flag.evidence["days_delayed"] == 11
    assert flags_of(facts, D(2025, 3, 20), FlagCode.DISCHARGE_DELAYED) == []
    _stay(facts, D(2025, 3, 1), discharged=D(2025, 3, 20))  # no DRD either
    assert severity(facts, FlagCode.DISCHARGE_DELAYED, TODAY) == [Severity.WARNING]
    _stay(facts, D(2025, 3, 15), ready=D(2025, 3, 16))  # not yet admitted on the day
    assert flags_of(facts, TODAY, FlagCode.DISCHARGE_DELAYED) == []


def test_closing_the_plan_leaves_an_open_dispute_and_a_stay_flagged() -> None:
    """Issue 15, section 4: flags no longer depend on an open plan where the situation
    itself is open (a dispute, a stay); a person with no plan at all is flagged too."""
    facts = world()
    _stay(facts, D(2025, 2, 20), ready=D(2025, 3, 1))
    referral(facts, [("declined", D(2025, 3, 4), CMHT), ("declined", D(2025, 3, 5), LDT)])
    _plan(facts, status="closed", closed_on=D(2025, 3, 6))
    assert sorted(f.code for f in flags_of(facts, TODAY)) == [
        FlagCode.DISCHARGE_DELAYED, FlagCode.REFERRAL_DISPUTE]
    facts.plans = []
    assert sorted(f.code for f in flags_of(facts, TODAY)) == [
        FlagCode.DISCHARGE_DELAYED, FlagCode.REFERRAL_DISPUTE]


def test_a_stay_without_a_ready_date_does_not_count_as_a_delayed_discharge_for_funding(
) -> None:
    """A funding dispute is critical at once behind a discharge delayed past its ready
    date (rules.toml, [funding]); a stay with no ready date has no delay to blame."""
    facts = world()
    action = Action(plan_id=plan_of(facts).id, description="Home care, four calls a day",
                    owner_professional_id=SW.id, owner_agency_id=ASC.id)
    cost = ActionCost(action_id=action.id, unit_cost_pence=58_800, frequency="weekly",
                      start_date=D(2025, 3, 3), funding_status="disputed",
                      disputed_since=D(2025, 3, 3), disputed_by=(ASC.id, GP.id))
    facts.actions, facts.action_costs = [action], [cost]
    facts.costed_actions = {action.id: action}
    _stay(facts, D(2025, 3, 1))
    (funding,) = flags_of(facts, TODAY, FlagCode.FUNDING_DISPUTED)
    assert funding.severity is Severity.WARNING and not funding.evidence["discharge_delayed"]
    assert severity(facts, FlagCode.DISCHARGE_DELAYED, TODAY) == [Severity.WARNING]


# -- the same through a store and the command line -------------------------------------


def _records(facts: PersonFacts) -> list:  # type: ignore[type-arg]
    events = [e for evs in facts.referral_events.values() for e in evs]
    reasons = [r for rs in facts.delay_reasons.values() for r in rs]
    return [facts.person, *facts.plans, *facts.team, *facts.consents, *facts.signoffs,
            *facts.handoffs, *facts.referrals, *events, *facts.stays, *reasons]


def _saved(facts: PersonFacts, path: Path | str = ":memory:") -> Store:
    store = Store.open(path)
    add_many(store, [*AGENCIES, *PROS], "test")
    add_many(store, _records(facts), "test")
    return store


def _closed_case() -> PersonFacts:
    """Defects 1 and 9 together: a plan closed on 6 March, a stay with no discharge ready
    date since 1 March, and a referral accepted for assessment only, after its time."""
    facts = world()
    stay = _stay(facts, D(2025, 3, 1))
    facts.delay_reasons = {stay.id: [DelayReason(stay_id=stay.id, reason="Awaiting assessment",
                                                 owner_agency_id=ASC.id,
                                                 recorded_on=D(2025, 3, 5))]}
    referral(facts, [("accepted", D(2025, 3, 12), CMHT)])
    _plan(facts, status="closed", closed_on=D(2025, 3, 6))
    return facts


def test_the_store_finds_what_the_rules_find_for_a_closed_case() -> None:
    """The candidate queries and the loader reach a person whose plan is closed."""
    facts = _closed_case()
    expected = [f.to_json() for f in flags_of(facts, D(2025, 3, 13))]
    store = _saved(facts)
    found = [f.to_json() for f in caseload_flags(store, D(2025, 3, 13))]
    assert found == expected and len(found) == 2
    from careplan.models.rules import evaluate_all
    everyone = evaluate_all(load_facts(store, D(2025, 3, 13)), D(2025, 3, 13),
                            thresholds_in_force(store))
    assert [f.to_json() for f in everyone] == expected


@pytest.mark.parametrize("today", [D(2025, 2, 27), D(2025, 2, 28), D(2025, 3, 1),
                                   D(2025, 3, 31), D(2026, 1, 5), D(2026, 1, 6)])
def test_review_candidates_hold_at_the_months_ends(today: date) -> None:
    """A plan last agreed on 29 February or 31 January is due at the month's last day;
    the candidate query (with its margin) finds it on the first day it is overdue."""
    for activated in (D(2024, 2, 29), D(2024, 1, 31), D(2025, 1, 5), D(2024, 3, 31)):
        facts = world()
        _plan(facts, created_on=activated, activated_on=activated, review_date=D(2030, 1, 1))
        store = _saved(facts)
        assert [f.to_json() for f in caseload_flags(store, today)] == [
            f.to_json() for f in flags_of(facts, today)], (activated, today)


def test_add_months_keeps_to_the_month() -> None:
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
    assert add_months(D(2025, 12, 31), 1) == D(2026, 1, 31)


def test_careplan_flags_today_shows_a_closed_cases_dispute_and_stay(
        tmp_path: Path, signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "closed.db"
    _saved(_closed_case(), db).close()
    user = reader_of_everyone(db, signed_in)
    assert main(["flags", "--db", str(db), "--today", "2025-03-13", "--json", *user]) == 0
    flags = json.loads(capsys.readouterr().out)
    assert sorted((f["code"], f["severity"]) for f in flags) == [
        ("discharge-delayed", "warning"), ("referral-dispute", "warning")]
    dispute = next(f for f in flags if f["code"] == "referral-dispute")
    assert "accepted for assessment only" in dispute["message"]


# -- 7. today is the date in England -------------------------------------------------


@pytest.mark.parametrize(("instant", "day"), [
    (datetime(2025, 6, 30, 23, 30, tzinfo=UTC), D(2025, 7, 1)),  # 00:30 BST
    (datetime(2025, 6, 30, 22, 59, tzinfo=UTC), D(2025, 6, 30)),  # 23:59 BST
    (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), D(2025, 12, 31)),  # GMT
    (datetime(2025, 3, 30, 0, 59, tzinfo=UTC), D(2025, 3, 30)),  # GMT, BST begins at 01:00
    (datetime(2025, 3, 29, 23, 30, tzinfo=UTC), D(2025, 3, 29)),
    (datetime(2025, 10, 25, 23, 30, tzinfo=UTC), D(2025, 10, 26)),  # last BST night
])
def test_today_is_the_date_in_england(instant: datetime, day: date) -> None:
    assert clock.today(instant) == day
    with pytest.raises(ValueError, match="zone"):
        clock.today(instant.replace(tzinfo=None))


@pytest.fixture
def half_past_midnight_bst(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The clock at 00:30 on 1 July 2025 in London, still 30 June in UTC."""
    instant = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(clock, "utc_now", lambda: instant)
    return instant


def test_the_default_today_is_the_date_in_england(half_past_midnight_bst: datetime) -> None:
    assert parse_date(None, "--today") == D(2025, 7, 1)


def test_careplan_flags_without_today_judges_the_day_in_england(
        tmp_path: Path, signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str], half_past_midnight_bst: datetime) -> None:
    """A handoff to be answered by 30 June is late from 1 July: at 00:30 BST it is, though
    UTC is still on 30 June."""
    facts = world()
    facts.plans = [plan_of(facts).evolve(review_date=D(2025, 12, 1))]
    facts.handoffs = [Handoff(person_id=facts.person.id, subject="coordination",
                              from_professional_id=DR.id, from_agency_id=GP.id,
                              to_professional_id=SW.id, to_agency_id=ASC.id,
                              proposed_at=datetime(2025, 6, 26, 9), answer_by=D(2025, 6, 30))]
    db = tmp_path / "midnight.db"
    _saved(facts, db).close()
    user = reader_of_everyone(db, signed_in)
    assert main(["flags", "--db", str(db), "--json", *user]) == 0
    flags = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["since"]) for f in flags] == [("handoff-unacknowledged",
                                                          "2025-07-01")]


# -- the demo ------------------------------------------------------------------------


def test_the_demos_answer_by_dates_skip_bank_holidays() -> None:
    """Built around the Wednesday after Easter 2025: every handoff is proposed on a working
    day and answered by the date the rules would set (2 working days, bank holidays
    skipped, rules.toml handoff.answer_working_days)."""
    store = Store.open(":memory:")
    build_demo(store, persons=120, seed=7, today=D(2025, 4, 23), parallel=False)
    handoffs = find(store, Handoff)
    assert len(handoffs) >= 3
    for h in handoffs:
        proposed = h.proposed_at.date()
        assert ENGLAND_AND_WALES.is_working_day(proposed), h
        assert h.answer_by == ENGLAND_AND_WALES.add(proposed, 2), h
