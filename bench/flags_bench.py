"""Flags benchmark: the whole caseload of the 1,000, 10,000 and 50,000-person demo stores.

Target (issue 17; issue 3 asked for 2 s and 3 times): flags for every person in at most
1 s wall at 50,000 persons on this 2-core machine, and at most 1.5 times the time to read
the same rows with plain SQL (``fetchall``, no objects, no rules) measured in the same
run. The flags are timed end to end as the app and ``careplan flags`` run them: on a
connection of their own, opened for the job (so SQLite's page cache starts empty, and
on an encrypted store every page read is decrypted once more), picking the persons some
rule might flag, with the rules that might (one SQL query), reading their rows, building
domain objects, running those rules.

The store is the one the app makes (``careplan demo``: encrypted with SQLCipher); the
baseline is the plain SQL of the same rows on the same encrypted store, each on a new
connection too. A row for the plain (unencrypted) store of the same demo is kept beside
it, read against its own plain SQL.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import stores
from bench.report import Figure
from careplan.models.rules import evaluate_all
from careplan.store import Store
from careplan.store.flagdata import (
    candidates,
    candidates_by_code,
    caseload_flags,
    load_facts,
    queries,
)
from careplan.store.overrides import thresholds_in_force

TODAY = stores.TODAY
RUNS = 5
WHAT = "flags over the caseload"
WHY = ("at 50,000 persons the store the app makes is encrypted (SQLCipher 4: AES-256 and "
       "an HMAC-SHA512 for every 4 KB page read, about 7 microseconds each, the page size "
       "and key derivation fixed by the format), and a connection opened for the job starts "
       "with an empty page cache, so every page the candidate query and the loader read is "
       "decrypted. Done: each candidate is read only as far as the rules that chose them "
       "read (READS), the mental health coordinator candidates read partial covering "
       "indexes (migration 20) and the budget candidates no actions: about 43,000 pages "
       "read in all instead of 97,000. The reads run on two connections at once (the "
       "sign-off, consent and mental health coordinator candidates, then the consents, "
       "actions, sign-offs and money, on a second, read-only connection kept for the run): "
       "about 0.9 s of CPU in all, 0.5 s of it in the flags' own thread, so the 1 s holds "
       "only while the machine is not loaded beyond its 2 cores. Left: pages every run "
       "must read (each active care team member checked for a consent and a sign-off of "
       "the plan in force; the persons, plans and care team of 5,500 candidates spread "
       "over the whole file). Tried: a 128 or 256 MB page cache (0.15 s less CPU, 70 to "
       "150 MB more memory); an index of birth dates (the transition-25 query then read "
       "8,300 pages instead of 1,800, and the transition-18 query's persons are read by "
       "the loader anyway); neither kept.")


#: CPU seconds of this thread in the last call of ``_timed`` (the flags' own thread: on
#: two idle cores the wall time is about this, the second connection's work beside it).
_THREAD_CPU: list[float] = [0.0]


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds of this process, and the result."""
    wall, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
    result = fn()
    _THREAD_CPU[0] = time.thread_time() - own
    return time.perf_counter() - wall, time.process_time() - cpu, result


def plain_sql(store: Store) -> int:
    """The same reads as the flags, as plain rows: the candidate query, then every
    query of the loader for those persons (each person's rows of a table only if one of
    the rules that chose them reads it, as the flags read them). Returns the number of
    rows."""
    chosen = candidates_by_code(store, TODAY, thresholds_in_force(store))
    return len(chosen) + sum(len(store.conn.execute(q.sql, q.params).fetchall())
                             for q in queries(TODAY, only=chosen))


def _fresh(path: Path, key: bytes | None, fn: Callable[[Store], Any]) -> Callable[[], Any]:
    """``fn`` on a connection of its own, opened and closed with it, as the app's
    workers and ``careplan flags`` do."""
    def run() -> Any:
        with Store.open(path, create=False, key=key) as store:
            return fn(store)
    return run


