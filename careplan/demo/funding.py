"""The demo's money: funding streams, a pooled fund (Section 75), an aligned budget,
personal budgets, and realistic costs on the commissioned services in people's plans.

Professional visits are paid for by block contracts and carry no cost of their own in a
plan; commissioned services (home care, day care, equipment, placements, detox) do. So
only those actions get a cost, which also keeps the demo's extra rows few. Money rows
take their ids and random draws from streams of their own, so adding them leaves every
other demo record as it was.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from careplan.demo.case import Case, add_working_days
from careplan.demo.world import Ids, World
from careplan.models.base import Entity
from careplan.models.costing import cost_between, financial_year
from careplan.models.enums import ActionStatus, AgencyKind, ClientGroup, Role, Sector
from careplan.models.funding import (
    USUAL_PRINCIPLE as USUAL,
)
from careplan.models.funding import (
    ActionCost,
    ActionFunder,
    Arrangement,
    BudgetContribution,
    CareType,
    Frequency,
    FundingKind,
    FundingStatus,
    FundingStream,
    JointBudget,
    PersonalBudget,
    TakenAs,
)
from careplan.models.people import Agency, Professional
from careplan.models.plan import Action

K = FundingKind
PREV, REACT, INST = CareType.PREVENTIVE, CareType.REACTIVE, CareType.INSTITUTIONAL
W, M, ONCE = Frequency.WEEKLY, Frequency.MONTHLY, Frequency.ONE_OFF

#: key, name, kind, owning agency key (None: none), joint budget key (None: none)
STREAMS: list[tuple[str, str, FundingKind, str | None, str | None]] = [
    ("bcf", "Riverside Better Care Fund (pooled)", K.POOLED_FUND, "asc", "pool"),
    ("mh_nhs", "Community mental health (aligned, NHS)", K.NHS, "cmht", "aligned"),
    ("mh_asc", "Mental health social care (aligned, council)", K.COUNCIL_ADULT_SOCIAL_CARE,
     "asc", "aligned"),
    ("mh_housing", "Tenancy sustainment (aligned, Supporting People)", K.SUPPORTING_PEOPLE,
     "housing", "aligned"),
    ("nhs_dn", "NHS community health services", K.NHS, "dn", None),
    ("nhs_ld", "NHS learning disability services", K.NHS, "ldt", None),
    ("nhs_dat", "NHS drug and alcohol services", K.NHS, "dat", None),
    ("nhs_acute", "NHS acute hospital care", K.NHS, "hosp", None),
    ("chc", "NHS continuing healthcare", K.CONTINUING_HEALTHCARE, "icb", None),
    ("phb", "Personal health budgets", K.PERSONAL_HEALTH_BUDGET, "icb", None),
    ("asc", "Council adult social care", K.COUNCIL_ADULT_SOCIAL_CARE, "asc", None),
    ("csc", "Council children's services", K.COUNCIL_CHILDRENS_SERVICES, "csc", None),
    ("pb", "Council personal budgets", K.PERSONAL_BUDGET, "asc", None),
    ("dp", "Direct payments", K.DIRECT_PAYMENT, "asc", None),
    ("dfg", "Disabled Facilities Grant", K.DISABLED_FACILITIES_GRANT, "housing", None),
    ("vol", "Riverside Carers' Network grants", K.VOLUNTARY, "vol", None),
    ("self", "Self-funded (assessed charge)", K.SELF_FUNDED, None, None),
]

#: Action text -> (chance it is costed, unit pence, frequency, care type, stream mix).
#: A mix lists (stream key, share in basis points); "self" is the person's own charge.
CATALOGUE: dict[str, tuple[float, int, Frequency, CareType, list[list[tuple[str, int]]]]] = {
    "Falls assessment at home": (0.3, 18_000, ONCE, PREV, [[("bcf", 10_000)]]),
    "Weekly nurse visit for dressings": (0.15, 6_500, W, REACT, [[("nhs_dn", 10_000)]]),
    # Mental Health Act s.117 aftercare is the NHS's and the council's jointly.
    "Fortnightly CPN visit": (0.25, 14_000, M, PREV, [[("mh_nhs", 10_000)],
                                                      [("mh_nhs", 5_000), ("mh_asc", 5_000)]]),
    "Community detox planning": (0.3, 120_000, ONCE, REACT, [[("nhs_dat", 10_000)]]),
    "Day centre two days a week": (0.45, 9_600, W, PREV,
                                   [[("asc", 7_000), ("self", 3_000)], [("asc", 10_000)]]),
    "Home care package review": (0.4, 31_000, W, REACT,
                                 [[("asc", 10_000)], [("asc", 8_000), ("self", 2_000)],
                                  [("bcf", 10_000)]]),
    "Arrears repayment plan": (0.3, 5_500, W, PREV, [[("mh_housing", 10_000)]]),
    "Easy-read health action plan": (0.15, 25_000, ONCE, PREV, [[("nhs_ld", 10_000)]]),
    "Carer's assessment": (0.2, 60_000, ONCE, PREV, [[("vol", 10_000)]]),
}


@dataclass
class FundingWorld:
    """The demo's streams and joint budgets (by key), with ids of their own."""

    ids: Ids
    streams: dict[str, FundingStream] = field(default_factory=dict)
    budgets: dict[str, JointBudget] = field(default_factory=dict)
    items: list[Entity] = field(default_factory=list)

    def funders(self, cost: ActionCost, mix: Sequence[tuple[str, int]],
                budget: PersonalBudget | None = None) -> list[ActionFunder]:
        return [ActionFunder(id=self.ids(), cost_id=cost.id, stream_id=self.streams[k].id,
                             share_bp=bp,
                             personal_budget_id=budget.id if budget and k in ("pb", "phb", "dp")
                             else None)
                for k, bp in mix]

    def charge(self, c: Case, action: Action, unit: int, freq: Frequency, start: date,
               care: CareType, mix: Sequence[tuple[str, int]], *,
               end: date | None = None, budget: PersonalBudget | None = None,
               status: FundingStatus = FundingStatus.AGREED,
               disputed_since: date | None = None, disputed_by: tuple[str, ...] = (),
               note: str = "") -> ActionCost:
        """Add a cost and its funders to the case's records."""
        cost = ActionCost(id=self.ids(), action_id=action.id, unit_cost_pence=unit,
                          frequency=freq, start_date=start, end_date=end, care_type=care,
                          funding_status=status, disputed_since=disputed_since,
                          disputed_by=disputed_by, note=note)
        c.add(cost)
        for f in self.funders(cost, mix, budget):
            c.add(f)
        return cost


