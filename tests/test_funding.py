"""Funding: shares that must add up to 100%, costs across frequencies and partial years,
exact splits, personal budgets and pooled and aligned budgets, saving all or nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careplan.models import Action, Agency, CarePlan, Person, Professional
from careplan.models.budgets import (
    FundedCost,
    joint_budget_position,
    personal_budget_position,
    totals,
)
from careplan.models.costing import (
    annual_cost,
    cost_between,
    cost_to_date,
    financial_year,
    full_year_rate,
    occurrences,
    pounds,
    split,
)
from careplan.models.funding import (
    ActionCost,
    ActionFunder,
    BudgetContribution,
    CareType,
    FundingStream,
    JointBudget,
    PersonalBudget,
    check_shares,
)
from careplan.store import InputError, Store, add
from careplan.store.digest import content_digest
from careplan.store.funding import load_book, save_funding


def _cost(freq: str, start: date, end: date | None = None, pence: int = 10_000,
          **kw: object) -> ActionCost:
    return ActionCost(action_id="a", unit_cost_pence=pence, frequency=freq, start_date=start,
                      end_date=end, **kw)  # type: ignore[arg-type]


# -- shares ----------------------------------------------------------------------------

@pytest.mark.parametrize("shares,total", [([5000, 4000], "90%"), ([6000, 6000], "120%"),
                                          ([3333, 3333, 3333], "99.99%")])
def test_shares_not_adding_up_to_100_are_refused(shares: list[int], total: str) -> None:
    with pytest.raises(ValueError, match=rf"^shares: the funders' shares add up to {total}; "
                                         "they must add up to 100%$"):
        check_shares(shares)


def test_no_funder_and_bad_single_share_are_refused() -> None:
    with pytest.raises(ValueError, match="^shares: an action's cost needs at least one"):
        check_shares([])
    with pytest.raises(ValueError, match="^share: must be more than 0%"):
        ActionFunder(cost_id="c", stream_id="s", share_bp=0)
    with pytest.raises(ValueError, match="^share: .*got 100.01%"):
        ActionFunder(cost_id="c", stream_id="s", share_bp=10_001)
    check_shares([3334, 3333, 3333])  # exactly 100%: accepted


# -- validation -------------------------------------------------------------------------

def test_dispute_needs_since_and_two_agencies() -> None:
    start = date(2025, 4, 1)
    with pytest.raises(ValueError, match="^disputed since: is required"):
        _cost("weekly", start, funding_status="disputed", disputed_by=("x", "y"))
    with pytest.raises(ValueError, match="^disputed by: name the two or more agencies"):
        _cost("weekly", start, funding_status="disputed", disputed_since=start,
              disputed_by=("x", "x"))
    with pytest.raises(ValueError, match="^disputed since: only a disputed funding"):
        _cost("weekly", start, funding_status="agreed", disputed_since=start)
    with pytest.raises(ValueError, match="^unit cost: must not be negative"):
        _cost("weekly", start, pence=-1)
    with pytest.raises(ValueError, match="^end date: 2025-03-31 is before start date"):
        _cost("weekly", start, date(2025, 3, 31))
    with pytest.raises(ValueError, match="^frequency: 'daily' is not one of"):
        _cost("daily", start)


def test_streams_need_an_owner_or_a_pooled_budget() -> None:
    with pytest.raises(ValueError, match="^agency: a NHS stream needs the agency"):
        FundingStream(name="NHS", kind="NHS", principle="free at the point of use")
    with pytest.raises(ValueError, match="^budget: a pooled fund stream draws on"):
        FundingStream(name="Pool", kind="pooled fund (Section 75)", principle="grant")
    FundingStream(name="Own money", kind="self-funded", principle="means-tested")


# -- annual cost and cost to date ----------------------------------------------------------

FY = date(2025, 4, 1)  # financial year 2025-26: 365 days, 52 weeks and a day


def test_annual_cost_across_frequencies_for_a_whole_year() -> None:
    assert annual_cost(_cost("one-off", date(2025, 6, 1)), FY) == 10_000
    # Weekly from the first day: 53 occurrences fit in 365 days (days 0, 7, ... 364).
    assert annual_cost(_cost("weekly", FY), FY) == 53 * 10_000
    assert annual_cost(_cost("monthly", FY), FY) == 12 * 10_000
    assert full_year_rate(_cost("weekly", FY)) == 52 * 10_000
    assert full_year_rate(_cost("monthly", FY)) == 12 * 10_000


def test_annual_cost_for_partial_years() -> None:
    # Starts in the tenth month: January, February, March.
    assert annual_cost(_cost("monthly", date(2026, 1, 15)), FY) == 3 * 10_000
    # Ends after the third occurrence: 1, 8, 15 April.
    assert annual_cost(_cost("weekly", FY, date(2025, 4, 20)), FY) == 3 * 10_000
    # Started before the year: only this year's occurrences count.
    # (24 March, 31 March, then 7 April ... 30 March 2026: 52 in the year.)
    assert annual_cost(_cost("weekly", date(2025, 3, 24)), FY) == 52 * 10_000
    # A one-off outside the year costs nothing in it.
    assert annual_cost(_cost("one-off", date(2026, 4, 1)), FY) == 0
    # The 31st falls on each month's last day in shorter months.
    assert occurrences(_cost("monthly", date(2025, 1, 31)), date(2025, 2, 1),
                       date(2025, 2, 28)) == 1


def test_cost_to_date_counts_today() -> None:
    weekly = _cost("weekly", date(2025, 4, 1))
    assert cost_to_date(weekly, date(2025, 4, 7)) == 10_000
    assert cost_to_date(weekly, date(2025, 4, 8)) == 20_000
    assert cost_to_date(weekly, date(2025, 3, 31)) == 0


def test_financial_year() -> None:
    assert financial_year(date(2026, 3, 31)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert financial_year(date(2026, 4, 1)) == (date(2026, 4, 1), date(2027, 3, 31))


def _brute(cost: ActionCost, first: date, last: date) -> int:
    """Count by walking every occurrence (the slow, obvious way)."""
    from careplan.models.costing import _month_day

    n, k = 0, 0
    end = cost.end_date or last
    while True:
        if cost.frequency.value == "one-off":
            day = cost.start_date if k == 0 else date.max
        elif cost.frequency.value == "weekly":
            day = cost.start_date + timedelta(days=7 * k)
        else:
            day = _month_day(cost.start_date, k)
        if day > min(end, last):
            return n
        if day >= first:
            n += 1
        k += 1


days = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


@given(st.sampled_from(["one-off", "weekly", "monthly"]), days, st.none() | days, days, days)
def test_occurrences_match_walking_the_calendar(freq: str, start: date, end: date | None,
                                               a: date, b: date) -> None:
    if end is not None and end < start:
        start, end = end, start
    cost = _cost(freq, start, end)
    first, last = min(a, b), max(a, b)
    assert occurrences(cost, first, last) == _brute(cost, first, last)
    assert cost_between(cost, first, last) == 10_000 * _brute(cost, first, last)


@given(st.integers(0, 10**9), st.lists(st.integers(1, 10_000), min_size=1, max_size=6))
def test_split_adds_back_exactly(amount: int, raw: list[int]) -> None:
    shares = raw[:-1] + [0]
    shares[-1] = 10_000 - sum(shares[:-1])
    if shares[-1] <= 0:
        shares = [10_000]
    parts = split(amount, shares)
    assert sum(parts) == amount
    assert all(abs(p * 10_000 - amount * s) < 10_000 for p, s in zip(parts, shares,
                                                                        strict=True))


def test_pounds() -> None:
    assert pounds(123456) == "£1,234.56"
    assert pounds(-5) == "-£0.05"


# -- budgets ---------------------------------------------------------------------------

def test_personal_budget_committed_remaining_and_over() -> None:
    stream = FundingStream(name="PB", kind="personal budget", principle="means-tested",
                           agency_id="asc")
    pb = PersonalBudget(person_id="p", allocation_pence=100_000, stream_ids=(stream.id,),
                        taken_as="direct payment", start_date=FY)
    assert pb.last_day == date(2026, 3, 31)
    c1 = _cost("monthly", FY, pence=5_000)  # 60,000 in the year
    c2 = _cost("one-off", date(2025, 9, 1), pence=50_000)
    lines = [FundedCost(c, (ActionFunder(cost_id=c.id, stream_id=stream.id, share_bp=10_000,
                                         personal_budget_id=pb.id),), "p") for c in (c1, c2)]
    pos = personal_budget_position(pb, lines)
    assert (pos.committed, pos.remaining, pos.overcommitted) == (110_000, -10_000, True)
    assert pos.over_since == date(2025, 9, 1)
    exact = personal_budget_position(pb.evolve(allocation_pence=110_000), lines)
    assert not exact.overcommitted and exact.remaining == 0 and exact.over_since is None


def test_pooled_and_aligned_budgets() -> None:
    period = {"period_start": FY, "period_end": date(2026, 3, 31), "neighbourhood": "R"}
    pool = JointBudget(name="Pool", arrangement="pooled", **period)  # type: ignore[arg-type]
    aligned = JointBudget(name="Aligned", arrangement="aligned", **period)  # type: ignore[arg-type]
    s_pool = FundingStream(name="P", kind="pooled fund (Section 75)", principle="grant",
                           budget_id=pool.id)
    s_nhs = FundingStream(name="N", kind="NHS", principle="free at the point of use",
                          agency_id="nhs", budget_id=aligned.id)
    s_la = FundingStream(name="L", kind="council adult social care", principle="means-tested",
                         agency_id="la", budget_id=aligned.id)
    streams = {s.id: s for s in (s_pool, s_nhs, s_la)}
    contributions = [BudgetContribution(budget_id=pool.id, agency_id="nhs", amount_pence=600),
                     BudgetContribution(budget_id=pool.id, agency_id="la", amount_pence=400),
                     BudgetContribution(budget_id=aligned.id, agency_id="nhs",
                                        amount_pence=1_000),
                     BudgetContribution(budget_id=aligned.id, agency_id="la",
                                        amount_pence=1_000)]
    c1 = _cost("monthly", FY, pence=100)
    c2 = _cost("monthly", FY, pence=101)
    lines = [
        FundedCost(c1, (ActionFunder(cost_id=c1.id, stream_id=s_pool.id, share_bp=10_000),), "p"),
        FundedCost(c2, (ActionFunder(cost_id=c2.id, stream_id=s_nhs.id, share_bp=5_000),
                        ActionFunder(cost_id=c2.id, stream_id=s_la.id, share_bp=5_000)), "p"),
    ]
    today = date(2025, 6, 15)  # three occurrences so far: 1 April, 1 May, 1 June
    p = joint_budget_position(pool, contributions, streams, lines, today)
    assert (p.contributed, p.spent_to_date, p.forecast, p.variance) == (1_000, 300, 1_200, -200)
    assert all(x.spent_to_date is None for x in p.partners)  # one pot: nobody answers alone
    a = joint_budget_position(aligned, contributions, streams, lines, today)
    assert (a.spent_to_date, a.forecast) == (303, 1_212)
    by = {x.agency_id: x for x in a.partners}
    assert by["nhs"].forecast is not None and by["la"].forecast is not None
    assert by["nhs"].forecast + by["la"].forecast == 1_212
    assert by["nhs"].variance == 1_000 - by["nhs"].forecast
    t = totals(lines, streams, FY, date(2026, 3, 31))
    assert t.total == sum(t.by_payer.values()) == sum(t.by_stream.values()) == 2_412
    assert t.share_of(CareType.REACTIVE) == 1.0


# -- saving -----------------------------------------------------------------------------

def _world(store: Store) -> tuple[Action, FundingStream, FundingStream]:
    asc = add(store, Agency(name="ASC", sector="social care"), "t")
    nhs = add(store, Agency(name="NHS", sector="health"), "t")
    sw = add(store, Professional(name="Sam", role="social worker", agency_id=asc.id), "t")
    person = add(store, Person(given_name="A", family_name="B", birth_date=date(1950, 1, 1)),
                 "t")
    plan = add(store, CarePlan(person_id=person.id, created_on=date(2025, 1, 1)), "t")
    action = add(store, Action(plan_id=plan.id, description="Home care",
                               owner_professional_id=sw.id), "t")
    s1 = add(store, FundingStream(name="ASC", kind="council adult social care",
                                  principle="means-tested", agency_id=asc.id), "t")
    s2 = add(store, FundingStream(name="CHC", kind="NHS continuing healthcare",
                                  principle="free at the point of use", agency_id=nhs.id), "t")
    return action, s1, s2


def test_saving_shares_not_adding_up_writes_nothing(store: Store) -> None:
    action, s1, s2 = _world(store)
    cost = _cost("weekly", FY).evolve(action_id=action.id)
    before = content_digest(store)
    funders = [ActionFunder(cost_id=cost.id, stream_id=s1.id, share_bp=5_000),
               ActionFunder(cost_id=cost.id, stream_id=s2.id, share_bp=4_000)]
    with pytest.raises(InputError, match="^shares: the funders' shares add up to 90%"):
        save_funding(store, cost, funders, str(action.owner_professional_id))
    assert content_digest(store) == before


def test_saving_and_replacing_funders(store: Store) -> None:
    action, s1, s2 = _world(store)
    cost = _cost("weekly", FY).evolve(action_id=action.id)
    f1 = ActionFunder(cost_id=cost.id, stream_id=s1.id, share_bp=5_000)
    f2 = ActionFunder(cost_id=cost.id, stream_id=s2.id, share_bp=5_000)
    saved, _ = save_funding(store, cost, [f1, f2], str(action.owner_professional_id))
    book = load_book(store)
    assert [len(line.funders) for line in book.lines] == [2]
    stored = {f.stream_id: f for f in book.lines[0].funders}
    save_funding(store, saved, [stored[s1.id].evolve(share_bp=10_000)],
                 str(action.owner_professional_id))
    book = load_book(store)
    assert [(f.stream_id, f.share_bp) for f in book.lines[0].funders] == [(s1.id, 10_000)]
    gone = store.query("SELECT after FROM audit_events WHERE entity = 'action_funders' "
                       "AND entity_id = ? ORDER BY seq DESC LIMIT 1", (f2.id,))
    assert '"deleted":true' in gone[0]["after"]


def test_personal_budget_of_another_person_is_refused(store: Store) -> None:
    action, s1, _ = _world(store)
    other = add(store, Person(given_name="C", family_name="D", birth_date=date(1960, 1, 1)),
                "t")
    pb = add(store, PersonalBudget(person_id=other.id, allocation_pence=1, stream_ids=(s1.id,),
                                   taken_as="managed account", start_date=FY), "t")
    cost = _cost("weekly", FY).evolve(action_id=action.id)
    before = content_digest(store)
    with pytest.raises(InputError, match="^personal budget: it belongs to another person"):
        save_funding(store, cost, [ActionFunder(cost_id=cost.id, stream_id=s1.id,
                                                share_bp=10_000, personal_budget_id=pb.id)],
                     str(action.owner_professional_id))
    assert content_digest(store) == before
