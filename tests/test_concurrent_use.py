"""Concurrent use: two processes edit the same records of one store at the same time.

No "database is locked" (or any other error) reaches either of them, and no update is
lost: every save that succeeded is in the audit trail under its own version, the records
end as the last save left them, and a stale save is refused with a sentence and counted.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from careplan.models import Need
from careplan.store import Store, StoreError, add, find, update
from careplan.store.digest import content_digest
from tests import reliability_workers as workers
from tests.factories import one_of_each
from tests.store_checks import assert_whole

SHARED_NEEDS = 3


def _store(path: Path) -> None:
    with Store.open(path) as store:
        entities = one_of_each()
        for entity in entities:
            add(store, entity, "setup")
        plan = next(e for e in entities if e.TABLE == "care_plans")
        for k in range(SHARED_NEEDS):
            add(store, Need(plan_id=plan.id, description=f"shared {k}", domain="other"),
                "setup")


def _edit_together(path: Path, seconds: float) -> list[dict[str, Any]]:
    """Two windows (each holding the store as the app does: several connections and
    worker threads) edit at once, while a third process opens and closes the store."""
    ctx = workers.context()
    peeks, peek_send = ctx.Pipe(duplex=False)
    peeker = ctx.Process(target=workers.peeker, args=(str(path), peek_send), daemon=True)
    peeker.start()
    peek_send.close()
    start_at = time.time() + 1.0  # both children open the store before the clock starts
    pipes, children = [], []
    for k, name in enumerate(("window-a", "window-b")):
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=workers.editor,
                            args=(str(path), name, start_at, seconds, k, send), daemon=True)
        child.start()
        send.close()
        pipes.append(receive)
        children.append(child)
    results = []
    for receive, child in zip(pipes, children, strict=True):
        assert receive.poll(seconds + 60), "an editor did not finish"
        results.append(receive.recv())
        child.join(10)
        assert child.exitcode == 0
    peeker.kill()
    peeker.join(10)
    rounds = 0
    while True:
        try:
            rounds += peeks.recv()[0] == "peeked"
        except EOFError:
            break
    results[0]["peeks"] = rounds
    return results


def _check(path: Path, results: list[dict[str, Any]]) -> dict[str, int]:
    for result in results:
        assert result["errors"] == [], f"{result['name']}: {result['errors'][:3]}"
        assert result["conflict_messages"] == result["conflicts"]
    claims: dict[str, dict[int, str]] = defaultdict(dict)
    for result in results:
        for need_id, version, description in result["saved"]:
            assert version not in claims[need_id], "two saves claimed the same version"
            claims[need_id][version] = description
    whole = assert_whole(path)
    with Store.open(path, create=False) as store:
        for need_id, versions in claims.items():
            row = store.query("SELECT version, description FROM needs WHERE id = ?",
                              (need_id,))[0]
            # Every version after the first is a save someone was told succeeded...
            assert sorted(versions) == list(range(2, row["version"] + 1))
            # ...the record holds the newest one, and the audit trail holds each one.
            assert row["description"] == versions[row["version"]]
            events = store.query("SELECT version_after, after FROM audit_events "
                                 "WHERE entity = 'needs' AND entity_id = ? "
                                 "AND version_after > 1", (need_id,))
            assert {e["version_after"]: json.loads(e["after"])["description"]
                    for e in events} == versions
        for result in results:
            for need_id in result["added"]:
                assert store.query("SELECT 1 FROM needs WHERE id = ?", (need_id,))
    figures = {
        "saved": sum(len(r["saved"]) for r in results),
        "conflicts": sum(r["conflicts"] for r in results),
        "added": sum(len(r["added"]) for r in results),
        "events": whole["events"],
        "reads": sum(r["reads"] for r in results),
        "peeks": results[0]["peeks"],
    }
    assert figures["reads"] > 0 and figures["peeks"] > 0, "the app layout was not exercised"
    assert all(r["saved"] for r in results), "each window saved something"
    assert figures["conflicts"] > 0, "the two windows never collided: the test proved nothing"
    return figures


def test_two_processes_edit_the_same_store(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    _store(path)
    figures = _check(path, _edit_together(path, seconds=5))
    print(f"concurrent use, 5 s: {figures}")


@pytest.mark.slow
def test_two_processes_edit_the_same_store_for_30_seconds(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    _store(path)
    figures = _check(path, _edit_together(path, seconds=30))
    print(f"concurrent use, 30 s: {figures}")


def _hold_lock(path: Path, seconds: float) -> Any:
    ctx = workers.context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=workers.lock_holder, args=(str(path), seconds, send),
                        daemon=True)
    child.start()
    assert receive.poll(30) and receive.recv() == ("locked",)
    return child


@pytest.mark.parametrize(("held", "saved"), [(0.5, True), (2.5, False)])
def test_a_busy_store_is_waited_for_then_refused_in_words(
        tmp_path: Path, held: float, saved: bool) -> None:
    """Another process holds the write lock (a long import). With the busy timeout cut
    to 0.3 s, a save retries (three attempts): a short hold is waited out; a long one
    gives a sentence, never SQLite's "database is locked", and writes nothing."""
    path = tmp_path / "busy.db"
    _store(path)
    with Store.open(path, create=False) as store:
        store.conn.execute("PRAGMA busy_timeout = 300")
        mine = find(store, Need)[0]
        before = content_digest(store)
        holder = _hold_lock(path, held)
        try:
            if saved:
                assert update(store, mine.evolve(description="waited"), "me").version == 2
            else:
                with pytest.raises(StoreError) as refused:
                    update(store, mine.evolve(description="gave up"), "me")
                assert str(refused.value).endswith(
                    "is busy in another window or program; try again in a moment.")
                assert "database is locked" not in str(refused.value)
                assert content_digest(store) == before
        finally:
            holder.join(10)
        assert holder.exitcode == 0


def test_two_processes_creating_one_new_store_at_once(tmp_path: Path) -> None:
    """Two windows open the same new store at the same moment: both create and migrate
    it under the write lock, so neither fails and the store gets one identity."""
    ctx = workers.context()
    for trial in range(8):
        path = tmp_path / f"new-{trial}.db"
        start_at = time.time() + 0.2
        pipes, children = [], []
        for _ in range(2):
            receive, send = ctx.Pipe(duplex=False)
            child = ctx.Process(target=workers.opener, args=(str(path), start_at, send),
                                daemon=True)
            child.start()
            send.close()
            pipes.append(receive)
            children.append(child)
        results = [receive.recv() for receive in pipes]
        for child in children:
            child.join(10)
        assert [r[0] for r in results] == ["ok", "ok"], results
        assert results[0][1] == results[1][1], "the store got two identities"
        assert assert_whole(path)["rows"] == 2
