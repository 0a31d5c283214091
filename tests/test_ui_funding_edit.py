"""Editing money in the app (Funding tab): an action costed with two funders whose shares
add up to 100%, shares that do not refused in the form as the store refuses them (the
same rule, careplan.models.funding.check_shares) with what was typed kept, a cost
changed, and a personal budget set up and changed; each checked in the store and in
History; the pounds and percentages typed read exactly."""

from __future__ import annotations

from datetime import date

import pytest
import ui_world
from ui_helpers import answer_form, settle

from careplan.models.funding import (
    ActionCost,
    ActionFunder,
    FundingKind,
    FundingPrinciple,
    FundingStream,
    PersonalBudget,
    TakenAs,
    parse_pounds,
    parse_share,
)
from careplan.store import Store, add, find
from careplan.store.audit import events_for
from careplan.store.errors import InputError, NotAllowedError
from careplan.store.funding import save_funding, save_personal_budget

TODAY = ui_world.TODAY


@pytest.fixture
def setup(world_workspace):  # type: ignore[no-untyped-def]
    """Sam Okafor (children's social care) on Jordan Baker's Funding tab; two funding
    streams, the council's and the NHS's."""

    def streams(store: Store, world: ui_world.World) -> tuple[str, str]:
        council = add(store, FundingStream(
            name="Children's services", kind=FundingKind.COUNCIL_CHILDRENS_SERVICES,
            principle=FundingPrinciple.FREE, agency_id=world.children), "test")
        nhs = add(store, FundingStream(name="NHS community", kind=FundingKind.NHS,
                                       principle=FundingPrinciple.FREE, agency_id=world.gp),
                  "test")
        return council.id, nhs.id

    win, world, other, ws, (council, nhs) = world_workspace("sam_social", "teen", streams)
    ws.tabs.setCurrentWidget(ws.funding_tab)
    return win, world, other, ws, council, nhs


def _funders(other: Store, cost: ActionCost) -> list[tuple[str, int]]:
    return sorted((f.stream_id, f.share_bp) for f in find(other, ActionFunder, cost_id=cost.id))


