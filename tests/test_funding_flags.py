"""``funding-disputed`` and ``budget-overcommitted`` at their boundaries, through the
store's bulk loader (candidates and every person give the same flags)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careplan.models import (
    Action,
    Agency,
    CarePlan,
    CareTeamMember,
    Consent,
    HospitalStay,
    Person,
    Professional,
)
from careplan.models.budgets import FundedCost, personal_budget_position
from careplan.models.flags import Flag, FlagCode, Severity
from careplan.models.funding import ActionCost, ActionFunder, FundingStream, PersonalBudget
from careplan.store import Store, add
from careplan.store.flagdata import candidates, caseload_flags
from careplan.store.funding import save_funding
from careplan.store.overrides import default_thresholds

SINCE = date(2026, 3, 2)  # a Monday, no bank holiday for weeks either side
FY = date(2026, 4, 1)


@dataclass
class World:
    person: Person
    action: Action
    asc: Agency
    icb: Agency
    council: FundingStream
    chc: FundingStream
    hospital: Agency


def _world(store: Store) -> World:
    asc = add(store, Agency(name="Council Adult Social Care", sector="social care"), "t")
    icb = add(store, Agency(name="Integrated Care Board", sector="health"), "t")
    hosp = add(store, Agency(name="General Hospital", sector="health",
                             kind="acute hospital"), "t")
    sw = add(store, Professional(name="Sam Green", role="social worker", agency_id=asc.id), "t")
    person = add(store, Person(given_name="Margaret", family_name="Okafor",
                               birth_date=date(1942, 1, 1), nhs_number="9434765919"), "t")
    add(store, CareTeamMember(person_id=person.id, professional_id=sw.id,
                              role="care coordinator", start_date=date(2025, 1, 1),
                              is_lead=True), "t")
    add(store, Consent(person_id=person.id, agency_id=asc.id, status="given",
                       recorded_on=date(2025, 1, 1), recorded_by=sw.id), "t")
    plan = add(store, CarePlan(person_id=person.id, status="draft",
                               created_on=date(2025, 1, 1)), "t")
    action = add(store, Action(plan_id=plan.id, description="Home care, four calls a day",
                               owner_professional_id=sw.id, owner_agency_id=asc.id,
                               due_date=date(2027, 1, 1)), "t")
    council = add(store, FundingStream(name="Adult social care", kind="personal budget",
                                       principle="means-tested", agency_id=asc.id), "t")
    chc = add(store, FundingStream(name="Continuing healthcare", principle="free at the "
                                   "point of use", kind="NHS continuing healthcare",
                                   agency_id=icb.id), "t")
    return World(person, action, asc, icb, council, chc, hosp)


def _by(w: World) -> str:
    """Who saves the funding: the action's owner (careplan.models.permissions)."""
    return str(w.action.owner_professional_id)


def _flags(store: Store, today: date, code: FlagCode) -> list[Flag]:
    t = default_thresholds()
    found = [f for f in caseload_flags(store, today, t) if f.code is code]
    person_ids = [r["id"] for r in store.query("SELECT id FROM persons")]
    everyone = [f for f in caseload_flags(store, today, t, person_ids=person_ids)
                if f.code is code]
    assert found == everyone
    return found


def _dispute(store: Store, w: World) -> None:
    cost = ActionCost(action_id=w.action.id, unit_cost_pence=58_800, frequency="weekly",
                      start_date=SINCE, funding_status="disputed", disputed_since=SINCE,
                      disputed_by=(w.asc.id, w.icb.id))
    save_funding(store, cost, [ActionFunder(cost_id=cost.id, stream_id=w.chc.id,
                                            share_bp=10_000)], _by(w))


@pytest.mark.parametrize("today,severity", [
    (date(2026, 3, 9), None),  # 5 working days: not more than 5 yet
    (date(2026, 3, 10), Severity.WARNING),  # the 6th working day
    (date(2026, 3, 11), Severity.WARNING),
    (date(2026, 3, 16), Severity.WARNING),  # 10 working days
    (date(2026, 3, 17), Severity.CRITICAL),  # more than 10
])
def test_funding_disputed_boundaries(store: Store, today: date,
                                     severity: Severity | None) -> None:
    w = _world(store)
    _dispute(store, w)
    found = _flags(store, today, FlagCode.FUNDING_DISPUTED)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        f = found[0]
        assert f.since == date(2026, 3, 10)
        assert f.subject_id == w.action.id
        assert "disputed between Council Adult Social Care and Integrated Care Board" in (
            f.message)
        assert "holding up the discharge" not in f.message
        assert f.due == (None if severity is Severity.CRITICAL else date(2026, 3, 17))


def test_funding_dispute_behind_a_delayed_discharge_is_critical(store: Store) -> None:
    w = _world(store)
    _dispute(store, w)
    add(store, HospitalStay(person_id=w.person.id, hospital_id=w.hospital.id,
                            admitted_on=date(2026, 2, 20), discharge_ready_on=date(2026, 3, 3)),
        "t")
    today = date(2026, 3, 10)
    (f,) = _flags(store, today, FlagCode.FUNDING_DISPUTED)
    assert f.severity is Severity.CRITICAL and f.due is None
    assert ("the dispute may be holding up the discharge: Margaret Okafor has been ready to "
            "leave General Hospital since 3 March 2026 (7 days past") in f.message
    assert f.evidence["discharge_delayed"] is True
    codes = {x.code for x in caseload_flags(store, today, default_thresholds())}
    assert FlagCode.DISCHARGE_DELAYED in codes


