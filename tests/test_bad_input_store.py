"""Bad input at the store API: junk in any field of any record, through add and update.

Each attempt is either refused (ValueError/InputError naming what is wrong, or a stale
or missing record) with the store's content unchanged, or saved so that reading it back
gives exactly what was saved.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from careplan.models import Entity, enums
from careplan.models.base import FieldSpec, field_specs, new_id
from careplan.store import InputError, NotFoundError, StaleWriteError, Store, add, get, update
from careplan.store.digest import content_digest
from careplan.store.rows import to_row
from tests.factories import one_of_each

BASE = one_of_each()
IDS = [e.id for e in BASE]
ENUM_VALUES = [m.value for kind in vars(enums).values()
               if isinstance(kind, type) and issubclass(kind, Enum) and kind.__members__
               for m in kind]

#: What a careless import, a broken form or a hostile file might put in a field.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    st.text(),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x1F)),  # control characters
    st.text(st.characters(codec=None, categories=["Cs"]), min_size=1),  # lone surrogates
    st.text(min_size=2000, max_size=5000),
    st.sampled_from(["", " ", "\x00", "2025-02-30", "2025-13-01", "31/12/2024", "yesterday",
                     "9999-12-31", "0001-01-01", "2025-01-01T25:00", "NaN", "-1", "0",
                     "1e309", "'; DROP TABLE persons; --", "943 476 5919", "9434765918"]),
    st.sampled_from(ENUM_VALUES),
    st.sampled_from(IDS),
    st.dates(),
    st.datetimes(),
    st.dates().map(date.isoformat),
    st.datetimes().map(datetime.isoformat),
    st.binary(max_size=20),
    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.none()), max_size=3),
    st.tuples(st.text(max_size=5)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


surrogates = st.text(st.characters(codec=None, categories=["Cs"]), min_size=1)


def _near(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Junk of about the right type for one field: it gets furthest before a refusal."""
    one: st.SearchStrategy[Any]
    if spec.kind is int:
        one = st.integers(min_value=-(2**80), max_value=2**80) | st.integers(-3, 3)
    elif spec.kind is bool:
        one = st.sampled_from([0, 1, 2, -1, "yes", "", None, True, 1.0])
    elif spec.kind in (date, datetime):
        one = st.dates().map(date.isoformat) | st.datetimes(timezones=st.timezones()).map(
            datetime.isoformat) | st.text(max_size=12)
    elif isinstance(spec.kind, type) and issubclass(spec.kind, Enum):
        one = st.sampled_from([m.value for m in spec.kind]) | st.text(max_size=8)
    else:
        one = st.text() | surrogates | st.sampled_from(IDS) | st.text(" \t\n\x00", max_size=3)
    return st.lists(one, max_size=3) if spec.is_tuple else one


_TEMPLATE = Store.open(":memory:")
for _entity in BASE:
    add(_TEMPLATE, _entity, "setup")


def _filled() -> Store:
    """A fresh copy of a store holding one of each record (SQLite's backup: fast)."""
    store = Store.open(":memory:")
    _TEMPLATE.conn.backup(store.conn)
    return store


def _attempt(store: Store, entity: Entity, op: str) -> Entity:
    return add(store, entity, "fuzz") if op == "add" else update(store, entity, "fuzz")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), op=st.sampled_from(["add", "update"]))
def test_junk_is_refused_or_round_trips(data: st.DataObject, op: str) -> None:
    base = data.draw(st.sampled_from(BASE), label="record")
    names = [s.name for s in field_specs(type(base)) if op == "update" or s.name != "version"]
    fields = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True),
                       label="fields")
    specs = {s.name: s for s in field_specs(type(base))}
    # Mostly junk of about the right type (it gets furthest), sometimes anything at all.
    changes: dict[str, Any] = {
        name: data.draw(st.sampled_from([_near(specs[name])] * 2 + [junk]).flatmap(lambda x: x),
                        label=name)
        for name in fields}
    store = _filled()
    try:
        stored = store.query(f"SELECT version FROM {base.TABLE} WHERE id = ?", (base.id,))
        start = base.evolve(version=stored[0]["version"], id=base.id if op == "update"
                            else new_id())
        try:
            candidate = dataclasses.replace(start, **changes)
        except ValueError as exc:  # refused by the domain before the store saw it
            assert str(exc).strip()
            event("refused by the domain")
            return
        before = content_digest(store)
        try:
            saved = _attempt(store, candidate, op)
        except (ValueError, StaleWriteError, NotFoundError) as exc:
            assert str(exc).strip()
            assert content_digest(store) == before
            event(f"refused by the store: {type(exc).__name__}")
            return
        back = get(store, type(saved), saved.id)
        assert to_row(back) == to_row(saved)
        event(f"saved by {op}")
    finally:
        store.close()


# Found by the test above, kept as plain examples of what it guards.


def test_a_number_too_large_to_store_is_refused_by_name() -> None:
    store = _filled()
    plan = next(e for e in BASE if e.TABLE == "care_plans")
    before = content_digest(store)
    with pytest.raises(InputError, match="^plan version: 1180591620717411303424 is too large"):
        add(store, plan.evolve(id=new_id(), plan_version=2**70), "fuzz")
    assert content_digest(store) == before


def test_text_with_a_lone_surrogate_is_refused_by_name() -> None:
    store = _filled()
    need = next(e for e in BASE if e.TABLE == "needs")
    before = content_digest(store)
    with pytest.raises(InputError, match="^description: contains characters that are not"):
        update(store, need.evolve(version=1, description="broken \ud800 escape"), "fuzz")
    assert content_digest(store) == before


def test_a_date_and_time_given_for_a_date_is_kept_as_the_date() -> None:
    store = _filled()
    member = next(e for e in BASE if e.TABLE == "care_team_members")
    saved = update(store, member.evolve(version=1, start_date=datetime(2025, 3, 1, 14, 30)),
                   "fuzz")
    assert get(store, type(saved), saved.id).start_date == date(2025, 3, 1)  # type: ignore[attr-defined]
