"""Demo generation: 1,000, 10,000 and 50,000 persons, each built into a new file.

Baseline: the same rows written with plain ``executemany`` into empty tables of the same
shape (the demo store's own CREATE TABLE and CREATE INDEX statements, the store's
pragmas, one transaction), timing only the writes. What the demo spends beyond that is
making the records: objects, checks, audit entries. Target (issue 7): 50,000 persons in
under 60 s. A store built here becomes the cached store of its size (bench/stores.py).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bench import stores
from bench.report import Figure

WHAT = "demo generation"
WHY = ("careplan demo builds a new file the way this benchmark does: worker processes "
       "make each chunk's records and audit events and stage them in small files, one "
       "writer copies them in with INSERT ... SELECT. The writer needs about 15 s of CPU "
       "at 50,000 persons and the workers about 42 s between them, so on 2 idle cores the "
       "build takes about 30 s; when other work holds the cores, the workers are the "
       "bound. Plan: skip re-checking the generated records (they are checked by the "
       "demo tests) and stage rows straight from the generator.")


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


def main() -> list[Figure]:
    stores.CACHE.mkdir(exist_ok=True)
    figures = []
    print(f"Demo generation (seed {stores.SEED}, today {stores.TODAY}); baseline: the same "
          "rows with plain executemany")
    for persons in stores.SIZES:
        built = stores.CACHE / f"timing-{persons}.db"
        _fresh(built)
        demo_s = stores.build_demo_file(built, persons)
        plain_s, rows = plain_inserts(built, stores.CACHE / f"plain-{persons}.db")
        size_mb = built.stat().st_size / 1e6
        kept = stores.adopt_demo(built, persons)
        if not kept:
            _fresh(built)
        print(f"  {persons:>6,} persons: {rows:>9,} rows, {size_mb:7.0f} MB; demo "
              f"{demo_s:7.1f} s, plain executemany {plain_s:6.1f} s "
              f"({demo_s / plain_s:4.1f} x){'; kept as the cached store' if kept else ''}")
        figures.append(Figure(WHAT, persons, demo_s, "s", plain_s,
                              f"plain executemany of the same {rows:,} rows",
                              limit=60.0 if persons == max(stores.SIZES) else None, why=WHY))
    return figures


if __name__ == "__main__":
    main()
