"""Who pays for each action: funding streams, costs, funders' shares, personal budgets,
and pooled and aligned budgets (Section 75 of the NHS Act 2006).

Money is integer pence throughout (never floats); shares are basis points (10,000 = 100%).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from careplan.models.base import Entity, not_before, require_text

#: A whole share in basis points: funders' shares of an action add up to this.
WHOLE = 10_000


class FundingKind(StrEnum):
    NHS = "NHS"
    COUNCIL_ADULT_SOCIAL_CARE = "council adult social care"
    COUNCIL_CHILDRENS_SERVICES = "council children's services"
    CONTINUING_HEALTHCARE = "NHS continuing healthcare"
    POOLED_FUND = "pooled fund (Section 75)"
    PERSONAL_BUDGET = "personal budget"
    DIRECT_PAYMENT = "direct payment"
    PERSONAL_HEALTH_BUDGET = "personal health budget"
    INDEPENDENT_LIVING_FUND = "Independent Living Fund"
    DISABLED_FACILITIES_GRANT = "Disabled Facilities Grant"
    ACCESS_TO_WORK = "Access to Work"
    SUPPORTING_PEOPLE = "Supporting People"
    VOLUNTARY = "voluntary"
    SELF_FUNDED = "self-funded"


class FundingPrinciple(StrEnum):
    FREE = "free at the point of use"
    MEANS_TESTED = "means-tested"
    GRANT = "grant"


#: The usual principle of each kind (a pooled fund takes whatever its partners agreed).
USUAL_PRINCIPLE: dict[FundingKind, FundingPrinciple] = {
    FundingKind.NHS: FundingPrinciple.FREE,
    FundingKind.COUNCIL_ADULT_SOCIAL_CARE: FundingPrinciple.MEANS_TESTED,
    FundingKind.COUNCIL_CHILDRENS_SERVICES: FundingPrinciple.FREE,
    FundingKind.CONTINUING_HEALTHCARE: FundingPrinciple.FREE,
    FundingKind.POOLED_FUND: FundingPrinciple.FREE,
    FundingKind.PERSONAL_BUDGET: FundingPrinciple.MEANS_TESTED,
    FundingKind.DIRECT_PAYMENT: FundingPrinciple.MEANS_TESTED,
    FundingKind.PERSONAL_HEALTH_BUDGET: FundingPrinciple.FREE,
    FundingKind.INDEPENDENT_LIVING_FUND: FundingPrinciple.GRANT,
    FundingKind.DISABLED_FACILITIES_GRANT: FundingPrinciple.GRANT,
    FundingKind.ACCESS_TO_WORK: FundingPrinciple.GRANT,
    FundingKind.SUPPORTING_PEOPLE: FundingPrinciple.GRANT,
    FundingKind.VOLUNTARY: FundingPrinciple.GRANT,
    FundingKind.SELF_FUNDED: FundingPrinciple.MEANS_TESTED,
}


class Frequency(StrEnum):
    ONE_OFF = "one-off"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class FundingStatus(StrEnum):
    AGREED = "agreed"
    PENDING = "pending"
    DISPUTED = "disputed"


class CareType(StrEnum):
    """Where the money goes: prevention, response to a crisis, or a bed."""

    PREVENTIVE = "preventive"
    REACTIVE = "reactive"
    INSTITUTIONAL = "institutional"


class TakenAs(StrEnum):
    """How a person takes their personal budget."""

    DIRECT_PAYMENT = "direct payment"
    MANAGED_ACCOUNT = "managed account"
    COUNCIL_MANAGED = "council-managed"


class Arrangement(StrEnum):
    """A pooled budget is one pot; an aligned one keeps each partner's share apart."""

    POOLED = "pooled"
    ALIGNED = "aligned"


