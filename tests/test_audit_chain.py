"""A tamper-evident audit log: hash chains per origin store, and ``careplan audit verify``
finding every kind of change made with plain SQL outside CarePlan."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.demo.build_file import build_demo_file
from careplan.models import Person
from careplan.models.sync import hlc_text, wall
from careplan.store import Store, audit_check, chain, find, migrations, update
from careplan.store.replication import Event, apply_events, events_for, version_vector
from tests.older_schema import take_back
from tests.sharing import copy_store, exchange, log, stores, verified

TODAY = date(2025, 3, 10)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store, with one person changed after it was made (so that some
    events have a ``before``), built once for the module. Plain, so that the tampering
    below can be done with the standard sqlite3 module: someone holding an encrypted
    store's key can do the same with SQLCipher's shell, and the chains are the same."""
    path = tmp_path_factory.mktemp("chain") / "demo.db"
    build_demo_file(path, persons=40, seed=3, today=TODAY, parallel=False, encrypted=False)
    with Store.open(path) as store:
        person = find(store, Person)[0]
        update(store, person.evolve(address="1 Station Road"), "demo")
    return path


@pytest.fixture
def demo(built: Path, tmp_path: Path,
         demo_signed_in: Callable[[str | Path], list[str]]) -> Iterator[tuple[Path, list[str]]]:
    """A fresh copy of the demo store for one test, and the ``--user`` to sign in with."""
    path = tmp_path / "demo.db"
    copy_store(built, path)
    yield path, demo_signed_in(path)


def tamper(path: Path, *statements: str, params: tuple[object, ...] = ()) -> None:
    """Change the store with plain SQL, as anyone with sqlite3 could: the append-only
    rules of the audit log are dropped first."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        for sql in statements:
            conn.execute(sql, params if "?" in sql else ())
        conn.commit()
    finally:
        conn.close()


def one(path: Path, sql: str, params: tuple[object, ...] = ()) -> tuple[object, ...]:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(sql, params).fetchone()
    finally:
        conn.close()
    assert row is not None, sql
    return tuple(row)


def verify(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path, user = demo
    status = main(["audit", "verify", "--db", str(path), *user])
    return status, capsys.readouterr().out


def latest_of(path: Path, table: str) -> tuple[str, int, str, int]:
    """A record of ``table`` whose only event is its creation, in the middle of the log:
    its id, that event's local seq, its origin and number."""
    entity_id, seq, origin, number = one(
        path, "SELECT entity_id, seq, store_id, store_seq FROM audit_events WHERE entity = ? "
        "AND entity_id IN (SELECT entity_id FROM audit_events GROUP BY entity_id "
        "HAVING count(*) = 1) ORDER BY seq LIMIT 1 OFFSET 3", (table,))
    return str(entity_id), int(seq), str(origin), int(number)  # type: ignore[call-overload]


# -- a clean store ------------------------------------------------------------------------


