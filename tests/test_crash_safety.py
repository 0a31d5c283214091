"""Crash safety: a process writing through the store API is killed (SIGKILL) at random
moments; afterwards the store opens, is whole, and holds every write it reported.

The writer holds the store as the desktop app does (the window's connection, a worker
thread opening one per task, a long reader), and a second process opens and closes the
store all the while, as ``careplan info`` or a plain SQLite client would: with one
connection per process the trials could not see locks lost inside a process."""

from __future__ import annotations

import json
import random
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from careplan.store import Store, add
from tests import reliability_workers as workers
from tests.factories import one_of_each
from tests.store_checks import assert_whole

#: Trials in ``make test``; the soak variant (marker ``slow``) runs many more.
TRIALS = 20
SOAK_TRIALS = 300


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store with one of every record, closed (so it is one file) for copying."""
    path = tmp_path_factory.mktemp("crash") / "base.db"
    with Store.open(path) as store:
        for entity in one_of_each():
            add(store, entity, "setup")
    return path


def _run_and_kill(path: Path, seed: int, fresh: bool) -> list[tuple[Any, ...]]:
    """Start a writer, let it run a random while, SIGKILL it; return what it reported."""
    rng = random.Random(seed)
    ctx = workers.context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=workers.crash_writer, args=(str(path), seed, send), daemon=True)
    child.start()
    send.close()
    peeks, peek_send = ctx.Pipe(duplex=False)
    peeker = ctx.Process(target=workers.peeker, args=(str(path), peek_send), daemon=True)
    peeker.start()
    peek_send.close()
    messages: list[tuple[Any, ...]] = []
    if fresh:
        # A new store: the kill may land while it is being created or migrated.
        deadline = time.monotonic() + rng.uniform(0.0, 0.3)
    else:
        assert receive.poll(30), "the writer did not start"
        messages.append(receive.recv())
        assert messages[0] == ("ready",), messages[0]
        deadline = time.monotonic() + rng.uniform(0.005, 0.3)
    while (left := deadline - time.monotonic()) > 0:
        if receive.poll(left):
            messages.append(receive.recv())
    child.kill()
    child.join(10)
    peeker.kill()
    peeker.join(10)
    while True:
        try:
            messages.append(peeks.recv())
        except EOFError:
            break
    while True:  # whatever was sent before the kill
        try:
            messages.append(receive.recv())
        except EOFError:
            break
    errors = [m for m in messages if m[0] == "error"]
    assert not errors, errors[0][1]
    assert child.exitcode == -signal.SIGKILL
    return messages


def _check_reported(path: Path, messages: list[tuple[Any, ...]]) -> int:
    """Every reported write is in the store; batches are all there or not at all."""
    verified = 0
    with Store.open(path, create=False) as store:
        for message in messages:
            kind = message[0]
            if kind == "add":
                _, table, rid, text = message
                rows = store.query(f"SELECT description FROM {table} WHERE id = ?", (rid,))
                assert rows == [{"description": text}], message
                verified += 1
            elif kind == "update":
                _, table, rid, version, address = message
                row = store.query(f"SELECT version FROM {table} WHERE id = ?", (rid,))[0]
                assert row["version"] >= version, message
                event = store.query(
                    "SELECT after FROM audit_events WHERE entity = ? AND entity_id = ? "
                    "AND version_after = ?", (table, rid, version))
                assert len(event) == 1 and json.loads(event[0]["after"])["address"] == address
                verified += 1
            elif kind == "batch":
                _, table, tag, ids = message
                marks = ", ".join("?" for _ in ids)
                found = store.query(f"SELECT count(*) AS n FROM {table} WHERE id IN ({marks})",
                                    tuple(ids))[0]["n"]
                assert found == len(ids), message
                verified += 1
        partial = store.query(
            "SELECT substr(description, 1, instr(description, ' #') - 1) AS tag, count(*) AS n "
            "FROM actions WHERE description LIKE 'batch %' GROUP BY tag HAVING n != ?",
            (workers.BATCH,))
        assert partial == [], f"half-written batches: {partial}"
    return verified


def _trials(base: Path, tmp: Path, trials: int, first_seed: int) -> dict[str, int]:
    totals = {"trials": 0, "reported": 0, "verified": 0, "rows": 0, "peeks": 0}
    for seed in range(first_seed, first_seed + trials):
        fresh = seed % 5 == 0  # every fifth trial starts from no store at all
        path = tmp / f"trial-{seed}.db"
        if not fresh:
            shutil.copyfile(base, path)
        messages = _run_and_kill(path, seed, fresh)
        if fresh and not path.exists():
            continue  # killed before the file was made: nothing was promised
        whole = assert_whole(path)
        totals["verified"] += _check_reported(path, messages)
        totals["reported"] += sum(1 for m in messages if m[0] in ("add", "update", "batch"))
        totals["peeks"] += sum(1 for m in messages if m[0] == "peeked")
        totals["rows"] += whole["rows"]
        totals["trials"] += 1
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return totals


def test_killed_writer_leaves_a_whole_store(base_store: Path, tmp_path: Path) -> None:
    totals = _trials(base_store, tmp_path, TRIALS, first_seed=1)
    print(f"crash safety: {totals}")
    assert totals["trials"] >= TRIALS - TRIALS // 5  # fresh trials may die before the file
    assert totals["verified"] == totals["reported"] > TRIALS  # the writers did write
    assert totals["peeks"] > TRIALS  # and other processes opened the store meanwhile


@pytest.mark.slow
def test_killed_writer_soak(base_store: Path, tmp_path: Path) -> None:
    totals = _trials(base_store, tmp_path, SOAK_TRIALS, first_seed=1000)
    print(f"crash safety soak: {totals}")
    assert totals["trials"] >= SOAK_TRIALS - SOAK_TRIALS // 5
    assert totals["verified"] == totals["reported"] > SOAK_TRIALS
    assert totals["peeks"] > SOAK_TRIALS
