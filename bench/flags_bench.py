"""Flags benchmark: the whole caseload of the 1,000, 10,000 and 50,000-person demo stores.

Target (issue 17; issue 3 asked for 2 s and 3 times): flags for every person in at most
1 s wall at 50,000 persons on this 2-core machine, and at most 1.5 times the time to read
the same rows with plain SQL (``fetchall``, no objects, no rules) measured in the same
run. The flags are timed end to end as the ``careplan flags`` command runs them: picking
the persons some rule might flag, with the rules that might (one SQL query), reading
their rows, building domain objects, running those rules.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import stores
from bench.report import Figure
from careplan.models.rules import evaluate_all
from careplan.store import Store
from careplan.store.flagdata import candidates, caseload_flags, load_facts, queries
from careplan.store.overrides import thresholds_in_force

TODAY = stores.TODAY
RUNS = 5
WHAT = "flags over the caseload"
WHY = ("at 50,000 persons, in CPU time: the candidate query (one SQL statement, about a "
       "third of it on a second connection) about 0.45 s and the loader's queries for the 5,500 "
       "candidates about 0.34 s, both in the plain SQL baseline too; building the records "
       "about 0.14 s and the rules about 0.09 s. Done: the rules run only for the persons "
       "their own candidate query chose (0.2 to 0.09 s), the garbage collector pauses "
       "while the records are built (0.12 s), the mental health conditions are read "
       "through the care team's index (0.09 to 0.02 s). The flags take about 1.05 s of "
       "CPU, so the 1 s is met only on a machine not loaded beyond its 2 cores; the rest "
       "is SQLite's own time in the candidate query (plan sign-offs and consents checked "
       "for each of 140,000 care team members).")


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds of this process, and the result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def plain_sql(store: Store) -> int:
    """The same reads as the flags, as plain rows: the candidate query, then every
    query of the loader for those persons. Returns the number of rows."""
    ids = candidates(store, TODAY, thresholds_in_force(store))
    return len(ids) + sum(len(store.conn.execute(q.sql, q.params).fetchall())
                          for q in queries(TODAY, ids))


def measure(persons: int) -> Figure:
    """Flags of one demo store against plain SQL of the same rows; print the details."""
    store = Store.open(stores.demo_store(persons), create=False)
    plain_sql(store)  # warm the page cache for both sides alike
    caseload_flags(store, TODAY)
    sql_walls, sql_cpus, flag_walls, flag_cpus = [], [], [], []
    rows = flags = 0
    for _ in range(RUNS):
        wall, cpu, rows = _timed(lambda: plain_sql(store))
        sql_walls.append(wall)
        sql_cpus.append(cpu)
        wall, cpu, found = _timed(lambda: caseload_flags(store, TODAY))
        flag_walls.append(wall)
        flag_cpus.append(cpu)
        flags = len(found)
    chosen = len(candidates(store, TODAY, thresholds_in_force(store)))

    # For scale: every person with an open plan read into objects, no pre-selection.
    limits = thresholds_in_force(store)
    everyone_wall, _, everyone = _timed(
        lambda: evaluate_all(load_facts(store, TODAY), TODAY, limits))
    everyone_sql, _, _ = _timed(lambda: [store.conn.execute(q.sql, q.params).fetchall()
                                         for q in queries(TODAY)])
    store.close()
    assert len(everyone) == flags, "pre-selection must not change the flags"

    flags_s = statistics.median(flag_walls)
    sql_s = statistics.median(sql_walls)
    print(f"  {persons:>6,} persons: {chosen:,} read, {rows:,} rows, {flags:,} flags; flags "
          f"{flags_s:6.3f} s (best {min(flag_walls):.3f}, CPU {statistics.median(flag_cpus):.3f})"
          f", plain SQL {sql_s:6.3f} s (CPU {statistics.median(sql_cpus):.3f}), ratio "
          f"{flags_s / sql_s:4.2f}; everyone loaded "
          f"{everyone_wall:.3f} s (plain SQL {everyone_sql:.3f} s)")
    top = persons == max(stores.SIZES)
    return Figure(WHAT, persons, flags_s, "s", sql_s, "plain SQL of the same rows",
                  limit=1.0 if top else None, ratio_limit=1.5 if top else None, why=WHY)


def main() -> list[Figure]:
    """Run the flags benchmark at every size; print and return the figures."""
    print(f"Flags benchmark: today {TODAY}, median of {RUNS} runs, wall seconds")
    return [measure(persons) for persons in stores.SIZES]


if __name__ == "__main__":
    main()
