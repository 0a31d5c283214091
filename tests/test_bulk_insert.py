"""Bulk inserts (``add_many``, as the FHIR import and other bulk loads write): the same
rows, the same audit events and the same hashes as writing each record and its event
the plain way, record by record."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from export_sample import build

from careplan.models import ENTITY_TYPES, Entity, Person
from careplan.models.base import uuid7
from careplan.store import Store, add_many, audit, audit_check, chain, find
from careplan.store.repo import _insert_sql
from careplan.store.rows import to_row

AT = datetime(2025, 3, 10, 9, 30, 15, 123456, tzinfo=UTC)
ACTOR = "im'port \"bulk\""  # quotes: the metadata is written into the statement's text


def _entities(tmp_path: Path) -> list[Entity]:
    """Every entity type of a whole record, and a person with awkward text."""
    with Store.open(tmp_path / "source.db") as source:
        build(source)
        records: list[Entity] = []
        for cls in ENTITY_TYPES:
            records += find(source, cls)
    odd = Person(given_name="Zoë \"Ann\" O'Brien\\", family_name="Ñúñez 漢字 \u2028",
                 birth_date=date(1950, 2, 3), nhs_number=None)
    return [*records, odd]


def _empty_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two empty stores with the same identity (so the same hash chain)."""
    first, second = tmp_path / "bulk.db", tmp_path / "plain.db"
    Store.open(first).close()
    shutil.copyfile(first, second)
    return first, second


def _write_plainly(store: Store, entities: list[Entity], actor: str, ids: list[str]) -> None:
    """Each record inserted with its metadata bound, and its creation event hashed with
    ``chain.link`` (the canonical form's definition), JSON by ``audit.dumps``."""
    now = store.clock()
    stamp = now.isoformat()
    order = {cls.TABLE: i for i, cls in enumerate(ENTITY_TYPES)}
    by_table: dict[str, list[tuple[Entity, dict[str, Any]]]] = {}
    events = []
    for entity in entities:
        row = to_row(entity)
        row["version"] = 1
        by_table.setdefault(entity.TABLE, []).append((entity, row))
        events.append((entity.TABLE, entity.id, audit.dumps(row)))
    with store.atomic():
        for table in sorted(by_table, key=lambda t: order[t]):
            for entity, row in by_table[table]:
                store.conn.execute(_insert_sql(type(entity)),
                                   [*row.values(), stamp, stamp, actor])
        first = audit.stamp(store, now, len(events))
        prev = first.prev
        for i, ((entity_name, entity_id, after), event_id) in enumerate(zip(events, ids,
                                                                            strict=True)):
            values = (event_id, store.store_id, first.seq + i, None, entity_name, entity_id,
                      None, 1, None, after, actor, stamp,
                      audit.hlc_text(first.hlc + i), first.vector, None)
            prev = chain.link(prev, *values)
            store.conn.execute(audit._INSERT, (*values, prev))
        assert prev is not None
        chain.advance_head(store.conn, store.store_id, (first.seq - 1, first.prev),
                           first.seq + len(events) - 1, prev)


def _contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    tables = [str(r[0]) for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    # (Every row, metadata and the log's own numbers included; some tables have no rowid.)
    return {t: sorted(store.conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in tables}


@pytest.mark.parametrize(("actor", "seen_others"), [
    (ACTOR, False),
    (ACTOR, True),  # events then carry what the store has seen of others (its vector)
    ("nul\0actor", False),  # a text SQL cannot hold written in: bound instead
])
def test_bulk_insert_writes_what_the_plain_way_writes(tmp_path: Path, actor: str,
                                                      seen_others: bool) -> None:
    entities = _entities(tmp_path)
    bulk_path, plain_path = _empty_pair(tmp_path)
    ids = [uuid7(1_741_599_015_123, n * 7919) for n in range(len(entities))]
    with Store.open(bulk_path) as bulk, Store.open(plain_path) as plain:
        assert bulk.store_id == plain.store_id
        bulk.clock = plain.clock = lambda: AT
        for store in (bulk, plain) if seen_others else ():
            with store.atomic():
                store.conn.execute("INSERT INTO sync_vector (origin, seq, hlc) VALUES (?, ?, ?)",
                                   ("other's store", 4, audit.hlc_text(5)))
        # Two batches each way: the second continues the chain the first began.
        half = len(entities) // 2
        assert add_many(bulk, entities[:half], actor, ids[:half]) == half
        assert add_many(bulk, entities[half:], actor, ids[half:]) == len(entities) - half
        _write_plainly(plain, entities[:half], actor, ids[:half])
        _write_plainly(plain, entities[half:], actor, ids[half:])
        got, want = _contents(bulk), _contents(plain)
        assert got["audit_events"] and got["persons"]
        vectors = {row[14] for row in got["audit_events"]}
        assert vectors == ({'{"other\'s store":4}'} if seen_others else {None})
        assert got == want
        report = audit_check.verify(bulk)
        assert report is not None and report.ok, report and report.problems
        rows = bulk.conn.execute("SELECT updated_by, created_at FROM persons").fetchall()
        assert set(rows) == {(actor, AT.isoformat())}


def test_generated_event_ids_are_fresh_time_ordered_ids(tmp_path: Path) -> None:
    entities = _entities(tmp_path)
    with Store.open(tmp_path / "ids.db") as store:
        store.clock = lambda: AT
        add_many(store, entities, "import")
        ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM audit_events")]
        report = audit_check.verify(store)
        assert report is not None and report.ok
    assert len(ids) == len(set(ids)) == len(entities)
    prefix = audit.new_event_id(AT)[:13]  # the milliseconds of AT
    form = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(form.match(i) and i.startswith(prefix) for i in ids)
    many = audit.new_event_ids(AT, 20_000)
    assert len(set(many)) == 20_000 and all(form.match(i) for i in many[:100])
    # 74 random bits: each of the random hex digits takes all its values.
    assert {i[-1] for i in many} == set("0123456789abcdef")
    assert {i[19] for i in many} == set("89ab")


def test_row_encoder_writes_the_canonical_form() -> None:
    rows: list[dict[str, Any]] = [
        {"b": 1, "a": "x", "c": None},
        {"name": "Zoë \"q\" \\ \n \t \u2028 \x01 漢", "n": -5, "big": 2**62, "f": 1.5},
        {"nested": {"z": [1, {"y": 2, "x": 3}]}, "e": []},
        {},
    ]
    for row in rows:
        assert chain.encode_row(row) == chain.ENCODER.encode(row) == audit.dumps(row)
    person = Person(given_name="Ann", family_name="Lee", birth_date=date(1950, 2, 3))
    assert chain.encode_row(to_row(person)) == audit.dumps(to_row(person))


def test_none_and_bytes_are_bound_as_null_and_blob(tmp_path: Path) -> None:
    """The adapters registered for None and bytes (careplan.store.sqlite, to bind them
    fast) give SQLite exactly what it had before: NULL and the same BLOB."""
    with Store.open(tmp_path / "types.db") as store:
        got = store.conn.execute(
            "SELECT typeof(?), ? IS NULL, typeof(?), hex(?), typeof(?), hex(?), length(?)",
            (None, None, b"\x00\xffab", b"\x00\xffab", bytearray(b"ab"), bytearray(b"ab"),
             b"")).fetchone()
    assert tuple(got) == ("null", 1, "blob", "00FF6162", "blob", "6162", 0)
