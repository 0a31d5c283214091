"""Child processes for the crash and concurrency tests, writing through the real store API.

They are started from a forkserver that has imported the store once (see ``context``),
so each trial starts in milliseconds instead of paying the import again. Each child
opens its own connection after it starts; it reports to the parent through a pipe, and
only after the transaction it reports on has committed.
"""

from __future__ import annotations

import multiprocessing
import random
import time
import traceback
from datetime import date
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any

from careplan.models import Action, Agency, CarePlan, Need, Person
from careplan.store import StaleWriteError, Store, add, add_many, find, get, update

BATCH = 25
CRASH_ACTOR = "crash-writer"


def context() -> BaseContext:
    """The forkserver context, with the store already imported in the server."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["careplan.store", "tests.reliability_workers"])
    return ctx


def _seed_records(store: Store) -> tuple[list[str], list[str]]:
    """Plans and persons to write against; made here when the store is new."""
    plans = [p.id for p in find(store, CarePlan)]
    persons = [p.id for p in find(store, Person)]
    if not plans:
        agency = add(store, Agency(name="Crash Test Team", sector="health"), CRASH_ACTOR)
        person = add(store, Person(given_name="Kim", family_name="Crash",
                                   birth_date=date(1960, 1, 1), gp_practice_id=agency.id),
                     CRASH_ACTOR)
        plan = add(store, CarePlan(person_id=person.id, created_on=date(2025, 1, 1)),
                   CRASH_ACTOR)
        plans, persons = [plan.id], [person.id]
    return plans, persons


def crash_writer(path: str, seed: int, out: Connection) -> None:
    """Write forever: single adds, updates and batches of ``BATCH``; report each commit.

    Messages: ``("add", table, id, description)``, ``("update", table, id, version,
    address)``, ``("batch", table, tag, ids)``; ``("ready",)`` once writing starts.
    """
    try:
        Store.open(path, create=True).close()
        app = AppLayout(path)  # the window's connection, workers' and a long reader's
        store = app.window
        rng = random.Random(seed)
        plans, persons = _seed_records(store)
        out.send(("ready",))
        n = 0
        while True:
            n += 1
            roll = rng.random()
            if roll < 0.45:
                text = f"crash need {seed}-{n}"
                need = add(store, Need(plan_id=rng.choice(plans), description=text,
                                       domain="other"), CRASH_ACTOR)
                out.send(("add", "needs", need.id, text))
            elif roll < 0.85:
                person = get(store, Person, rng.choice(persons))
                saved = update(store, person.evolve(address=f"{seed}-{n} Crash Street"),
                               CRASH_ACTOR)
                out.send(("update", "persons", saved.id, saved.version, saved.address))
            else:
                tag = f"batch {seed}-{n}"
                plan = rng.choice(plans)
                actions = [Action(plan_id=plan, description=f"{tag} #{k}")
                           for k in range(BATCH)]
                add_many(store, actions, CRASH_ACTOR)
                out.send(("batch", "actions", tag, [a.id for a in actions]))
    except Exception:
        out.send(("error", traceback.format_exc()))
        raise


def editor(path: str, name: str, start_at: float, seconds: float, seed: int,
           out: Connection) -> None:
    """Edit the shared needs of a store as a person in one window would, for ``seconds``.

    Each edit reads a need, waits a moment (the person typing), and saves it with its
    description set to a token unique to this edit. A stale save is caught and counted
    (the person would be told and reload). Sends one result dict at the end.
    """
    result: dict[str, Any] = {"name": name, "saved": [], "conflicts": 0, "conflict_messages": 0,
                              "added": [], "errors": []}
    try:
        app = AppLayout(path)  # as a window would hold it: several connections, threads
        store = app.window
        rng = random.Random(seed)
        needs = [n.id for n in find(store, Need) if n.description.startswith("shared")]
        plan = find(store, CarePlan)[0].id
        time.sleep(max(0.0, start_at - time.time()))
        n = 0
        while time.time() < start_at + seconds:
            n += 1
            token = f"{name}-{n}"
            try:
                if rng.random() < 0.1:
                    added = add(store, Need(plan_id=plan, description=f"added {token}",
                                            domain="other"), name)
                    result["added"].append(added.id)
                    continue
                mine = get(store, Need, rng.choice(needs))
                time.sleep(rng.uniform(0, 0.003))
                saved = update(store, mine.evolve(description=f"shared {token}"), name)
                result["saved"].append((saved.id, saved.version, saved.description))
            except StaleWriteError as exc:
                result["conflicts"] += 1
                if "nothing was saved" in str(exc):
                    result["conflict_messages"] += 1
            except Exception as exc:  # anything else would reach the person: a failure
                result["errors"].append(f"{type(exc).__name__}: {exc}")
        result["reads"] = app.reads
        app.stop()
    except Exception:
        result["errors"].append(traceback.format_exc())
    out.send(result)


def peeker(path: str, out: Connection) -> None:
    """Open and close the store over and over, as other programs do (``careplan info``,
    ``careplan flags``, a plain SQLite client), until killed; report each round."""
    import sqlite3
    from pathlib import Path

    rounds = 0
    while True:
        if Path(path).exists():
            try:
                Store.open(path, create=False).close()
                plain = sqlite3.connect(path, timeout=10)
                plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
                plain.close()
                rounds += 1
                out.send(("peeked", rounds))
            except Exception as exc:  # a store being created, or busy: try again
                out.send(("peek-failed", f"{type(exc).__name__}: {exc}"))
        time.sleep(0.01)


def lock_holder(path: str, seconds: float, out: Connection) -> None:
    """Hold the store's write lock for ``seconds`` (a long import in another window)."""
    store = Store.open(path, create=False)
    with store.atomic():
        out.send(("locked",))
        time.sleep(seconds)
    store.close()


