"""Every write leaves exactly one audit event, chained to the row's previous event."""

from __future__ import annotations

import pytest

from careplan.models import Person
from careplan.store import Store, add, add_many, sqlite, update
from careplan.store import audit as audit_log
from tests.factories import one_of_each


def test_one_event_per_write(store: Store) -> None:
    entities = one_of_each()
    for e in entities:
        add(store, e, "tester")
    assert audit_log.count(store) == len(entities)
    person = next(e for e in entities if isinstance(e, Person))
    saved = store.query("SELECT version FROM persons WHERE id = ?", (person.id,))[0]
    assert saved["version"] == 1
    v2 = update(store, person.evolve(version=1, address="1 New Road"), "editor")
    update(store, v2.evolve(address="2 Newer Road"), "editor")
    events = audit_log.events_for(store, "persons", person.id)
    assert [(e.version_before, e.version_after) for e in events] == [(None, 1), (1, 2), (2, 3)]
    assert events[0].parent_id is None
    assert events[1].parent_id == events[0].id and events[2].parent_id == events[1].id
    assert events[2].before is not None and events[2].before["address"] == "1 New Road"
    assert events[2].after["address"] == "2 Newer Road"
    assert events[2].changed_fields == ["address", "version"]
    assert events[2].actor == "editor" and events[2].store_id == store.store_id
    seqs = [e.store_seq for e in audit_log.events(store)]
    assert sorted(seqs) == list(range(1, len(seqs) + 1))


def test_unchanged_save_writes_nothing(store: Store) -> None:
    entities = one_of_each()
    for e in entities:
        add(store, e, "tester")
    person = next(e for e in entities if isinstance(e, Person)).evolve(version=1)
    before = audit_log.count(store)
    assert update(store, person, "tester") == person
    assert audit_log.count(store) == before


def test_bulk_add_writes_an_event_per_record(store: Store) -> None:
    entities = one_of_each()
    assert add_many(store, entities, "importer") == len(entities)
    assert audit_log.count(store) == len(entities)


def test_audit_events_cannot_be_rewritten_or_deleted(store: Store) -> None:
    add(store, one_of_each()[0], "tester")
    with pytest.raises(sqlite.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE audit_events SET actor = 'someone else'")
    with pytest.raises(sqlite.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM audit_events")
