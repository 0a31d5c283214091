"""Working days: Monday to Friday, skipping England and Wales bank holidays.

Deadlines such as "answer within 2 working days" count working days *after* a date:
a handoff proposed on a Friday with 2 working days to answer must be answered by the
Tuesday (or the Wednesday when that Monday is a bank holiday).

Bank holidays come from the ``holidays`` package (``GB``, subdivision ``ENG``; Wales
has the same bank holidays as England). They are read once per year into a plain set,
because each lookup in a ``holidays`` calendar is far slower than a set lookup.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays

_ONE_DAY = timedelta(days=1)


class WorkingDays:
    """A working-day calendar for one part of the UK (England and Wales by default)."""

    def __init__(self, country: str = "GB", subdiv: str = "ENG") -> None:
        self.country = country
        self.subdiv = subdiv
        self._years: set[int] = set()
        self._holidays: set[date] = set()
        self._add_cache: dict[tuple[date, int], date] = {}

    def _load(self, year: int) -> None:
        calendar = holidays.country_holidays(self.country, subdiv=self.subdiv, years=year)
        self._holidays.update(d for d in calendar if d.year == year)
        self._years.add(year)

    def is_bank_holiday(self, day: date) -> bool:
        if day.year not in self._years:
            self._load(day.year)
        return day in self._holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_bank_holiday(day)

    def add(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself when ``n`` is 0).

        Raises:
            ValueError: ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"working days: expected 0 or more, got {n}")
        key = (start, n)
        found = self._add_cache.get(key)
        if found is not None:
            return found
        day = start
        left = n
        while left:
            day += _ONE_DAY
            if self.is_working_day(day):
                left -= 1
        self._add_cache[key] = day
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


#: The calendar the rules use unless told otherwise.
ENGLAND_AND_WALES = WorkingDays()
