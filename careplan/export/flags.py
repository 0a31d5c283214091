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
    return _engine() is not None


def open_flags(store: Store, person_ids: list[str], today: date) -> list[Any] | None:
    """The persons' flags on ``today``, worst first; None when no engine is installed."""
    engine = _engine()
    if engine is None:
        return None
    return list(engine.flags_for(store, today, person_ids=person_ids))
