"""Other programs opening the store never cost the app a save.

The desktop app holds several connections to its store (the window's, workers'); any
plain file handle opened and closed on the store in that process drops SQLite's locks,
after which another process opening and closing the store deletes the WAL under the
app, and the app's next saves vanish at the first crash. Here the app's layout runs in
a child process, ``careplan info`` / ``careplan flags`` and a plain SQLite client open
and close the store beside it, the child saves, and is killed with SIGKILL.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from careplan.store import Store, add
from tests import reliability_workers as workers
from tests.factories import one_of_each
from tests.store_checks import assert_whole


def _filled(path: Path) -> Path:
    with Store.open(path) as store:
        for entity in one_of_each():
            add(store, entity, "setup")
    return path


def _careplan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "careplan", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def _others_look(path: Path, user: list[str]) -> None:
    """What other processes do to a store all day: read it (signed in, which writes the
    sign-in) and go away."""
    for args in (("info", "--db", str(path)),
                 ("flags", "--db", str(path), "--today", "2026-11-30", *user)):
        done = _careplan(*args)
        assert done.returncode == 0, done.stderr
    plain = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
             "c.execute('SELECT count(*) FROM persons').fetchone(); c.close()")
    subprocess.run([sys.executable, "-c", plain, str(path)], check=True, timeout=60)


def _start_app(path: Path) -> tuple[Any, Any, Any]:
    ctx = workers.context()
    commands_in, commands_out = ctx.Pipe(duplex=False)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=workers.app_like_writer, args=(str(path), commands_in, send),
                        daemon=True)
    child.start()
    commands_in.close()
    send.close()
    assert receive.poll(60) and receive.recv() == ("ready",)
    return child, commands_out, receive


def test_the_wal_outlives_other_processes_and_killed_saves_are_kept(
        tmp_path: Path, signed_in: Callable[..., list[str]]) -> None:
    path = _filled(tmp_path / "store.db")
    with Store.open(path, create=False) as store:  # a social worker on the person's team
        (sw,) = [str(r["id"]) for r in store.query(
            "SELECT id FROM professionals WHERE name = 'Sam Green'")]
    user = signed_in(path, "sam.green", "practitioner", sw)
    child, commands, receive = _start_app(path)
    saved: list[tuple[str, str]] = []
    try:
        for _round in range(3):
            _others_look(path, user)
            # While the app holds the store, its WAL must still be there.
            assert Path(f"{path}-wal").exists(), "another process deleted the app's WAL"
            commands.send("save")
            assert receive.poll(60)
            message = receive.recv()
            assert message[0] == "saved", message
            saved.append((message[1], message[2]))
    finally:
        child.kill()
        child.join(10)
    assert child.exitcode == -signal.SIGKILL
    assert_whole(path)
    with Store.open(path, create=False) as store:
        for need_id, text in saved:
            rows = store.query("SELECT description FROM needs WHERE id = ?", (need_id,))
            assert rows == [{"description": text}], "a confirmed save was lost"


def test_checking_a_store_opens_no_file_handle_on_it(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a store reads what is in it through SQLite only: a plain handle on the
    store, its WAL or SHM is never opened (and so never closed) in this process."""
    import builtins
    import io
    import os

    path = _filled(tmp_path / "store.db")
    first = Store.open(path, create=False)
    touched: list[str] = []
    watched = {str(path), f"{path}-wal", f"{path}-shm"}

    def note(name: Any) -> None:
        if os.fspath(name) in watched or str(Path(os.fspath(name)).resolve()) in watched:
            touched.append(os.fspath(name))

    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (note(f), real_open(f, *a, **k))[1])
    monkeypatch.setattr(io, "open", lambda f, *a, **k: (note(f), real_io_open(f, *a, **k))[1])
    monkeypatch.setattr(os, "open", lambda f, *a, **k: (note(f), real_os_open(f, *a, **k))[1])
    try:
        Store.open(path, create=False).close()
        Store.open(path, create=False, check=True).close()
        Store.open(path, read_only=True).close()
    finally:
        monkeypatch.undo()
        first.close()
    assert touched == []


def test_a_foreign_sqlite_file_is_left_exactly_as_it_was(tmp_path: Path) -> None:
    """``careplan info`` on another program's database: refused, and not switched to WAL."""
    other = tmp_path / "accounts.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE ledger (x)")
        conn.execute("INSERT INTO ledger VALUES (1)")
    conn.close()
    before = other.read_bytes()
    for args in (("info", "--db", str(other)), ("flags", "--db", str(other)),
                 ("rules", "--db", str(other))):
        done = _careplan(*args)
        assert done.returncode == 2, done.stderr
        assert "not a CarePlan store" in done.stderr and "Traceback" not in done.stderr
    assert other.read_bytes() == before
    with sqlite3.connect(other) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_info_counts_a_table_whose_name_holds_a_quote(tmp_path: Path) -> None:
    path = _filled(tmp_path / "store.db")
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "odd ""name" (x)')
        conn.execute('INSERT INTO "odd ""name" VALUES (1)')
    conn.close()
    done = _careplan("info", "--db", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert '"odd \\"name": 1' in done.stdout


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_importing_the_store_itself_is_refused_before_it_is_read(tmp_path: Path,
                                                                 suffix: str) -> None:
    """``import fhir`` reads its FILE with a plain handle while the store is open: the
    store (or its WAL) as FILE would drop SQLite's locks, so it is refused first."""
    path = _filled(tmp_path / "store.db")
    holder = Store.open(path, create=False)  # keeps the WAL in being
    holder.conn.execute("SELECT 1").fetchone()
    try:
        done = _careplan("import", "fhir", "--db", str(path), f"{path}{suffix}")
    finally:
        holder.close()
    assert done.returncode == 2, done.stderr
    assert "is the store itself" in done.stderr and "Traceback" not in done.stderr
