"""A refused or failed write leaves the store's content exactly as it was."""

from __future__ import annotations

import pytest

from careplan.models import CareTeamMember, Person
from careplan.store import InputError, StaleWriteError, Store, add, add_many, update
from careplan.store.digest import content_digest
from tests.factories import one_of_each

ENTITIES = one_of_each()
PERSON = next(e for e in ENTITIES if isinstance(e, Person))


@pytest.fixture
def filled(store: Store) -> Store:
    for e in ENTITIES:
        add(store, e, "tester")
    return store


def test_dangling_reference_is_refused_by_name(filled: Store) -> None:
    before = content_digest(filled)
    bad = CareTeamMember(person_id=PERSON.id, professional_id="no-such-id",
                         role="GP", start_date="2025-01-01")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="^professional: there is no professional"):
        add(filled, bad, "tester")
    assert content_digest(filled) == before


def test_duplicate_nhs_number_is_refused(filled: Store) -> None:
    before = content_digest(filled)
    twin = Person(given_name="Ada", family_name="Twin", birth_date="1950-05-01",  # type: ignore[arg-type]
                  nhs_number="9434765919")
    with pytest.raises(InputError, match="NHS number: 943 476 5919 is already recorded"):
        add(filled, twin, "tester")
    assert content_digest(filled) == before


def test_stale_write_is_detected_and_writes_nothing(filled: Store) -> None:
    mine = PERSON.evolve(version=1)
    theirs = update(filled, mine.evolve(address="Theirs"), "someone")
    assert theirs.version == 2
    before = content_digest(filled)
    with pytest.raises(StaleWriteError, match="changed by someone .* nothing was saved"):
        update(filled, mine.evolve(address="Mine"), "me")
    assert content_digest(filled) == before


def test_bulk_failure_rolls_back_everything(store: Store) -> None:
    before = content_digest(store)
    entities = one_of_each()
    broken = [*entities, entities[0]]  # the same agency twice: primary key clash at the end
    with pytest.raises(InputError):
        add_many(store, broken, "importer")
    assert content_digest(store) == before


def test_exception_inside_a_transaction_rolls_back(filled: Store) -> None:
    before = content_digest(filled)
    with pytest.raises(RuntimeError), filled.atomic():
        add(filled, ENTITIES[0].evolve(id="another-agency"), "tester")
        raise RuntimeError("power cut")
    assert content_digest(filled) == before
