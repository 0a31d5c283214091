"""Flags for the whole caseload, found in a worker with its own store connection.

The flags engine (careplan.store.flagdata over careplan.models.rules) is imported when
present; without it the client shows no flags rather than failing.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from datetime import date
from types import ModuleType
from typing import Any

from careplan.store import Store
from careplan.ui.flagview import FlagSummary, summarise_by_person
from careplan.ui.workers import Job

log = logging.getLogger(__name__)


def _engine() -> ModuleType | None:
    try:
        return importlib.import_module("careplan.store.flagdata")
    except ImportError:
        return None


def load_flags(store: Store, today: date, job: Job | None = None,
               person_ids: Sequence[str] | None = None) -> list[Any]:
    """Every flag (or those of ``person_ids``) on ``today``; none while no engine exists."""
    engine = _engine()
    if engine is None:
        return []
    return list(engine.caseload_flags(store, today, person_ids=person_ids))


def load_flag_summaries(path: str, today: date, job: Job) -> dict[str, FlagSummary]:
    """Run in a pool thread: open the store there, find the flags, group them per person."""
    if _engine() is None:
        return {}
    job.report(0, 0, "Checking flags")
    store = Store.open(path, create=False)
    try:
        flags = load_flags(store, today, job)
    finally:
        store.close()
    job.check()
    return summarise_by_person(flags)
