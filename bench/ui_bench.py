"""Desktop client benchmarks with a 50,000-person demo store (offscreen Qt).

Targets (issue 4): caseload first paint <= 300 ms after the store is open; a person
with 200 actions and 50 handoffs opens in <= 100 ms; the running app <= 400 MB. Each
figure is printed beside a baseline measured in the same run: a bare QTableView on an
empty model for the paints, and the process right after QApplication for memory.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView, QWidget  # noqa: E402

from careplan.models import Action, CarePlan, Handoff, Person, Professional  # noqa: E402
from careplan.models.enums import HandoffSubject, PlanStatus  # noqa: E402
from careplan.store import Store, add_many, find  # noqa: E402
from careplan.store import caseload as q  # noqa: E402
from careplan.store.demo import build_demo  # noqa: E402
from careplan.store.person_file import load_directory  # noqa: E402
from careplan.ui.caseload_model import CaseloadModel  # noqa: E402
from careplan.ui.caseload_view import CaseloadPanel  # noqa: E402
from careplan.ui.settings import Settings  # noqa: E402
from careplan.ui.workspace import PersonWorkspace  # noqa: E402

TODAY = date(2025, 3, 10)
PERSONS = 50_000
CACHE = Path(tempfile.gettempdir()) / "careplan-bench"


def _until_painted(app: QApplication, target: QWidget) -> None:
    """Show (or update) ``target`` and paint it now, data fetching included."""
    window = target.window()
    if not window.isVisible():
        window.show()
    app.processEvents()
    target.repaint()  # a synchronous paint event: the model is asked for what is on screen


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def big_store() -> Path:
    """The 50,000-person demo, plus one person with 200 actions and 50 handoffs."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"ui-{PERSONS}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    store = Store.open(partial)
    started = time.perf_counter()
    build_demo(store, persons=PERSONS, seed=1, today=TODAY)
    print(f"built the {PERSONS:,}-person demo in {time.perf_counter() - started:.1f} s")
    _add_busy_person(store)
    store.close()
    partial.rename(path)
    return path


def _add_busy_person(store: Store) -> None:
    pros = find(store, Professional, order_by="name")[:6]
    person = Person(given_name="Busy", family_name="Benchmark", birth_date=date(1950, 5, 5))
    plan = CarePlan(person_id=person.id, status=PlanStatus.ACTIVE, created_on=TODAY,
                    review_date=TODAY + timedelta(days=90))
    actions = [Action(plan_id=plan.id, description=f"Action {n}",
                      owner_professional_id=pros[n % 6].id, owner_agency_id=pros[n % 6].agency_id,
                      due_date=TODAY + timedelta(days=n)) for n in range(200)]
    handoffs = [Handoff(person_id=person.id, subject=HandoffSubject.ACTION,
                        action_id=actions[n].id, from_professional_id=pros[n % 6].id,
                        from_agency_id=pros[n % 6].agency_id,
                        to_professional_id=pros[(n + 1) % 6].id,
                        to_agency_id=pros[(n + 1) % 6].agency_id,
                        proposed_at=datetime(2025, 3, 1, 9), answer_by=TODAY)
                for n in range(50)]
    add_many(store, [person, plan, *actions, *handoffs], "bench")


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    rss_base = _rss_mb()
    path = big_store()
    settings_dir = tempfile.mkdtemp()
    Settings(QSettings(str(Path(settings_dir) / "s.ini"), QSettings.Format.IniFormat))

    # Baseline: a bare table on an empty model, shown and painted.
    baselines = []
    for _ in range(5):
        started = time.perf_counter()
        bare = QTableView()
        bare.setModel(QStandardItemModel(0, 8))
        bare.resize(1300, 800)
        _until_painted(app, bare.viewport())
        baselines.append(time.perf_counter() - started)
        bare.deleteLater()
        app.processEvents()
    baseline = statistics.median(baselines)

    started = time.perf_counter()
    store = Store.open(path, create=False)
    opened = time.perf_counter() - started

    paints = []
    for _ in range(5):
        started = time.perf_counter()
        model = CaseloadModel(store, TODAY)
        model.set_query(q.CaseloadQuery())
        panel = CaseloadPanel(model)
        panel.resize(1300, 800)
        _until_painted(app, panel.table.viewport())
        paints.append(time.perf_counter() - started)
        rows = model.rowCount()
        panel.deleteLater()
        app.processEvents()
    paint = statistics.median(paints)

    model = CaseloadModel(store, TODAY)
    model.set_query(q.CaseloadQuery())
    panel = CaseloadPanel(model)
    panel.resize(1300, 800)
    _until_painted(app, panel.table.viewport())
    bar = panel.table.verticalScrollBar()
    steps = 100
    started = time.perf_counter()
    for n in range(1, steps + 1):
        bar.setValue(bar.maximum() * n // steps)  # jumps across 50,000 rows
        _until_painted(app, panel.table.viewport())
    scroll = (time.perf_counter() - started) / steps
    sorts = {}
    for key in (q.SortKey.AGE, q.SortKey.LEAD, q.SortKey.REVIEW):
        started = time.perf_counter()
        model.sort(list(q.SortKey).index(key))
        _until_painted(app, panel.table.viewport())
        sorts[key.value] = time.perf_counter() - started
    started = time.perf_counter()
    panel.search.setText("999 001 2")
    panel.apply_filters()
    _until_painted(app, panel.table.viewport())
    search = time.perf_counter() - started

    busy = find(store, Person, family_name="Benchmark")[0]
    actor = find(store, Professional, order_by="name")[0]
    started = time.perf_counter()
    directory = load_directory(store)  # read once per store by the main window
    directory_load = time.perf_counter() - started
    opens = []
    for _ in range(5):
        started = time.perf_counter()
        ws = PersonWorkspace(store, busy.id, TODAY, actor, directory)
        ws.resize(1300, 800)
        _until_painted(app, ws.plan_tab.actions_view.viewport())
        opens.append(time.perf_counter() - started)
        ws.deleteLater()
        app.processEvents()
    person_open = statistics.median(opens)
    rss = _rss_mb()
    store.close()

    print(f"UI benchmark: {rows:,} persons, store opened in {_ms(opened)}")
    print(f"  baseline: bare QTableView, empty model, first paint   {_ms(baseline)}")
    print(f"  caseload first paint after the store is open          {_ms(paint)}"
          f"  ({paint / baseline:5.1f} x baseline; target <= 300 ms)")
    print(f"  caseload scroll jump (1/100 of the list) + repaint    {_ms(scroll)}"
          f"  ({scroll / baseline:5.1f} x baseline)")
    for name, seconds in sorts.items():
        print(f"  sort by {name:<20} + repaint                {_ms(seconds)}"
              f"  ({seconds / baseline:5.1f} x baseline)")
    print(f"  search by NHS number prefix + repaint                 {_ms(search)}")
    print(f"  person (200 actions, 50 handoffs) open + first paint  {_ms(person_open)}"
          f"  ({person_open / baseline:5.1f} x baseline; target <= 100 ms)")
    print(f"  (once per store: agencies and professionals read in   {_ms(directory_load)})")
    print(f"  memory: after QApplication {rss_base:7.1f} MB; running app {rss:7.1f} MB"
          f"  (target <= 400 MB)")
    ok = paint <= 0.300 and person_open <= 0.100 and rss <= 400
    print("  targets met" if ok else "  TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