def build_funding(world: World, rng: random.Random, start_ms: int, today: date,
                  neighbourhood: str, given: Sequence[str], family: Sequence[str],
                  persons: int) -> FundingWorld:
    """The integrated care board (the NHS commissioner), the joint budgets of this
    financial year and every stream; adds the board to ``world``. Partners' contributions
    grow with the caseload (pounds a person a year), so a big demo is not wildly over."""
    fw = FundingWorld(Ids(rng, start_ms))
    icb = Agency(id=fw.ids(), name="NHS Northbridge Integrated Care Board", sector=Sector.HEALTH,
                 kind=AgencyKind.OTHER, client_group=ClientGroup.ALL_AGES,
                 neighbourhood=neighbourhood, ods_code="RN0IC")
    lead = Professional(id=fw.ids(), name=f"{rng.choice(given)} {rng.choice(family)}",
                        role=Role.MANAGER, agency_id=icb.id,
                        email="continuing.healthcare@example.nhs.uk")
    world.agencies["icb"] = icb
    world.staff["icb"] = [lead]
    fy_start, fy_end = financial_year(today)
    a = world.agencies
    pool = JointBudget(id=fw.ids(), name="Riverside Better Care Fund", neighbourhood=neighbourhood,
                       arrangement=Arrangement.POOLED, period_start=fy_start, period_end=fy_end,
                       host_agency_id=a["asc"].id)
    aligned = JointBudget(id=fw.ids(), name="Riverside mental health and housing",
                          arrangement=Arrangement.ALIGNED, neighbourhood=neighbourhood,
                          period_start=fy_start, period_end=fy_end,
                          legal_basis="Aligned budget under a partnership agreement "
                                      "(each partner keeps its own accounts)")
    fw.budgets = {"pool": pool, "aligned": aligned}
    fw.items += [pool, aligned]
    for budget, agency, per_person in [(pool, "icb", 160), (pool, "asc", 105),
                                       (aligned, "cmht", 45), (aligned, "asc", 30),
                                       (aligned, "housing", 90)]:
        fw.items.append(BudgetContribution(id=fw.ids(), budget_id=budget.id,
                                           agency_id=a[agency].id,
                                           amount_pence=per_person * persons * 100))
    for key, name, kind, owner, budget_key in STREAMS:
        stream = FundingStream(id=fw.ids(), name=name, kind=kind, principle=USUAL[kind],
                               agency_id=a[owner].id if owner else None,
                               budget_id=fw.budgets[budget_key].id if budget_key else None)
        fw.streams[key] = stream
        fw.items.append(stream)
    return fw