def _pair(path: Path, key: bytes | None) -> tuple[list[float], list[float], list[float],
                                                  list[float], list[float], int, int]:
    """Walls and CPU of the plain SQL and of the flags (and the flags' CPU in their own
    thread), alternately, RUNS times each."""
    sql = _fresh(path, key, plain_sql)
    flags = _fresh(path, key, lambda store: caseload_flags(store, TODAY))
    sql()  # warm the operating system's file cache for both sides alike
    flags()
    sql_walls, sql_cpus, flag_walls, flag_cpus, flag_own = [], [], [], [], []
    rows = found = 0
    for _ in range(RUNS):
        wall, cpu, rows = _timed(sql)
        sql_walls.append(wall)
        sql_cpus.append(cpu)
        wall, cpu, result = _timed(flags)
        flag_walls.append(wall)
        flag_cpus.append(cpu)
        flag_own.append(_THREAD_CPU[0])
        found = len(result)
    return sql_walls, sql_cpus, flag_walls, flag_cpus, flag_own, rows, found


def measure(persons: int) -> list[Figure]:
    """Flags of one demo store, encrypted and plain, each against plain SQL of the same
    rows on the same store; print the details."""
    m = statistics.median
    sealed, key = stores.encrypted_demo_store(persons)
    plain = stores.demo_store(persons)
    e_sql, e_sql_cpu, e_flags, e_flags_cpu, e_own, rows, flags = _pair(sealed, key)
    p_sql, p_sql_cpu, p_flags, p_flags_cpu, _, p_rows, p_found = _pair(plain, None)
    assert (p_rows, p_found) == (rows, flags), "the two stores must hold the same demo"

    # The process's peak so far: the flags of this size and those of the smaller ones.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with Store.open(sealed, create=False, key=key) as store:
        chosen = len(candidates(store, TODAY, thresholds_in_force(store)))
        # For scale: every person with an open plan read into objects, no pre-selection.
        limits = thresholds_in_force(store)
        everyone_wall, _, everyone = _timed(
            lambda: evaluate_all(load_facts(store, TODAY), TODAY, limits))
        everyone_sql, _, _ = _timed(lambda: [store.conn.execute(q.sql, q.params).fetchall()
                                             for q in queries(TODAY)])
    assert len(everyone) == flags, "pre-selection must not change the flags"

    flags_s, sql_s = m(e_flags), m(e_sql)
    plain_s, plain_sql_s = m(p_flags), m(p_sql)
    print(f"  {persons:>6,} persons: {chosen:,} read, {rows:,} rows, {flags:,} flags; "
          f"encrypted: flags {flags_s:6.3f} s (best {min(e_flags):.3f}, CPU "
          f"{m(e_flags_cpu):.3f}, {m(e_own):.3f} of it in the flags' thread), plain SQL "
          f"{sql_s:6.3f} s (CPU {m(e_sql_cpu):.3f}), ratio "
          f"{flags_s / sql_s:4.2f}; plain store: flags {plain_s:6.3f} s (CPU "
          f"{m(p_flags_cpu):.3f}), plain SQL {plain_sql_s:6.3f} s (CPU {m(p_sql_cpu):.3f}), "
          f"ratio {plain_s / plain_sql_s:4.2f}; everyone loaded (encrypted) "
          f"{everyone_wall:.3f} s (plain SQL {everyone_sql:.3f} s); peak memory before "
          f"that {peak:.0f} MB")
    top = persons == max(stores.SIZES)
    return [
        Figure(WHAT, persons, flags_s, "s", sql_s,
               "plain SQL of the same rows, same encrypted store",
               limit=1.0 if top else None, ratio_limit=1.5 if top else None, why=WHY),
        Figure(f"{WHAT}, plain store", persons, plain_s, "s", plain_sql_s,
               "plain SQL of the same rows, same plain store"),
    ]


def main() -> list[Figure]:
    """Run the flags benchmark at every size; print and return the figures."""
    print(f"Flags benchmark: today {TODAY}, median of {RUNS} runs, wall seconds, each run on "
          "a new connection")
    return [figure for persons in stores.SIZES for figure in measure(persons)]


if __name__ == "__main__":
    main()
