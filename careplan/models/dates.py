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


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months; a day the month lacks becomes its last
    (31 January + 1 month = 28 or 29 February; 29 February + 12 months = 28 February),
    so a deadline "within N months" never lands later than the month allows."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))
