"""Convert domain entities to store rows and back (ISO text dates, enum values, JSON lists)."""

from __future__ import annotations

import json
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
    row: dict[str, Any] = {}
    for spec in field_specs(type(entity)):
        value = getattr(entity, spec.name)
        cls = value.__class__
        # str and int (but not bool or enums, which subclass them) are stored as they are.
        row[spec.name] = value if cls is str or cls is int else to_value(value, spec.is_tuple)
    return row


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
