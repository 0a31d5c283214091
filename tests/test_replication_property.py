"""Three stores, random changes offline, random exchanges: they always end up the same.

One store is made (tests.factories.one_of_each) and copied twice, each copy taking an
identity of its own. Hypothesis then has the three make random changes (ordinary and
status fields, records added, records removed, conflicts decided) and exchange events
in random orders and partitions: all of what one has not seen, or only some of it, in
any order (what arrives before what it depends on waits). After a final full exchange:

- the three hold the same content: every record of every shared table, without the
  columns that say when and by whom a row was written on that computer (created_at,
  updated_at, updated_by; tests.sharing.content), and every record is what its events
  say (replication.verify);
- every event exists exactly once everywhere, alike in every column but its arrival;
- the same conflicts, with the same status, on every store;
- causality as the vectors tell it is causality as it happened (the events each store
  held when it wrote), and every concurrent change to a status field (and every
  removal against a change, and every two values of one field) surfaced as exactly
  one conflict, with no conflict between changes that were not concurrent.

The same runs again with the exchanges going through the real channels: change pack
FILES (careplan.store.exchange: made from what the recipient is known to have seen,
from everything, or since an earlier pack; carried at once, late, twice or never) and a
real PostgreSQL team server (the ``pg_server`` fixture; careplan.store.serversync, in
batches of four, some syncs cut short part way). The final exchange then goes through
the server alone, and afterwards nothing is left for any store to send another: the
channels delivered everything, each event exactly once on the server too.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from careplan.models import Action, CarePlan, CareTeamMember, Consent, Handoff, Need, Person
from careplan.models.base import Entity
from careplan.models.sync import DELETED, STATUS_FIELDS, conflict_id
from careplan.store import (
    InputError,
    NotFoundError,
    StaleWriteError,
    Store,
    add,
    find,
    get,
    operations,
    packs,
    serversync,
    teamserver,
    update,
)
from careplan.store.changes import Changes
from careplan.store.exchange import import_pack, make_pack, since_pack
from careplan.store.replication import (
    Event,
    apply_events,
    events_for,
    new_identity,
    open_conflicts,
    resolve,
    verify,
    version_vector,
)
from careplan.store.repo import remove as remove_added
from careplan.store.team import set_lead
from tests.pg_server import PgServer
from tests.sharing import (
    conflicts,
    content,
    copy_store,
    exchange,
    lead_manager,
    log,
    send,
    stores,
    verified,
)

#: What the stores change: a base record (its kind), a field, and values to choose from.
EDITS: list[tuple[type[Entity], str, list[Any]]] = [
    (Person, "what_matters", ["Home.", "My garden.", "My dog."]),
    (Person, "address", ["1 High Street", "2 Low Road"]),
    (Need, "description", ["Washing", "Meals"]),
    (Consent, "status", ["given", "refused", "withdrawn"]),
    (CareTeamMember, "is_lead", [True, False]),
    (Handoff, "status", ["proposed", "accepted", "declined"]),
    (Handoff, "reason", ["Rota", "Busy"]),
]
ANSWERED = datetime(2025, 2, 4, 9)
START = datetime(2025, 3, 1, 9, tzinfo=UTC)

_template: dict[str, Path] = {}


def _base(folder: Path) -> Path:
    """The one store every example starts from, made once."""
    if "path" not in _template:
        made = Path(tempfile.mkdtemp(prefix="careplan-replication-"))
        [store] = stores(made, 1)
        store.close()
        _template["path"] = made / "store-0.db"
    target = folder / "store-0.db"
    copy_store(_template["path"], target)
    return target


class World:
    """Three stores and what each had seen when it wrote each event.

    Ids and clocks are made here, not drawn from chance and the wall clock, so that an
    example runs the same way every time (Hypothesis replays and shrinks them).
    """

    def __init__(self, folder: Path) -> None:
        self.counter = itertools.count(1)
        first = _base(folder)
        paths = [first]
        for n in (1, 2):
            paths.append(folder / f"store-{n}.db")
            copy_store(first, paths[-1])
        self.stores = [Store.open(p) for p in paths]
        for n, s in enumerate(self.stores):
            if n:
                with mock.patch("uuid.uuid4", lambda n=n: uuid.UUID(int=n)):
                    new_identity(s)
            ticks = itertools.count()
            s.clock = lambda ticks=ticks, n=n: START + timedelta(minutes=next(ticks), seconds=n)
        self.saw: dict[str, frozenset[str]] = {}
        self.added: list[tuple[type[Entity], str]] = []
        #: Each store's last local change, which an "undo" step takes back.
        self.last: dict[str, Changes] = {}

    def new_id(self, *_: Any) -> str:
        return str(uuid.UUID(int=(0xCAFE << 64) + next(self.counter)))

    def close(self) -> None:
        for s in self.stores:
            s.close()

    def local(self, store: Store, write: Any) -> None:
        """Run one local change, noting what the store held when it wrote each event."""
        held = set(log(store))
        try:
            with mock.patch("careplan.store.audit.new_event_id", self.new_id):
                done = operations.run(store, write)
        except (ValueError, InputError, StaleWriteError, NotFoundError):
            return  # refused here (a rule of the record): nothing written
        if not done.changes.empty:
            self.last[store.store_id] = done.changes
        new = store.conn.execute("SELECT id FROM audit_events WHERE id NOT IN "
                                 "(SELECT value FROM json_each(?)) ORDER BY seq",
                                 (_json(sorted(held)),)).fetchall()
        for (event_id,) in new:
            self.saw[event_id] = frozenset(held)
            held.add(event_id)


def _json(items: list[str]) -> str:
    import json

    return json.dumps(items)


def _edit(cls: type[Entity], field: str, value: Any) -> Any:
    def write(s: Store) -> None:
        rows = find(s, cls)
        if not rows:
            return
        row = rows[0]
        if cls is Handoff and field == "status":
            changes = {"status": value, "answered_at": None if value == "proposed" else ANSWERED,
                       "reason": "Not ours" if value == "declined" else row.reason}
        else:
            changes = {field: value}
        update(s, row.evolve(**changes), f"{s.store_id[:4]}")
    return write


def _step(world: World, data: st.DataObject, channels: Channels | None = None) -> None:
    kind = data.draw(st.sampled_from(["edit", "edit", "edit", "add", "remove", "resolve",
                                      "undo", "lead", "sync", "sync", "sync"]))
    stores_ = world.stores
    if kind == "sync" and channels is not None:
        channels.exchange(data)
        return
    if kind == "sync":
        source, target = data.draw(st.permutations(stores_))[:2]
        sent = events_for(source, version_vector(target))
        how = data.draw(st.sampled_from(["all", "shuffled", "some"]))
        if how != "all":
            sent = data.draw(st.permutations(sent))
        if how == "some" and sent:
            sent = sent[:data.draw(st.integers(0, len(sent)))]
        apply_events(target, sent)
        return
    store = data.draw(st.sampled_from(stores_))
    if kind == "edit":
        cls, field, values = data.draw(st.sampled_from(EDITS))
        world.local(store, _edit(cls, field, data.draw(st.sampled_from(values))))
    elif kind == "add":
        plan = find(store, CarePlan)[0]
        needs = find(store, Need)
        if needs and data.draw(st.booleans()):
            need = data.draw(st.sampled_from(needs))
            record: Entity = Action(id=world.new_id(), plan_id=plan.id, need_id=need.id,
                                    description="Help")
        else:
            record = Need(id=world.new_id(), plan_id=plan.id, description="Shopping",
                          domain="social care")
        world.added.append((type(record), record.id))
        world.local(store, lambda s: add(s, record, "adder"))
    elif kind == "remove":
        choices = [*world.added, *((Consent, c.id) for c in find(store, Consent))]
        if not choices:
            return
        cls, record_id = data.draw(st.sampled_from(choices))

        def remove(s: Store) -> None:
            remove_added(s, get(s, cls, record_id), "remover")

        world.local(store, remove)
    elif kind == "lead":  # the lead professional, as the care team tab sets it
        person = find(store, Person)[0]
        members = [m.id for m in find(store, CareTeamMember, person_id=person.id)]
        lead = data.draw(st.sampled_from([None, *members]))
        manager = lead_manager(store)  # a manager, giving a reason, as the rules ask
        world.local(store, lambda s: set_lead(s, person.id, lead, manager,
                                              reason="agreed at the case conference"))
    elif kind == "undo":  # the app's Undo (and, undone again, Redo) of the last change
        changes = world.last.get(store.store_id)
        if changes is not None:
            world.local(store, lambda s: operations.revert(s, changes, "undoer").value)
    else:
        found = open_conflicts(store)
        if not found:
            return
        chosen = data.draw(st.sampled_from(found))
        keep = data.draw(st.sampled_from([chosen.event_a, chosen.event_b]))
        world.local(store, lambda s: resolve(s, chosen.id, keep, "decider"))


def _changed(e: Event, field: str) -> bool:
    return e.before is None or e.before.get(field) != e.after.get(field)


def _check(world: World, channels: Channels | None = None) -> None:
    a, b, c = world.stores
    if channels is not None:
        channels.settle()
    exchange(world.stores)
    for s in world.stores:
        assert verify(s) == [], s.store_id
        assert verified(s) == (), s.store_id  # every copy verifies every origin's chain
        assert s.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0
        assert s.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    for other in (b, c):
        assert content(other) == content(a)
        assert log(other) == log(a)
        assert conflicts(other) == conflicts(a)
    recorded = {r[0]: r for r in conflicts(a)}
    events = {e.id: e for e in events_for(a, {})}
    written = [e for e in events.values() if e.id in world.saw]
    # The vectors tell causality as it happened.
    for x in written:
        for y in written:
            if x.id != y.id:
                assert y.saw(x.store_id, x.store_seq) == (x.id in world.saw[y.id])
    # Every concurrent disagreement surfaced as exactly one conflict, and no other.
    expected = set()
    for i, x in enumerate(written):
        for y in written[i + 1:]:
            if (x.entity, x.entity_id) != (y.entity, y.entity_id) or x.entity == "accounts":
                continue
            if x.id in world.saw[y.id] or y.id in world.saw[x.id] or x.resolves or y.resolves:
                continue
            if x.after.get(DELETED) or y.after.get(DELETED):
                if not (x.after.get(DELETED) and y.after.get(DELETED)):
                    expected.add(conflict_id(x.id, y.id, DELETED))
                continue
            status = STATUS_FIELDS.get(x.entity, frozenset())
            for f in set(x.after) - {"id", "version"}:
                if x.after.get(f) == y.after.get(f):
                    continue
                both, either = _changed(x, f) and _changed(y, f), _changed(x, f) or _changed(
                    y, f)
                if both or (f in status and either):
                    expected.add(conflict_id(x.id, y.id, f))
    assert expected <= set(recorded)
    for r in recorded.values():
        event(f"conflict: {r[4]} {r[10]}")
    event(f"events written: {min(len(written) // 10 * 10, 30)}+")
    for r in recorded.values():
        if r[4] == "referenced":
            continue
        x, y = events[r[6]], events[r[7]]
        if x.id in world.saw and y.id in world.saw:
            assert x.id not in world.saw[y.id] and y.id not in world.saw[x.id], r


def _run(data: st.DataObject, steps: int, server: PgServer | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder))
        try:
            channels = None if server is None else Channels(world, Path(folder), server)
            with channels.environment() if channels is not None else _nothing():
                for _ in range(data.draw(st.integers(steps // 3, steps))):
                    _step(world, data, channels)
                _check(world, channels)
        finally:
            world.close()


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


#: The team server's database, its laptops' password file and DSNs, made once per run.
_server: dict[str, Any] = {}


def _team_server(server: PgServer) -> tuple[str, Path, list[str]]:
    """A team server emptied for this example: no events, and a new server id (so no
    store takes it for the one of an earlier example). Its database and the three
    laptops' roles are made once: an empty database costs half a second."""
    if _server.get("server") is not server:
        folder = Path(tempfile.mkdtemp(prefix="careplan-team-"))
        passfile = folder / "pgpass"
        passfile.touch(0o600)
        db = server.new_database()
        teamserver.init_server(server.admin_dsn(db))
        laptops = [server.add_laptop(db, f"laptop{n}_{uuid.uuid4().hex[:8]}", passfile)
                   for n in range(3)]
        _server.update(server=server, db=db, passfile=passfile, laptops=laptops)
    import psycopg

    with psycopg.connect(server.admin_dsn(_server["db"])) as conn:
        conn.execute("TRUNCATE careplan.events RESTART IDENTITY")
        conn.execute("UPDATE careplan.server_info SET server_id = gen_random_uuid()")
    return _server["db"], _server["passfile"], _server["laptops"]


