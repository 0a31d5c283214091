"""Damage checks: what SQLite's checks cost on the 1,000, 10,000 and 50,000-person stores.

Every command runs the quick check before it works on a store (careplan.store.health);
the desktop app runs it, and the full check, in the background. Both read every page of
the file, so the baseline is reading the file's bytes in the same run (from the page
cache, warmed first): the ratio says how much more than reading the file the checks
cost. Median of 3 runs, wall seconds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import stores
from bench.report import Figure
from careplan.store import health

RUNS = 3


def _read_bytes(path: Path) -> int:
    """Every byte of the store file, in 8 MB blocks: the floor any check stands on. Safe
    here only because this process holds no connection to the store while it runs."""
    total = 0
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            total += len(block)
    return total


def _median(fn: Callable[[], Any]) -> float:
    walls = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def measure(persons: int) -> list[Figure]:
    path = stores.demo_store(persons)
    _read_bytes(path)  # warm the page cache for every side alike
    base = _median(lambda: _read_bytes(path))
    quick = _median(lambda: health.check_file(path))
    full = _median(lambda: health.check_file(path, full=True))
    size_mb = path.stat().st_size / 1e6
    print(f"  {persons:>6,} persons ({size_mb:,.0f} MB): quick check {quick:.3f} s, full "
          f"check {full:.3f} s, the file's bytes read {base:.3f} s")
    what = "reading the file's bytes (page cache)"
    return [Figure("damage check before every command (quick check)", persons, quick, "s",
                   base, what),
            Figure("full damage check, in the app's background (integrity check)", persons,
                   full, "s", base, what)]


def main() -> list[Figure]:
    print(f"Damage check benchmark: median of {RUNS} runs, wall seconds")
    return [f for persons in stores.SIZES for f in measure(persons)]


if __name__ == "__main__":
    main()
