"""Calendar rules shared by validation and flags. "Today" is always passed in."""

from __future__ import annotations

import re
from calendar import monthrange
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


# -- dates as people type and read them (UK) ---------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
#: Month names as typed: the full name, its first three letters, and "Sept".
_MONTH_NUMBER: dict[str, int] = {
    **{name.casefold(): n for n, name in enumerate(_MONTHS, 1)},
    **{name[:3].casefold(): n for n, name in enumerate(_MONTHS, 1)},
    "sept": 9,
}
#: How a date may be typed, shown in every refusal.
DATE_FORMS = "15/11/2026 or 15 Nov 2026"

_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d+)$", re.ASCII)
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([^\W\d_]+)\.?,?\s+(\d+)$",
                    re.ASCII | re.IGNORECASE)
_NO_YEAR = re.compile(r"^\d{1,2}(?:(?:st|nd|rd|th)?\s+[^\W\d_]+\.?|[/.\-]\d{1,2})$",
                      re.ASCII | re.IGNORECASE)


def month_number(name: str) -> int | None:
    """The month a typed name means ("Mar", "march", "Sept": 3, 3, 9), or None."""
    return _MONTH_NUMBER.get(name.casefold())


def uk_date(day: date) -> str:
    """``2 Jun 2025``: how CarePlan shows a date (and reads it back)."""
    return f"{day.day} {_MONTHS[day.month - 1][:3]} {day.year:04d}"


def parse_uk_date(text: str, field: str) -> date | None:
    """A date as typed in the UK: ``15/11/2026``, ``5/1/2026``, ``15.11.2026``,
    ``15-11-2026``, ``15 Nov 2026``, ``15 November 2026`` (``15th``, ``Sept`` and a
    comma after the month too), or ISO ``2026-11-15``; empty text is no date (None).

    The date is exactly the one typed, or none: a day the month does not have, a
    two-digit year or a missing part is refused, never moved to a date that exists.

    Raises:
        ValueError: one sentence naming ``field`` and saying why.
    """
    raw = " ".join(text.split())
    if not raw:
        return None
    if m := _ISO.match(raw):
        return _checked(int(m[1]), int(m[2]), int(m[3]), raw, field)
    if m := _NUMERIC.match(raw):
        return _checked(_year(m[4], raw, field), int(m[3]), int(m[1]), raw, field)
    if m := _WORDS.match(raw):
        month = _MONTH_NUMBER.get(m[2].casefold())
        if month is None:
            raise ValueError(f"{field}: {raw!r} is not a date ({m[2]!r} is not a month; "
                             f"write it as {DATE_FORMS})")
        return _checked(_year(m[3], raw, field), month, int(m[1]), raw, field)
    if _NO_YEAR.match(raw):
        raise ValueError(f"{field}: {raw!r} is not a date (the year is missing; write it "
                         f"as {DATE_FORMS})")
    raise ValueError(f"{field}: {raw!r} is not a date (write it as {DATE_FORMS})")


def _year(digits: str, raw: str, field: str) -> int:
    if len(digits) != 4:
        raise ValueError(f"{field}: {raw!r} is not a date (write the year in four digits, "
                         f"as in {DATE_FORMS})")
    return int(digits)


def _checked(year: int, month: int, day: int, raw: str, field: str) -> date:
    if not 1 <= month <= 12:
        raise ValueError(f"{field}: {raw!r} is not a date (there is no month {month}; "
                         f"write it as {DATE_FORMS})")
    if year < 1:
        raise ValueError(f"{field}: {raw!r} is not a date (there is no year 0)")
    if day < 1:
        raise ValueError(f"{field}: {raw!r} is not a date (there is no day 0)")
    last = monthrange(year, month)[1]
    if day > last:
        raise ValueError(f"{field}: {raw!r} is not a date ({_MONTHS[month - 1]} {year} "
                         f"has {last} days)")
    return date(year, month, day)
