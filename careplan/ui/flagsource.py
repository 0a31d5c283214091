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


#: Persons whose records are in memory at once while the caseload's flags are found:
#: a store far past its review dates can flag nearly everyone, and loading them all at
#: once took the app past 800 MB with 50,000 persons.
BATCH = 2_000


def load_flag_summaries(path: str, today: date, job: Job) -> dict[str, FlagSummary]:
    """Run in a pool thread: open the store there, find the flags batch by batch (each
    batch's records are dropped once its flags are summarised), group them per person."""
    engine = _engine()
    if engine is None:
        return {}
    job.report(0, 0, "Checking flags")
    store = Store.open(path, create=False)
    summaries: dict[str, FlagSummary] = {}
    try:
        limits = engine.thresholds_in_force(store)
        ids = engine.candidates(store, today, limits)
        for start in range(0, len(ids), BATCH):
            job.check()
            batch = ids[start:start + BATCH]
            flags = engine.caseload_flags(store, today, limits, person_ids=batch)
            summaries.update(summarise_by_person(flags))
            job.report(min(start + BATCH, len(ids)), len(ids), "Checking flags")
    finally:
        store.close()
    job.check()
    return summaries
