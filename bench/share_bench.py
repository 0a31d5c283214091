"""Sharing between stores end to end: change packs as files, and the team server.

1. A change pack of 10,000 events: two copies of the 1,000-person demo store, each with
   an identity of its own, trusting each other; one makes 10,000 ordinary edits, then
   writes a pack for the other (careplan.store.exchange.make_pack: signed and sealed),
   which reads and applies it (import_pack: verified, each author's permissions
   checked, all in one transaction).
2. A first full sync through the team server: the 10,000-person demo store sends
   everything it holds to a new, empty team server (a real PostgreSQL on loopback,
   started as the tests start theirs), then a new laptop's empty store receives all of
   it (careplan.store.serversync.sync, batches applied with their cursor). Then a new
   laptop of one agency (the one with the most consent records, recorded for its role
   with ``careplan server laptop``) receives the same, whole where that agency may see
   the person and as stubs elsewhere (HAZ-029), against the laptop that gets everything.

Baseline, same run: copying the store file with SQLite's backup (what handing over a
copy of the file would cost). The stores are plain, as in the other benchmarks
(bench/encryption_bench.py measures what encryption costs).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import stores
from bench.report import Figure, seconds
from careplan.models import Action, Person, Professional
from careplan.store import Store, find, packs, sqlite, teamserver
from careplan.store.exchange import import_pack, make_pack
from careplan.store.replication import events_for, new_identity, verify, version_vector
from careplan.store.repo import update
from careplan.store.serversync import sync

WHAT = "sharing: packs and the team server"
WHY = ("Every event is checked against its author's permissions and stored as it came; a "
       "pack is signed and sealed, a sync goes in batches of a few thousand events, each "
       "applied with its cursor in one transaction.")
PACK_PERSONS = 1_000
CHANGES = 10_000
SYNC_PERSONS = 10_000


def _copy(source: Path, target: Path) -> float:
    started = time.perf_counter()
    # The store's own SQLite library: a second one in this process would drop the
    # other's locks on a file both open (careplan.store.sqlite).
    src, dst = sqlite.connect(source), sqlite.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return time.perf_counter() - started


def _changes(store: Store, count: int) -> None:
    """Ordinary edits spread over the caseload, each by someone who may make it: an
    action by its owner, a person's what matters or address by a professional."""
    rng = random.Random(1)
    persons = find(store, Person)
    actions = [a for a in find(store, Action) if a.owner_professional_id]
    someone = find(store, Professional)[0].id
    with store.atomic():
        for n in range(count):
            if n % 2:
                i = rng.randrange(len(persons))
                p = persons[i]
                persons[i] = update(store, p.evolve(what_matters=f"Change {n}.") if n % 4 == 1
                                    else p.evolve(address=f"{n} High Street"), someone)
            else:
                i = rng.randrange(len(actions))
                a = actions[i]
                actions[i] = update(store, a.evolve(description=f"Change {n}"),
                                    str(a.owner_professional_id))


def _pack(folder: Path) -> list[Figure]:
    base = stores.demo_store(PACK_PERSONS)
    here, there = folder / "here.db", folder / "there.db"
    copy_s = _copy(base, here)
    _copy(base, there)
    with Store.open(here) as a, Store.open(there) as b:
        new_identity(b)
        packs.trust(a, packs.identity(b).line(), "bench")
        packs.trust(b, packs.identity(a).line(), "bench")
        _changes(a, CHANGES)
        out = folder / "changes.cpk"
        made_s = seconds(lambda: make_pack(a, out, b.store_id, since=version_vector(b)))
        data = out.read_bytes()
        done: list[object] = []
        applied_s = seconds(lambda: done.append(import_pack(b, data)))
        result = done[0].arrived.result  # type: ignore[attr-defined]
        assert result.applied >= CHANGES and not result.refused, (result.applied,
                                                                  result.refused[:3])
        assert verify(b) == []
        print(f"  pack of {CHANGES:,} events: made in {made_s:.2f} s "
              f"({len(data) / 1e6:.1f} MB), read and applied in {applied_s:.2f} s; "
              f"copying the store file: {copy_s:.2f} s")
    base_what = "copy the store file (backup)"
    return [Figure(f"make a change pack of {CHANGES:,} events", PACK_PERSONS, made_s, "s",
                   copy_s, base_what),
            Figure(f"read and apply a change pack of {CHANGES:,} events", PACK_PERSONS,
                   applied_s, "s", copy_s, base_what)]