def cost_ordinary(c: Case, fw: FundingWorld, rng: random.Random, today: date,
                  age: int) -> None:
    """Costs for the commissioned services in one ordinary person's plan, sometimes a
    personal budget paying for them, and now and then a recent funding dispute."""
    actions = [x for x in c.items if isinstance(x, Action)]
    budget: PersonalBudget | None = None
    for action in actions:
        entry = CATALOGUE.get(action.description)
        if entry is None or rng.random() >= entry[0]:
            continue
        chance, unit, freq, care, mixes = entry
        mix = rng.choice(mixes)
        if age < 18:
            mix = [("csc", 10_000)]
        start = today - timedelta(days=rng.randint(0, 400))
        end = None
        if action.status is ActionStatus.COMPLETED:
            end = min(today, start + timedelta(days=rng.randint(0, 120)))
        elif action.status is ActionStatus.SCHEDULED:
            start = today + timedelta(days=rng.randint(1, 30))
        if (mix[0][0] == "asc" and age >= 18 and budget is None and rng.random() < 0.4):
            fy_start, fy_end = financial_year(today)
            taken = rng.choice(list(TakenAs))
            # Allocations a little above what the support costs this year, as set at review.
            probe = ActionCost(action_id=action.id, unit_cost_pence=unit, frequency=freq,
                               start_date=start, end_date=end)
            need = max(unit, cost_between(probe, fy_start, fy_end))
            budget = PersonalBudget(id=fw.ids(), person_id=c.person.id,
                                    allocation_pence=need * rng.randint(102, 130) // 100,
                                    stream_ids=(fw.streams["pb"].id,), taken_as=taken,
                                    start_date=fy_start)
            c.add(budget)
            mix = [("pb", 10_000)]
        status, since, note = FundingStatus.AGREED, None, ""
        by: tuple[str, ...] = ()
        roll = rng.random()
        if roll < 0.06:
            status = FundingStatus.PENDING
        elif roll < 0.065 and age >= 18:
            # A recent dispute, not yet past the flag's threshold.
            status = FundingStatus.DISPUTED
            since = add_working_days(today, -rng.randint(0, 3))
            by = (fw.streams["asc"].agency_id or "", fw.streams["chc"].agency_id or "")
            note = "Continuing healthcare checklist positive; full assessment awaited"
        fw.charge(c, action, unit, freq, start, care, mix, end=end, budget=budget,
                  status=status, disputed_since=since, disputed_by=by, note=note)


def money_for(c: Case, fw: FundingWorld, rng: random.Random, today: date, age: int) -> None:
    """Everything money for one ordinary person (the demo's one hook per person)."""
    cost_ordinary(c, fw, rng, today, age)
    if age >= 75 and rng.random() < 0.03:
        residential(c, fw, rng, today)


def residential(c: Case, fw: FundingWorld, rng: random.Random, today: date) -> None:
    """A care home placement (institutional care) for a few of the oldest people, owned
    by the person's social worker when they have one."""
    plan = c.plan
    owner = next((p for p in c.pros if p.role is Role.SOCIAL_WORKER), None)
    if plan is None or not plan.is_open or owner is None:
        return
    action = Action(id=fw.ids(), plan_id=plan.id, description="Residential care placement",
                    owner_professional_id=owner.id, owner_agency_id=owner.agency_id,
                    status=ActionStatus.IN_PROGRESS)
    c.add(action)
    mix = rng.choice([[("asc", 7_500), ("self", 2_500)], [("chc", 10_000)],
                      [("self", 10_000)]])
    fw.charge(c, action, rng.choice((89_500, 96_000, 112_000)), W,
              today - timedelta(days=rng.randint(20, 600)), INST, mix)
