"""Demo generation: 1,000, 10,000 and 50,000 persons, each built into a new file.

Baseline: the same rows written with plain ``executemany`` into empty tables of the same
shape (the demo store's own CREATE TABLE and CREATE INDEX statements, the store's
pragmas, one transaction), timing only the writes. What the demo spends beyond that is
making the records: objects, checks, audit entries. Target (issue 7): 50,000 persons in
under 60 s. A store built here becomes the cached store of its size (bench/stores.py).
"""

from __future__ import annotations

import resource
import sqlite3
import time
from pathlib import Path

from bench import stores
from bench.report import Figure

WHAT = "demo generation"
WHY = ("careplan demo builds a new file the way this benchmark does: worker processes "
       "make each chunk's records and audit events and stage them in small files, one "
       "writer copies them in with INSERT ... SELECT. At 50,000 persons (CPU seconds, "
       "SQLite 3.53): the two workers about 17 s between them (per chunk of 500 persons "
       "about 0.13 s: drawing the records about 60%, rows and audit JSON about 35%, then "
       "the staging file), the writer about 9.5 s (the audit events with their hash "
       "chain 4.4 s, the records 2.5 s, writing the pages out 1.8 s), overlapping the "
       "workers; on 2 idle cores that is about 13.5 s at the least. Building the indexes "
       "after the rows instead of during them was tried: the copies took 3.4 s less but "
       "the indexes then took 3.5 s after the workers had finished (16.8 s against "
       "14.6 s), so the indexes stay. This round (load 5 to 9, so the wall time here says "
       "little): a record's field checks are generated per class and a UUIDv7 is written "
       "with one format, about 10% less CPU to draw a chunk (0.273-0.282 -> 0.242-0.254 s "
       "per 4 chunks, best of 5) and 3% less in the workers of a whole build (19.4-19.9 "
       "-> 18.8-19.3 s); the JSON of the audit events (about 60% of making the rows, in the "
       "C encoder) and the writer's hash chain are left to the change of how audit events "
       "are stored.")


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def plain_inserts(source: Path, target: Path) -> tuple[float, int]:
    """Seconds to write every row of ``source`` into an empty copy of its schema with
    ``executemany`` (reading the rows is not timed), and the number of rows."""
    _fresh(target)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "cache_size = -65536",
                   "foreign_keys = OFF"):
        dst.execute(f"PRAGMA {pragma}")
    schema = src.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                         "AND name NOT LIKE 'sqlite_%' AND type IN ('table', 'index') "
                         "ORDER BY type = 'index', rowid").fetchall()
    for _, _, sql in schema:
        dst.execute(sql)
    spent, rows = 0.0, 0
    dst.execute("BEGIN")
    for kind, name, _ in schema:
        if kind != "table":
            continue
        cur = src.execute(f'SELECT * FROM "{name}"')
        marks = ", ".join("?" * len(cur.description))
        insert = f'INSERT INTO "{name}" VALUES ({marks})'
        while batch := cur.fetchmany(20_000):
            started = time.perf_counter()
            dst.executemany(insert, batch)
            spent += time.perf_counter() - started
            rows += len(batch)
    started = time.perf_counter()
    dst.execute("COMMIT")
    spent += time.perf_counter() - started
    src.close()
    dst.close()
    _fresh(target)
    return spent, rows


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished child processes (the demo's
    workers): the wall time of a build on two cores follows the machine's load, its CPU
    time much less."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> list[Figure]:
    stores.CACHE.mkdir(exist_ok=True)
    figures = []
    print(f"Demo generation (seed {stores.SEED}, today {stores.TODAY}); baseline: the same "
          "rows with plain executemany")
    for persons in stores.SIZES:
        built = stores.CACHE / f"timing-{persons}.db"
        _fresh(built)
        own, workers = _cpu()
        demo_s = stores.build_demo_file(built, persons)
        own_after, workers_after = _cpu()
        cpu = f"CPU {own_after - own:.1f} s here + {workers_after - workers:.1f} s in workers"
        plain_s, rows = plain_inserts(built, stores.CACHE / f"plain-{persons}.db")
        size_mb = built.stat().st_size / 1e6
        kept = stores.adopt_demo(built, persons)
        if not kept:
            _fresh(built)
        print(f"  {persons:>6,} persons: {rows:>9,} rows, {size_mb:7.0f} MB; demo "
              f"{demo_s:7.1f} s, plain executemany {plain_s:6.1f} s "
              f"({demo_s / plain_s:4.1f} x); {cpu}"
              f"{'; kept as the cached store' if kept else ''}")
        figures.append(Figure(WHAT, persons, demo_s, "s", plain_s,
                              f"plain executemany of the same {rows:,} rows",
                              limit=20.0 if persons == max(stores.SIZES) else None, why=WHY))
    return figures


if __name__ == "__main__":
    main()
