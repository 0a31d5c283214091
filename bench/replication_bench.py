"""Sharing changes: applying another store's events (careplan.store.replication).

Two copies of one demo store of 1,000 persons, each with an identity of its own. One
makes 10,000 changes (ordinary edits spread over the caseload: what matters, address,
actions' descriptions and due dates); the other applies them in one transaction, through
JSON as a pack or a server would carry them. Second figure: the demo's own 21,000
creation events applied to an empty store (every record made from events, parents
first). Baseline, same run: copying the whole store file with SQLite's backup, which is
what sharing by copying files would cost every time.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from bench import stores
from bench.report import Figure, seconds
from careplan.models import Action, Person
from careplan.store import Store, find
from careplan.store.replication import (
    Event,
    apply_events,
    events_for,
    new_identity,
    verify,
    version_vector,
)
from careplan.store.repo import update

WHAT = "sharing changes"
WHY = ("Each event is stored as it came and its record recomputed from its events; an "
       "event that had seen every earlier event of its record takes the fast path "
       "(its values, one UPDATE).")
PERSONS = 1_000
CHANGES = 10_000


def _copy(source: Path, target: Path) -> float:
    import sqlite3

    started = time.perf_counter()
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return time.perf_counter() - started


def _changes(store: Store, count: int) -> None:
    rng = random.Random(1)
    persons = find(store, Person)
    actions = find(store, Action)
    with store.atomic():
        for n in range(count):
            if n % 2:
                p = rng.choice(persons)
                persons[persons.index(p)] = update(
                    store, p.evolve(what_matters=f"Change {n}.") if n % 4 == 1 else
                    p.evolve(address=f"{n} High Street"), "bench")
            else:
                a = rng.choice(actions)
                actions[actions.index(a)] = update(
                    store, a.evolve(description=f"Change {n}"), "bench")


def main() -> list[Figure]:
    base = stores.demo_store(PERSONS)
    figures = []
    with tempfile.TemporaryDirectory(dir=stores.CACHE) as folder:
        here, there = Path(folder) / "here.db", Path(folder) / "there.db"
        copy_s = _copy(base, here)
        _copy(base, there)
        with Store.open(here) as a, Store.open(there) as b:
            new_identity(b)
            _changes(a, CHANGES)
            wire = json.dumps([e.to_json() for e in events_for(a, version_vector(b))])
            sent = [Event.from_json(x) for x in json.loads(wire)]
            spent = seconds(lambda: apply_events(b, sent))
            assert len(sent) == CHANGES and verify(b) == []
            print(f"  {len(sent):,} changes applied in {spent:.2f} s "
                  f"({len(wire) / 1e6:.1f} MB of JSON); copying the store file: {copy_s:.2f} s")
            figures.append(Figure(f"apply {CHANGES:,} changes from another store", PERSONS,
                                  spent, "s", copy_s, "copy the store file (backup)"))
        empty = Path(folder) / "empty.db"
        with Store.open(base) as demo, Store.open(empty) as fresh:
            everything = events_for(demo, {})
            spent = seconds(lambda: apply_events(fresh, everything))
            print(f"  the demo's {len(everything):,} events made into an empty store in "
                  f"{spent:.2f} s")
            figures.append(Figure(f"make a store from {len(everything):,} events", PERSONS,
                                  spent, "s", copy_s, "copy the store file (backup)"))
    return figures


if __name__ == "__main__":
    main()
