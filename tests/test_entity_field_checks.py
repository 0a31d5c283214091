"""Every entity's field checks (generated per class, as straight-line code) refuse and
coerce each field as the field's type says, whatever the class: drawn from the demo,
every record of every kind is changed one field at a time."""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum

import pytest

from careplan.demo.generator import Demo
from careplan.models.base import Entity, field_specs, label

TODAY = date(2025, 3, 10)


def _samples() -> dict[type[Entity], Entity]:
    demo = Demo(1_000, 1, TODAY)
    found: dict[type[Entity], Entity] = {}
    for entity in [*demo.head(), *demo.chunk(0), *demo.chunk(1)]:
        found.setdefault(type(entity), entity)
    return found


SAMPLES = _samples()


def test_the_demo_draws_many_kinds_of_record() -> None:
    assert len(SAMPLES) >= 25


@pytest.mark.parametrize("cls", sorted(SAMPLES, key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_each_field_is_checked_and_coerced(cls: type[Entity]) -> None:
    entity = SAMPLES[cls]
    assert dataclasses.replace(entity) == entity  # checked again, unchanged
    for spec in field_specs(cls):
        name = label(spec.name)
        if not spec.optional:
            with pytest.raises(ValueError, match=f"^{name}: is required"):
                dataclasses.replace(entity, **{spec.name: None})
        if spec.is_tuple:
            with pytest.raises(ValueError, match=f"^{name}: expected a list"):
                dataclasses.replace(entity, **{spec.name: "not a list"})
            continue
        if spec.kind is str:
            assert spec.text is not None
            too_long = "x" * (spec.text.chars + 1)
            with pytest.raises(ValueError, match=f"^{name}: at most {spec.text.chars:,}"):
                dataclasses.replace(entity, **{spec.name: too_long})
            with pytest.raises(ValueError, match=f"^{name}: control character U\\+0007"):
                dataclasses.replace(entity, **{spec.name: "a\x07b"})
        value = getattr(entity, spec.name)
        if value is None:
            continue
        if isinstance(value, Enum):
            again = dataclasses.replace(entity, **{spec.name: value.value})
            assert getattr(again, spec.name) is value
        elif type(value) is date:
            again = dataclasses.replace(entity, **{spec.name: value.isoformat()})
            assert getattr(again, spec.name) == value
            with pytest.raises(ValueError, match=f"^{name}: 'soon' is not a date"):
                dataclasses.replace(entity, **{spec.name: "soon"})