def test_an_encrypted_demo_store_verifies(tmp_path: Path,
                                          demo_signed_in: Callable[[str | Path], list[str]],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`audit verify` unlocks an encrypted store with the account that signs in, as the
    store as `careplan demo` makes it is encrypted."""
    path = tmp_path / "demo.db"
    build_demo_file(path, persons=22, seed=3, today=TODAY, parallel=False)
    status, out = verify((path, demo_signed_in(path)), capsys)
    assert status == 0 and "the audit log verifies" in out


def test_a_clean_demo_store_verifies_in_one_line(demo: tuple[Path, list[str]],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    status, out = verify(demo, capsys)
    assert status == 0
    assert out.count("\n") == 1 and "the audit log verifies" in out
    events = one(demo[0], "SELECT count(*) FROM audit_events")[0]
    assert f"{events:,} events in 1 chain" in out


def test_every_event_carries_its_link_and_the_head_is_the_last(built: Path) -> None:
    conn = sqlite3.connect(built)
    try:
        assert conn.execute("SELECT count(*) FROM audit_events WHERE hash IS NULL"
                            ).fetchone()[0] == 0
        last = conn.execute("SELECT store_id, store_seq, hash FROM audit_events "
                            "ORDER BY store_seq DESC LIMIT 1").fetchone()
        assert conn.execute("SELECT origin, seq, hash FROM audit_heads").fetchall() == [last]
    finally:
        conn.close()


def test_the_hash_is_sha256_of_the_canonical_form(built: Path) -> None:
    """``chain.link`` (built for speed) gives what the documented canonical form gives:
    the JSON encoder's own text of the event, keys sorted, hashed with SHA-256; also for
    text with quotes, controls and characters beyond ASCII."""
    conn = sqlite3.connect(built)
    try:
        rows = conn.execute(f"SELECT {', '.join(chain.COLUMNS)}, hash FROM audit_events "
                            "ORDER BY store_seq LIMIT 60").fetchall()
    finally:
        conn.close()
    prev = None
    for row in rows:
        values = dict(zip(chain.COLUMNS, row, strict=False))
        for name in ("before", "after", "vector", "resolves"):
            values[name] = None if values[name] is None else json.loads(values[name])
        text = chain.canonical_text(prev, values)
        assert text.startswith('["careplan-audit/1",')
        assert hashlib.sha256(text.encode()).digest() == bytes(row[-1])
        prev = bytes(row[-1])
    odd = {"id": "e-1", "store_id": "s", "store_seq": 7, "parent_id": None, "entity": "persons",
           "entity_id": "p", "version_before": 2, "version_after": 3,
           "before": {"z": 'a "quote" \\ back', "a": "tab\tline\nnul\x00"},
           "after": {"name": "Zoë 中 😀 \u2028", "version": 3, "none": None},
           "actor": "dr", "at": "2025-03-10T09:00:00+00:00", "hlc": hlc_text(5),
           "vector": {"b": 2, "a": 1}, "resolves": {}}
    digest = chain.link(b"\x01" * 32, *(chain.ENCODER.encode(odd[c]) if c in (
        "before", "after", "vector") else None if c == "resolves" else odd[c]
        for c in chain.COLUMNS))
    assert digest == hashlib.sha256(chain.canonical_text(b"\x01" * 32, odd).encode()).digest()
    # Bulk loads fill in what their events share once: the same links.
    make = chain.creations("s%d", 'dr "%s"', "2025-03-10T09:00:00+00:00", '{"a%":1}')
    for prev in (None, b"\x02" * 32):
        assert make(prev, "e%", 5, "persons", "p", '{"x":"%s 100%"}', hlc_text(9)) == chain.link(
            prev, "e%", "s%d", 5, None, "persons", "p", None, 1, None, '{"x":"%s 100%"}',
            'dr "%s"', "2025-03-10T09:00:00+00:00", hlc_text(9), '{"a%":1}', None)


# -- rows changed outside CarePlan ----------------------------------------------------------


def test_a_row_edited(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    path = demo[0]
    person = str(one(path, "SELECT id FROM persons ORDER BY id LIMIT 1 OFFSET 5")[0])
    origin, number, event = one(path, "SELECT store_id, store_seq, id FROM audit_events WHERE "
                                "entity_id = ? ORDER BY seq DESC LIMIT 1", (person,))
    tamper(path, "UPDATE persons SET what_matters = 'Nothing.' WHERE id = ?", params=(person,))
    status, out = verify(demo, capsys)
    assert status == 1
    assert f"persons {person}: edited outside CarePlan" in out
    assert "what_matters" in out and "Nothing." not in out  # field names, never content
    assert f"first broken link: event {number} of store {origin} ({event})" in out


def test_a_row_deleted(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    path = demo[0]
    condition, _, origin, number = latest_of(path, "conditions")
    tamper(path, "DELETE FROM conditions WHERE id = ?", params=(condition,))
    status, out = verify(demo, capsys)
    assert status == 1
    assert f"conditions {condition}: removed outside CarePlan" in out
    assert f"first broken link: event {number} of store {origin}" in out


def test_a_row_inserted(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    path = demo[0]
    condition = latest_of(path, "conditions")[0]
    tamper(path, "CREATE TEMP TABLE c AS SELECT * FROM conditions WHERE id = ?",
           "UPDATE c SET id = 'made-up-condition'", "INSERT INTO conditions SELECT * FROM c",
           params=(condition,))
    status, out = verify(demo, capsys)
    assert status == 1
    assert "conditions made-up-condition: added outside CarePlan: no event records it" in out


# -- events changed outside CarePlan ----------------------------------------------------------


@pytest.mark.parametrize("column", ["before", "after", "actor", "at"])
def test_an_event_edited(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str],
                         column: str) -> None:
    path = demo[0]
    seq, entity, entity_id, origin, number, event = one(
        path, "SELECT seq, entity, entity_id, store_id, store_seq, id FROM audit_events "
        "WHERE before IS NOT NULL ORDER BY seq LIMIT 1")
    changed = {"before": "replace(before, 'version', 'versions')",
               "after": "replace(after, '\"version\":2', '\"version\":7')",
               "actor": "'someone else'", "at": "'2020-01-01T00:00:00+00:00'"}[column]
    tamper(path, f"UPDATE audit_events SET {column} = {changed} WHERE seq = {seq}")
    assert one(path, f"SELECT {column} FROM audit_events WHERE seq = {seq}")[0] is not None
    status, out = verify(demo, capsys)
    assert status == 1
    assert (f"{entity} {entity_id}: its event {number} of store {origin} ({event}): its "
            "content does not match its hash") in out
    assert f"first broken link: event {number} of store {origin} ({event})" in out
    # One event changed is one break: the next event still links to its stored hash.
    assert out.count("does not match its hash") == 1


def test_an_event_deleted(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
                          ) -> None:
    path = demo[0]
    condition, seq, origin, number = latest_of(path, "conditions")
    tamper(path, f"DELETE FROM audit_events WHERE seq = {seq}")
    status, out = verify(demo, capsys)
    assert status == 1
    assert f"event {number} of this store's chain is missing (removed from the log)" in out
    assert f"first broken link: event {number + 1} of store {origin}" in out
    # The record it wrote is named: nothing in the log records it any more.
    assert f"conditions {condition}: added outside CarePlan: no event records it" in out


def test_an_event_whose_row_has_later_events_deleted(demo: tuple[Path, list[str]],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = demo[0]
    seq, entity, entity_id, parent = one(
        path, "SELECT p.seq, p.entity, p.entity_id, p.id FROM audit_events e JOIN audit_events p "
        "ON p.id = e.parent_id ORDER BY e.seq LIMIT 1")
    tamper(path, f"DELETE FROM audit_events WHERE seq = {seq}")
    status, out = verify(demo, capsys)
    assert status == 1
    assert f"{entity} {entity_id}: its event" in out
    assert f"its row's previous event {parent} is missing" in out


def test_an_event_inserted(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
                           ) -> None:
    """An event added at the end of the chain, its hash copied from another: it does not
    match, the head (which later writes do not move from a place it is not) is not the
    last event, and the record it claims to change no longer matches it."""
    path = demo[0]
    person = str(one(path, "SELECT id FROM persons ORDER BY id LIMIT 1")[0])
    last = int(one(path, "SELECT max(store_seq) FROM audit_events")[0])  # type: ignore[call-overload]
    tamper(path, "CREATE TEMP TABLE e AS SELECT * FROM audit_events WHERE entity_id = ? "
                 "ORDER BY seq DESC LIMIT 1",
           f"UPDATE e SET seq = NULL, id = 'made-up-event', store_seq = {last + 1}, "
           "parent_id = NULL, after = json_set(after, '$.version', 99)",
           "INSERT INTO audit_events SELECT * FROM e", params=(person,))
    status, out = verify(demo, capsys)
    assert status == 1
    assert (f"persons {person}: its event {last + 1} of store") in out
    assert "(made-up-event): its content does not match its hash" in out
    assert f"its chain head says event {last}, but the log ends at event {last + 2}" in out
    assert f"persons {person}: edited outside CarePlan: it differs from its latest event " \
           "in version" in out


def test_two_events_swapped(demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
                            ) -> None:
    path = demo[0]
    origin = str(one(path, "SELECT store_id FROM audit_events LIMIT 1")[0])
    (a_id, a_entity, a_entity_id), (b_id, _, _) = [
        one(path, "SELECT id, entity, entity_id FROM audit_events WHERE store_seq = ?", (n,))
        for n in (30, 31)]
    tamper(path, "UPDATE audit_events SET store_seq = -1 WHERE store_seq = 30",
           "UPDATE audit_events SET store_seq = 30 WHERE store_seq = 31",
           "UPDATE audit_events SET store_seq = 31 WHERE store_seq = -1")
    status, out = verify(demo, capsys)
    assert status == 1
    # Both moved events break, and so does the next, which links to what was number 31.
    assert out.count("does not match its hash") == 3
    assert f"first broken link: event 30 of store {origin} ({b_id})" in out
    assert a_id in out and f"{a_entity} {a_entity_id}" in out


def test_a_chain_head_rolled_back(demo: tuple[Path, list[str]],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = demo[0]
    origin, last = one(path, "SELECT origin, seq FROM audit_heads")
    tamper(path, "UPDATE audit_heads SET seq = seq - 5, hash = (SELECT hash FROM audit_events "
                 "WHERE store_id = audit_heads.origin AND store_seq = audit_heads.seq - 5)")
    status, out = verify(demo, capsys)
    assert status == 1
    # The sign-in of the check itself wrote one more event: the head stayed where it was set.
    assert f"audit log of store {origin}: its chain head says event {last - 5}, but the log " \
           f"ends at event {last + 1}" in out


def test_the_end_cut_off_with_its_head_set_back_leaves_records_without_events(
        demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    """Cutting the last events and setting the head back to match keeps the chain whole,
    but the records those events wrote no longer have them."""
    path, user = demo
    main(["audit", "verify", "--db", str(path), *user])  # the sign-in is the last event
    capsys.readouterr()
    entity, entity_id, seq = one(path, "SELECT entity, entity_id, store_seq FROM audit_events "
                                 "ORDER BY store_seq DESC LIMIT 1")
    tamper(path, f"DELETE FROM audit_events WHERE store_seq >= {seq}",
           "UPDATE audit_heads SET seq = (SELECT max(store_seq) FROM audit_events), hash = "
           "(SELECT hash FROM audit_events ORDER BY store_seq DESC LIMIT 1)")
    report = audit_check.verify(Store.open(path, create=False))
    assert report is not None
    lines = [p.line() for p in report.problems]
    assert any(f"{entity} {entity_id}: added outside CarePlan" in line for line in lines)


def test_a_refusal_is_one_sentence_and_a_bad_option_exit_2(
        demo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = demo
    assert main(["audit", "verify", "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--user" in err
    with pytest.raises(SystemExit) as stop:
        main(["audit", "verify", "--db", str(path), "--bogus"])
    assert stop.value.code == 2


# -- sharing: every copy checks every origin's chain ------------------------------------------


def test_copies_hold_the_same_links_and_refuse_a_changed_event(tmp_path: Path) -> None:
    a, b, c = stores(tmp_path)
    try:
        for s, text in ((a, "My garden."), (b, "My dog."), (c, "My cat.")):
            update(s, find(s, Person)[0].evolve(address=text), "dr")
        exchange([a, b, c])
        assert log(a) == log(b) == log(c)  # hashes included
        assert verified(a) == verified(b) == verified(c) == ()
        assert {r[0] for r in a.conn.execute("SELECT origin FROM audit_heads")} == {
            a.store_id, b.store_id, c.store_id} | {r[0] for r in a.conn.execute(
                "SELECT DISTINCT store_id FROM audit_events")}
        # A changes one of its events with plain SQL, then writes again: B refuses it.
        update(a, find(a, Person)[0].evolve(address="2 Low Road"), "dr")
        a.conn.execute("DROP TRIGGER audit_events_no_update")
        a.conn.execute("UPDATE audit_events SET actor = 'someone else' WHERE seq = "
                       "(SELECT max(seq) FROM audit_events)")
        a.conn.commit()
        result = apply_events(b, events_for(a, version_vector(b)))
        assert result.applied == 0 and len(result.refused) == 1
        reason = result.refused[0].reason
        assert "does not follow that store's audit chain" in reason
        assert reason.count(".") <= 1 and "\n" not in reason
        assert verified(b) == ()
    finally:
        for s in (a, b, c):
            s.close()


def test_an_event_changed_on_its_way_is_refused(tmp_path: Path) -> None:
    a, b, c = stores(tmp_path)
    try:
        update(a, find(a, Person)[0].evolve(address="1 High Street"), "dr")
        [event] = events_for(a, version_vector(b))
        changed = Event.from_json({**event.to_json(), "actor": "someone else"})
        result = apply_events(b, [changed])
        assert result.applied == 0 and "audit chain" in result.refused[0].reason
        with pytest.raises(ValueError, match="hash"):
            Event.from_json({**event.to_json(), "hash": "not hex"})
        # Written before the chains (no hash): it gets the same link where it arrives.
        plain = Event.from_json({**event.to_json(), "hash": None})
        assert apply_events(c, [plain]).applied == 1
        assert log(c)[event.id] == log(a)[event.id]
        assert verified(c) == ()
    finally:
        for s in (a, b, c):
            s.close()


# -- stores made before the chains --------------------------------------------------------------


def _as_before_the_chains(path: Path) -> None:
    """Make the store one an older CarePlan left: the schema before the chains, and the
    audit JSON in field order (as it was written then), not sorted."""
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    try:
        take_back(conn, migrations.CHAIN_SCHEMA - 1)
        conn.execute("DROP TRIGGER audit_events_no_update")
        order = {t: [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{t}")')]
                 for (t,) in conn.execute("SELECT DISTINCT entity FROM audit_events")}
        conn.execute("BEGIN")
        for seq, entity, before, after in conn.execute(
                "SELECT seq, entity, before, after FROM audit_events").fetchall():
            def field_order(text: str | None, entity: str = entity) -> str | None:
                if text is None:
                    return None
                value = json.loads(text)
                keys = sorted(value, key=lambda k: (order[entity] + [k]).index(k))
                return json.dumps({k: value[k] for k in keys}, ensure_ascii=False,
                                  separators=(",", ":"))
            conn.execute("UPDATE audit_events SET before = ?, after = ?, hlc = NULL "
                         "WHERE seq = ?", (field_order(before), field_order(after), seq))
        conn.execute("COMMIT")
        conn.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                     "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
    finally:
        conn.close()


def test_an_older_store_gets_its_chains_and_copies_agree(built: Path, tmp_path: Path) -> None:
    """The migration computes the chains of what a store holds; two copies of an older
    store, upgraded apart, compute the same links, and exchange afterwards."""
    older = tmp_path / "older.db"
    copy_store(built, older)
    _as_before_the_chains(older)
    conn = sqlite3.connect(older)
    sample = conn.execute("SELECT after FROM audit_events WHERE entity = 'persons' LIMIT 1"
                          ).fetchone()[0]
    conn.close()
    assert not sample.startswith('{"address"')  # field order: id first
    other = tmp_path / "other.db"
    copy_store(older, other)
    with Store.open(older) as a, Store.open(other) as b:
        assert a.schema_version == migrations.latest_version()
        assert verified(a) == ()
        assert log(a) == log(b)
        last = a.conn.execute("SELECT store_seq, hash FROM audit_events ORDER BY store_seq "
                              "DESC LIMIT 1").fetchone()
        assert a.conn.execute("SELECT seq, hash FROM audit_heads").fetchall() == [tuple(last)]
        # Hashes as the canonical form gives them (an event without a clock reads its
        # wall time, as it travels).
        row = a.conn.execute(f"SELECT {', '.join(chain.COLUMNS)}, hash FROM audit_events "
                             "WHERE store_seq = 1").fetchone()
        assert chain.row_hash(None, tuple(row[:15]), stored_form=False) == bytes(row[15])
        # The migration rewrote the JSON in canonical form (keys sorted, same values), so
        # later checks take it as stored.
        assert chain.row_hash(None, tuple(row[:15]), stored_form=True) == bytes(row[15])
        upgraded = a.conn.execute("SELECT after FROM audit_events WHERE entity = 'persons' "
                                  "LIMIT 1").fetchone()[0]
        assert upgraded.startswith('{"address"') and json.loads(upgraded) == json.loads(sample)
        assert row[12] is None and chain.effective_hlc(None, row[11]) == hlc_text(wall(row[11]))
        # Both go on writing; the events of one check out on the other.
        from careplan.store.replication import new_identity

        new_identity(b)
        update(a, find(a, Person)[0].evolve(address="3 Mill Lane"), "dr")
        update(b, find(b, Person)[0].evolve(what_matters="Home."), "dr")
        exchange([a, b])
        assert verified(a) == verified(b) == ()
        assert log(a) == log(b)
