"""Domain objects from rows the store wrote, without re-checking them.

Rows read back were checked when saved, so big reads (reports, the Budgets view)
build objects through ``trusted_builder``: columns in field order, text converted to
dates, enums and tuples, no validation.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from careplan.models.base import Entity, field_specs, trusted_builder

E = TypeVar("E", bound=Entity)

#: ISO text to date, cached: a caseload repeats the same few thousand dates.
parse_date = functools.lru_cache(maxsize=65536)(date.fromisoformat)
_BUILDERS: dict[type[Entity], Callable[[Sequence[Any]], Any]] = {}


def _converters(cls: type[Entity]) -> dict[str, Callable[[Any], Any]]:
    out: dict[str, Callable[[Any], Any]] = {}
    for spec in field_specs(cls):
        kind = spec.kind
        if spec.is_tuple:
            out[spec.name] = lambda v: tuple(json.loads(v))
        elif kind is date:
            out[spec.name] = parse_date
        elif kind is datetime:
            out[spec.name] = datetime.fromisoformat
        elif kind is bool:
            out[spec.name] = bool
        elif isinstance(kind, type) and issubclass(kind, Enum):
            out[spec.name] = {m.value: m for m in kind}.__getitem__
    return out


def builder(cls: type[E]) -> Callable[[Sequence[Any]], E]:
    """The trusted constructor for ``cls`` (made once per class): one row, its columns
    first in field order, extra columns ignored."""
    build = _BUILDERS.get(cls)
    if build is None:
        build = _BUILDERS[cls] = trusted_builder(cls, _converters(cls))
    return build


def build_rows(cls: type[E], rows: Iterable[Sequence[Any]]) -> list[E]:
    """One ``cls`` per row (its columns first, in field order; extra columns ignored)."""
    return list(map(builder(cls), rows))


def columns_sql(cls: type[Entity], alias: str) -> str:
    """``alias.col, ...`` in ``cls``'s field order, for a SELECT feeding ``build_rows``."""
    return ", ".join(f"{alias}.{s.name}" for s in field_specs(cls))
