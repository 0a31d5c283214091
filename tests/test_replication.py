"""Sharing changes between stores: the audit log as the replication log.

Each scenario uses real store files: one made, copied into others that take identities
of their own, exchanging events in memory (careplan.store.replication). The scenarios
from other sync systems' bug trackers are here: a record removed on one computer and
changed on another (PouchDB #6666), two computers deciding the same conflict
differently at once (PouchDB #4630), a store's own events given back to it.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from careplan.models import Action, CarePlan, Consent, Entity, Handoff, Need, Person
from careplan.models.flags import FlagCode, Severity
from careplan.models.sync import COUNTER, conflict_id, hlc_value, merge
from careplan.store import InputError, Store, add, find, get, migrations, operations, update
from careplan.store.digest import content_digest
from careplan.store.flagdata import caseload_flags
from careplan.store.overrides import clear_override, set_override
from careplan.store.replication import (
    Event,
    apply_events,
    events_for,
    open_conflicts,
    resolve,
    row_events,
    verify,
    version_vector,
)
from careplan.store.repo import remove as remove_added
from tests.factories import one_of_each
from tests.older_schema import made_by, take_back
from tests.sharing import (
    administrator,
    content,
    copy_store,
    events,
    exchange,
    log,
    open_ids,
    send,
    stores,
    verified,
)
from tests.sharing import conflicts as conflict_rows
from tests.signin import ensure_account

TODAY = date(2025, 3, 12)


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[list[Store]]:
    found = stores(tmp_path)
    yield found
    for s in found:
        s.close()


def _same(*group: Store) -> None:
    """The stores hold the same records, the same events and the same conflicts, and
    every record is what its events say."""
    first = group[0]
    for other in group[1:]:
        assert content(other) == content(first)
        assert log(other) == log(first)
        assert conflict_rows(other) == conflict_rows(first)
        assert version_vector(other) == version_vector(first)
    for s in group:
        assert verify(s) == []
        assert verified(s) == ()  # every copy verifies every origin's chain
        assert s.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0
        assert s.conn.execute("PRAGMA foreign_key_check").fetchall() == []


def _person(s: Store) -> Person:
    return find(s, Person)[0]


def _handoff(s: Store) -> Handoff:
    return find(s, Handoff)[0]


def _removal_first(s: Store, entity: str, entity_id: str,
                   sides: tuple[str, str]) -> tuple[str, str]:
    """The two sides of a removal conflict: the removal's event id, then the change's."""
    removals = {e.id for e in row_events(s, entity, entity_id) if e.deletion}
    first, second = sides
    return (first, second) if first in removals else (second, first)


def _flags(s: Store) -> list:  # type: ignore[type-arg]
    return [f for f in caseload_flags(s, TODAY) if f.code is FlagCode.SYNC_CONFLICT]


# -- one store's changes reaching another ---------------------------------------------------


def test_a_change_fast_forwards_on_a_store_that_had_not_changed_the_record(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    changed = update(a, _person(a).evolve(what_matters="My garden."), "dr")
    result = send(a, b)
    assert (result.applied, result.already_seen, result.pending, result.refused) == (1, 0, 0, ())
    assert get(b, Person, changed.id) == changed
    assert result.changes.person_ids == {changed.id}
    assert result.changes.ids("persons") == {changed.id}
    assert not result.opened and open_ids(b) == set()
    # Stored as it came: the same id, store and sequence; its arrival is b's own.
    event = events_for(a, {})[-1]
    assert log(b)[event.id] == log(a)[event.id]
    _same(a, b)


def test_applying_the_same_events_twice_changes_nothing(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    update(a, _person(a).evolve(address="1 High Street"), "dr")
    sent = events_for(a, version_vector(b))
    assert send(a, b).applied == 1
    before = content_digest(b)
    again = apply_events(b, sent)
    assert (again.applied, again.already_seen, again.changes.empty) == (0, 1, True)
    assert apply_events(b, events(a)).applied == 0
    assert content_digest(b) == before


def test_a_store_given_its_own_events_does_nothing(trio) -> None:  # type: ignore[no-untyped-def]
    a, _, _ = trio
    update(a, _person(a).evolve(address="1 High Street"), "dr")
    before = content_digest(a)
    mine = events(a)
    result = apply_events(a, mine)
    assert (result.applied, result.already_seen, result.pending) == (0, len(mine), 0)
    assert result.changes.empty and content_digest(a) == before


def test_events_out_of_order_wait_for_those_they_follow(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    for text in ("One.", "Two.", "Three."):
        update(a, _person(a).evolve(what_matters=text), "dr")
    first, second, third = events_for(a, version_vector(b))
    early = apply_events(b, [third])
    assert (early.applied, early.pending) == (0, 1)
    assert _person(b).what_matters == "I want to stay at home."
    # c saw a's first two changes, then changed the address: it waits on b for the second.
    apply_events(c, [first, second])
    update(c, _person(c).evolve(address="2 Low Road"), "sw")
    from_c = events_for(c, version_vector(b))
    assert [e.store_id for e in from_c] == [a.store_id, a.store_id, c.store_id]
    assert from_c[-1].vector == {a.store_id: second.store_seq}
    assert apply_events(b, [from_c[-1], first]).applied == 1  # only a's first
    assert b.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 2
    late = apply_events(b, [second])
    assert (late.applied, late.pending) == (3, 0)
    assert (_person(b).what_matters, _person(b).address) == ("Three.", "2 Low Road")
    exchange(trio)
    _same(a, b, c)


def test_records_arriving_together_are_made_parents_first(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    person = add(a, Person(given_name="Ben", family_name="Ng", birth_date=date(1960, 1, 1)),
                 "sw")
    plan = add(a, CarePlan(person_id=person.id, status="draft", created_on=TODAY), "sw")
    need = add(a, Need(plan_id=plan.id, description="Meals", domain="social care"), "sw")
    action = add(a, Action(plan_id=plan.id, need_id=need.id, description="Meals on wheels"),
                 "sw")
    sent = events_for(a, version_vector(b))
    result = apply_events(b, list(reversed(sent)))  # children first in the batch
    assert result.applied == 4
    assert get(b, Action, action.id) == action and get(b, Need, need.id) == need
    _same(a, b)


def test_a_batch_is_all_or_nothing(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    update(a, _person(a).evolve(address="1 High Street"), "dr")
    good = events_for(a, version_vector(b))
    bad = Event.from_json({**good[0].to_json(), "id": "another", "store_seq": 1})
    before = content_digest(b)
    with pytest.raises(InputError, match="two stores share that identity"):
        apply_events(b, [*good, bad])
    assert content_digest(b) == before


# -- concurrent changes ----------------------------------------------------------------------


def test_the_same_field_changed_on_two_stores_is_one_conflict_on_each(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    original = _person(a).what_matters
    on_a = update(a, _person(a).evolve(what_matters="My garden."), "dr")
    update(b, _person(b).evolve(what_matters="My dog."), "sw")
    to_b, to_a = send(a, b), send(b, a)
    assert to_b.opened == to_a.opened and len(to_a.opened) == 1
    exchange(trio)
    _same(a, b, c)
    [conflict] = open_conflicts(c)
    assert conflict.id == conflict_id(conflict.event_a, conflict.event_b, "what_matters")
    assert {conflict.value_a, conflict.value_b} == {"My garden.", "My dog."}
    assert {conflict.actor_a, conflict.actor_b} == {"dr", "sw"}
    assert conflict.person_id == on_a.id
    for s in trio:  # neither applied: the value before both
        assert _person(s).what_matters == original
    [flag] = _flags(c)
    assert flag.severity is Severity.WARNING and flag.subject_id == conflict.id
    assert "“My garden.”" in flag.message and "“My dog.”" in flag.message
    assert "dr" in flag.message and "sw" in flag.message


def test_different_fields_changed_on_two_stores_merge(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    update(a, _person(a).evolve(what_matters="My garden."), "dr")
    update(b, _person(b).evolve(address="3 Mill Lane"), "sw")
    exchange(trio)
    _same(a, b, c)
    assert (_person(c).what_matters, _person(c).address) == ("My garden.", "3 Mill Lane")
    assert _person(c).version == 3 and conflict_rows(c) == []


def test_a_status_field_touched_by_both_is_a_conflict_even_if_one_kept_it(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    h = _handoff(a)
    update(a, h.evolve(status="accepted", answered_at=datetime(2025, 2, 4, 9)), "dr")
    update(b, _handoff(b).evolve(reason="Waiting for the new rota"), "sw")
    exchange(trio)
    _same(a, b, c)
    found = open_conflicts(a)
    assert {x.field for x in found} == {"status", "answered_at"}
    assert all(x.kind == "status" for x in found)
    for s in trio:
        assert _handoff(s).status == "proposed"  # as before either
        assert _handoff(s).reason == "Waiting for the new rota"  # an ordinary field merges
    assert {f.severity for f in _flags(a)} == {Severity.CRITICAL}
    # Deciding keeps the acceptance whole: status and the time it was answered.
    accept = next(x for x in found if x.value_a == "accepted" or x.value_b == "accepted")
    keep = accept.event_a if accept.value_a == "accepted" else accept.event_b
    operations.run(b, lambda s: resolve(s, accept.id, keep, "manager"))
    exchange(trio)
    _same(a, b, c)
    assert (_handoff(c).status, _handoff(c).answered_at) == ("accepted",
                                                             datetime(2025, 2, 4, 9))
    assert open_ids(c) == set() and _flags(c) == []


def test_a_record_removed_on_one_store_and_changed_on_another(trio) -> None:  # type: ignore[no-untyped-def]
    """PouchDB #6666: neither a silent comeback with the change, nor the change lost."""
    a, b, c = trio
    consent = find(a, Consent, status="given")[0]
    remove_added(a, consent, "dr")
    changed = update(b, find(b, Consent, status="given")[0].evolve(legal_basis="Direct care"),
                     "sw")
    exchange(trio)
    _same(a, b, c)
    [conflict] = open_conflicts(a)
    assert (conflict.field, conflict.kind) == ("deleted", "deleted")
    for s in trio:  # kept as it was before either
        assert find(s, Consent, status="given") == [consent.evolve(version=3)]
    removal, change = _removal_first(a, conflict.entity, conflict.entity_id,
                                     (conflict.event_a, conflict.event_b))
    [flag] = _flags(b)
    assert flag.severity is Severity.CRITICAL and "removed" in flag.message
    # Keeping the change brings it in everywhere; the record stays.
    operations.run(c, lambda s: resolve(s, conflict.id, change, "manager"))
    exchange(trio)
    _same(a, b, c)
    assert find(a, Consent, status="given")[0].legal_basis == changed.legal_basis
    assert open_ids(a) == set()
    assert any(e.id == removal and e.deletion for e in row_events(a, "consents", consent.id))


