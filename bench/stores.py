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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from careplan.models import Action, CarePlan, Consent, Handoff, Person, Professional
from careplan.models.enums import ActionStatus, ConsentStatus, HandoffSubject, PlanStatus
from careplan.store import Store, add_many, find
from careplan.store.visibility import Viewer, viewer_for

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


def encrypted_demo_store(persons: int) -> tuple[Path, bytes]:
    """The demo store of ``persons`` as the app makes it (``careplan demo``: encrypted,
    its key wrapped in the keyring beside it), and its key, unwrapped with the demo
    administrator's password."""
    from careplan.demo.accounts import ADMIN, DEMO_PASSWORD
    from careplan.store import keyring

    final = CACHE / f"demo-encrypted-{persons}-{demo_key()}.db"

    def build(partial: Path) -> None:
        print(f"  building the encrypted {persons:,}-person demo store for the cache")
        build_demo_file(partial, persons, encrypted=True)
        keyring.path_of(partial).replace(keyring.path_of(final))
    path = _cached("demo-encrypted", persons, demo_key(), build)
    return path, keyring.unlock(path, ADMIN, DEMO_PASSWORD, datetime.now(UTC))


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
    # Every agency of the six may see the person (the sharing basis of each read).
    consents = [Consent(person_id=person.id, agency_id=agency, status=ConsentStatus.GIVEN,
                        recorded_on=TODAY - timedelta(days=30), recorded_by=pros[0].id)
                for agency in dict.fromkeys(p.agency_id for p in pros)]
    add_many(store, [person, plan, *acts, *hands, *consents], "bench")


def reader(store: Store) -> Viewer:
    """Who reads in the benchmarks: the first professional by name, whose agency may see
    the persons the benchmarks open and print (and those of its own care teams)."""
    return viewer_for(store, find(store, Professional, order_by="name")[0].id)


def widest_reader(store: Store) -> Viewer:
    """A professional of the agency that may see the most persons (for whole-store
    reports and exports)."""
    agency = store.conn.execute(
        "SELECT agency_id FROM consents WHERE status IN ('given', 'legal basis') "
        "GROUP BY agency_id ORDER BY count(DISTINCT person_id) DESC, agency_id LIMIT 1"
    ).fetchone()[0]
    return viewer_for(store, find(store, Professional, order_by="name", agency_id=agency)[0].id)


def lead_reader(store: Store, person_id: str) -> Viewer:
    """The person's lead professional, or else reader() (for opening one record)."""
    row = store.conn.execute(
        "SELECT professional_id FROM care_team_members WHERE person_id = ? AND is_lead = 1 "
        "ORDER BY start_date DESC LIMIT 1", (person_id,)).fetchone()
    return viewer_for(store, str(row[0])) if row else reader(store)


def add_busy_person(store: Store) -> None:
    """The person the UI benchmarks open (200 actions, 50 handoffs)."""
    _add_person(store, *BUSY)


def person_id(store: Store, who: tuple[str, str, int, int]) -> str:
    return find(store, Person, given_name=who[0], family_name=who[1])[0].id
