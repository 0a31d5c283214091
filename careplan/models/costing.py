"""Money arithmetic on action costs, in integer pence: occurrences, annual cost, cost to
date, splitting a sum by shares so that the parts always add back to the whole.

A cost is charged once per occurrence: a one-off on its start date, a weekly cost every
7 days from its start, a monthly cost on the start's day of each month (the last day of
a shorter month). Counting occurrences is exact arithmetic, never a fraction of a year.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta

from careplan.models.funding import WHOLE, ActionCost, Frequency, year_after

#: Occurrences in a year, for the "full-year rate" of an open-ended cost.
PER_YEAR = {Frequency.ONE_OFF: 1, Frequency.WEEKLY: 52, Frequency.MONTHLY: 12}


def _month_day(start: date, k: int) -> date:
    """The ``k``-th monthly occurrence after ``start`` (its day, or the month's last)."""
    m = start.month - 1 + k
    year, month = start.year + m // 12, m % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def occurrences(cost: ActionCost, first: date, last: date) -> int:
    """How many times ``cost`` is charged between ``first`` and ``last`` inclusive."""
    lo = max(first, cost.start_date)
    hi = last if cost.end_date is None else min(last, cost.end_date)
    if lo > hi:
        return 0
    start = cost.start_date
    if cost.frequency is Frequency.ONE_OFF:
        return 1 if lo <= start <= hi else 0
    if cost.frequency is Frequency.WEEKLY:
        k_min = -(-(lo - start).days // 7)
        k_max = (hi - start).days // 7
        return max(0, k_max - k_min + 1)
    # Monthly: the month difference is the answer to within one, either way.
    k_min = (lo.year - start.year) * 12 + lo.month - start.month
    if _month_day(start, k_min) < lo:
        k_min += 1
    k_max = (hi.year - start.year) * 12 + hi.month - start.month
    if _month_day(start, k_max) > hi:
        k_max -= 1
    return max(0, k_max - k_min + 1)


def cost_between(cost: ActionCost, first: date, last: date) -> int:
    """Pence charged between ``first`` and ``last`` inclusive."""
    return cost.unit_cost_pence * occurrences(cost, first, last)


def annual_cost(cost: ActionCost, year_start: date) -> int:
    """Pence charged in the 12 months from ``year_start`` (a partial year when the cost
    starts or ends inside them)."""
    return cost_between(cost, year_start, year_after(year_start) - timedelta(days=1))


def cost_to_date(cost: ActionCost, today: date) -> int:
    """Pence charged from the cost's start up to and including ``today``."""
    return cost_between(cost, cost.start_date, today)


def full_year_rate(cost: ActionCost) -> int:
    """What the cost comes to over a whole year at its frequency (a one-off once)."""
    return cost.unit_cost_pence * PER_YEAR[cost.frequency]


def financial_year(day: date) -> tuple[date, date]:
    """The UK public-sector financial year (1 April to 31 March) holding ``day``."""
    start = date(day.year if day.month >= 4 else day.year - 1, 4, 1)
    return start, date(start.year + 1, 3, 31)


def split(amount: int, shares_bp: Sequence[int]) -> list[int]:
    """``amount`` pence split by shares (basis points adding up to 100%), each part
    rounded down and the pennies left over given to the largest remainders first, so
    the parts add up to ``amount`` exactly."""
    if not shares_bp:
        return []
    parts = [amount * s // WHOLE for s in shares_bp]
    left = amount - sum(parts)
    order = sorted(range(len(shares_bp)), key=lambda i: (-(amount * shares_bp[i] % WHOLE), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def pounds(pence: int) -> str:
    """``123456`` -> ``£1,234.56``; negative sums keep their sign in front."""
    sign = "-" if pence < 0 else ""
    whole, rest = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{rest:02d}"


def whole_pounds(pence: int) -> str:
    """``123456`` -> ``£1,235`` (rounded half up), for summaries."""
    sign = "-" if pence < 0 else ""
    return f"{sign}£{(abs(pence) + 50) // 100:,}"
