"""Convert domain entities to store rows and back (ISO text dates, enum values, JSON lists)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from careplan.models.base import Entity, field_specs
from careplan.store.fastload import builder

E = TypeVar("E", bound=Entity)

META_COLUMNS = ("created_at", "updated_at", "updated_by")


def to_value(value: Any, is_tuple: bool = False) -> Any:
    """One field's stored form."""
    if value is None:
        return None
    if is_tuple:
        return json.dumps([to_value(v) for v in value], ensure_ascii=False)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value



def to_row(entity: Entity) -> dict[str, Any]:
    """The entity's fields as a row (without the created/updated metadata)."""
    make = _ROW_MAKERS.get(type(entity))
    if make is None:
        make = _ROW_MAKERS[type(entity)] = _row_maker(type(entity))
    return make(entity)


def row_maker(cls: type[Entity]) -> Callable[[Entity], dict[str, Any]]:
    """``to_row`` for entities of exactly ``cls`` (bulk writes look it up once a class)."""
    make = _ROW_MAKERS.get(cls)
    if make is None:
        make = _ROW_MAKERS[cls] = _row_maker(cls)
    return make


_ROW_MAKERS: dict[type[Entity], Callable[[Entity], dict[str, Any]]] = {}


def _row_maker(cls: type[Entity]) -> Callable[[Entity], dict[str, Any]]:
    """``to_row`` for one class as generated straight-line code (as ``trusted_builder``
    builds entities): bulk loads such as the demo turn millions of records into rows,
    and a loop over the fields costs about twice as much per record."""
    specs = field_specs(cls)
    env: dict[str, Any] = {"to_value": to_value, "date": date}
    lines = ["def make(entity):"]
    items = []
    for i, spec in enumerate(specs):
        lines.append(f"    v{i} = entity.{spec.name}")
        # str and int (but not bool or enums, which subclass them) are stored as they are.
        # str and int (but not bool or enums, which subclass them) are stored as they
        # are; a value of exactly the field's own class (an enum, a date) as to_value
        # stores it; anything else through to_value.
        other = f"to_value(v{i}, {spec.is_tuple!r})"
        kind = spec.kind
        if not spec.is_tuple and isinstance(kind, type) and issubclass(kind, Enum):
            env[f"k{i}"] = kind
            other = f"v{i}.value if v{i}.__class__ is k{i} else {other}"
        elif not spec.is_tuple and kind is date:
            other = f"v{i}.isoformat() if v{i}.__class__ is date else {other}"
        items.append(f"{spec.name!r}: v{i} if v{i}.__class__ is str or v{i}.__class__ is int "
                     f"else {other}")
    lines.append("    return {" + ", ".join(items) + "}")
    exec("\n".join(lines), env)
    make: Callable[[Entity], dict[str, Any]] = env["make"]
    return make


def from_row(cls: type[E], row: dict[str, Any]) -> E:
    """Build an entity from a row; metadata columns are ignored.

    A row the domain now refuses was saved under older rules (a text limit added since,
    see careplan.models.limits): it is read as stored, unchecked, so the record can
    still be seen, printed and put right; saving it again checks it. A row that cannot
    be read at all (not a date where one belongs) still raises ValueError.
    """
    kwargs: dict[str, Any] = {}
    for spec in field_specs(cls):
        value = row[spec.name]
        if spec.is_tuple and isinstance(value, str):
            value = tuple(json.loads(value))
        kwargs[spec.name] = value
    try:
        return cls(**kwargs)
    except ValueError as refused:
        try:
            return builder(cls)([row[spec.name] for spec in field_specs(cls)])
        except (ValueError, KeyError, TypeError):
            raise refused from None


def columns(cls: type[Entity]) -> list[str]:
    return [spec.name for spec in field_specs(cls)]
