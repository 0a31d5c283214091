"""Manager dashboard benchmark with the 1,000, 10,000 and 50,000-person demo stores
(offscreen Qt).

Target (issue 17): at 50,000 persons the dashboard's first paint within 0.5 s. Timed from
the moment the real ``Dashboard`` widget is made (its figures computed in a worker with a
connection of its own, as in the app) until its charts are shown and painted; then until
every chart is in (the flag charts wait for the flag rules). Baselines measured in the
same run: a bare QWidget shown and painted, and for the store's figures alone a bare
``COUNT(*) ... GROUP BY`` over the same tables.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date  # noqa: E402
from typing import Any  # noqa: E402

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from bench import stores  # noqa: E402
from bench.report import Figure  # noqa: E402
from careplan.store import Store  # noqa: E402
from careplan.store import dashboard as figures  # noqa: E402
from careplan.store.visibility import Viewer, shareable_persons  # noqa: E402
from careplan.ui.dashboard import Dashboard  # noqa: E402

TODAY = stores.TODAY
RUNS = 5
PAINT = "dashboard first paint"
ALL = "dashboard with every chart (flags included)"
SQL = "dashboard figures from the store (flags aside)"
BARE = "bare QWidget shown and painted"
COUNTS = "bare COUNT(*) GROUP BY over the same tables"
WHY_ALL = ("the two flag charts wait for the flag rules over the caseload (see 'flags over "
           "the caseload'); the other five charts are painted before them.")
WHY_PAINT = ("the charts counted in SQL are painted first; the flags, found beside them in "
             "a worker of their own, fill in the two flag charts.")


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def bare_counts(store: Store) -> None:
    """The baseline of the store's figures: one plain count per table they read."""
    conn = store.conn
    for sql in ("SELECT to_agency_id, count(*) FROM handoffs GROUP BY to_agency_id",
                "SELECT status, count(*) FROM referrals GROUP BY status",
                "SELECT referral_id, count(*) FROM referral_events GROUP BY referral_id",
                "SELECT substr(birth_date, 1, 7), count(*) FROM persons GROUP BY 1",
                "SELECT discharge_ready_on, count(*) FROM hospital_stays GROUP BY 1",
                "SELECT owner_agency_id, count(*) FROM delay_reasons GROUP BY 1"):
        conn.execute(sql).fetchall()


def sql_figures(store: Store, today: date, viewer: Viewer) -> None:
    """The figures the dashboard reads from the store before the flags, of the persons
    shared with the reader's agency (as the dashboard counts them)."""
    visible = shareable_persons(store, viewer.agency_id, today) \
        if viewer.agency_id is not None else set()
    figures.handoff_answer_times(store, visible)
    figures.referral_disputes_by_age(store, today, visible)
    figures.eighteenth_birthdays(store, today, visible)
    figures.delayed_discharges(store, today, visible)


def _bare_paint(app: QApplication) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        bare = QWidget()
        bare.resize(1300, 800)
        bare.show()
        app.processEvents()
        bare.repaint()
        times.append(time.perf_counter() - started)
        bare.deleteLater()
        app.processEvents()
    return statistics.median(times)


def _board(app: QApplication, path: str, viewer: Viewer) -> tuple[float, float, float]:
    """Seconds to the first charts painted, to every chart in, and CPU seconds of the
    process over the whole (the worker's included)."""
    cpu = time.process_time()
    started = time.perf_counter()
    board = Dashboard(path, TODAY, viewer=viewer)
    board.resize(1300, 800)
    board.show()
    while not board.charts:
        app.processEvents()
        time.sleep(0.001)
    app.processEvents()
    board.repaint()
    first = time.perf_counter() - started
    while board.data is None:
        app.processEvents()
        time.sleep(0.001)
    app.processEvents()
    board.repaint()
    whole = time.perf_counter() - started
    used = time.process_time() - cpu
    board.deleteLater()
    app.processEvents()
    return first, whole, used


def measure(app: QApplication, persons: int) -> list[Figure]:
    path = str(stores.demo_store(persons))
    store = Store.open(path, create=False)
    # A manager of the agency most persons are shared with: the dashboard counts only
    # the persons shared with the reader's agency.
    viewer = stores.widest_reader(store)
    bare_counts(store)
    sql_figures(store, TODAY, viewer)  # warm the page cache for both sides alike
    counts = [_timed(lambda: bare_counts(store)) for _ in range(RUNS)]
    own = [_timed(lambda: sql_figures(store, TODAY, viewer)) for _ in range(RUNS)]
    store.close()
    baseline = _bare_paint(app)
    _board(app, path, viewer)  # warm: Qt's chart classes, the flags engine's imports
    boards = [_board(app, path, viewer) for _ in range(RUNS)]
    first = statistics.median(b[0] for b in boards)
    whole = statistics.median(b[1] for b in boards)
    cpu = statistics.median(b[2] for b in boards)
    count_s = statistics.median(c[0] for c in counts)
    own_s = statistics.median(o[0] for o in own)
    print(f"  {persons:>6,} persons: first paint {first * 1000:7.1f} ms, every chart "
          f"{whole * 1000:7.1f} ms (CPU of the process {cpu * 1000:7.1f} ms); bare QWidget "
          f"{baseline * 1000:5.1f} ms")
    print(f"          store figures (flags aside) {own_s * 1000:7.1f} ms (CPU "
          f"{statistics.median(o[1] for o in own) * 1000:7.1f} ms); bare counts "
          f"{count_s * 1000:7.1f} ms")
    top = persons == max(stores.SIZES)
    return [
        Figure(PAINT, persons, first * 1000, "ms", baseline * 1000, BARE,
               limit=500 if top else None, why=WHY_PAINT),
        Figure(ALL, persons, whole * 1000, "ms", baseline * 1000, BARE, why=WHY_ALL),
        Figure(SQL, persons, own_s * 1000, "ms", count_s * 1000, COUNTS),
    ]


def main() -> list[Figure]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    print(f"Dashboard benchmark (offscreen Qt), today {TODAY}, median of {RUNS} runs")
    found = [measure(app, persons) for persons in stores.SIZES]
    return [f for kind in range(3) for f in (row[kind] for row in found)]


if __name__ == "__main__":
    main()
