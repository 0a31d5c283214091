"""Every entity saves and loads unchanged; updates bump the version."""

from __future__ import annotations

from careplan.models import ENTITY_TYPES
from careplan.store import Store, add, find, get, update
from tests.factories import one_of_each


def test_factory_covers_every_entity() -> None:
    assert {type(e) for e in one_of_each()} == set(ENTITY_TYPES)


def test_round_trip_every_entity(store: Store) -> None:
    for entity in one_of_each():
        saved = add(store, entity, "tester")
        assert saved.version == 1
        loaded = get(store, type(entity), entity.id)
        assert loaded == saved
        assert loaded.evolve(version=0) == entity


def test_round_trip_through_a_file(store_path) -> None:  # type: ignore[no-untyped-def]
    entities = one_of_each()
    with Store.open(store_path) as s:
        for e in entities:
            add(s, e, "tester")
    with Store.open(store_path, create=False) as s:
        for e in entities:
            assert get(s, type(e), e.id).evolve(version=0) == e


def test_update_bumps_version_and_find_filters(store: Store) -> None:
    entities = one_of_each()
    for e in entities:
        add(store, e, "tester")
    person = get(store, type(entities[5]), entities[5].id)
    changed = update(store, person.evolve(what_matters="Seeing my grandchildren."), "tester")
    assert changed.version == 2
    assert get(store, type(person), person.id).what_matters == "Seeing my grandchildren."
    agencies = find(store, type(entities[0]), order_by="name")
    assert [a.name for a in agencies] == sorted(a.name for a in agencies)
    assert find(store, type(entities[0]), kind="acute hospital")[0].name == "General Hospital"
