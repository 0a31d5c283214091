"""The person's open flags for printing, from the flags engine when it is installed.

The engine (``careplan.store.flagdata``) may be absent in a build; printing must still
work, so its absence is reported on the page instead of failing the export.
"""

from __future__ import annotations

import importlib
from datetime import date
from types import ModuleType
from typing import Any

from careplan.store import Store


def _engine() -> ModuleType | None:
    try:
        return importlib.import_module("careplan.store.flagdata")
    except ImportError:
        return None


def engine_available() -> bool:
    return getattr(_engine(), "caseload_flags", None) is not None


def open_flags(store: Store, person_ids: list[str], today: date) -> list[Any] | None:
    """The persons' flags on ``today``, worst first; None when no engine is installed."""
    engine = _engine()
    find = getattr(engine, "caseload_flags", None) if engine is not None else None
    if find is None:
        return None
    return list(find(store, today, person_ids=person_ids))