def _not_negative(value: int, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name}: must not be negative, got {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class JointBudget(Entity):
    """A pooled or aligned budget of one neighbourhood for one period (usually a
    financial year), under a partnership agreement (NHS Act 2006 s.75)."""

    TABLE = "joint_budgets"
    NOUN = "joint budget"

    name: str
    arrangement: Arrangement
    neighbourhood: str
    period_start: date
    period_end: date
    legal_basis: str = "NHS Act 2006, section 75 partnership agreement"
    host_agency_id: str | None = None

    def validate(self) -> None:
        require_text(self.name, "name")
        not_before(self.period_end, self.period_start, "period_end", "period_start")


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetContribution(Entity):
    """What one partner puts into a joint budget for its period."""

    TABLE = "budget_contributions"
    NOUN = "budget contribution"

    budget_id: str
    agency_id: str
    amount_pence: int

    def validate(self) -> None:
        _not_negative(self.amount_pence, "amount")


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingStream(Entity):
    """A source of money: owned by one agency, or drawn from a joint budget.

    A pooled fund stream draws on a pooled budget (its partners are the budget's
    contributors); an aligned budget has one stream per partner, each owned by that
    partner and linked to the budget, so each partner's spend stays accountable.
    """

    TABLE = "funding_streams"
    NOUN = "funding stream"

    name: str
    kind: FundingKind
    principle: FundingPrinciple
    agency_id: str | None = None
    budget_id: str | None = None

    def validate(self) -> None:
        require_text(self.name, "name")
        if self.kind is FundingKind.POOLED_FUND and self.budget_id is None:
            raise ValueError("budget: a pooled fund stream draws on a pooled budget; "
                             "choose the budget")
        if self.agency_id is None and self.kind not in (FundingKind.POOLED_FUND,
                                                        FundingKind.SELF_FUNDED):
            raise ValueError(f"agency: a {self.kind.value} stream needs the agency that "
                             "owns it")


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionCost(Entity):
    """What an action costs and how often, its kind of care, and whether its funding
    is agreed. Cost lines are charged for each occurrence (weekly, monthly or once)."""

    TABLE = "action_costs"
    NOUN = "action cost"

    action_id: str
    unit_cost_pence: int
    frequency: Frequency
    start_date: date
    end_date: date | None = None
    care_type: CareType = CareType.REACTIVE
    funding_status: FundingStatus = FundingStatus.PENDING
    disputed_since: date | None = None
    #: The agencies arguing over who pays (two or more).
    disputed_by: tuple[str, ...] = ()
    note: str = ""

    def validate(self) -> None:
        _not_negative(self.unit_cost_pence, "unit cost")
        not_before(self.end_date, self.start_date, "end_date", "start_date")
        if self.funding_status is FundingStatus.DISPUTED:
            if self.disputed_since is None:
                raise ValueError("disputed since: is required when the funding is disputed")
            if len(set(self.disputed_by)) < 2:
                raise ValueError("disputed by: name the two or more agencies in dispute")
        elif self.disputed_since is not None or self.disputed_by:
            raise ValueError(f"disputed since: only a disputed funding has one (the funding "
                             f"is {self.funding_status.value})")

    def period_end(self, default: date) -> date:
        """The last day charged: the end date, or ``default`` when open-ended."""
        return self.end_date if self.end_date is not None else default


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionFunder(Entity):
    """One funder's share of an action's cost, in basis points (2,500 = 25%).

    ``personal_budget_id`` is set when the money comes out of the person's personal
    budget (the stream is then one of those the budget combines).
    """

    TABLE = "action_funders"
    NOUN = "funder"

    cost_id: str
    stream_id: str
    share_bp: int
    personal_budget_id: str | None = None

    def validate(self) -> None:
        if not 0 < self.share_bp <= WHOLE:
            raise ValueError(f"share: must be more than 0% and at most 100%, got "
                             f"{percent(self.share_bp)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalBudget(Entity):
    """A person's personal (or individual) budget: the indicative allocation for its
    period, the streams it combines and how the person takes it."""

    TABLE = "personal_budgets"
    NOUN = "personal budget"

    person_id: str
    allocation_pence: int
    stream_ids: tuple[str, ...]
    taken_as: TakenAs
    start_date: date
    end_date: date | None = None

    def validate(self) -> None:
        _not_negative(self.allocation_pence, "allocation")
        if not self.stream_ids:
            raise ValueError("streams: a personal budget combines one or more funding streams")
        not_before(self.end_date, self.start_date, "end_date", "start_date")

    @property
    def last_day(self) -> date:
        """The end date, or a year after the start when none is set."""
        if self.end_date is not None:
            return self.end_date
        return year_after(self.start_date) - timedelta(days=1)

    def active_on(self, day: date) -> bool:
        return self.start_date <= day <= self.last_day


def year_after(day: date) -> date:
    """The same day a year later (29 February -> 1 March)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def percent(bp: int) -> str:
    """Basis points as a percentage: ``2500`` -> ``25%``, ``3333`` -> ``33.33%``."""
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}%"


def check_shares(shares: Iterable[int]) -> None:
    """Refuse funders' shares that do not add up to exactly 100%.

    Raises:
        ValueError: naming the field ("shares") and what they add up to.
    """
    values = list(shares)
    if not values:
        raise ValueError("shares: an action's cost needs at least one funder")
    total = sum(values)
    if total != WHOLE:
        raise ValueError(f"shares: the funders' shares add up to {percent(total)}; "
                         "they must add up to 100%")


def _decimal(text: str, name: str, what: str, strip: str) -> Decimal:
    cleaned = text.strip().replace(",", "").replace(" ", "")
    for mark in strip:
        cleaned = cleaned.replace(mark, "", 1) if cleaned.count(mark) == 1 else cleaned
    if not cleaned:
        raise ValueError(f"{name}: is required ({what})")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{name}: {text.strip()!r} is not {what}") from None
    if not value.is_finite():
        raise ValueError(f"{name}: {text.strip()!r} is not {what}")
    return value


def parse_pounds(text: str, name: str) -> int:
    """An amount typed in pounds as integer pence: ``"£1,250.50"`` -> ``125050``.

    Raises:
        ValueError: naming the field, when it is empty, not an amount, negative or has
            fractions of a penny.
    """
    value = _decimal(text, name, "an amount in pounds, e.g. 250 or £1,250.50", "£")
    if value < 0:
        raise ValueError(f"{name}: must not be negative, got {text.strip()}")
    pence = value * 100
    if pence != pence.to_integral_value():
        raise ValueError(f"{name}: {text.strip()} has fractions of a penny")
    return int(pence)


def parse_share(text: str, name: str = "share") -> int:
    """A funder's share typed as a percentage, in basis points: ``"33.33%"`` -> ``3333``.

    Raises:
        ValueError: naming the field, when it is not a percentage more than 0 and at most
            100 with at most two decimals.
    """
    value = _decimal(text, name, "a percentage, e.g. 50 or 33.33", "%")
    bp = value * 100
    if bp != bp.to_integral_value():
        raise ValueError(f"{name}: {text.strip()} has more than two decimals")
    if not 0 < bp <= WHOLE:
        raise ValueError(f"{name}: must be more than 0% and at most 100%, got {text.strip()}")
    return int(bp)
