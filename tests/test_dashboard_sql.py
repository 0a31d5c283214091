"""The dashboard's figures counted in SQL equal the Python computation they replaced
(kept here as the oracle) on demo stores, on days spread over two years."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan.demo.build import build_demo
from careplan.store import Store
from careplan.store import dashboard as figures
from careplan.store.dashboard import DELAY_BUCKETS, Bar, _bars, _bucket
from careplan.store.flagdata import caseload_flags

BUILT_ON = date(2025, 3, 10)
DAYS = st.integers(min_value=-400, max_value=400).map(lambda n: BUILT_ON + timedelta(days=n))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A demo store of 400 persons, open for the whole module."""
    path = tmp_path_factory.mktemp("dashboard") / "demo.db"
    store = Store.open(path)
    build_demo(store, persons=400, seed=5, today=BUILT_ON, parallel=False)
    yield store
    store.close()


# -- the oracle: the Python computation the SQL replaced ------------------------------------


def old_birthdays(store: Store, today: date) -> list[Bar]:
    end = today + timedelta(days=365)
    rows = store.conn.execute(
        "SELECT id, date(birth_date, '+18 years') AS d FROM persons "
        "WHERE date(birth_date, '+18 years') > ? AND date(birth_date, '+18 years') <= ?",
        (today.isoformat(), end.isoformat()))
    groups: dict[str, list[str]] = defaultdict(list)
    for person_id, day in rows:
        groups[date.fromisoformat(day).strftime("%b %Y")].append(person_id)
    months = []
    y, m = today.year, today.month
    for _ in range(13):
        months.append(date(y, m, 1).strftime("%b %Y"))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return _bars(groups, [label for label in months if label in groups] or [])


def old_delays(store: Store, today: date) -> tuple[list[Bar], list[Bar]]:
    by_days: dict[str, list[str]] = defaultdict(list)
    by_agency: dict[str, list[str]] = defaultdict(list)
    rows: list[dict[str, Any]] = store.query(
        "SELECT h.id, h.person_id, h.discharge_ready_on FROM hospital_stays h "
        "WHERE h.discharged_on IS NULL AND h.discharge_ready_on IS NOT NULL "
        "AND h.discharge_ready_on < ?", (today.isoformat(),))
    owners: dict[str, set[str]] = defaultdict(set)
    for stay_id, agency in store.conn.execute(
            "SELECT d.stay_id, a.name FROM delay_reasons d "
            "JOIN agencies a ON a.id = d.owner_agency_id"):
        owners[stay_id].add(agency)
    for row in rows:
        days = (today - date.fromisoformat(row["discharge_ready_on"])).days
        label = _bucket(days, DELAY_BUCKETS)
        if label:
            by_days[label].append(row["person_id"])
        for agency in owners.get(row["id"]) or {"no reason recorded"}:
            by_agency[agency].append(row["person_id"])
    return _bars(by_days, [b[2] for b in DELAY_BUCKETS]), _bars(by_agency)


def old_flag_bars(store: Store, today: date, flags: list[Any]) -> tuple[list[Bar], list[Bar]]:
    agencies = figures.team_agencies(store, today)
    by_code: dict[str, list[str]] = defaultdict(list)
    by_agency: dict[str, list[str]] = defaultdict(list)
    for flag in flags:
        code = str(getattr(flag.code, "value", flag.code))
        by_code[code].append(flag.person_id)
        for agency in agencies.get(flag.person_id, ()):
            by_agency[agency].append(flag.person_id)
    return _bars(by_code), _bars(by_agency)


# -- the comparisons ------------------------------------------------------------------------


def _as_tuples(bars: list[Bar]) -> list[tuple[str, float, list[str]]]:
    return [(b.label, b.value, b.person_ids) for b in bars]


def _by_count(bars: list[Bar]) -> list[tuple[str, float, list[str]]]:
    """Bars ordered by count, ties by label: the old order of ties among agency names
    followed the order of a Python set, so only the counts' order is compared."""
    return sorted(_as_tuples(bars), key=lambda t: (-t[1], t[0]))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def everyone(store: Store) -> set[str]:
    """Every person (the old figures counted them all)."""
    return {str(r[0]) for r in store.conn.execute("SELECT id FROM persons")}


@given(today=DAYS)
def test_birthdays_and_delays_counted_in_sql_equal_the_old_figures(
        demo: Store, today: date) -> None:
    assert _as_tuples(figures.eighteenth_birthdays(demo, today, everyone(demo))) == \
        _as_tuples(old_birthdays(demo, today))
    new_days, new_agency = figures.delayed_discharges(demo, today, everyone(demo))
    old_days, old_agency = old_delays(demo, today)
    assert _as_tuples(new_days) == _as_tuples(old_days)
    assert _as_tuples(new_agency) == _by_count(old_agency)
    assert [b.value for b in new_agency] == [b.value for b in old_agency]


def test_the_demo_has_something_to_count(demo: Store) -> None:
    # The comparisons above are not of empty charts.
    by_days, by_agency = figures.delayed_discharges(demo, BUILT_ON, everyone(demo))
    assert sum(b.value for b in by_days) > 0 and len(by_agency) > 1
    assert figures.eighteenth_birthdays(demo, BUILT_ON, everyone(demo))
    # Of no one visible, nothing is counted.
    assert figures.eighteenth_birthdays(demo, BUILT_ON, set()) == []
    assert figures.delayed_discharges(demo, BUILT_ON, set())[1] == []


@pytest.mark.parametrize("shift", [0, 45, 200])
def test_flag_bars_equal_the_old_figures(demo: Store, shift: int) -> None:
    today = BUILT_ON + timedelta(days=shift)
    flags = caseload_flags(demo, today)
    assert flags
    old_code, old_agency = old_flag_bars(demo, today, flags)
    assert _as_tuples(figures.flags_by_code(flags)) == _as_tuples(old_code)
    new_agency = figures.flags_by_agency(demo, today, flags)
    assert _as_tuples(new_agency) == _by_count(old_agency)
    top = figures.flags_by_agency(demo, today, flags, limit=10)
    assert _as_tuples(top) == _by_count(old_agency)[:10]
    # The top 10 counts are those the old dashboard showed (names may differ in a tie).
    assert [b.value for b in top] == [b.value for b in old_agency[:10]]


def test_no_flags_no_agency_bars(demo: Store) -> None:
    assert figures.flags_by_agency(demo, BUILT_ON, []) == []
    assert figures.flags_by_code([]) == []
