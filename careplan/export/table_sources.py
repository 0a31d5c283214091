"""Rows for the table exports as tuples, streamed where the store can give them fast.

The caseload comes from one SQL query (careplan/store/table_rows.py) instead of every
record loaded into objects; the flags from the flag engine's whole-caseload path, which
puts each person only through the rules that might flag them (the same flags as every
person through every rule, in a fifth of the time). The caseload of some persons (those
on screen) comes from the same query; the flags of some persons and the other tables
are built from the loaded records (careplan/export/tables.py), which :func:`sheet_rows`
says by returning None.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from careplan.export.flags import open_flags
from careplan.models import nhs
from careplan.models.dates import age_on
from careplan.store import Store
from careplan.store.table_rows import caseload_rows, person_count

Row = tuple[Any, ...]
#: The flags table's order: worst first, then by person (stable, so a person's flags keep
#: the engine's order).
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def flag_order(severity: str, person: str) -> tuple[int, str]:
    """The sort key of a flags table row."""
    return SEVERITY_RANK.get(severity, 3), person


def sheet_rows(store: Store, name: str, today: date,
               person_ids: Sequence[str] | None = None) -> tuple[int, Iterable[Row]] | None:
    """The number of rows of table ``name`` and the rows, in its header's order, for
    ``person_ids`` (everyone when None); None for a table with no fast path (the flags
    have one for the whole caseload only)."""
    if name == "caseload":
        return person_count(store, person_ids), caseload(store, today, person_ids)
    if name == "flags" and person_ids is None:
        found = flags(store, today)
        return len(found), found
    return None


def caseload(store: Store, today: date,
             person_ids: Sequence[str] | None = None) -> Iterator[Row]:
    """The caseload table's rows, as tables.caseload gives them, person by person in
    name order (of ``person_ids`` only, when given)."""
    parse = date.fromisoformat
    fmt = nhs.format_334
    for batch in caseload_rows(store, today, person_ids=person_ids):
        for (name, number, birth, hood, gp, lead, agency, status, version, review,
             actions, unowned, waiting, referrals, in_hospital) in batch:
            born = parse(birth)
            yield (name, fmt(number) if number else "", born, age_on(born, today), hood,
                   gp or "", lead or "", agency or "", status or "no open plan", version,
                   parse(review) if review else None, actions, unowned, waiting, referrals,
                   bool(in_hospital))


def flags(store: Store, today: date) -> list[Row]:
    """The flags table's rows: every open flag of the caseload, worst first."""
    rows = [(f.code.value, f.severity.value, f.person_name,
             nhs.format_334(f.nhs_number) if f.nhs_number else "", f.subject_type.value,
             f.subject_id, f.since, f.due, f.message) for f in open_flags(store, None, today)]
    rows.sort(key=lambda r: flag_order(r[1], r[2]))
    return rows


__all__ = ["SEVERITY_RANK", "caseload", "flag_order", "flags", "sheet_rows"]
