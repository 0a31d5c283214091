"""Where the money goes: totals by payer, stream, principle and kind of care; personal
budgets committed and remaining; pooled and aligned budgets' spend and variance.

Pure functions over costs and funders already loaded; "today" and the period are
passed in. Every total is a sum of whole pence split exactly (``costing.split``), so
totals by payer, by stream and by kind of care all add up to the same number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from careplan.models.costing import cost_between, split
from careplan.models.funding import (
    ActionCost,
    ActionFunder,
    Arrangement,
    BudgetContribution,
    CareType,
    FundingKind,
    FundingPrinciple,
    FundingStatus,
    FundingStream,
    JointBudget,
    PersonalBudget,
)

#: The payer key of money the person pays themselves.
SELF = "self"
POOL = "pool:"


@dataclass(frozen=True, slots=True)
class FundedCost:
    """An action's cost with its funders, and whose action it is."""

    cost: ActionCost
    funders: tuple[ActionFunder, ...]
    person_id: str

    def parts(self, first: date, last: date) -> list[tuple[ActionFunder, int]]:
        """Each funder's pence between ``first`` and ``last``; they add up exactly."""
        amount = cost_between(self.cost, first, last)
        shares = split(amount, [f.share_bp for f in self.funders])
        return list(zip(self.funders, shares, strict=True))


def payer_of(stream: FundingStream) -> str:
    """Who answers for a stream's money: its agency's id, ``pool:<budget id>`` for a
    pooled fund (one pot, no partner answers alone), or ``self`` for self-funding."""
    if stream.kind is FundingKind.POOLED_FUND and stream.budget_id is not None:
        return POOL + stream.budget_id
    if stream.agency_id is not None:
        return stream.agency_id
    return SELF


def is_public(stream: FundingStream) -> bool:
    """Public money: everything but what people pay themselves."""
    return stream.kind is not FundingKind.SELF_FUNDED


@dataclass(slots=True)
class Totals:
    """Money between two dates, by payer, stream, principle and kind of care."""

    first: date
    last: date
    total: int = 0
    public: int = 0
    disputed: int = 0
    by_payer: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_stream: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_principle: dict[FundingPrinciple, int] = field(default_factory=lambda: defaultdict(int))
    by_care_type: dict[CareType, int] = field(default_factory=lambda: defaultdict(int))
    by_person: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def share_of(self, care_type: CareType) -> float | None:
        """The share of public money spent on one kind of care (None when no money)."""
        public = sum(self.by_care_type.values())
        return None if public == 0 else self.by_care_type.get(care_type, 0) / public


def totals(lines: Iterable[FundedCost], streams: Mapping[str, FundingStream],
           first: date, last: date) -> Totals:
    """Every line's money between ``first`` and ``last``, counted once in each view.

    ``by_care_type`` and ``by_principle`` count public money only; ``by_payer``,
    ``by_stream`` and ``by_person`` count all of it (self-funding under ``self``).
    """
    out = Totals(first, last)
    for line in lines:
        for funder, pence in line.parts(first, last):
            if not pence:
                continue
            stream = streams[funder.stream_id]
            out.total += pence
            out.by_payer[payer_of(stream)] += pence
            out.by_stream[stream.id] += pence
            out.by_person[line.person_id] += pence
            if line.cost.funding_status is FundingStatus.DISPUTED:
                out.disputed += pence
            if is_public(stream):
                out.public += pence
                out.by_principle[stream.principle] += pence
                out.by_care_type[line.cost.care_type] += pence
    return out


@dataclass(frozen=True, slots=True)
class PersonalBudgetPosition:
    """A personal budget's allocation against what its actions commit over its period.

    ``over_since`` is the start of the commitment that took it past its allocation.
    """

    budget: PersonalBudget
    committed: int
    over_since: date | None

    @property
    def allocation(self) -> int:
        return self.budget.allocation_pence

    @property
    def remaining(self) -> int:
        return self.allocation - self.committed

    @property
    def overcommitted(self) -> bool:
        return self.committed > self.allocation


def personal_budget_position(budget: PersonalBudget,
                             lines: Iterable[FundedCost]) -> PersonalBudgetPosition:
    """What the budget's share of each action costs over the budget's period."""
    first, last = budget.start_date, budget.last_day
    charges: list[tuple[date, str, int]] = []
    for line in lines:
        for funder, pence in line.parts(first, last):
            if funder.personal_budget_id == budget.id and pence:
                charges.append((line.cost.start_date, line.cost.id, pence))
    charges.sort()
    running = 0
    over_since = None
    for start, _, pence in charges:
        running += pence
        if over_since is None and running > budget.allocation_pence:
            over_since = max(start, first)
    return PersonalBudgetPosition(budget, running, over_since)


@dataclass(frozen=True, slots=True)
class PartnerPosition:
    """One partner of a joint budget: its contribution and (aligned only) its spend."""

    agency_id: str
    contributed: int
    spent_to_date: int | None
    forecast: int | None

    @property
    def variance(self) -> int | None:
        """Contribution less forecast spend: positive is an underspend."""
        return None if self.forecast is None else self.contributed - self.forecast


@dataclass(frozen=True, slots=True)
class JointBudgetPosition:
    """A pooled or aligned budget: contributions, spend to date, forecast, variance."""

    budget: JointBudget
    contributed: int
    spent_to_date: int
    forecast: int
    partners: tuple[PartnerPosition, ...]

    @property
    def variance(self) -> int:
        """Contributions less forecast spend for the period: positive is an underspend."""
        return self.contributed - self.forecast


def joint_budget_position(
    budget: JointBudget,
    contributions: Sequence[BudgetContribution],
    streams: Mapping[str, FundingStream],
    lines: Iterable[FundedCost],
    today: date,
) -> JointBudgetPosition:
    """Spend charged to the budget's streams within its period, up to ``today`` and for
    the whole period. An aligned budget also accounts each partner's own streams."""
    first, last = budget.period_start, budget.period_end
    to_date_last = min(today, last)
    mine = {s.id for s in streams.values() if s.budget_id == budget.id}
    spent = forecast = 0
    by_agency_spent: dict[str, int] = defaultdict(int)
    by_agency_forecast: dict[str, int] = defaultdict(int)
    for line in lines:
        if not any(f.stream_id in mine for f in line.funders):
            continue
        whole = dict((f.id, p) for f, p in line.parts(first, last))
        so_far = (dict((f.id, p) for f, p in line.parts(first, to_date_last))
                  if to_date_last >= first else {})
        for f in line.funders:
            if f.stream_id not in mine:
                continue
            agency = streams[f.stream_id].agency_id or ""
            spent += so_far.get(f.id, 0)
            forecast += whole[f.id]
            by_agency_spent[agency] += so_far.get(f.id, 0)
            by_agency_forecast[agency] += whole[f.id]
    contributed: dict[str, int] = defaultdict(int)
    for c in contributions:
        if c.budget_id == budget.id:
            contributed[c.agency_id] += c.amount_pence
    aligned = budget.arrangement is Arrangement.ALIGNED
    agencies = list(contributed) + (
        [a for a in by_agency_forecast if a not in contributed] if aligned else [])
    partners = tuple(
        PartnerPosition(agency_id, contributed.get(agency_id, 0),
                        by_agency_spent.get(agency_id, 0) if aligned else None,
                        by_agency_forecast.get(agency_id, 0) if aligned else None)
        for agency_id in agencies
    )
    return JointBudgetPosition(budget, sum(contributed.values()), spent, forecast, partners)