class Channels:
    """Real change pack files and a real team server between a World's stores: every
    store trusts the others, and signs in to the server as a laptop role of its own."""

    def __init__(self, world: World, folder: Path, server: PgServer) -> None:
        self.world = world
        self.folder = folder
        self.server = server
        #: Every pack made: its file, its recipient, its maker.
        self.made: list[tuple[Path, Store, Store]] = []
        with mock.patch("careplan.store.audit.new_event_id", world.new_id):
            for s in world.stores:
                for other in world.stores:
                    if other is not s:
                        packs.trust(s, packs.identity(other).line(), "setup")
        self.db, self.passfile, laptops = _team_server(server)
        self.dsns = {s.store_id: dsn for s, dsn in zip(world.stores, laptops, strict=True)}

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        with mock.patch.dict(os.environ, {"PGPASSFILE": str(self.passfile)}), \
                mock.patch.object(serversync, "PULL_BATCH", 4), \
                mock.patch.object(serversync, "PUSH_BATCH", 4):
            yield

    def exchange(self, data: st.DataObject) -> None:
        how = data.draw(st.sampled_from(["memory", "pack", "pack", "carry", "server",
                                         "server"]))
        if how == "memory":
            source, target = data.draw(st.permutations(self.world.stores))[:2]
            send(source, target)
        elif how == "pack":
            source, target = data.draw(st.permutations(self.world.stores))[:2]
            self.pack(data, source, target)
        elif how == "carry" and self.made:  # an earlier pack: late, or once more
            path, target, _ = data.draw(st.sampled_from(self.made))
            import_pack(target, path.read_bytes(), authorise=None)
        else:
            store = data.draw(st.sampled_from(self.world.stores))
            stop = data.draw(st.one_of(st.none(), st.integers(1, 5)))
            asked = itertools.count(1)
            serversync.sync(store, self.dsns[store.store_id], authorise=None,
                            cancelled=lambda: stop is not None and next(asked) > stop)

    def pack(self, data: st.DataObject, source: Store, target: Store) -> None:
        how = data.draw(st.sampled_from(["known", "all", "since"]))
        since = None
        earlier = [p for p, t, m in self.made if t is target and m is source]
        if how == "since" and earlier:
            _, since = since_pack(source, data.draw(st.sampled_from(earlier)).read_bytes())
        out = self.folder / f"pack-{len(self.made)}.cpk"
        make_pack(source, out, target.store_id, since=since, everything=how == "all")
        self.made.append((out, target, source))
        if data.draw(st.booleans()):  # carried at once (else later, or never)
            import_pack(target, out.read_bytes(), authorise=None)

    def settle(self) -> None:
        """Every store syncs with the server, twice round: then none has anything left
        to give another, and the server holds each event once."""
        for _ in range(2):
            for s in self.world.stores:
                done = serversync.sync(s, self.dsns[s.store_id], authorise=None)
                assert done.finished
        for source in self.world.stores:
            for target in self.world.stores:
                if source is not target:
                    assert send(source, target).applied == 0
        import psycopg

        with psycopg.connect(self.server.admin_dsn(self.db)) as conn:
            row = conn.execute("SELECT count(*), count(DISTINCT event_id), "
                               "count(DISTINCT (origin, origin_seq)) FROM careplan.events"
                               ).fetchone()
        assert row is not None and row[0] == row[1] == row[2] == len(log(self.world.stores[0]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_three_stores_exchanging_at_random_end_up_the_same(data: st.DataObject) -> None:
    _run(data, 30)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_three_stores_through_pack_files_and_a_team_server(pg_server: PgServer,
                                                           data: st.DataObject) -> None:
    _run(data, 30, pg_server)


@pytest.mark.slow
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_three_stores_through_pack_files_and_a_team_server_long(pg_server: PgServer,
                                                                data: st.DataObject) -> None:
    _run(data, 40, pg_server)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_three_stores_exchanging_at_random_end_up_the_same_long(data: st.DataObject) -> None:
    _run(data, 40)


@pytest.fixture(autouse=True, scope="module")
def _template_store() -> Iterator[None]:
    yield
    import shutil

    path = _template.pop("path", None)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)
    passfile = _server.pop("passfile", None)
    if passfile is not None:
        shutil.rmtree(passfile.parent, ignore_errors=True)
    _server.clear()


def test_the_base_is_one_of_each() -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder))
        try:
            assert len({s.store_id for s in world.stores}) == 3
            assert len({str(content(s)) for s in world.stores}) == 1
            assert find(world.stores[0], Person)[0].birth_date == date(1950, 5, 1)
        finally:
            world.close()
