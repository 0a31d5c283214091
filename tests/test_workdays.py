"""Working days: weekends and England and Wales bank holidays are skipped."""

from __future__ import annotations

from datetime import date

import pytest

from careplan.models.workdays import ENGLAND_AND_WALES, WorkingDays

D = date
CAL = ENGLAND_AND_WALES


def test_weekends_are_skipped() -> None:
    assert CAL.add(D(2025, 3, 7), 1) == D(2025, 3, 10)  # Friday -> Monday
    assert CAL.add(D(2025, 3, 8), 1) == D(2025, 3, 10)  # Saturday -> Monday
    assert CAL.add(D(2025, 3, 3), 5) == D(2025, 3, 10)
    assert CAL.add(D(2025, 3, 3), 0) == D(2025, 3, 3)


def test_bank_holidays_are_skipped() -> None:
    # Easter 2025: Good Friday 18 April and Easter Monday 21 April.
    assert not CAL.is_working_day(D(2025, 4, 18))
    assert not CAL.is_working_day(D(2025, 4, 21))
    assert CAL.add(D(2025, 4, 17), 1) == D(2025, 4, 22)
    # Christmas Day and Boxing Day 2025 fall on Thursday and Friday.
    assert CAL.add(D(2025, 12, 24), 1) == D(2025, 12, 29)
    # A one-off bank holiday: the coronation, Monday 8 May 2023.
    assert CAL.add(D(2023, 5, 5), 1) == D(2023, 5, 9)


def test_scottish_holidays_are_not_english_ones() -> None:
    # 2 January is a bank holiday in Scotland only.
    assert CAL.is_working_day(D(2025, 1, 2))
    assert not WorkingDays(subdiv="SCT").is_working_day(D(2025, 1, 2))


def test_between_counts_working_days_after_start_up_to_end() -> None:
    assert CAL.between(D(2025, 3, 3), D(2025, 3, 5)) == 2
    assert CAL.between(D(2025, 4, 17), D(2025, 4, 22)) == 1
    assert CAL.between(D(2025, 3, 5), D(2025, 3, 3)) == 0
    for n in range(12):
        assert CAL.between(D(2025, 4, 14), CAL.add(D(2025, 4, 14), n)) == n


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="working days"):
        CAL.add(D(2025, 3, 3), -1)