def test_a_record_removed_on_two_stores_then_brought_back_by_an_undo(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    consent = find(a, Consent, status="given")[0]
    remove_added(a, consent, "dr")
    removal = operations.run(
        b, lambda s: remove_added(s, find(s, Consent, status="given")[0], "sw"))
    exchange(trio)
    assert conflict_rows(a) == []  # removed twice: nothing to decide
    operations.revert(b, removal.changes, "sw")  # b's Undo, after both removals
    # One more than the record's events.
    assert find(b, Consent, status="given")[0].version == 4
    exchange(trio)
    _same(a, b, c)
    assert [x.legal_basis for x in find(c, Consent, status="given")] == [consent.legal_basis]


def test_keeping_a_removal_removes_the_record_everywhere(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    consent = find(a, Consent, status="given")[0]
    remove_added(a, consent, "dr")
    update(b, find(b, Consent, status="given")[0].evolve(legal_basis="Direct care"),
           "sw")
    exchange(trio)
    [conflict] = open_conflicts(b)
    removal, _ = _removal_first(b, conflict.entity, conflict.entity_id,
                                (conflict.event_a, conflict.event_b))
    operations.run(b, lambda s: resolve(s, conflict.id, removal, "manager"))
    exchange(trio)
    _same(a, b, c)
    assert find(c, Consent, status="given") == [] and open_ids(c) == set()


def test_two_stores_deciding_the_same_conflict_differently_converge(trio) -> None:  # type: ignore[no-untyped-def]
    """PouchDB #4630: no endless new conflicts; every store keeps the same decision."""
    a, b, c = trio
    update(a, _person(a).evolve(what_matters="My garden."), "dr")
    update(b, _person(b).evolve(what_matters="My dog."), "sw")
    exchange(trio)
    [conflict] = open_conflicts(a)
    operations.run(a, lambda s: resolve(s, conflict.id, conflict.event_a, "manager a"))
    operations.run(b, lambda s: resolve(s, conflict.id, conflict.event_b, "manager b"))
    exchange(trio)
    _same(a, b, c)
    assert open_ids(a) == set() and _flags(a) == []
    assert [r[10] for r in conflict_rows(a)] == ["resolved"]
    kept = _person(a).what_matters
    assert kept in ("My garden.", "My dog.")
    exchange(trio)  # nothing more to say to each other
    assert all(send(x, y).applied == 0 for x in trio for y in trio if x is not y)
    # The later decision of anyone who saw both is kept as any later change is.
    operations.run(c, lambda s: update(s, _person(s).evolve(what_matters="Both."), "c"))
    exchange(trio)
    _same(a, b, c)
    assert _person(a).what_matters == "Both." and open_ids(a) == set()


def test_three_stores_changing_one_field_are_decided_at_once(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    for s, text in zip(trio, ("A.", "B.", "C."), strict=True):
        update(s, _person(s).evolve(what_matters=text), s.store_id[:4])
    exchange(trio)
    _same(a, b, c)
    found = open_conflicts(a)
    assert len(found) == 3 and len(_flags(a)) == 1  # one flag for the record's field
    assert all(v in _flags(a)[0].message for v in ("“A.”", "“B.”", "“C.”"))
    operations.run(a, lambda s: resolve(s, found[0].id, found[0].event_a, "manager"))
    exchange(trio)
    _same(a, b, c)
    assert open_ids(a) == set()


def test_a_later_change_of_the_field_decides_the_conflict(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    update(a, _person(a).evolve(what_matters="My garden."), "dr")
    update(b, _person(b).evolve(what_matters="My dog."), "sw")
    exchange(trio)
    update(c, _person(c).evolve(address="4 New Road"), "nurse")  # another field: still open
    assert len(open_ids(c)) == 1
    update(c, _person(c).evolve(what_matters="My garden and my dog."), "nurse")
    assert open_ids(c) == set()
    exchange(trio)
    _same(a, b, c)
    assert _person(a).what_matters == "My garden and my dog."


def test_a_removal_is_held_while_another_store_added_a_record_referring_to_it(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    plan = find(a, CarePlan)[0]
    need = add(a, Need(plan_id=plan.id, description="Meals", domain="social care"), "dr")
    exchange(trio)
    remove_added(a, get(a, Need, need.id), "dr")
    action = add(b, Action(plan_id=plan.id, need_id=need.id, description="Meals on wheels"),
                 "sw")
    exchange(trio)
    _same(a, b, c)
    for s in trio:  # kept: never a dangling reference
        assert get(s, Need, need.id).description == "Meals"
        assert get(s, Action, action.id).need_id == need.id
    [held] = open_conflicts(a)
    assert held.kind == "referenced" and held.entity_id == need.id
    assert "refer" in _flags(a)[0].message
    # Once nothing refers to it, the removal goes through everywhere.
    remove_added(b, get(b, Action, action.id), "sw")
    exchange(trio)
    _same(a, b, c)
    assert find(c, Need, id=need.id) == [] and open_ids(c) == set()


def test_a_held_removal_can_be_decided_by_keeping_the_record(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    plan = find(a, CarePlan)[0]
    need = add(a, Need(plan_id=plan.id, description="Meals", domain="social care"), "dr")
    exchange(trio)
    remove_added(a, get(a, Need, need.id), "dr")
    add(b, Action(plan_id=plan.id, need_id=need.id, description="Meals on wheels"), "sw")
    exchange(trio)
    [held] = open_conflicts(c)
    with pytest.raises(InputError, match="still refer"):
        operations.run(c, lambda s: resolve(s, held.id, held.event_a, "manager"))
    operations.run(c, lambda s: resolve(s, held.id, held.event_b, "manager"))
    exchange(trio)
    _same(a, b, c)
    assert open_ids(a) == set() and get(a, Need, need.id)


# -- refusals ---------------------------------------------------------------------------------


def test_an_author_refused_holds_back_what_depends_on_the_refusal(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    update(a, _person(a).evolve(address="1 High Street"), "intruder")
    update(a, _person(a).evolve(what_matters="Later."), "dr")
    update(c, find(c, Need)[0].evolve(description="Washing"), "nurse")

    def no_intruders(store: Store, event: Event) -> str | None:
        return f"{event.actor} may not change records" if event.actor == "intruder" else None

    sent = events_for(a, version_vector(b)) + events_for(c, version_vector(b))
    result = apply_events(b, sent, authorise=no_intruders)
    assert [r.reason for r in result.refused] == ["intruder may not change records"]
    assert (result.applied, result.pending) == (1, 1)  # c's change; a's later one waits
    assert _person(b).address == "" and find(b, Need)[0].description == "Washing"
    again = apply_events(b, [], authorise=no_intruders)
    assert len(again.refused) == 1 and again.applied == 0
    assert apply_events(b, []).applied == 2  # the author was allowed after all
    assert _person(b).what_matters == "Later."


def test_a_record_the_store_refuses_is_refused_and_nothing_of_it_applied(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    add(a, Person(given_name="Cy", family_name="One", birth_date=date(1970, 1, 1),
                  nhs_number="401 023 2137"), "dr")
    add(b, Person(given_name="Cy", family_name="Two", birth_date=date(1970, 1, 1),
                  nhs_number="401 023 2137"), "sw")
    result = send(a, b)
    assert result.applied == 0 and "could not be applied" in result.refused[0].reason
    assert len(find(b, Person)) == 2


def test_an_event_for_a_field_this_store_does_not_know_is_refused(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    update(a, _person(a).evolve(address="1 High Street"), "dr")
    [event] = events_for(a, version_vector(b))
    newer = Event.from_json({**event.to_json(), "after": {**event.after, "shoe_size": 9}})
    result = apply_events(b, [newer])
    assert "shoe_size" in result.refused[0].reason and result.applied == 0


def test_events_as_json(trio) -> None:  # type: ignore[no-untyped-def]
    a, _, _ = trio
    for event in events(a):
        assert Event.from_json(json.loads(json.dumps(event.to_json()))) == event
    good = events(a)[0].to_json()
    for broken, named in (({**good, "store_seq": "1"}, "store_seq"),
                          ({**good, "after": []}, "after"), ({**good, "hlc": "soon"}, "hlc"),
                          ({**good, "vector": {"x": "1"}}, "vector"),
                          ({**good, "at": "yesterday"}, "at"), ([], "object")):
        with pytest.raises(ValueError, match=named):
            Event.from_json(broken)


# -- the clock and the vector -----------------------------------------------------------------


def test_a_store_that_never_shared_writes_no_vector(tmp_path: Path) -> None:
    with Store.open(tmp_path / "alone.db") as s:
        admin = f"account:{ensure_account(s).id}"
        start = int(s.conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0])
        set_override(s, "discharge.critical_days", 3, admin)
        update(s, add(s, Person(given_name="A", family_name="B",
                                birth_date=date(1990, 1, 1)), "dr").evolve(address="x"), "dr")
        rows = s.conn.execute("SELECT vector, hlc FROM audit_events WHERE seq > ? "
                              "ORDER BY seq", (start,)).fetchall()
        assert [v for v, _ in rows] == [None, None, None]
        clocks = [hlc_value(h) for _, h in rows]
        assert clocks == sorted(set(clocks))  # each after the one before
        assert s.conn.execute("SELECT count(*) FROM sync_vector").fetchone()[0] == 0


def test_vectors_say_what_a_store_had_seen_and_clocks_follow_causality(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    base = version_vector(a)[a.store_id]
    assert version_vector(b) == {a.store_id: base}  # the copy has seen the original
    a.clock = lambda: datetime(2030, 1, 1, tzinfo=UTC)  # a's clock runs far ahead
    update(a, _person(a).evolve(address="1 High Street"), "dr")
    send(a, b)
    b.clock = lambda: datetime(2025, 1, 1, tzinfo=UTC)  # b's runs behind
    update(b, _person(b).evolve(what_matters="After."), "sw")
    first, second = events_for(b, {a.store_id: base})
    assert second.saw(first.store_id, first.store_seq) and second.vector == {
        a.store_id: base + 1}
    assert hlc_value(second.hlc) > hlc_value(first.hlc)  # causal, whatever the wall says
    assert hlc_value(second.hlc) - hlc_value(first.hlc) < COUNTER  # a step, not a jump
    # Unrelated concurrent events are concurrent whatever their clocks.
    update(a, _person(a).evolve(given_name="Adah"), "dr")
    late = events_for(a, version_vector(b))[-1]
    assert not late.saw(second.store_id, second.store_seq)
    assert not second.saw(late.store_id, late.store_seq)


def test_the_clock_never_decides_a_conflict(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    a.clock = lambda: datetime(2030, 1, 1, tzinfo=UTC)
    update(a, _person(a).evolve(what_matters="Later by the clock."), "dr")
    update(b, _person(b).evolve(what_matters="Earlier by the clock."), "sw")
    exchange([a, b])
    assert len(open_ids(a)) == 1 and _person(a).what_matters == "I want to stay at home."


def test_a_copy_takes_a_new_identity_and_keeps_what_it_has_seen(tmp_path: Path) -> None:
    [a, b] = stores(tmp_path, 2)
    assert a.store_id != b.store_id
    assert version_vector(b) == version_vector(a)
    update(b, _person(b).evolve(address="x"), "sw")
    assert events_for(b, version_vector(a))[0].store_seq == 1  # b's own sequence begins
    a.close()
    b.close()


def test_a_copy_without_a_new_identity_is_refused(tmp_path: Path) -> None:
    [a] = stores(tmp_path, 1)
    copy_store(tmp_path / "store-0.db", tmp_path / "twin.db")
    with Store.open(tmp_path / "twin.db") as twin:
        update(twin, _person(twin).evolve(address="twin"), "sw")
        update(a, _person(a).evolve(address="original"), "dr")
        before = content_digest(a)
        with pytest.raises(InputError, match="share that identity"):
            apply_events(a, events_for(twin, {}))
        assert content_digest(a) == before
    a.close()


def test_rule_overrides_cleared_and_set_again_keep_counting_versions(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    admin = administrator(a)
    set_override(a, "discharge.critical_days", 3, admin)
    clear_override(a, "discharge.critical_days", admin)
    set_override(a, "discharge.critical_days", 4, admin)
    assert a.query("SELECT version FROM rule_overrides")[0]["version"] == 3
    exchange(trio)
    _same(a, b, c)


def test_a_threshold_set_on_two_stores_at_once_is_a_conflict_without_a_person(trio) -> None:  # type: ignore[no-untyped-def]
    """Two stores made the same record (an override's key is its id): nothing came
    before either, so one value is kept on every store until someone decides."""
    a, b, c = trio
    set_override(a, "discharge.critical_days", 3, administrator(a))
    set_override(b, "discharge.critical_days", 5, administrator(b))
    exchange(trio)
    _same(a, b, c)
    [conflict] = open_conflicts(a)
    assert (conflict.entity, conflict.person_id) == ("rule_overrides", None)
    assert {conflict.value_a, conflict.value_b} == {"3", "5"}
    assert _flags(a) == []  # no person's header to show it in (left to a store-wide list)
    operations.run(c, lambda s: resolve(s, conflict.id, conflict.event_b, "manager"))
    exchange(trio)
    _same(a, b, c)
    assert a.query("SELECT value FROM rule_overrides")[0]["value"] == conflict.value_b


def test_records_of_one_computer_travel_in_the_log_but_are_never_made_elsewhere(trio) -> None:  # type: ignore[no-untyped-def]
    from careplan.store import accounts

    a, b, _ = trio
    before = {r[0] for r in b.conn.execute("SELECT username FROM accounts")}
    accounts.add_account(a, "visitor.one", "a long enough password", "administrator",
                         None, ensure_account(a))  # added by a's administrator
    send(a, b)
    assert {r[0] for r in b.conn.execute("SELECT username FROM accounts")} == before
    assert log(b) == log(a)


def _tables_at(version: int) -> set[str]:
    conn = sqlite3.connect(":memory:")
    for migration in migrations.MIGRATIONS[:version]:
        migration(conn)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    return names


def _as_of(entity: Entity, version: int) -> Entity:
    """The record as a store of schema ``version`` could hold it: the fields of columns
    later migrations added are left at their defaults."""
    later = {c for v in range(version + 1, migrations.latest_version() + 1)
             for t, c in made_by(v)[1] if t == entity.TABLE}
    defaults = {f.name: f.default for f in dataclasses.fields(entity) if f.name in later}
    return dataclasses.replace(entity, **defaults)


def test_older_stores_are_upgraded_and_share(tmp_path: Path) -> None:
    # Records a store from before sharing could hold (nothing of later migrations).
    before = migrations.SYNC_SCHEMA - 1
    older = [_as_of(e, before) for e in one_of_each() if e.TABLE in _tables_at(before)]
    for s in stores(tmp_path, 2, records=older):
        s.close()
    paths = [tmp_path / "store-0.db", tmp_path / "store-1.db"]
    for path in paths:  # as stores were before sharing: no clock, no vector on events
        conn = sqlite3.connect(path)
        take_back(conn, migrations.SYNC_SCHEMA - 1)
        conn.close()
    a, b = (Store.open(p) for p in paths)
    assert b.schema_version == migrations.latest_version()
    # The copy's events of the original's identity count as seen from it.
    assert version_vector(b) == version_vector(a)
    update(b, _person(b).evolve(address="after the upgrade"), "sw")
    update(a, _person(a).evolve(what_matters="Also after."), "dr")
    latest = events_for(b, {})[-1]
    assert all(hlc_value(e.hlc) < hlc_value(latest.hlc) for e in events_for(b, {})[:-1])
    exchange([a, b])
    _same(a, b)
    assert (_person(a).address, _person(b).what_matters) == ("after the upgrade",
                                                             "Also after.")
    a.close()
    b.close()


# -- what merge guarantees, without stores ------------------------------------------------------


def test_merge_depends_on_the_set_of_events_not_their_order(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, c = trio
    update(a, _person(a).evolve(what_matters="A."), "dr")
    update(b, _person(b).evolve(address="B."), "sw")
    update(c, _person(c).evolve(what_matters="C.", given_name="Adah"), "nurse")
    exchange(trio)
    person = _person(a)
    found = row_events(a, "persons", person.id)
    fields = [f for f in json.loads(json.dumps(found[0].after)) if f not in ("id", "version")]
    once = merge(found, fields)
    again = merge(list(reversed(found)), fields)
    assert (once.values, once.alive, once.version) == (again.values, again.alive, again.version)
    assert [x.id for x in once.conflicts] == [x.id for x in again.conflicts]


def test_the_conflict_flag_joins_the_persons_flags_and_the_time_it_began(trio) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = trio
    a.clock = lambda: datetime(2025, 3, 1, 10, tzinfo=UTC)
    b.clock = lambda: datetime(2025, 3, 3, 16, tzinfo=UTC)
    update(a, _person(a).evolve(what_matters="My garden."), "dr")
    update(b, _person(b).evolve(what_matters="My dog."), "sw")
    exchange([a, b])
    [flag] = _flags(a)
    assert flag.since == date(2025, 3, 3) and flag.person_id == _person(a).id
    assert "1 March 2025 10:00" in flag.message and "3 March 2025 16:00" in flag.message
    assert flag.message.endswith(".") and flag.message.count(". ") == 0
    assert flag.evidence["field"] == "what_matters"
    assert (flag.to_json()["code"], flag.to_json()["subject_type"]) == ("sync-conflict",
                                                                         "sync_conflict")
    assert TODAY - timedelta(days=30) < flag.since <= TODAY
