"""How values read on screen: dates the British way, NHS numbers 3-3-4, ages."""

from __future__ import annotations

from datetime import date, datetime

from careplan.models import nhs
from careplan.models.dates import age_on, parse_uk_date, uk_date
from careplan.ui import plurals


def fmt_date(day: date | None) -> str:
    """``2 Jun 2025``; empty for no date."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.date()
    return uk_date(day)


def fmt_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{fmt_date(moment.date())} {moment:%H:%M}"


def fmt_nhs(number: str | None) -> str:
    return nhs.format_334(number) if number else ""


def age_text(birth: date, today: date) -> str:
    return str(age_on(birth, today))


def days_text(days: int) -> str:
    """"1 day", "3 days"."""
    return plurals.count("text", "%Ln day(s)", days)


def parse_date(text: str, field: str) -> date | None:
    """A date typed the UK way (15/11/2026, 15 Nov 2026, 15 November 2026, or
    2026-11-15); empty means none. Exactly the date typed, or a refusal: never another
    day (careplan.models.dates.parse_uk_date).

    Raises:
        ValueError: naming ``field`` when the text is not a date.
    """
    return parse_uk_date(text, field)


def one_line(value: str, limit: int) -> str:
    """``value`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"
