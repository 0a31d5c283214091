"""The team server's push works out the person of the events it takes a batch at a time
(careplan.store.teamserver): each event's person, the server's table of each row's
person and its table of consent records come out as the server's one-event-at-a-time
rule (``careplan.note``, which ``init_server`` runs over events it has not yet read)
leaves them, whatever the batches, against a real PostgreSQL (the ``pg_server``
fixture)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from careplan.demo.build import build_demo
from careplan.demo.generator import MIN_PERSONS
from careplan.models.sync import DELETED, WITHHELD
from careplan.store import Store, teamserver
from careplan.store.replication import events_for
from tests.pg_server import PgServer

#: What a push leaves on the server: each event's person in the server's order, each
#: row's person, each consent record.
STATE = {
    "about": "SELECT event_id, about FROM careplan.events ORDER BY server_seq",
    "rows": "SELECT entity, entity_id, person_id FROM careplan.row_persons "
            "ORDER BY entity, entity_id",
    "consents": "SELECT id, person_id, agency_id, status, basis, recorded_on "
                "FROM careplan.consents ORDER BY id",
}


class Log:
    """Events of one store, as a laptop pushes them: each row's events chain by version."""

    def __init__(self) -> None:
        self.store = f"store-{uuid.uuid4().hex[:8]}"
        self.events: list[dict[str, Any]] = []
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    def write(self, entity: str | None, row_id: str | None = None,
              **after: Any) -> dict[str, Any]:
        key = (str(entity), str(row_id))
        before = self.rows.get(key)
        values = {**(before or {}), **after}
        event: dict[str, Any] = {"id": str(uuid.uuid4()), "store_id": self.store,
                                 "store_seq": len(self.events) + 1}
        if entity is not None:
            event |= {"entity": entity, "entity_id": row_id, "before": before,
                      "after": values}
        self.rows[key] = values
        self.events.append(event)
        return event


def _edge_cases() -> list[dict[str, Any]]:
    """A store's log that takes every turn of the rule, parents pushed after their rows
    and rows whose parent is a row of no one included."""
    log = Log()
    log.write("agencies", "ag1", name="Riverside")  # no person: ''
    log.write("persons", "p1", given_name="Ann")
    log.write("care_plans", "cp1", person_id="p1")
    log.write("actions", "a1", plan_id="cp1")  # through a plan of this push
    log.write("action_costs", "c1", action_id="a1")
    log.write("action_funders", "f1", cost_id="c1")  # four rows deep
    log.write("actions", "a2", plan_id="cp-later")  # its plan comes later: '?'
    log.write("actions", "a3", referral_id="r-nowhere", action_id="a1")  # the next link
    log.write("actions", "a4", referral_id="r-nowhere")  # nothing found: '?'
    log.write("care_plans", "cp0")  # a plan of no one yet: ''
    log.write("actions", "a5", plan_id="cp0")  # found, of no one: ''
    log.write("care_plans", "cp0", person_id="p1")  # the plan's person now
    log.write("actions", "a6", plan_id="cp0")  # the plan's person
    log.write("actions", "a5", description="again")  # a5's row was '': now p1
    log.write("persons", "p2", given_name="Bo")
    log.write("care_plans", "cp-later", person_id="p2")
    log.write("actions", "a2", description="its plan is here now")  # '?' becomes p2
    log.write("actions", "a7", plan_id="cp-later", person_id="p1")  # person_id first
    log.write("consents", "k1", person_id="p1", agency_id="ag1", status="given",
              recorded_on="2026-01-02", basis=None)
    log.write("consents", "k1", status="withdrawn")
    log.write("consents", "k2", person_id="p2", agency_id="ag1", status="given",
              recorded_on="2026-01-03")
    log.write("consents", "k2", **{DELETED: True})
    log.write("consents", "k3", status="given")  # no person or agency: no record
    log.write("consents", "k4", person_id="p2", agency_id="ag1", status="refused",
              recorded_on="2026-01-04")
    log.write("consents", "k4", **{DELETED: True})
    log.write("consents", "k4", status="given", recorded_on="2026-01-05",
              **{DELETED: False})  # back again after its deletion
    log.write(WITHHELD, "w1", plan_id="cp1")  # a stub: no row of its own
    log.write(None)  # an event of no table
    log.write("hospital_stays", "h1", person_id="p2")
    log.write("delay_reasons", "d1", stay_id="h1", action_id="a4")  # first link wins
    log.write("case_conferences", "cc1", person_id="p1")
    log.write("actions", "a8", conference_id="cc1")
    log.write("action_costs", "c2", action_id="a4")  # its action's person not found: '?'
    log.write("care_plans", "cp9", person_id="p1")
    log.write("care_plans", "cp9", person_id="p2")  # a row keeps its first person
    log.write("actions", "a9", plan_id="cp9")
    return log.events


