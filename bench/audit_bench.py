"""The audit log's hash chains: what checking them costs (``careplan audit verify``, and
the desktop app's background check after sign-in) and what computing them costs an
older store when it is upgraded (the migration), on the 1,000, 10,000 and
50,000-person demo stores.

Baseline: reading every audit event's columns (the ones its hash covers) in one pass,
which any check of the log must do; the ratio says what hashing, and checking every
record against its latest event, add to that. The migration is timed on a copy of the
store: every event hashed and its JSON put in canonical form, then committed. Wall
seconds, one run each (the 50,000-person check takes seconds).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench import stores
from bench.report import Figure
from careplan.store import Store, audit_check, chain


def _read_events(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cur = conn.execute(f"SELECT {', '.join(chain.COLUMNS)}, hash FROM audit_events "
                           "ORDER BY store_id, store_seq")
        count = 0
        while rows := cur.fetchmany(5_000):
            count += len(rows)
        return count
    finally:
        conn.close()


def _migrate_copy(path: Path) -> tuple[float, int]:
    """Seconds to compute every chain of a copy of ``path`` and commit, and the events."""
    with tempfile.TemporaryDirectory(prefix="careplan-audit-bench-") as folder:
        copy = Path(folder) / "copy.db"
        shutil.copyfile(path, copy)
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            hashed = chain.fill(conn)
            conn.execute("COMMIT")
            return time.perf_counter() - started, hashed
        finally:
            conn.close()


def measure(persons: int) -> list[Figure]:
    path = stores.demo_store(persons)
    _read_events(path)  # warm the page cache for every side alike
    started = time.perf_counter()
    events = _read_events(path)
    base = time.perf_counter() - started
    with Store.open(path, create=False) as store:
        started = time.perf_counter()
        report = audit_check.verify(store)
        checked = time.perf_counter() - started
    assert report is not None and report.ok, "the demo store does not verify"
    migrated, hashed = _migrate_copy(path)
    assert hashed == events
    print(f"  {persons:>6,} persons ({events:,} events): audit verify {checked:.2f} s, "
          f"chains computed by the migration {migrated:.2f} s, the events read {base:.2f} s")
    what = "reading every audit event's columns"
    return [Figure("careplan audit verify (every chain, every record)", persons, checked, "s",
                   base, what),
            Figure("migration computing the chains of an older store", persons, migrated,
                   "s", base, what)]


def main() -> list[Figure]:
    print("Audit log benchmark: one run each, wall seconds")
    return [f for persons in stores.SIZES for f in measure(persons)]


if __name__ == "__main__":
    main()
