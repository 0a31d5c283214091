"""Operations: every write returns what it changed, and any of them can be undone.

An operation is one transaction whose Changes are read back from the audit events it
wrote (rows, versions, before and after, and the persons they belong to). ``revert``
puts those rows back as they were, as new audited versions, and reverting the revert
redoes it: one undo for every kind of edit, multi-row ones included.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan.models import (
    ActionFunder,
    Agency,
    CarePlan,
    CareTeamMember,
    Need,
    Outcome,
    Person,
    Professional,
)
from careplan.store import InputError, StaleWriteError, Store, add, find, get, operations, update
from careplan.store.casework import save_plan_item, sign_plan
from careplan.store.funding import save_funding
from careplan.store.overrides import clear_override, set_override
from careplan.store.team import add_member
from tests.factories import one_of_each
from tests.signin import ensure_account

META = {"version", "created_at", "updated_at", "updated_by"}


def content(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every record's values, without versions and write times (an undo is a new
    version with the old content)."""
    out = {}
    for (table,) in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN "
            "('audit_events', 'audit_heads', 'store_meta') AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"):
        cols = [r[1] for r in store.conn.execute(f'PRAGMA table_info("{table}")')
                if r[1] not in META]
        out[table] = sorted(store.conn.execute(
            f"SELECT {', '.join(cols)} FROM \"{table}\"").fetchall(), key=repr)
    return out


@pytest.fixture
def filled(store: Store) -> Store:
    for entity in one_of_each():
        add(store, entity, "setup")
    return store


def _person(store: Store) -> Person:
    return find(store, Person)[0]


def _sam(store: Store) -> str:
    """Sam Green: the lead professional, owner of the action."""
    return next(p.id for p in find(store, Professional) if p.name == "Sam Green")


def test_an_addition_says_what_and_whose_and_reverts_and_redoes(filled: Store) -> None:
    before = content(filled)
    plan = find(filled, CarePlan)[0]
    done = operations.run(filled, lambda s: add(s, Need(plan_id=plan.id, description="Money",
                                                        domain="social care"), "me"))
    assert [(r.entity, r.created) for r in done.changes.rows] == [("needs", True)]
    assert done.changes.person_ids == {_person(filled).id}
    assert not done.changes.everyone and done.changes.flags_may_change
    undone = operations.revert(filled, done.changes, "me")
    assert content(filled) == before
    assert [(r.entity, r.deleted) for r in undone.changes.rows] == [("needs", True)]
    assert undone.changes.person_ids == {_person(filled).id}
    operations.revert(filled, undone.changes, "me")  # redo
    assert get(filled, Need, done.value.id).description == "Money"


def test_a_change_of_many_rows_is_one_operation_and_one_undo(filled: Store) -> None:
    """Adding a lead ends the old lead's role: both rows, one operation."""
    person = _person(filled)
    old = find(filled, CareTeamMember, person_id=person.id)[0]
    dr = next(p for p in find(filled, Professional) if p.name.startswith("Dr"))
    manager = ensure_account(filled, "sam", "manager", _sam(filled)).actor
    before = content(filled)
    done = operations.run(filled, lambda s: add_member(s, CareTeamMember(
        person_id=person.id, professional_id=dr.id, role="GP",
        start_date=date(2025, 3, 1), is_lead=True), manager, reason="Mostly health needs"))
    assert {r.entity for r in done.changes.rows} == {"care_team_members"}
    assert done.changes.ids("care_team_members") == {old.id, done.value.id}
    assert not get(filled, CareTeamMember, old.id).is_lead
    undone = operations.revert(filled, done.changes, "me")
    assert content(filled) == before and get(filled, CareTeamMember, old.id).is_lead
    operations.revert(filled, undone.changes, "me")
    assert not get(filled, CareTeamMember, old.id).is_lead


def test_a_removed_row_comes_back_on_undo(filled: Store) -> None:
    """Saving an action's funding with a different funder removes the old one."""
    person = _person(filled)
    cost_row = filled.query("SELECT * FROM action_costs")[0]
    from careplan.models import ActionCost
    from careplan.store.rows import from_row

    cost = from_row(ActionCost, cost_row)
    old = find(filled, ActionFunder)[0]
    new = ActionFunder(cost_id=cost.id, stream_id=old.stream_id, share_bp=10_000)
    before = content(filled)
    done = operations.run(filled, lambda s: save_funding(s, cost, [new], _sam(filled)))
    assert done.changes.ids("action_funders") == {old.id, new.id}
    assert person.id in done.changes.person_ids
    operations.revert(filled, done.changes, "me")
    assert content(filled) == before
    assert get(filled, ActionFunder, old.id).personal_budget_id == old.personal_budget_id


