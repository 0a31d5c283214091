"""Calendar rules shared by validation and flags. "Today" is always passed in."""

from __future__ import annotations

from datetime import date


def birthday_in(year: int, birth: date) -> date:
    """The birthday reached in ``year``. 29 February is reached on 1 March otherwise."""
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        return date(year, 3, 1)


def nth_birthday(birth: date, n: int) -> date:
    """The date the person turns ``n``."""
    return birthday_in(birth.year + n, birth)


def age_on(birth: date, today: date) -> int:
    """Completed years on ``today``."""
    years = today.year - birth.year
    return years - 1 if today < birthday_in(today.year, birth) else years


def school_year_start(day: date) -> date:
    """1 September of the English school year (1 Sep - 31 Aug) containing ``day``."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)
