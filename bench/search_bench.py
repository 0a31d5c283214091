"""Caseload search at 50,000 persons: names, part of an NHS number, a date of birth.

    python -m bench.search_bench [STORE]

Times what the caseload does for a search (the ordered row keys, then the first block
of rows the view paints), median of 7 runs, on the cached 50,000-person demo store (or
STORE). Uses only ``careplan.store.caseload``'s query API, so the same script measures
an older version of CarePlan too (run it with that version on ``PYTHONPATH``).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from careplan.store import Store
from careplan.store import caseload as q

TODAY_ISO = "2025-03-10"
RUNS = 7


def _time(store: Store, text: str) -> tuple[float, int]:
    from datetime import date

    today = date.fromisoformat(TODAY_ISO)
    times = []
    found = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        keys = q.person_keys(store, q.CaseloadQuery(search=text), today)
        q.rows_by_key(store, keys[:128], today)
        times.append(time.perf_counter() - started)
        found = len(keys)
    return statistics.median(times), found


def main(argv: list[str] | None = None) -> int:
    """The searches' figures; ``argv`` (the command line's) may name the store.
    ``python -m bench`` calls it with none, as it calls every benchmark."""
    if argv:
        path = Path(argv[0])
    else:
        from bench import stores

        path = stores.demo_store(50_000)
    store = Store.open(path, create=False)
    try:
        okafor = store.conn.execute(
            "SELECT nhs_number, birth_date FROM persons WHERE family_name = 'Okafor' "
            "AND given_name LIKE 'Marg%' ORDER BY birth_date LIMIT 1").fetchone()
        middle = okafor[0][3:8] if okafor and okafor[0] else "00123"
        dob = okafor[1] if okafor else "1941-03-12"
        y, m, d = dob.split("-")
        searches = [
            ("name words", "okafor marg"),
            ("NHS number, first digits", (okafor[0][:6] if okafor and okafor[0] else "999001")),
            ("NHS number, 5 digits from the middle", middle),
            ("date of birth, typed dd/mm/yyyy", f"{d}/{m}/{y}"),
            ("name and date of birth", f"okafor {d}/{m}/{y}"),
        ]
        total = q.count_persons(store)
        print(f"Caseload search over {total:,} persons ({path.name}), median of {RUNS} runs")
        for what, text in searches:
            seconds, found = _time(store, text)
            print(f"  {what:<38} {text!r:<20} {seconds * 1000:7.1f} ms  {found:>6,} found")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
