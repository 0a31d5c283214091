"""to_row is generated per class for bulk loads: it must give exactly the row the plain
loop over the fields gives (same values, same key order: the audit JSON and the
INSERT column order follow it)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from factories import one_of_each
from hypothesis import given, settings
from hypothesis import strategies as st

from careplan.demo.generator import Demo
from careplan.models import BY_TABLE
from careplan.models.base import Entity, field_specs, trusted_builder
from careplan.models.enums import ActionStatus
from careplan.models.plan import Action
from careplan.store.rows import to_row, to_value


def _loop(entity: Entity) -> dict[str, Any]:
    """The row as the loop over the fields made it before to_row was generated."""
    row: dict[str, Any] = {}
    for spec in field_specs(type(entity)):
        value = getattr(entity, spec.name)
        cls = value.__class__
        row[spec.name] = value if cls is str or cls is int else to_value(value, spec.is_tuple)
    return row


def _same(entity: Entity) -> None:
    fast, slow = to_row(entity), _loop(entity)
    assert list(fast.items()) == list(slow.items())
    assert [type(v) for v in fast.values()] == [type(v) for v in slow.values()]


def test_every_record_of_a_demo_gives_the_same_row() -> None:
    demo = Demo(400, 3, date(2025, 3, 10))
    # The demo's records, and one record of every kind (some the demo leaves to the app).
    records = [*demo.head(), *demo.chunk(0), *one_of_each()]
    assert set(BY_TABLE) <= {type(e).TABLE for e in records}
    for entity in records:
        _same(entity)


class _Text(str):
    """A str subclass (stored through to_value, as the loop did)."""


class _Status(StrEnum):
    DONE = "done"


@settings(max_examples=60, deadline=None)
@given(
    due=st.one_of(st.none(), st.dates(), st.datetimes()),
    status=st.sampled_from([*ActionStatus, _Status.DONE, "done", 1, True]),
    description=st.one_of(st.text(max_size=20), st.text(max_size=20).map(_Text)),
)
def test_values_of_other_classes_are_stored_as_the_loop_stored_them(
        due: date | datetime | None, status: Any, description: str) -> None:
    # Rows read back with trusted_builder hold whatever the row held: not only the
    # field's own class.
    build = trusted_builder(Action)
    values = {spec.name: getattr(_an_action(), spec.name) for spec in field_specs(Action)}
    values.update(due_date=due, status=status, description=description)
    _same(build([values[spec.name] for spec in field_specs(Action)]))


def _an_action() -> Action:
    return Action(plan_id="p", description="Falls assessment at home",
                  owner_professional_id="x", owner_agency_id="a",
                  due_date=date(2025, 3, 1), status=ActionStatus.COMPLETED)