def test_a_shared_row_touches_everyone(filled: Store) -> None:
    admin = ensure_account(filled).actor
    done = operations.run(filled, lambda s: set_override(s, "discharge.critical_days", 9,
                                                         admin))
    assert done.changes.everyone and done.changes.touches("anyone at all")
    cleared = operations.run(filled, lambda s: clear_override(s, "discharge.critical_days",
                                                              admin))
    assert cleared.changes.rows[0].deleted
    operations.revert(filled, cleared.changes, "me")
    assert filled.query("SELECT value FROM rule_overrides") == [{"value": "9"}]
    agency = operations.run(filled, lambda s: add(s, Agency(name="Housing", sector="housing"),
                                                  "me"))
    assert agency.changes.everyone and agency.changes.person_ids == frozenset()


def test_signing_is_undone_with_its_signature(filled: Store) -> None:
    plan = find(filled, CarePlan)[0]
    dr = next(p for p in find(filled, Professional) if p.name.startswith("Dr"))
    add(filled, CareTeamMember(person_id=plan.person_id, professional_id=dr.id, role="GP",
                               start_date=date(2025, 1, 1)), "setup")  # the GP signs too
    before = content(filled)
    done = operations.run(filled, lambda s: sign_plan(s, plan, dr, datetime(2025, 3, 1, 9)))
    assert "plan_signoffs" in done.changes.entities
    operations.revert(filled, done.changes, "me")
    assert content(filled) == before


def test_nothing_is_undone_over_someone_elses_change(filled: Store) -> None:
    need = find(filled, Need)[0]
    done = operations.run(filled, lambda s: update(s, need.evolve(description="Mine"), "me"))
    theirs = update(filled, get(filled, Need, need.id).evolve(description="Theirs"), "other")
    before = content(filled)
    with pytest.raises(StaleWriteError, match="was changed by other since; nothing was "
                                              "undone"):
        operations.revert(filled, done.changes, "me")
    assert content(filled) == before and get(filled, Need, need.id) == theirs


def test_an_addition_others_now_refer_to_is_not_removed(filled: Store) -> None:
    plan = find(filled, CarePlan)[0]
    done = operations.run(filled, lambda s: add(s, Need(plan_id=plan.id, description="New",
                                                        domain="other"), "me"))
    add(filled, Outcome(plan_id=plan.id, need_id=done.value.id, description="Goal"), "other")
    before = content(filled)
    with pytest.raises(InputError, match="other records now refer to it"):
        operations.revert(filled, done.changes, "me")
    assert content(filled) == before


def test_a_refused_write_is_no_operation(filled: Store) -> None:
    before = content(filled)
    seq = filled.conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]

    def two_then_fail(s: Store) -> None:
        add(s, Agency(name="Half", sector="health"), "me")
        raise InputError("name: refused halfway")

    with pytest.raises(InputError):
        operations.run(filled, two_then_fail)
    assert content(filled) == before
    assert filled.conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0] == seq


def _edit(store: Store, kind: str, text: str, plan: str) -> Any:
    """A write of one kind, as a function of the store (what operations.run takes)."""
    if kind == "need":
        need, sam = find(store, Need)[0], _sam(store)
        return lambda s: save_plan_item(s, need.evolve(description=text.strip() or "x"), sam)
    if kind == "person":
        person = find(store, Person)[0]
        return lambda s: update(s, person.evolve(address=text), "me")
    return lambda s: add(s, Need(plan_id=plan, description=text.strip() or "x",
                                 domain="other"), "me")


EDITS = st.lists(st.tuples(st.sampled_from(["need", "person", "add-need"]),
                           st.text(alphabet="abc xyz", min_size=1, max_size=12)),
                 min_size=1, max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_undoing_every_edit_in_turn_gives_the_start_back(edits: list[tuple[str, str]]
                                                          ) -> None:
    with Store.open(":memory:") as store:
        for entity in one_of_each():
            add(store, entity, "setup")
        start = content(store)
        plan = find(store, CarePlan)[0].id
        history = []
        for kind, text in edits:
            history.append(operations.run(store, _edit(store, kind, text, plan)).changes)
        redo = [operations.revert(store, c, "me").changes for c in reversed(history)]
        assert content(store) == start
        ended = content(store)
        redone = [operations.revert(store, c, "me").changes for c in reversed(redo)]
        needs = sum(isinstance(e, Need) for e in one_of_each())
        assert store.query("SELECT count(*) AS n FROM needs")[0]["n"] == needs + sum(
            1 for kind, _ in edits if kind == "add-need")
        for c in reversed(redone):  # and undo everything once more, after the redo
            operations.revert(store, c, "me")
        assert content(store) == start == ended
