"""The persons' open flags for printing, from the flags engine.

The engine is part of every copy of CarePlan and is imported plainly: a print that
cannot check the flags fails (a bug, logged with its traceback) rather than coming out
as a plan with no flags, which reads as a plan with nothing wrong.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from careplan.models.flags import Flag
from careplan.store import Store, StoreError, flagdata


class FlagsEngineError(RuntimeError):
    """The flags engine failed: a bug in CarePlan, never the user's input. (A ValueError
    or OSError from inside the engine must not read as a bad option or a bad --out.)"""


def open_flags(store: Store, person_ids: list[str] | None, today: date,
               within: Collection[str] | None = None) -> list[Flag]:
    """The persons' flags on ``today``, worst first (None: the whole caseload's, each
    person put only through the rules that might flag them; of the persons ``within``
    only, when given).

    Raises:
        FlagsEngineError: the engine failed (the cause is chained to it).
        StoreError: the store itself could not be read (its state, not a bug).
    """
    try:
        return flagdata.caseload_flags(store, today, person_ids=person_ids, within=within)
    except StoreError:
        raise
    except Exception as exc:
        raise FlagsEngineError(
            f"the flags could not be checked ({type(exc).__name__}: {exc})") from exc
