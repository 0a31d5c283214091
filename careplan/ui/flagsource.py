"""Flags for the whole caseload, found in a worker with its own store connection.

The flags engine (careplan.store.flagdata over careplan.models.rules) is imported inside
these functions, which run in workers: it stays off the first paint's path. Nothing here
catches its errors: an engine that fails to import or to run fails the job, and the
window says the flags could not be checked (a broken engine must never look like a
caseload with no flags).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date

from careplan.models.flags import Flag, FlagCode
from careplan.store import Store
from careplan.store.visibility import Viewer, visible_ids
from careplan.ui.flagview import FlagSummary, summarise_by_person
from careplan.ui.workers import Job


def load_flags(store: Store, today: date, job: Job | None = None,
               person_ids: Sequence[str] | None = None,
               chosen: Mapping[str, Collection[FlagCode]] | None = None) -> list[Flag]:
    """Every flag (or those of ``person_ids``, or of the candidates ``chosen``: see
    ``flagdata.caseload_flags``) on ``today``."""
    from careplan.store import flagdata

    return flagdata.caseload_flags(store, today, person_ids=person_ids, chosen=chosen)


#: Persons whose records are in memory at once while the caseload's flags are found:
#: a store far past its review dates can flag nearly everyone, and loading them all at
#: once took the app past 800 MB with 50,000 persons.
BATCH = 2_000


def load_flag_summaries(path: str, today: date, job: Job, viewer: Viewer,
                        also: Collection[str] = (), key: bytes | None = None
                        ) -> dict[str, FlagSummary]:
    """Run in a pool thread: open the store there, find the flags batch by batch (each
    batch's records are dropped once its flags are summarised), group them per person.

    Only persons whose records the reader may see (careplan.store.visibility), and those
    of ``also`` (records the reader opened in an emergency)."""
    from careplan.store import flagdata
    from careplan.store.overrides import thresholds_in_force

    job.report(0, 0, "Checking flags")
    store = Store.open(path, create=False, key=key)
    summaries: dict[str, FlagSummary] = {}
    try:
        limits = thresholds_in_force(store)
        found = flagdata.candidates_by_code(store, today, limits)
        keep = visible_ids(store, viewer, sorted(found), today) | set(also)
        ids = [pid for pid in sorted(found) if pid in keep]
        for start in range(0, len(ids), BATCH):
            job.check()
            batch = ids[start:start + BATCH]
            # Each person read and judged for the rules that chose them alone.
            flags = flagdata.caseload_flags(store, today, limits,
                                            chosen={pid: found[pid] for pid in batch})
            summaries.update(summarise_by_person(flags))
            job.report(min(start + BATCH, len(ids)), len(ids), "Checking flags")
    finally:
        store.close()
    job.check()
    return summaries
