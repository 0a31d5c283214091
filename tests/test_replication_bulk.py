"""Applying a batch of events in one savepoint stores exactly what applying them one by
one (a savepoint for each event) stores: the same records, the same log in the same
order, the same chain heads, conflicts, refusals and waiting events.

Each scenario applies the same events to two copies of one store file (so even the
store's own identity and the times it was made agree): one copy the bulk way, the other
with ``one_by_one=True``, and compares every table of the two files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careplan.demo.build_file import build_demo_file
from careplan.models import Action, Person
from careplan.store import Store, add, find, replication, update
from careplan.store.digest import content_digest
from careplan.store.remote_permissions import authorise
from careplan.store.replication import (
    ApplyResult,
    Event,
    apply_events,
    events_for,
    verify,
    version_vector,
)
from tests.sharing import copy_store, stores, verified

TODAY = date(2025, 3, 12)


def _tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order."""
    out = {}
    for (table,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"):
        out[table] = store.conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
    return out


def _outcome(result: ApplyResult) -> tuple[Any, ...]:
    return (result.applied, result.already_seen, result.pending, result.refused,
            result.opened, result.closed, result.filled, result.changes)


def _batches(events: list[Event], size: int) -> list[list[Event]]:
    return [events[start:start + size] for start in range(0, len(events), size)]


def _apply_both(bulk: Store, one_by_one: Store, batches: list[list[Event]],
                **options: Any) -> list[tuple[Any, ...]]:
    """Apply each batch to both stores, inside an outer transaction as a sync applies
    it; return the outcomes (asserting both ways agree on each)."""
    outcomes = []
    for chunk in batches:
        with bulk.atomic():
            got = apply_events(bulk, chunk, **options)
        with one_by_one.atomic():
            want = apply_events(one_by_one, chunk, one_by_one=True, **options)
        assert _outcome(got) == _outcome(want)
        outcomes.append(_outcome(got))
    return outcomes


def _same_files(a: Store, b: Store) -> None:
    assert _tables(a) == _tables(b)
    assert content_digest(a) == content_digest(b)
    assert verify(a) == [] and verified(a) == ()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo_file(path, persons=30, seed=3, today=TODAY, parallel=False, encrypted=False)
    with Store.open(path) as store:  # some events with a ``before``, by an author
        person = find(store, Person)[0]
        update(store, person.evolve(address="1 Station Road"), "demo")
        action = next(a for a in find(store, Action) if a.owner_professional_id)
        update(store, action.evolve(description="Changed after"),
               str(action.owner_professional_id))
    return path


@pytest.fixture
def two_new(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two copies of one new, empty store (the new laptop of a first sync)."""
    with Store.open(tmp_path / "new.db"):
        pass
    copy_store(tmp_path / "new.db", tmp_path / "copy.db")
    with Store.open(tmp_path / "new.db") as a, Store.open(tmp_path / "copy.db") as b:
        yield a, b


def test_a_first_sync_stores_the_same_in_bulk_as_one_by_one(demo: Path,
                                                            two_new: tuple[Store, Store]) -> None:
    with Store.open(demo) as source:
        sent = events_for(source, {})
        source_tables = _tables(source)
    bulk, one_by_one = two_new
    outcomes = _apply_both(bulk, one_by_one, _batches(sent, 700),
                           authorise=authorise)
    assert sum(o[0] for o in outcomes) == len(sent)
    assert not any(o[3] for o in outcomes)  # nothing refused
    _same_files(bulk, one_by_one)
    # and every record is the one the source holds
    for table in ("persons", "actions", "care_plans", "consents"):
        assert _tables(bulk)[table] == source_tables[table]


def test_events_arriving_out_of_order_wait_the_same_way(demo: Path,
                                                        two_new: tuple[Store, Store]) -> None:
    with Store.open(demo) as source:
        sent = events_for(source, {})
    bulk, one_by_one = two_new
    # the second half first: all of it waits for the first half, then goes in with it
    half = len(sent) // 2
    outcomes = _apply_both(bulk, one_by_one, [sent[half:], sent[:half]])
    assert outcomes[0][0] == 0 and outcomes[0][2] == len(sent) - half
    assert sum(o[0] for o in outcomes) == len(sent)
    _same_files(bulk, one_by_one)


@pytest.mark.parametrize("rounds", [replication.ROUNDS, 1])
def test_refusals_by_the_stores_own_rules_mid_batch_store_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rounds: int) -> None:
    """Records the receiving store refuses (a second person with the same NHS number),
    from two stores, in the middle of a batch: their stores' later events wait behind
    them, the rest is applied, conflicts are opened, in bulk as one by one; and the
    next batches, which try the refused ones again, agree too. With no round again
    allowed, the first refusal sends the batch one event at a time: the same again."""
    monkeypatch.setattr(replication, "ROUNDS", rounds)
    a, b, c = stores(tmp_path)
    try:
        person = find(a, Person)[0]
        update(a, person.evolve(address="1 High Street"), "dr")  # applies
        update(c, person.evolve(address="2 Low Road"), "sw")  # a conflict with a's
        add(a, Person(given_name="Cy", family_name="One", birth_date=date(1970, 1, 1),
                      nhs_number="401 023 2137"), "dr")  # refused on b
        update(a, find(a, Person)[0].evolve(what_matters="Later."), "dr")  # waits
        update(c, find(c, Action)[0].evolve(description="Washing"), "nurse")  # applies
        add(c, Person(given_name="Di", family_name="One", birth_date=date(1980, 1, 1),
                      nhs_number="485 777 3457"), "sw")  # refused on b
        add(b, Person(given_name="Cy", family_name="Two", birth_date=date(1970, 1, 1),
                      nhs_number="401 023 2137"), "sw")
        add(b, Person(given_name="Di", family_name="Two", birth_date=date(1980, 1, 1),
                      nhs_number="485 777 3457"), "sw")
        copy_store(Path(b.path), tmp_path / "b-copy.db")
        sent = events_for(a, version_vector(b)) + events_for(c, version_vector(b))
        update(c, find(c, Action)[0].evolve(description="Bathing"), "nurse")  # waits
        later = events_for(c, {})[-1:]
        with Store.open(tmp_path / "b-copy.db") as copy:
            first, again, last = _apply_both(b, copy, [sent, [], later])
            applied, _, pending, refused, opened, _, _, _ = first
            assert [("could not be applied" in r.reason) for r in refused] == [True, True]
            assert (applied, pending) == (3, 1) and opened
            assert len(again[3]) == 2 and again[0] == 0
            assert last[0] == 0 and last[2] == 2  # behind c's refused event
            assert _tables(b) == _tables(copy)
            assert content_digest(b) == content_digest(copy)
            assert verify(b) == []
    finally:
        for s in (a, b, c):
            s.close()
