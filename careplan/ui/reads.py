"""Recording what the signed-in professional reads: a person opened, a PDF printed, a
table or FHIR bundle exported (careplan.store.reads).

The GUI thread never writes: the record goes to the window's writer as a quiet operation
(careplan.ui.runner: no undo step, no "Saving…", nothing for the views to refresh), so
opening a person never waits for it. A store that takes no writes (damaged, opened
read-only) cannot record a read; that is logged, and reading goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from careplan.models.reads import ReadKind
from careplan.store import Store
from careplan.store import reads as store_reads

log = logging.getLogger(__name__)

#: What opening a person's record is called in the record of it.
WORKSPACE = store_reads.WORKSPACE


def record(window: Any, kind: ReadKind, description: str, person_ids: Sequence[str] = (),
           persons: int | None = None) -> bool:
    """Record that whoever is signed in to ``window`` read what ``description`` says (of
    ``person_ids``, or of ``persons`` persons at once). False when it cannot be."""
    edits = getattr(window, "edits", None)
    runner = getattr(edits, "runner", None)
    store = getattr(window, "store", None)
    if runner is None or store is None or store.read_only or window.account is None:
        return False
    reader = window.actor_id()
    ids = tuple(person_ids)

    def write(s: Store) -> int:
        return store_reads.record(s, reader, kind, description, ids, persons)

    def failed(exc: Exception) -> None:
        # The reason only: never whose record it was.
        log.warning("A read (%s) could not be recorded: %s", kind.value,
                    type(exc).__name__)

    runner.submit("Record a read", write, failed=failed, quiet=True)
    return True


__all__ = ["WORKSPACE", "ReadKind", "record"]