def test_cost_an_action_with_two_funders_then_change_it(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws, council, nhs = setup
    seen: dict[str, object] = {}
    answer_form([("action", world.teen_action), ("cost", "£1,250.50"), ("start", "1/3/2025"),
             ("stream1", council), ("share1", "66.67"), ("stream2", nhs), ("share2", "33.33%")],
            seen)
    ws.funding_tab.add_cost.click()
    assert seen["open"] is False
    cost = find(other, ActionCost, action_id=world.teen_action)[0]
    assert (cost.unit_cost_pence, cost.start_date) == (125050, date(2025, 3, 1))
    assert _funders(other, cost) == sorted([(council, 6667), (nhs, 3333)])
    assert events_for(other, "action_costs", cost.id)[-1].actor == world.sam_social
    assert ws.funding_tab.costs.rowCount() == 1
    assert "Children's services 66.67%" in ws.funding_tab.costs.index(0, 6).data()

    ws.funding_tab.costs_view.selectRow(0)
    seen = {}
    answer_form([("cost", "300"), ("stream1", council), ("share1", "100"), ("stream2", None),
             ("share2", "")], seen)
    ws.funding_tab.change_cost.click()
    assert seen["open"] is False
    cost = find(other, ActionCost, action_id=world.teen_action)[0]
    assert cost.unit_cost_pence == 30000 and _funders(other, cost) == [(council, 10000)]
    win.act_undo.trigger()
    settle(win)
    cost = find(other, ActionCost, action_id=world.teen_action)[0]
    assert cost.unit_cost_pence == 125050
    assert _funders(other, cost) == sorted([(council, 6667), (nhs, 3333)])


def test_shares_not_adding_up_are_refused_in_the_form_keeping_what_was_typed(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws, council, nhs = setup
    seen: dict[str, object] = {}
    answer_form([("action", world.teen_action), ("cost", "250"), ("stream1", council),
             ("share1", "60"), ("stream2", nhs), ("share2", "30")], seen)
    ws.funding_tab.add_cost.click()
    assert seen["open"] is True
    assert seen["error"] == ("Funder 1 share: the funders' shares add up to 90%; they must "
                             "add up to 100%")
    assert seen["below"] == "share1"
    assert seen["values"] == {"action": world.teen_action, "cost": "250", "stream1": council,
                              "share1": "60", "stream2": nhs, "share2": "30"}
    assert not find(other, ActionCost, action_id=world.teen_action)
    # the store refuses the same shares with the same words
    cost = ActionCost(action_id=world.teen_action, unit_cost_pence=25000,
                      frequency="weekly", start_date=TODAY)
    with pytest.raises(InputError, match="add up to 90%; they must add up to 100%"):
        save_funding(other, cost, [ActionFunder(cost_id=cost.id, stream_id=council,
                                                share_bp=6000),
                                   ActionFunder(cost_id=cost.id, stream_id=nhs,
                                                share_bp=3000)], world.sam_social)


def test_an_amount_that_is_not_one_is_refused_below_its_field(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws, council, nhs = setup
    seen: dict[str, object] = {}
    answer_form([("action", world.teen_action), ("cost", "12.345"), ("stream1", council),
             ("share1", "100")], seen)
    ws.funding_tab.add_cost.click()
    assert seen["open"] is True and seen["below"] == "cost"
    assert seen["error"] == "Unit cost: 12.345 has fractions of a penny"


def test_set_up_and_change_a_personal_budget(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws, council, nhs = setup
    seen: dict[str, object] = {}
    answer_form([("allocation", "12,000"), ("streams", [council]),
             ("taken", TakenAs.MANAGED_ACCOUNT), ("start", "1 April 2025")], seen)
    ws.funding_tab.add_budget.click()
    assert seen["open"] is False, seen.get("error")  # a budget may start after today
    budget = find(other, PersonalBudget, person_id=world.teen)[0]
    assert (budget.allocation_pence, budget.stream_ids, budget.taken_as, budget.start_date) \
        == (1_200_000, (council,), TakenAs.MANAGED_ACCOUNT, date(2025, 4, 1))
    assert ws.funding_tab.budgets.rowCount() == 1
    ws.funding_tab.budgets_view.selectRow(0)
    seen = {}
    answer_form([("allocation", "13000"), ("streams", [council, nhs])], seen)
    ws.funding_tab.change_budget.click()
    assert seen["open"] is False
    budget = find(other, PersonalBudget, person_id=world.teen)[0]
    assert budget.allocation_pence == 1_300_000 and set(budget.stream_ids) == {council, nhs}
    assert len(events_for(other, "personal_budgets", budget.id)) == 2


def test_a_personal_budget_needs_a_stream_and_the_care_team(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws, council, nhs = setup
    seen: dict[str, object] = {}
    answer_form([("allocation", "500")], seen)
    ws.funding_tab.add_budget.click()
    assert seen["open"] is True and str(seen["error"]).startswith("Streams:")
    assert seen["values"] == {"allocation": "500"}
    budget = PersonalBudget(person_id=world.teen, allocation_pence=100, stream_ids=(council,),
                            taken_as=TakenAs.DIRECT_PAYMENT, start_date=TODAY)
    with pytest.raises(NotAllowedError):
        save_personal_budget(other, budget, world.carl_cpn)  # not on Jordan's care team
    with pytest.raises(InputError, match="streams: there is no funding stream"):
        save_personal_budget(other, budget.evolve(stream_ids=("nope",)), world.sam_social)
    assert not find(other, PersonalBudget, person_id=world.teen)


@pytest.mark.parametrize(("typed", "pence"), [
    ("250", 25000), ("£1,250.50", 125050), (" 0.5 ", 50), ("£0", 0)])
def test_pounds_typed_read_exactly(typed: str, pence: int) -> None:
    assert parse_pounds(typed, "unit cost") == pence


@pytest.mark.parametrize(("typed", "problem"), [
    ("", "unit cost: is required"), ("ten", "unit cost: 'ten' is not an amount"),
    ("-5", "unit cost: must not be negative"), ("1.005", "has fractions of a penny"),
    ("£", "unit cost: is required"), ("nan", "is not an amount")])
def test_pounds_refused_with_a_sentence(typed: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_pounds(typed, "unit cost")


@pytest.mark.parametrize(("typed", "bp"), [("50", 5000), ("33.33%", 3333), ("100", 10000),
                                           ("0.01", 1)])
def test_shares_typed_read_exactly(typed: str, bp: int) -> None:
    assert parse_share(typed) == bp


@pytest.mark.parametrize("typed", ["0", "100.01", "33.333", "half", ""])
def test_shares_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="^share: "):
        parse_share(typed)
