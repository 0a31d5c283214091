"""Write the demo caseload into an empty store in one transaction.

Large demos prepare their chunks (records, rows and audit JSON: pure CPU work) in
worker processes while this process writes; every chunk has its own random stream,
so the store is the same whichever way it was built.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from careplan import clock
from careplan.demo import accounts as demo_accounts
from careplan.demo.generator import Demo
from careplan.models.base import uuid7
from careplan.store import repo
from careplan.store.db import Store
from careplan.store.errors import InputError

DEMO_ACTOR = "demo"
#: Below this many chunks, starting worker processes costs more than it saves.
PARALLEL_FROM_CHUNKS = 8
_PART_SPAN_MS = 1_000_000  # room on the audit id clock for one part's events

_worker_demo: Demo | None = None


def _init_worker(persons: int, seed: int, today: date) -> None:
    global _worker_demo
    exit_with_parent()
    _worker_demo = Demo(persons, seed, today)


def exit_with_parent() -> None:
    """In a worker process: exit as soon as the process that started it is gone.

    A pool's workers outlive a demo that is killed (SIGKILL, out of memory) for ever,
    each waiting for work that will never come; this watch ends them within a second.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="careplan-demo-parent", daemon=True).start()


def _event_ids(demo: Demo, part: int, count: int) -> list[str]:
    """Deterministic, time-ordered audit event ids for one part of the demo.

    Part 0 is the head (agencies, professionals, named persons); part k+1 is chunk k.
    Each part ticks its own span of a clock that starts a day after ``today``'s
    midnight, so the ids of the whole store still sort in writing order.
    """
    rng = random.Random(f"audit-{demo.seed}:{part}")
    start = demo.epoch_ms + 86_400_000 + part * _PART_SPAN_MS
    return [uuid7(start + i, rng.getrandbits(74)) for i in range(count)]


def write_accounts(store: Store, demo: Demo) -> int:
    """The demo's accounts (careplan.demo.accounts), written last: their audit events
    take the part after the last chunk on the id clock, so ids still sort in writing
    order."""
    count = demo_accounts.account_count(demo)
    ids = _event_ids(demo, demo.chunk_count + 1, count)
    return demo_accounts.add_demo_accounts(store, demo, DEMO_ACTOR, ids)


def prepare_part(demo: Demo, part: int) -> tuple[repo.Prepared, list[str]]:
    prepared = repo.prepare(demo.head() if part == 0 else demo.chunk(part - 1))
    return prepared, _event_ids(demo, part, len(prepared.audit))


def _prepare_in_worker(part: int) -> tuple[repo.Prepared, list[str]]:
    assert _worker_demo is not None
    return prepare_part(_worker_demo, part)


def _prepared_chunks(demo: Demo, parallel: bool) -> Iterator[tuple[repo.Prepared, list[str]]]:
    parts = range(1, demo.chunk_count + 1)
    if not parallel:
        for part in parts:
            yield prepare_part(demo, part)
        return
    # Fork is only safe with no other threads (a Qt app has some): callers with threads
    # get the serial path (see build_demo).
    ctx = multiprocessing.get_context("fork")
    workers = max(1, min(4, os.cpu_count() or 2))
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(demo.persons, demo.seed, demo.today)) as pool:
        yield from pool.map(_prepare_in_worker, parts)


def worth_processes(demo: Demo) -> bool:
    """Whether to make chunks in forked worker processes: only for big demos, and only
    with no other thread running (forking a process with threads, a Qt app's, is unsafe)."""
    return (
        demo.chunk_count >= PARALLEL_FROM_CHUNKS
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def build_demo(
    store: Store,
    *,
    persons: int = 200,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    parallel: bool | None = None,
) -> int:
    """Fill an empty store with the demo, its accounts included; return the number of
    records written.

    All or nothing: on any error the store is left as it was.

    Raises:
        InputError: the store already holds persons or accounts, or ``persons`` is too
            small.
    """
    existing = store.conn.execute("SELECT count(*) FROM persons").fetchone()[0]
    if not existing and store.conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchone():
        raise InputError("demo: the store has accounts already; the demo fills only an "
                         "empty store and makes its own accounts (choose a new file name)")
    if existing:
        raise InputError(
            f"demo: the store already holds {existing:,} "
            f"{'person' if existing == 1 else 'persons'}; the demo fills only an empty store "
            "and never replaces one (choose a new file name)"
        )
    try:
        demo = Demo(persons, seed, today or clock.today())
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if parallel is None:
        parallel = worth_processes(demo)

    written = 0
    try:
        with store.atomic():
            # A deterministic identity, so the same seed gives the same store.
            store.set_meta("store_id", demo.store_id)
            head, head_ids = prepare_part(demo, 0)
            written += repo.write_prepared(store, head, DEMO_ACTOR, head_ids)
            for done, (chunk, ids) in enumerate(_prepared_chunks(demo, parallel), start=1):
                written += repo.write_prepared(store, chunk, DEMO_ACTOR, ids)
                if progress is not None:
                    progress(done, demo.chunk_count)
            written += write_accounts(store, demo)
    except BaseException:
        store.reread_identity()  # the identity change was rolled back with the rest
        raise
    return written
