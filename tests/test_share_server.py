"""Syncing stores through a real PostgreSQL team server (the ``pg_server`` fixture):
``careplan share sync`` and careplan.store.serversync.

Stores pull what they lack and push what the server lacks, through the same apply path
as packs. A sync whose connection is killed part way (the server ends the backend)
keeps what it applied, resumes from the last batch applied or acknowledged, and
nothing is duplicated, here or on the server. An unreachable server is one sentence and
changes nothing; a server built again from nothing is not taken for the old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from careplan.cli import main
from careplan.models import Need, Person
from careplan.store import Store, add, find, packs, teamserver, update
from careplan.store import serversync as serversync_module
from careplan.store.replication import open_conflicts, resolve, verify, version_vector
from careplan.store.serversync import SyncError, configure, last_state, sync
from tests.pg_server import PgServer
from tests.sharing import content, log, stores
from tests.signin import digest_without_sign_ins


class Team:
    """A team server (a database of its own on the session's PostgreSQL) and its laptops'
    sign-ins, in a password file as a laptop keeps them."""

    def __init__(self, server: PgServer, passfile: Path) -> None:
        self.server = server
        self.passfile = passfile
        self.db = server.new_database()
        teamserver.init_server(server.admin_dsn(self.db))

    def laptop(self) -> str:
        return self.server.add_laptop(self.db, f"laptop_{uuid.uuid4().hex[:8]}", self.passfile)

    def held(self) -> tuple[int, int, int]:
        """Events on the server: rows, distinct ids, distinct (store, sequence)."""
        with psycopg.connect(self.server.admin_dsn(self.db)) as conn:
            row = conn.execute("SELECT count(*), count(DISTINCT event_id), "
                               "count(DISTINCT (origin, origin_seq)) FROM careplan.events"
                               ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    def kill(self, conn: psycopg.Connection[Any]) -> None:
        """End a client's connection from the server's side, as a server going down
        does."""
        with psycopg.connect(self.server.admin_dsn(self.db), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))


@pytest.fixture
def team(pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Team:
    passfile = tmp_path / "pgpass"
    passfile.touch(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    return Team(pg_server, passfile)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[Store]]:
    found = stores(tmp_path, 2)
    yield found
    for s in found:
        s.close()


def _person(s: Store) -> Person:
    return find(s, Person)[0]


def _same(*group: Store) -> None:
    first = group[0]
    for other in group[1:]:
        assert content(other) == content(first)
        assert log(other) == log(first)
        assert version_vector(other) == version_vector(first)
    for s in group:
        assert verify(s) == []
        assert s.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0


def test_two_laptops_share_through_the_server(team: Team, pair: list[Store]) -> None:
    a, b = pair
    dsn_a, dsn_b = team.laptop(), team.laptop()
    update(a, _person(a).evolve(what_matters="My garden."), "dr")
    first = sync(a, dsn_a, authorise=None)
    assert first.pushed == len(log(a)) and first.finished
    pulled = sync(b, dsn_b, authorise=None)
    assert _person(b).what_matters == "My garden."
    assert pulled.result.applied >= 1 and pulled.result.already_seen >= 1
    # the same field changed on both: a conflict on both, decided once, closed on both
    update(a, _person(a).evolve(address="1 High Street"), "dr")
    update(b, _person(b).evolve(address="2 Low Road"), "sw")
    for s, dsn in ((a, dsn_a), (b, dsn_b), (a, dsn_a)):
        sync(s, dsn, authorise=None)
    [conflict] = open_conflicts(a)
    assert [c.id for c in open_conflicts(b)] == [conflict.id]
    resolve(b, conflict.id, conflict.event_b, "sw")
    for s, dsn in ((b, dsn_b), (a, dsn_a)):
        sync(s, dsn, authorise=None)
    assert open_conflicts(a) == open_conflicts(b) == []
    _same(a, b)
    rows, ids, places = team.held()
    assert rows == ids == places == len(log(a))  # every event exactly once
    again = sync(a, dsn_a, authorise=None)
    assert (again.pulled, again.pushed) == (0, 0)


def _killing(team: Team, name: str, after: int) -> Callable[..., Any]:
    """``teamserver.<name>``, whose call number ``after`` finds its connection killed."""
    real = getattr(teamserver, name)
    calls = {"n": 0}

    def call(conn: psycopg.Connection[Any], *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == after:
            team.kill(conn)
        return real(conn, *args)

    return call


def test_a_pull_cut_short_resumes_and_nothing_is_duplicated(
        team: Team, pair: list[Store], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = pair
    dsn_a, dsn_b = team.laptop(), team.laptop()
    plan = find(a, Need)[0].plan_id
    needs = len(find(a, Need))
    for n in range(40):
        add(a, Need(plan_id=plan, description=f"Need {n}", domain="social care"), "dr")
    sync(a, dsn_a, authorise=None)
    monkeypatch.setattr(serversync_module, "PULL_BATCH", 7)
    monkeypatch.setattr(teamserver, "pull", _killing(team, "pull", 4))
    with pytest.raises(SyncError, match="kept; the next sync goes on from there") as cut:
        sync(b, dsn_b, authorise=None)
    assert cut.value.report.pulled == 21  # three batches applied before the drop
    state = last_state(b, dsn_b)
    assert state is not None and state.last_error and state.cursor > 0
    monkeypatch.undo()
    monkeypatch.setenv("PGPASSFILE", str(team.passfile))
    done = sync(b, dsn_b, authorise=None)
    total = team.held()[0]
    assert done.finished and done.pulled == total - 21  # resumed, not repeated
    _same(a, b)
    assert len(find(b, Need)) == needs + 40
    assert (last_state(b, dsn_b) or state).last_error is None


def test_a_push_cut_short_is_pushed_again_once(
        team: Team, pair: list[Store], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = pair
    dsn_a, dsn_b = team.laptop(), team.laptop()
    plan = find(a, Need)[0].plan_id
    for n in range(25):
        add(a, Need(plan_id=plan, description=f"Need {n}", domain="social care"), "dr")
    monkeypatch.setattr(serversync_module, "PUSH_BATCH", 10)
    monkeypatch.setattr(teamserver, "push", _killing(team, "push", 3))
    with pytest.raises(SyncError, match="sent before that are kept"):
        sync(a, dsn_a, authorise=None)
    rows, _, _ = team.held()
    assert rows == 20  # two batches acknowledged
    monkeypatch.setattr(teamserver, "push", _killing(team, "push", 0))
    sync(a, dsn_a, authorise=None)
    sync(b, dsn_b, authorise=None)
    rows, ids, places = team.held()
    assert rows == ids == places == len(log(a))
    _same(a, b)


def test_an_unreachable_server_is_one_sentence(
        team: Team, pair: list[Store], signed_in, capsys) -> None:  # type: ignore[no-untyped-def]
    a, _ = pair
    dead = f"host=127.0.0.1 port={team.server.port + 1} dbname=x user=y connect_timeout=2"
    before = digest_without_sign_ins(a)
    user = signed_in(a.path)
    assert main(["share", "sync", "--db", a.path, *user, "--server", dead]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be reached" in err
    assert digest_without_sign_ins(a) == before
    assert main(["share", "sync", "--db", a.path, *user, "--server",
                 dead + " password=secret"]) == 2
    assert "does not belong in the connection string" in capsys.readouterr().err


def test_a_server_built_again_is_a_new_server(team: Team, pair: list[Store]) -> None:
    a, b = pair
    sync(a, team.laptop(), authorise=None)
    again = Team(team.server, team.passfile)  # another database: another server id
    second = sync(a, again.laptop(), authorise=None)
    assert second.pushed == len(log(a))  # everything, not "what the old one had"
    assert len(serversync_module.states(a)) == 2
    sync(b, again.laptop(), authorise=None)
    _same(a, b)


def test_the_server_setting_and_sync_from_the_command_line(
        team: Team, pair: list[Store], signed_in, capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = pair
    dsn_a, dsn_b = team.laptop(), team.laptop()
    admin = signed_in(a.path)
    assert main(["share", "server", "--db", a.path]) == 0
    assert "syncs with no team server" in capsys.readouterr().out
    manager = signed_in(a.path, "lead.manager")
    assert main(["share", "server", dsn_a, "--db", a.path, *manager]) == 2
    assert "Only an administrator may choose the team server" in capsys.readouterr().err
    assert main(["share", "server", dsn_a, "--db", a.path, *admin]) == 0
    assert "Never synced" in capsys.readouterr().out
    update(a, _person(a).evolve(what_matters="Through the server."), "dr")
    assert main(["share", "sync", "--db", a.path, *admin]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Synced with the team server") and "sent" in out
    assert main(["share", "server", "--db", a.path]) == 0
    assert "Last synced:" in capsys.readouterr().out
    assert main(["share", "sync", "--db", b.path, *signed_in(b.path), "--server",
                 dsn_b]) == 0
    out = capsys.readouterr().out
    assert "arrived and" in out
    assert _person(b).what_matters == "Through the server."
    assert main(["share", "server", "--off", "--db", a.path, *admin]) == 0
    with Store.open(a.path, create=False) as again:
        assert serversync_module.configured(again) is None
    configure(a, dsn_a)


def test_refused_changes_from_the_server_wait_and_the_cursor_moves(
        team: Team, pair: list[Store]) -> None:
    a, b = pair
    dsn_a, dsn_b = team.laptop(), team.laptop()
    handoff = a.conn.execute("SELECT id FROM handoffs").fetchone()[0]
    from careplan.models import Handoff
    from careplan.store import get

    stored = get(a, Handoff, handoff)
    update(a, stored.evolve(status="declined", answer_reason="No",
                            answered_at=stored.proposed_at), "intruder")
    sync(a, dsn_a)
    report = sync(b, dsn_b)
    [refused] = report.result.refused
    assert "may answer this handoff" in refused.reason
    assert any("refused" in line for line in report.lines(b))
    state = last_state(b, dsn_b)
    assert state is not None and state.cursor == team.held()[0]
    assert get(b, Handoff, handoff).status.value == "proposed"
    assert packs  # the server path needs no trusted stores
