"""The caseload's flags read on two connections at once (the loader's reads split between
the store's connection and a read-only one of a thread of its own) are the flags of one
connection; a connection inside a transaction reads alone, so it sees its own changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from careplan.demo.build import build_demo
from careplan.store import Store, flagdata
from careplan.store.encryption import create_store
from careplan.store.flagdata import caseload_flags

TODAY = date(2025, 3, 12)
#: Reads made on the second connection when the loader splits them.
SIDE_SQL = "FROM plan_signoffs s JOIN care_plans c"


def _json(flags):  # type: ignore[no-untyped-def]
    return [f.to_json() for f in flags]


def _traced(store: Store, fn):  # type: ignore[no-untyped-def]
    """``fn()`` and the statements it ran on ``store``'s own connection."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        return fn(), statements
    finally:
        store.conn.set_trace_callback(None)


@pytest.fixture
def encrypted_demo(tmp_path: Path) -> Store:
    store = create_store(tmp_path / "demo.db")
    build_demo(store, persons=120, seed=7, today=TODAY, parallel=False)
    yield store
    store.close()


def test_two_connections_find_the_flags_of_one(encrypted_demo: Store,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = encrypted_demo
    monkeypatch.setattr(flagdata, "_PARALLEL_FROM", 10**9)
    alone, statements = _traced(store, lambda: _json(caseload_flags(store, TODAY)))
    assert [s for s in statements if SIDE_SQL in s], "every read on the one connection"
    monkeypatch.setattr(flagdata, "_PARALLEL_FROM", 1)
    split, statements = _traced(store, lambda: _json(caseload_flags(store, TODAY)))
    assert alone and split == alone
    assert not [s for s in statements if SIDE_SQL in s], "the side reads ran elsewhere"
    # The same persons given by id go the same way.
    ids = sorted({f["person_id"] for f in split})
    given, statements = _traced(
        store, lambda: _json(caseload_flags(store, TODAY, person_ids=ids)))
    assert given == alone and not [s for s in statements if SIDE_SQL in s]


def test_few_persons_are_read_on_one_connection(encrypted_demo: Store) -> None:
    store = encrypted_demo
    everyone = _json(caseload_flags(store, TODAY))
    one = everyone[0]["person_id"]
    flags, statements = _traced(
        store, lambda: _json(caseload_flags(store, TODAY, person_ids=[one])))
    assert flags == [f for f in everyone if f["person_id"] == one]
    assert [s for s in statements if SIDE_SQL in s]


def test_a_connection_in_a_transaction_reads_its_own_changes(
        encrypted_demo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store = encrypted_demo
    monkeypatch.setattr(flagdata, "_PARALLEL_FROM", 1)
    before = _json(caseload_flags(store, TODAY))
    busiest = max({f["person_id"] for f in before},
                  key=lambda p: sum(f["person_id"] == p for f in before))
    ids = sorted({f["person_id"] for f in before})

    class Undo(Exception):
        pass

    with pytest.raises(Undo), store.atomic():
        # Uncommitted: no other connection can see it.
        store.conn.execute("DELETE FROM plan_signoffs WHERE plan_id IN "
                           "(SELECT id FROM care_plans WHERE person_id = ?)", (busiest,))
        store.conn.execute("UPDATE care_plans SET status = 'closed' WHERE person_id = ?",
                           (busiest,))
        inside, statements = _traced(
            store, lambda: _json(caseload_flags(store, TODAY, person_ids=ids)))
        raise Undo
    assert [s for s in statements if SIDE_SQL in s], "one connection inside a transaction"
    assert [f for f in inside if f["person_id"] != busiest] == [
        f for f in before if f["person_id"] != busiest]
    assert [f for f in inside if f["person_id"] == busiest] != [
        f for f in before if f["person_id"] == busiest]
    assert _json(caseload_flags(store, TODAY)) == before  # rolled back
