"""The team server's own rules, held by a real PostgreSQL: an append-only event table,
pushes recorded under the role that signed in, idempotent pushes, and an order in which
a reader following the server's sequence never skips an event."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest

from careplan.store import teamserver
from tests.pg_server import PgServer


def _event(origin: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "store_id": origin, "store_seq": seq, **extra}


@pytest.fixture
def team(pg_server: PgServer) -> tuple[PgServer, str]:
    db = pg_server.new_database()
    teamserver.init_server(pg_server.admin_dsn(db))
    teamserver.init_server(pg_server.admin_dsn(db))  # running it again changes nothing
    return pg_server, db


def test_pushes_are_kept_in_order_under_the_role_that_signed_in(team) -> None:  # type: ignore[no-untyped-def]
    server, db = team
    laptop = server.add_client(db, f"gp_laptop_{uuid.uuid4().hex[:6]}")
    with teamserver.connect(laptop) as conn:
        events = [_event("store-a", n, author="someone else") for n in (1, 2, 3)]
        assert teamserver.push(conn, events) == 3
        assert teamserver.push(conn, events) == 0  # pushed again after a drop: no copies
        pulled = teamserver.pull(conn, 0)
    assert [p.event["id"] for p in pulled] == [e["id"] for e in events]
    assert [p.server_seq for p in pulled] == sorted(p.server_seq for p in pulled)
    role = laptop.split("user=")[1].split()[0]
    assert {p.author for p in pulled} == {role}  # not what the payload claims


@pytest.mark.parametrize("sql", [
    "INSERT INTO careplan.events (event_id, origin, origin_seq, payload, author) "
    "VALUES ('x', 'o', 1, '{}', 'me')",
    "UPDATE careplan.events SET payload = '{}'",
    "DELETE FROM careplan.events",
    "SELECT * FROM careplan.events",
])
def test_clients_can_only_push_and_pull(team, sql: str) -> None:  # type: ignore[no-untyped-def]
    server, db = team
    laptop = server.add_client(db, f"nurse_laptop_{uuid.uuid4().hex[:6]}")
    with teamserver.connect(laptop) as conn:
        teamserver.push(conn, [_event("store-b", 1)])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)
        conn.rollback()
        assert len(teamserver.pull(conn, 0)) == 1


def test_a_reader_following_the_sequence_never_skips_an_event(team) -> None:  # type: ignore[no-untyped-def]
    """Eight writers push at once while a reader pulls "after the last one I saw" over and
    over; at the end the reader has seen every event exactly once."""
    server, db = team
    writers = [server.add_client(db, f"w{k}_{uuid.uuid4().hex[:6]}") for k in range(8)]
    reader = server.add_client(db, f"reader_{uuid.uuid4().hex[:6]}")
    per_writer, batch = 40, 5
    done = threading.Event()

    def write(dsn: str, origin: str) -> None:
        with teamserver.connect(dsn) as conn:
            for start in range(1, per_writer + 1, batch):
                teamserver.push(conn, [_event(origin, n) for n in range(start, start + batch)])

    threads = [threading.Thread(target=write, args=(dsn, f"store-{k}"))
               for k, dsn in enumerate(writers)]
    for t in threads:
        t.start()
    seen: list[int] = []
    with teamserver.connect(reader) as conn:
        cursor = 0
        while True:
            finished = done.is_set()
            for pulled in teamserver.pull_all(conn, cursor):
                seen.append(pulled.server_seq)
                cursor = pulled.server_seq
            if finished:
                break
            if not any(t.is_alive() for t in threads):
                done.set()
    for t in threads:
        t.join()
    assert len(seen) == len(set(seen)) == 8 * per_writer
    assert seen == sorted(seen)


def test_an_unreachable_server_is_one_sentence(pg_server: PgServer) -> None:
    with pytest.raises(teamserver.ServerError, match="^The team server cannot be reached"):
        teamserver.connect(f"host=127.0.0.1 port={pg_server.port + 1} dbname=x user=y "
                           "password=z")
    with pytest.raises(teamserver.ServerError, match="cannot be reached"):
        teamserver.connect(pg_server.dsn("nobody", "wrong", "postgres"))


def test_server_init_from_the_command_line(pg_server: PgServer, tmp_path, monkeypatch,
                                           capsys) -> None:  # type: ignore[no-untyped-def]
    from careplan.cli import main

    db = pg_server.new_database()
    passfile = tmp_path / "pgpass"
    from tests.pg_server import ADMIN, ADMIN_PASSWORD

    passfile.write_text(f"127.0.0.1:{pg_server.port}:{db}:{ADMIN}:{ADMIN_PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    dsn = f"host=127.0.0.1 port={pg_server.port} dbname={db} user={ADMIN}"
    assert main(["server", "init", "--dsn", dsn]) == 0
    assert "ready" in capsys.readouterr().out
    laptop = pg_server.add_client(db, f"sw_laptop_{uuid.uuid4().hex[:6]}")
    with teamserver.connect(laptop) as conn:
        assert teamserver.push(conn, [_event("store-c", 1)]) == 1
    assert main(["server", "init", "--dsn", dsn + " password=x"]) == 2
    assert "does not belong on the command line" in capsys.readouterr().err
    monkeypatch.delenv("PGPASSFILE")
    assert main(["server", "init", "--dsn", f"host=127.0.0.1 port={pg_server.port + 1} "
                                            "dbname=x user=y"]) == 2
    assert "cannot be reached" in capsys.readouterr().err