@pytest.fixture
def server(pg_server: PgServer) -> tuple[str, str]:
    """A new team server: its owner's DSN and a laptop's."""
    db = pg_server.new_database()
    teamserver.init_server(pg_server.admin_dsn(db))
    return pg_server.admin_dsn(db), pg_server.add_client(db, f"lap_{uuid.uuid4().hex[:8]}")


def _push(dsn: str, events: list[dict[str, Any]], batch: int) -> int:
    with teamserver.connect(dsn) as conn:
        return sum(teamserver.push(conn, events[i:i + batch])
                   for i in range(0, len(events), batch))


def _state(owner: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(owner) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in STATE.items()}


def _one_at_a_time(owner: str) -> dict[str, list[tuple[Any, ...]]]:
    """The state the server's one-event-at-a-time rule leaves from the same events: all
    it worked out forgotten, then init_server reads every event again, in order."""
    with psycopg.connect(owner) as conn:
        conn.execute("UPDATE careplan.events SET about = NULL")
        conn.execute("TRUNCATE careplan.row_persons, careplan.consents")
    teamserver.init_server(owner)
    return _state(owner)


@pytest.mark.parametrize("batch", [1, 4, 2_000])
def test_a_push_finds_each_person_as_one_event_at_a_time_does(
        server: tuple[str, str], batch: int) -> None:
    owner, laptop = server
    events = _edge_cases()
    assert _push(laptop, events, batch) == len(events)
    pushed = _state(owner)
    about = dict(pushed["about"])
    ids = {(e.get("entity"), e.get("entity_id"), e["store_seq"]): e["id"] for e in events}

    def person(entity: str | None, row: str | None, seq: int) -> str | None:
        return about[ids[(entity, row, seq)]]

    expected = [("agencies", "ag1", 1, ""), ("action_funders", "f1", 6, "p1"),
                ("actions", "a2", 7, "?"), ("actions", "a3", 8, "p1"),
                ("actions", "a4", 9, "?"), ("actions", "a5", 11, ""),
                ("actions", "a6", 13, "p1"), ("actions", "a2", 17, "p2"),
                ("actions", "a7", 18, "p1"), ("delay_reasons", "d1", 30, "p2"),
                ("actions", "a8", 32, "p1"), ("action_costs", "c2", 33, "?"),
                ("care_plans", "cp9", 35, "p2"), ("actions", "a9", 36, "p1")]
    assert [person(e, r, n) for e, r, n, _ in expected] == [who for *_, who in expected]
    rows = {(e, i): p for e, i, p in pushed["rows"]}
    assert rows[("actions", "a5")] == "p1" and rows[("actions", "a2")] == "p2"
    assert rows[("actions", "a4")] == "?" and ("withheld", "w1") not in rows
    assert [(c[0], c[3]) for c in pushed["consents"]] == [("k1", "withdrawn"),
                                                         ("k4", "given")]
    assert _one_at_a_time(owner) == pushed


def test_pushing_again_or_in_part_changes_nothing(server: tuple[str, str]) -> None:
    owner, laptop = server
    events = _edge_cases()
    assert _push(laptop, events[:10], 3) == 10
    assert _push(laptop, events, 7) == len(events) - 10  # the first ten kept once
    assert _push(laptop, events, 2_000) == 0
    pushed = _state(owner)
    assert len(pushed["about"]) == len(events)
    assert _one_at_a_time(owner) == pushed


def test_an_event_twice_in_one_push_is_kept_once(server: tuple[str, str]) -> None:
    owner, laptop = server
    events = _edge_cases()
    assert _push(laptop, [*events[:5], events[2], *events[5:]], 2_000) == len(events)
    pushed = _state(owner)
    assert dict(pushed["about"])[events[5]["id"]] == "p1"
    assert _one_at_a_time(owner) == pushed


def test_a_demo_store_pushed_in_batches(server: tuple[str, str], tmp_path: Path) -> None:
    owner, laptop = server
    with Store.open(tmp_path / "demo.db") as store:
        build_demo(store, persons=MIN_PERSONS + 20, seed=2, today=date(2026, 6, 1),
                   parallel=False)
        events = [e.to_json() for e in events_for(store, {})]
    # a few rows changed in a second store, pushed in the middle of the first
    other = Log()
    first = next(e for e in events if e.get("entity") == "actions")
    other.rows[("actions", first["entity_id"])] = dict(first["after"])
    other.write("actions", first["entity_id"], description="changed elsewhere")
    other.write("action_costs", "elsewhere", action_id=first["entity_id"])
    half = len(events) // 2
    assert _push(laptop, events[:half], 500) == half
    assert _push(laptop, other.events, 500) == 2
    assert _push(laptop, events[half:], 333) == len(events) - half
    pushed = _state(owner)
    about = dict(pushed["about"])
    assert about[other.events[1]["id"]] == about[first["id"]] not in ("", "?", None)
    assert sum(1 for p in about.values() if p not in ("", "?")) > len(events) // 2
    assert _one_at_a_time(owner) == pushed