def opener(path: str, start_at: float, out: Connection) -> None:
    """Open (creating or upgrading) a store at ``start_at`` and save one record."""
    try:
        time.sleep(max(0.0, start_at - time.time()))
        with Store.open(path, create=True) as store:
            add(store, Agency(name="First in", sector="health"), "opener")
            out.send(("ok", store.store_id))
    except Exception as exc:
        out.send(("error", "".join(traceback.format_exception(exc))))


class AppLayout:
    """The desktop app's connections in one process: the window's own, a worker thread
    that opens and closes a connection per task (caseload sorts, flags), and a long
    reader (a big export) that keeps one open. Every one of them is a real Store."""

    def __init__(self, path: str) -> None:
        import threading

        self.path = path
        self.window = Store.open(path, create=False)
        self._stop = threading.Event()
        self.reads = 0
        self.threads = [threading.Thread(target=self._tasks, daemon=True),
                        threading.Thread(target=self._long_reader, daemon=True)]
        for thread in self.threads:
            thread.start()

    def _tasks(self) -> None:
        while not self._stop.is_set():
            store = Store.open(self.path, create=False)
            try:
                store.query("SELECT count(*) AS n FROM persons")
                self.reads += 1
            finally:
                store.close()
            time.sleep(0.005)

    def _long_reader(self) -> None:
        store = Store.open(self.path, create=False)
        try:
            while not self._stop.is_set():
                store.query("SELECT count(*) AS n FROM needs")
                self.reads += 1
                time.sleep(0.01)
        finally:
            store.close()

    def stop(self) -> None:
        self._stop.set()
        for thread in self.threads:
            thread.join(10)
        self.window.close()


def app_like_writer(path: str, commands: Connection, out: Connection) -> None:
    """Hold the store as the app does; on each ``"save"`` from ``commands``, save a need
    through the window's connection and report ``("saved", id, description)`` once it
    has committed. Runs until killed."""
    try:
        app = AppLayout(path)
        plan = find(app.window, CarePlan)[0].id
        out.send(("ready",))
        n = 0
        while True:
            if commands.recv() == "save":
                n += 1
                text = f"saved while others looked {n}"
                need = add(app.window, Need(plan_id=plan, description=text, domain="other"),
                           "app")
                out.send(("saved", need.id, text))
    except EOFError:
        pass
    except Exception:
        out.send(("error", traceback.format_exc()))
        raise