def _sync(folder: Path) -> list[Figure]:
    from tests.pg_server import PgServer, bin_dir

    try:
        bin_dir()
    except RuntimeError as exc:  # no PostgreSQL here: the pack's figures stand alone
        print(f"  first full sync through a team server: not measured: {exc}")
        return []
    base = stores.demo_store(SYNC_PERSONS)
    office, laptop = folder / "office.db", folder / "laptop.db"
    copy_s = _copy(base, office)
    passfile = folder / "pgpass"
    passfile.touch(0o600)
    before = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(passfile)
    # a folder the postgres user can reach (the server runs as postgres under root)
    pg_folder = Path(tempfile.mkdtemp(prefix="careplan-bench-pg-"))
    pg_folder.chmod(0o711)
    server = PgServer(pg_folder / "server").start()
    try:
        db = server.new_database()
        teamserver.init_server(server.admin_dsn(db))
        office_dsn = server.add_laptop(db, f"office_{uuid.uuid4().hex[:8]}", passfile)
        laptop_dsn = server.add_laptop(db, f"laptop_{uuid.uuid4().hex[:8]}", passfile)
        with Store.open(office) as a:
            total = len(events_for(a, {}))
            sent: list[object] = []
            push_s = seconds(lambda: sent.append(sync(a, office_dsn, timeout=30)))
        with Store.open(laptop) as b:
            got: list[Any] = []
            pull_s = seconds(lambda: got.append(sync(b, laptop_dsn, timeout=30)))
            report = got[0]
            refused = sum(len(r.refused) for r in report.results)
            assert report.pulled == total and verify(b) == []
        print(f"  first full sync of {SYNC_PERSONS:,} persons ({total:,} events): sent to a "
              f"new server in {push_s:.1f} s, received by a new laptop in {pull_s:.1f} s "
              f"({refused:,} refused); copying the store file: {copy_s:.2f} s")
        with Store.open(office) as a:
            agency = str(a.conn.execute("SELECT agency_id FROM consents GROUP BY agency_id "
                                        "ORDER BY count(*) DESC, agency_id LIMIT 1"
                                        ).fetchone()[0])
        role = f"ward_{uuid.uuid4().hex[:8]}"
        ward_dsn = server.add_laptop(db, role, passfile)
        teamserver.record_laptop(server.admin_dsn(db), role, agency)
        with Store.open(folder / "ward.db") as w:
            got.clear()
            ward_s = seconds(lambda: got.append(sync(w, ward_dsn, timeout=30)))
            withheld = int(w.conn.execute("SELECT count(*) FROM audit_events WHERE "
                                          "entity = 'withheld'").fetchone()[0])
            assert got[0].pulled == total and verify(w) == []
        print(f"  a new laptop of one agency received the same in {ward_s:.1f} s, "
              f"{withheld:,} of the {total:,} events as stubs")
    finally:
        server.stop()
        shutil.rmtree(pg_folder, ignore_errors=True)
        if before is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = before
    base_what = "copy the store file (backup)"
    return [Figure("first sync to a new team server (everything sent)", SYNC_PERSONS,
                   push_s, "s", copy_s, base_what),
            Figure("first sync of a new laptop (everything received)", SYNC_PERSONS,
                   pull_s, "s", copy_s, base_what),
            Figure("first sync of a new laptop of one agency (consent applied)",
                   SYNC_PERSONS, ward_s, "s", pull_s,
                   "the same sync of a laptop whose agency is not recorded")]


def main() -> list[Figure]:
    with tempfile.TemporaryDirectory(dir=stores.CACHE) as folder:
        figures = _pack(Path(folder))
        figures += _sync(Path(folder))
    return figures


if __name__ == "__main__":
    main()