def test_settled_or_cancelled_disputes_are_not_flagged(store: Store) -> None:
    w = _world(store)
    cost = ActionCost(action_id=w.action.id, unit_cost_pence=100, frequency="weekly",
                      start_date=SINCE, funding_status="agreed")
    save_funding(store, cost, [ActionFunder(cost_id=cost.id, stream_id=w.chc.id,
                                            share_bp=10_000)], _by(w))
    assert _flags(store, date(2026, 6, 1), FlagCode.FUNDING_DISPUTED) == []


def _budget(store: Store, w: World, allocation: int, committed: int) -> PersonalBudget:
    """A budget for the year from 1 April 2026 and a one-off cost of ``committed``."""
    pb = add(store, PersonalBudget(person_id=w.person.id, allocation_pence=allocation,
                                   stream_ids=(w.council.id,), taken_as="direct payment",
                                   start_date=FY), "t")
    cost = ActionCost(action_id=w.action.id, unit_cost_pence=committed, frequency="one-off",
                      start_date=FY + timedelta(days=10), funding_status="agreed",
                      care_type="preventive")
    save_funding(store, cost, [ActionFunder(cost_id=cost.id, stream_id=w.council.id,
                                            share_bp=10_000, personal_budget_id=pb.id)], _by(w))
    return pb


@pytest.mark.parametrize("committed,severity", [
    (100_000, None),  # exactly the allocation
    (100_001, Severity.WARNING),  # a penny over
    (110_000, Severity.WARNING),  # 10% over: not more than 10%
    (110_001, Severity.CRITICAL),
])
def test_budget_overcommitted_amount_boundaries(store: Store, committed: int,
                                                severity: Severity | None) -> None:
    w = _world(store)
    pb = _budget(store, w, 100_000, committed)
    found = _flags(store, date(2026, 6, 1), FlagCode.BUDGET_OVERCOMMITTED)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].subject_id == pb.id
        assert found[0].since == date(2026, 4, 11)
        assert found[0].evidence["committed_pence"] == committed
        assert "against an allocation of £1,000.00" in found[0].message


@pytest.mark.parametrize("today,flagged", [
    (date(2026, 3, 31), False),  # the day before the budget starts
    (date(2026, 4, 1), True),  # its first day (the commitment starts later: since = today)
    (date(2027, 3, 31), True),  # its last day
    (date(2027, 4, 1), False),  # the day after it ends
])
def test_budget_overcommitted_period_boundaries(store: Store, today: date,
                                                flagged: bool) -> None:
    w = _world(store)
    _budget(store, w, 100_000, 150_000)
    found = _flags(store, today, FlagCode.BUDGET_OVERCOMMITTED)
    assert len(found) == int(flagged)
    if found:
        assert found[0].since <= today


_FREQUENCIES = st.sampled_from(["one-off", "weekly", "monthly"])
#: Costs of every frequency through a personal budget, some ending, some shared.
_COSTS = st.lists(st.tuples(
    _FREQUENCIES,
    # Start, days after 1 April 2026: whole weeks before it, and months' 30th and 31st.
    st.sampled_from([-60, -56, -7, -1, 0, 60, 152, 213, 305])
    | st.integers(min_value=-60, max_value=400),
    st.none() | st.integers(min_value=0, max_value=500),  # end, days after the start
    st.integers(min_value=1, max_value=90_000),  # unit cost in pence
    st.sampled_from([10_000, 7_500, 3_333, 1]),  # the personal budget's share
), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(costs=_COSTS, delta=st.integers(min_value=-2, max_value=2),
       today=st.integers(min_value=-5, max_value=400).map(lambda n: FY + timedelta(days=n)),
       # The budget's end: none (a year), a month's last day (30 June, 28 February), any.
       ends=st.none() | st.sampled_from([90, 333, 364])
       | st.integers(min_value=28, max_value=700))
def test_budget_candidates_never_miss_an_overcommitted_budget(
    costs: list[tuple[str, int, int | None, int, int]], delta: int, today: date,
    ends: int | None,
) -> None:
    """The candidate query's committed sum matches the rule's to the penny per funder:
    a budget a penny over is picked, one comfortably within is left out."""
    with Store.open(":memory:") as store:
        w = _world(store)
        pb = PersonalBudget(person_id=w.person.id, allocation_pence=0, taken_as="direct payment",
                            stream_ids=(w.council.id,), start_date=FY,
                            end_date=None if ends is None else FY + timedelta(days=ends))
        saved: list[tuple[ActionCost, list[ActionFunder]]] = []
        for frequency, start, length, unit, share in costs:
            first = FY + timedelta(days=start)
            action = add(store, Action(plan_id=w.action.plan_id, description="Day centre",
                                       owner_professional_id=w.action.owner_professional_id,
                                       owner_agency_id=w.asc.id), "t")
            cost = ActionCost(action_id=action.id, unit_cost_pence=unit, frequency=frequency,
                              start_date=first, funding_status="agreed",
                              end_date=None if length is None else first + timedelta(length))
            funders = [ActionFunder(cost_id=cost.id, stream_id=w.council.id, share_bp=share,
                                    personal_budget_id=pb.id)]
            if share < 10_000:
                funders.append(ActionFunder(cost_id=cost.id, stream_id=w.chc.id,
                                            share_bp=10_000 - share))
            saved.append((cost, funders))
        lines = [FundedCost(c, tuple(f), w.person.id) for c, f in saved]
        committed = personal_budget_position(pb, lines).committed
        pb = add(store, replace(pb, allocation_pence=max(0, committed + delta)), "t")
        for cost, funders in saved:
            save_funding(store, cost, funders, _by(w))
        found = _flags(store, today, FlagCode.BUDGET_OVERCOMMITTED)
        assert bool(found) == (pb.active_on(today) and committed > pb.allocation_pence)
        if pb.allocation_pence >= committed + len(costs):  # beyond a penny per funder
            assert w.person.id not in candidates(store, today, default_thresholds())
