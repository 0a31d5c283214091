"""A person's History tab reads the audit log through an index, in new and upgraded stores.

Without an index led by ``entity_id`` the history query read the whole audit log: about
160 ms a person at 50,000 persons (bench/history_bench.py).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from export_sample import lead_prints

from careplan.demo.build import build_demo
from careplan.demo.generator import MIN_PERSONS
from careplan.models import Person
from careplan.store import Store, find, migrations
from careplan.store.person_file import load_person_file, person_history

INDEX = "idx_audit_entity_id"


def _history_plan(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The query plan of every statement ``person_history`` runs for a demo person (who
    has events: the plan of a query that found nothing would prove little)."""
    person = find(store, Person, order_by="family_name")[0]
    pf = load_person_file(store, person.id, viewer=lead_prints(store, person.id)["reader"],
                          today=date(2025, 3, 10))
    asked: list[tuple[str, Any]] = []
    real = store.query

    def spy(sql: str, params: Any = ()) -> list[dict[str, Any]]:
        asked.append((sql, params))
        return real(sql, params)

    monkeypatch.setattr(store, "query", spy)
    events = person_history(store, pf)
    monkeypatch.undo()
    assert events and {e.entity_id for e in events} <= set(pf.row_ids())
    assert asked and all("audit_events" in sql for sql, _ in asked)
    return [str(row[3]) for sql, params in asked
            for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def _searches_by_index(plan: list[str]) -> bool:
    on_log = [step for step in plan if " audit_events" in step]
    return bool(on_log) and all(step.startswith("SEARCH audit_events USING INDEX")
                                for step in on_log)


def test_the_history_query_searches_an_index_not_the_whole_log(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(store_path) as store:
        build_demo(store, persons=MIN_PERSONS, seed=3, today=date(2025, 3, 10))
        plan = _history_plan(store, monkeypatch)
    assert _searches_by_index(plan), plan
    assert any(INDEX in step for step in plan), plan


def _older_store(path: Path, version: int) -> None:
    """A store as CarePlan left it at schema ``version``, with one audit event in it."""
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    conn.execute("BEGIN")
    for migration in migrations.MIGRATIONS[:version]:
        migration(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO audit_events (id, store_id, store_seq, parent_id, entity, entity_id, "
        "version_before, version_after, before, after, actor, at) "
        "VALUES ('e1', 's1', 1, NULL, 'persons', 'p1', NULL, 1, NULL, '{}', 'test', "
        "'2025-03-10T09:00:00')")
    conn.execute("COMMIT")
    conn.close()


def test_opening_a_store_of_schema_5_adds_the_index_over_its_events(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _older_store(store_path, 5)
    with Store.open(store_path) as store:
        assert store.schema_version == migrations.latest_version() >= 6
        found = store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' "
            "AND name = ?", (INDEX,)).fetchall()
        assert found == [(INDEX,)]
        # The index was built over the events already there, not only later ones.
        old = store.conn.execute(
            f"SELECT id FROM audit_events INDEXED BY {INDEX} WHERE entity_id = 'p1'").fetchall()
        assert old == [("e1",)]
        # And the upgraded store's history is read through it.
        build_demo(store, persons=MIN_PERSONS, seed=3, today=date(2025, 3, 10))
        assert _searches_by_index(_history_plan(store, monkeypatch))
        assert store.integrity_check() == "ok"
