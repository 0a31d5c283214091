"""Write the demo caseload into an empty store in one transaction.

Large demos prepare their chunks (records, rows and audit JSON: pure CPU work) in
worker processes while this process writes; every chunk has its own random stream,
so the store is the same whichever way it was built.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, time

from careplan.models.base import uuid7
from careplan.models.demo import Demo
from careplan.store import repo
from careplan.store.db import Store
from careplan.store.errors import InputError

DEMO_ACTOR = "demo"
#: Below this many chunks, starting worker processes costs more than it saves.
PARALLEL_FROM_CHUNKS = 8

_worker_demo: Demo | None = None


def _init_worker(persons: int, seed: int, today: date) -> None:
    global _worker_demo
    _worker_demo = Demo(persons, seed, today)


def _prepare_chunk(k: int) -> repo.Prepared:
    assert _worker_demo is not None
    return repo.prepare(_worker_demo.chunk(k))


def _prepared_chunks(demo: Demo, parallel: bool) -> Iterator[repo.Prepared]:
    if not parallel:
        for k in range(demo.chunk_count):
            yield repo.prepare(demo.chunk(k))
        return
    # Fork is only safe with no other threads (a Qt app has some): callers with threads
    # get the serial path (see build_demo).
    ctx = multiprocessing.get_context("fork")
    workers = max(1, min(4, os.cpu_count() or 2))
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(demo.persons, demo.seed, demo.today)) as pool:
        yield from pool.map(_prepare_chunk, range(demo.chunk_count))


def build_demo(
    store: Store,
    *,
    persons: int = 200,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    parallel: bool | None = None,
) -> int:
    """Fill an empty store with the demo; return the number of records written.

    All or nothing: on any error the store is left as it was.

    Raises:
        InputError: the store already holds persons, or ``persons`` is too small.
    """
    existing = store.conn.execute("SELECT count(*) FROM persons").fetchone()[0]
    if existing:
        raise InputError(
            f"demo: the store already holds {existing:,} persons; the demo needs an empty store"
        )
    try:
        demo = Demo(persons, seed, today or date.today())
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if parallel is None:
        parallel = (
            demo.chunk_count >= PARALLEL_FROM_CHUNKS
            and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods()
        )
    event_rng = random.Random(f"audit-{seed}")
    # Event ids are time-ordered (UUID v7) from a clock that starts at midnight of
    # ``today`` and ticks one millisecond per event: deterministic, and cheap to index.
    clock = itertools.count(int(datetime.combine(demo.today, time(), UTC).timestamp() * 1000))

    def event_ids(n: int) -> Iterator[str]:
        return (uuid7(next(clock), event_rng.getrandbits(74)) for _ in range(n))

    written = 0
    old_id = store.store_id
    try:
        with store.atomic():
            # A deterministic identity, so the same seed gives the same store.
            store.set_meta("store_id", demo.store_id)
            head = repo.prepare(demo.head())
            written += repo.write_prepared(store, head, DEMO_ACTOR, event_ids(len(head.audit)))
            for done, chunk in enumerate(_prepared_chunks(demo, parallel), start=1):
                written += repo.write_prepared(
                    store, chunk, DEMO_ACTOR, event_ids(len(chunk.audit))
                )
                if progress is not None:
                    progress(done, demo.chunk_count)
    except BaseException:
        store._store_id = old_id  # the identity change was rolled back with the rest
        raise
    return written
