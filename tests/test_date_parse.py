"""Dates typed the UK way (careplan.models.dates.parse_uk_date): every date written in
each accepted form reads back as itself, and a date that does not exist is refused with
one sentence naming the field, never moved to another day."""

from __future__ import annotations

from calendar import monthrange
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careplan.models.dates import parse_uk_date, uk_date
from careplan.ui.text import parse_date

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

#: Each accepted way of writing a date.
FORMS = {
    "dd/mm/yyyy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
    "d/m/yyyy": lambda d: f"{d.day}/{d.month}/{d.year:04d}",
    "d.m.yyyy": lambda d: f"{d.day}.{d.month}.{d.year:04d}",
    "dd-mm-yyyy": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year:04d}",
    "d Mon yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year:04d}",
    "d Month yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year:04d}",
    "dd MONTH yyyy": lambda d: f"{d.day:02d} {MONTHS[d.month - 1].upper()} {d.year:04d}",
    "dth month, yyyy": lambda d: f"{d.day}th {MONTHS[d.month - 1].lower()}, {d.year:04d}",
    "iso": lambda d: d.isoformat(),
    "shown": uk_date,
}

days = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))


@given(day=days, form=st.sampled_from(sorted(FORMS)))
def test_every_date_in_every_accepted_form_reads_back_as_itself(day: date, form: str) -> None:
    typed = FORMS[form](day)
    assert parse_uk_date(typed, "due date") == day
    assert parse_uk_date(f"  {typed}  ", "due date") == day  # spaces around are no matter
    assert parse_date(typed, "due date") == day  # the app's forms read it the same way


@given(year=st.integers(1000, 9999), month=st.integers(1, 12), extra=st.integers(1, 5),
       slashes=st.booleans())
def test_a_day_the_month_does_not_have_is_refused_never_moved(
        year: int, month: int, extra: int, slashes: bool) -> None:
    last = monthrange(year, month)[1]
    day = last + extra
    if day > 99:
        return
    typed = (f"{day}/{month}/{year}" if slashes
             else f"{day} {MONTHS[month - 1][:3]} {year}")
    with pytest.raises(ValueError) as refused:
        parse_uk_date(typed, "due date")
    message = str(refused.value)
    assert message.startswith(f"due date: {typed!r} is not a date")
    assert f"{MONTHS[month - 1]} {year} has {last} days" in message
    assert message.count(".") <= 1 and "\n" not in message  # one sentence


@pytest.mark.parametrize(("typed", "why"), [
    ("31 Feb", "the year is missing"),
    ("31/2", "the year is missing"),
    ("15/11/26", "write the year in four digits"),
    ("0/1/2026", "there is no day 0"),
    ("1/13/2026", "there is no month 13"),
    ("15 Novembre 2026", "'Novembre' is not a month"),
    ("2026-02-30", "February 2026 has 28 days"),
    ("next Tuesday", "write it as 15/11/2026 or 15 Nov 2026"),
    ("15 11 2026", "write it as 15/11/2026 or 15 Nov 2026"),
])
def test_each_refusal_names_the_field_and_says_why(typed: str, why: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_uk_date(typed, "discharged on")
    assert str(refused.value).startswith(f"discharged on: {typed!r} is not a date")
    assert why in str(refused.value)


def test_the_issues_examples() -> None:
    """"15 Nov 2026" is 15 November (a calendar field made it 1 Nov); 31 February is
    refused (it was made 28 February); 29 February only in a leap year."""
    assert parse_uk_date("15 Nov 2026", "date") == date(2026, 11, 15)
    assert parse_uk_date("15 November 2026", "date") == date(2026, 11, 15)
    assert parse_uk_date("29/02/2024", "date") == date(2024, 2, 29)
    for typed in ("31 Feb 2026", "31/02/2026", "29/02/2025"):
        with pytest.raises(ValueError, match="is not a date"):
            parse_uk_date(typed, "date")


def test_empty_is_no_date() -> None:
    assert parse_uk_date("", "date") is None
    assert parse_uk_date("   ", "date") is None
