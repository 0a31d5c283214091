"""How values read on screen: dates the British way, NHS numbers 3-3-4, ages."""

from __future__ import annotations

from datetime import date, datetime

from careplan.models import nhs
from careplan.models.dates import age_on


def fmt_date(day: date | None) -> str:
    """``2 Jun 2025``; empty for no date."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.date()
    return f"{day.day} {day:%b %Y}"


def fmt_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{fmt_date(moment.date())} {moment:%H:%M}"


def fmt_nhs(number: str | None) -> str:
    return nhs.format_334(number) if number else ""


def age_text(birth: date, today: date) -> str:
    return str(age_on(birth, today))


def days_text(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def parse_date(text: str, field: str) -> date | None:
    """A date typed as 2025-06-02 or 2 Jun 2025; empty means none.

    Raises:
        ValueError: naming ``field`` when the text is not a date.
    """
    raw = text.strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{field}: {raw!r} is not a date (write it as 2 Jun 2025 or 2025-06-02)")
