"""The demo stores the benchmarks read, built once and kept in ``.bench-cache/``.

A cached store's name carries a hash of the code that shapes it (the demo generator and
the migrations; for the benchmark stores, this file too), so a change there builds a new
store instead of benchmarking a stale one. Stores of an older hash are deleted.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from careplan.models import Action, CarePlan, Handoff, Person, Professional
from careplan.models.enums import ActionStatus, HandoffSubject, PlanStatus
from careplan.store import Store, add_many, find

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"
#: The caseload sizes every figure is measured at: how it grows shows in the table.
SIZES = (1_000, 10_000, 50_000)
TODAY = date(2025, 3, 10)
SEED = 1
#: The person opened in the UI benchmarks (issue 4: 200 actions and 50 handoffs).
BUSY = ("Busy", "Benchmark", 200, 50)
#: The person whose joint plan is printed (issue 5: 300 actions).
PRINTED = ("Printed", "Benchmark", 300, 0)
#: What a demo store depends on: a change to any of these files builds it again.
DEMO_SOURCES = ("careplan/demo/*.py", "careplan/resources/demo_names.toml",
                "careplan/store/migrations.py", "careplan/store/schema_*.py")


def _hash(patterns: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def demo_key() -> str:
    return _hash(DEMO_SOURCES)


def _cached(kind: str, persons: int, key: str, build: Callable[[Path], None]) -> Path:
    """``CACHE/<kind>-<persons>-<key>.db``, made by ``build(partial_path)`` if missing."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{kind}-{persons}-{key}.db"
    if path.exists():
        return path
    for stale in CACHE.glob(f"{kind}-{persons}-*.db*"):
        if not stale.name.startswith(path.name):  # another hash: a stale store
            stale.unlink(missing_ok=True)
    shutil.rmtree(CACHE / "backups", ignore_errors=True)  # the app's, of stale stores
    # Named for this process: two benchmarks started at once each build their own.
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    build(partial)
    partial.rename(path)
    return path


def build_demo_file(path: Path, persons: int, *, encrypted: bool = False) -> float:
    """Build the demo of ``persons`` into a new file the way ``careplan demo`` does (plain
    unless ``encrypted``: the other benchmarks read plain stores; bench/encryption_bench.py
    compares the two); return the seconds it took."""
    from careplan.demo.build_file import build_demo_file as build

    started = time.perf_counter()
    build(path, persons=persons, seed=SEED, today=TODAY, encrypted=encrypted)
    return time.perf_counter() - started


def demo_store(persons: int) -> Path:
    """The plain demo store of ``persons`` (bench/demo_bench.py times its building)."""
    def build(partial: Path) -> None:
        print(f"  building the {persons:,}-person demo store for the cache")
        build_demo_file(partial, persons)
    return _cached("demo", persons, demo_key(), build)


def adopt_demo(built: Path, persons: int) -> bool:
    """Keep a demo store built elsewhere (by the same generator, seed and day, so the
    same store) as the cached one; False (and ``built`` left alone) when the cache
    already has it."""
    if (CACHE / f"demo-{persons}-{demo_key()}.db").exists() or Path(f"{built}-wal").exists():
        return False
    def build(partial: Path) -> None:
        built.rename(partial)
    _cached("demo", persons, demo_key(), build)
    return True


def bench_store(persons: int) -> Path:
    """The demo store plus the two persons the benchmarks open and print."""
    source = demo_store(persons)

    def build(partial: Path) -> None:
        shutil.copyfile(source, partial)
        with Store.open(partial, create=False) as store:
            for given, family, actions, handoffs in (BUSY, PRINTED):
                _add_person(store, given, family, actions, handoffs)
    return _cached("bench", persons, demo_key() + _hash(("bench/stores.py",))[:6], build)


def _add_person(store: Store, given: str, family: str, actions: int, handoffs: int) -> None:
    pros = find(store, Professional, order_by="name")[:6]
    person = Person(given_name=given, family_name=family, birth_date=date(1950, 5, 5))
    plan = CarePlan(person_id=person.id, status=PlanStatus.ACTIVE, created_on=TODAY,
                    review_date=TODAY + timedelta(days=90))
    statuses = list(ActionStatus)
    acts = [Action(plan_id=plan.id, description=f"Action {n}: visit, review and record what "
                   "was agreed with the person and family",
                   owner_professional_id=pros[n % 6].id, owner_agency_id=pros[n % 6].agency_id,
                   due_date=TODAY + timedelta(days=n % 60 - 20),
                   status=statuses[n % len(statuses)]) for n in range(actions)]
    hands = [Handoff(person_id=person.id, subject=HandoffSubject.ACTION,
                     action_id=acts[n].id, from_professional_id=pros[n % 6].id,
                     from_agency_id=pros[n % 6].agency_id,
                     to_professional_id=pros[(n + 1) % 6].id,
                     to_agency_id=pros[(n + 1) % 6].agency_id,
                     proposed_at=datetime(2025, 3, 1, 9), answer_by=TODAY)
             for n in range(handoffs)]
    add_many(store, [person, plan, *acts, *hands], "bench")


def add_busy_person(store: Store) -> None:
    """The person the UI benchmarks open (200 actions, 50 handoffs)."""
    _add_person(store, *BUSY)


def person_id(store: Store, who: tuple[str, str, int, int]) -> str:
    return find(store, Person, given_name=who[0], family_name=who[1])[0].id
