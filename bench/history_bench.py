"""History tab benchmark: one person's audit trail in the 1,000, 10,000 and 50,000-person
demo stores (a million audit events at 50,000 persons).

The History tab reads the audit events of every row in the person's file
(``person_history``). Its baseline, measured in the same run, is reading those rows
themselves by id from their tables, as plain SQL: the trail should cost about what the
rows it describes cost, whatever the size of the store. Target: at most 100 ms at 50,000
persons, and at most 3 times the baseline.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import stores
from bench.report import Figure
from careplan.models.base import Entity
from careplan.store import Store
from careplan.store.person_file import PersonFile, load_person_file, person_history

RUNS = 5
#: Persons timed in each store, spread evenly over the order they were written in (the
#: first written have the oldest events, which a scan from the newest reaches last).
SAMPLE = 9
WHAT = "History tab (person's audit trail)"
BASELINE = "the person's own rows read by id"
WHY = ("without an index led by entity_id, SQLite walks the audit log from the newest "
       "event back until it has found the person's, so the oldest persons cost a scan of "
       "the whole log.")


def _seconds(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def own_rows(store: Store, pf: PersonFile) -> int:
    """The rows of the person's file read by id from their tables, as plain rows."""
    by_table: dict[str, list[str]] = {}
    groups: list[list[Entity]] = [
        [pf.person], list(pf.team), list(pf.consents), list(pf.conditions), list(pf.plans),
        list(pf.needs), list(pf.outcomes), list(pf.actions), list(pf.signoffs),
        list(pf.handoffs), list(pf.referrals), list(pf.stays), list(pf.conferences),
        [e for events in pf.referral_events.values() for e in events],
        [r for reasons in pf.delay_reasons.values() for r in reasons],
    ]
    for group in groups:
        for entity in group:
            by_table.setdefault(entity.TABLE, []).append(entity.id)
    n = 0
    for table, ids in by_table.items():
        marks = ", ".join("?" for _ in ids)
        n += len(store.conn.execute(f"SELECT * FROM {table} WHERE id IN ({marks})",
                                    ids).fetchall())
    return n


def sample(store: Store) -> list[str]:
    """SAMPLE person ids, evenly spaced in the order they were written."""
    (count,) = store.conn.execute("SELECT count(*) FROM persons").fetchone()
    step = max(1, count // SAMPLE)
    rows = store.conn.execute("SELECT id FROM persons ORDER BY rowid").fetchall()
    return [str(r[0]) for r in rows[::step][:SAMPLE]]


def measure(persons: int) -> Figure:
    """Median per person of the History tab and of its baseline; print the details."""
    store = Store.open(stores.demo_store(persons), create=False)
    files = [load_person_file(store, pid, viewer=stores.lead_reader(store, pid),
                              today=stores.TODAY) for pid in sample(store)]
    for pf in files:  # warm the page cache for both sides alike
        own_rows(store, pf)
        person_history(store, pf)
    history, baseline, events, rows = [], [], 0, 0
    for pf in files:
        history.append(statistics.median(
            _seconds(functools.partial(person_history, store, pf)) for _ in range(RUNS)))
        baseline.append(statistics.median(
            _seconds(functools.partial(own_rows, store, pf)) for _ in range(RUNS)))
        events += len(person_history(store, pf))
        rows += own_rows(store, pf)
    (log,) = store.conn.execute("SELECT max(seq) FROM audit_events").fetchone()
    store.close()
    value, base = statistics.median(history), statistics.median(baseline)
    print(f"  {persons:>6,} persons, {log or 0:,} audit events: {len(files)} persons, "
          f"{rows / len(files):.0f} rows and {events / len(files):.0f} events each; history "
          f"{value * 1000:8.1f} ms (slowest {max(history) * 1000:.1f}), own rows "
          f"{base * 1000:6.2f} ms, ratio {value / base:5.1f}")
    top = persons == max(stores.SIZES)
    return Figure(WHAT, persons, value * 1000, "ms", base * 1000, BASELINE,
                  limit=100.0 if top else None, ratio_limit=3.0 if top else None, why=WHY)


def main() -> list[Figure]:
    """Run the History benchmark at every size; print and return the figures."""
    print(f"History tab benchmark: median over {SAMPLE} persons of the median of {RUNS} "
          "runs each")
    return [measure(persons) for persons in stores.SIZES]


if __name__ == "__main__":
    main()
