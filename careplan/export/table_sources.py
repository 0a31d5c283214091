"""Rows for the table exports as tuples, streamed where the store can give them fast.

The caseload comes from one SQL query (careplan/store/table_rows.py) instead of every
record loaded into objects; the flags from the flag engine's whole-caseload path, which
puts each person only through the rules that might flag them (the same flags as every
person through every rule, in a fifth of the time). The other tables are built from the
loaded records as before (``fallback``), in their header's column order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from careplan.export.flags import open_flags
from careplan.export.records import Records, load
from careplan.models import nhs
from careplan.models.dates import age_on
from careplan.store import Store
from careplan.store.table_rows import caseload_rows, person_count

Row = tuple[Any, ...]
Fallback = Callable[[Records, Store, date], list[dict[str, Any]]]


def sheet_rows(store: Store, name: str, today: date, fallback: Fallback,
               header: Sequence[str]) -> tuple[int, Iterable[Row]]:
    """The number of rows of table ``name`` and the rows, in ``header``'s order."""
    if name == "caseload":
        return person_count(store), caseload(store, today)
    if name == "flags":
        found = flags(store, today)
        return len(found), found
    rows = [tuple(r[h] for h in header) for r in fallback(load(store), store, today)]
    return len(rows), rows


def caseload(store: Store, today: date) -> Iterator[Row]:
    """The caseload table's rows, as tables.caseload gives them, person by person."""
    parse = date.fromisoformat
    fmt = nhs.format_334
    for batch in caseload_rows(store, today):
        for (name, number, birth, hood, gp, lead, agency, status, version, review,
             actions, unowned, waiting, referrals, in_hospital) in batch:
            born = parse(birth)
            yield (name, fmt(number) if number else "", born, age_on(born, today), hood,
                   gp or "", lead or "", agency or "", status or "no open plan", version,
                   parse(review) if review else None, actions, unowned, waiting, referrals,
                   bool(in_hospital))


def flags(store: Store, today: date) -> list[Row]:
    """The flags table's rows: every open flag of the caseload, worst first."""
    return [(f.code.value, f.severity.value, f.person_name,
             nhs.format_334(f.nhs_number) if f.nhs_number else "", f.subject_type.value,
             f.subject_id, f.since, f.due, f.message) for f in open_flags(store, None, today)]


__all__ = ["caseload", "flags", "sheet_rows"]
