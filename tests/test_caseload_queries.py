"""Store queries behind the caseload: order in SQL, search, filters, rows by block."""

from __future__ import annotations

from datetime import date

import pytest
import ui_world

from careplan.models.dates import age_on, nth_birthday
from careplan.store import Store
from careplan.store import caseload as q


@pytest.fixture
def world(store: Store) -> ui_world.World:
    return ui_world.build(store, extra_persons=40)


def ids(store: Store, **kw: object) -> list[str]:
    return q.person_ids(store, ui_world.query(store, **kw), ui_world.TODAY)


def test_default_order_is_family_then_given_name(store: Store, world: ui_world.World) -> None:
    rows = q.rows(store, ids(store), ui_world.TODAY)
    keys = [(r.family_name, r.given_name) for r in rows]
    assert keys == sorted(keys)
    assert len(rows) == 43


@pytest.mark.parametrize("key", list(q.SortKey))
def test_every_sort_key_orders_all_persons_both_ways(store: Store, world: ui_world.World,
                                                     key: q.SortKey) -> None:
    up, down = ids(store, sort=key), ids(store, sort=key, descending=True)
    assert sorted(up) == sorted(down) and len(up) == 43


def test_age_sort_puts_youngest_first(store: Store, world: ui_world.World) -> None:
    rows = q.rows(store, ids(store, sort=q.SortKey.AGE), ui_world.TODAY)
    ages = [age_on(r.birth_date, ui_world.TODAY) for r in rows]
    assert ages == sorted(ages)


def test_transition_sort_puts_soonest_first_and_nones_last(store: Store,
                                                           world: ui_world.World) -> None:
    found = ids(store, sort=q.SortKey.TRANSITION)
    # The delayed discharge (ready 9 days ago) comes before the 18th birthday in June.
    assert found[:2] == [world.older, world.teen]


@pytest.mark.parametrize("typed", ["9434765919", "943 476 5919", "943-476-5919", "943 47"])
def test_search_by_nhs_number_with_or_without_spaces(store: Store, world: ui_world.World,
                                                     typed: str) -> None:
    assert ids(store, search=typed) == [world.teen]


@pytest.mark.parametrize("typed", ["jordan", "Baker", "jor bak", "  BAKER  "])
def test_search_by_name_words(store: Store, world: ui_world.World, typed: str) -> None:
    assert ids(store, search=typed) == [world.teen]


def test_search_treats_like_wildcards_as_text(store: Store, world: ui_world.World) -> None:
    assert ids(store, search="%") == []
    assert ids(store, search="_") == []


def test_my_caseload_and_my_agency(store: Store, world: ui_world.World) -> None:
    assert set(ids(store, professional_id=world.dr_shah)) == {world.teen, world.older, world.dual}
    assert ids(store, agency_id=world.mh_team) == [world.dual]


def test_person_ids_restriction(store: Store, world: ui_world.World) -> None:
    assert ids(store, person_ids=frozenset({world.dual, world.teen})) == [world.teen, world.dual]


def test_rows_carry_lead_agencies_transition_and_review(store: Store,
                                                        world: ui_world.World) -> None:
    teen, older = q.rows(store, [world.teen, world.older], ui_world.TODAY)
    assert teen.lead_professional == "Sam Okafor"
    assert teen.agencies == ("Children's Social Care", "Riverside Surgery")
    assert teen.next_transition == nth_birthday(date(2007, 6, 2), 18)
    assert teen.transition_kind == "turns 18"
    assert teen.review_due is not None and teen.review_due > ui_world.TODAY
    assert older.transition_kind == "discharge" and older.next_transition < ui_world.TODAY


def test_rows_skip_unknown_ids_and_keep_order(store: Store, world: ui_world.World) -> None:
    rows = q.rows(store, [world.dual, "nope", world.teen], ui_world.TODAY)
    assert [r.id for r in rows] == [world.dual, world.teen]
