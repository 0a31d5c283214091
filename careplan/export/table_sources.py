"""Rows for the table exports as tuples, streamed where the store can give them fast.

The caseload comes from one SQL query (careplan/store/table_rows.py) instead of every
record loaded into objects; the flags from the flag engine's whole-caseload path, which
puts each person only through the rules that might flag them (the same flags as every
person through every rule, in a fifth of the time).

Both are made for an audience as careplan.export.audience.for_audience makes every
export, with the same rule in SQL (careplan.models.sharing_basis.sharing_bases_sql):
the query keeps only the persons shared with the audience and the reader, and counts
only the records that may pass to the audience; what was withheld (the persons left
out, counted, and the records by kind, agency and reason) is counted in SQL and said in
the same sentences (careplan.export.audience.Totals). The flags are the engine's,
less those of persons not shared and those about records withheld. The caseload of some
persons (those on screen) comes from the same query, in the order asked; the flags of
some persons and the other tables are built from the loaded records
(careplan/export/tables.py), which :func:`sheet_rows` says by returning None.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from careplan.export.audience import (
    Audience,
    Totals,
    category_of,
    left_out_sentence,
    nothing_shared,
)
from careplan.export.flags import open_flags
from careplan.models import nhs
from careplan.models.dates import age_on
from careplan.store import Store
from careplan.store.table_rows import For, Sharing, caseload_rows, sharing_of

Row = tuple[Any, ...]
#: The flags table's order: worst first, then by person (stable, so a person's flags keep
#: the engine's order).
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def flag_order(severity: str, person: str) -> tuple[int, str]:
    """The sort key of a flags table row."""
    return SEVERITY_RANK.get(severity, 3), person


@dataclass(frozen=True, slots=True)
class Fast:
    """A table from its fast path: how many rows, the rows in its header's order, and
    what the file says was withheld (careplan.export.tables.withheld_lines)."""

    total: int
    rows: Iterable[Row]
    notes: list[str]


def fast_path(name: str, person_ids: Sequence[str] | None) -> bool:
    """Whether table ``name`` of ``person_ids`` has a fast path: the caseload, and the
    whole caseload's flags."""
    return name == "caseload" or (name == "flags" and person_ids is None)


def sheet_rows(store: Store, name: str, today: date, audience: Audience,
               reader_agency_id: str | None,
               person_ids: Sequence[str] | None = None) -> Fast | None:
    """Table ``name`` of ``person_ids`` (everyone when None) for ``audience``, made by a
    reader of ``reader_agency_id``, from its fast path; None for a table with none.

    Raises:
        NothingShared: no person asked for is shared with the audience (and the reader).
    """
    if not fast_path(name, person_ids):
        return None
    sharing = For(audience.agency_id, reader_agency_id)
    counted = sharing_of(store, today, sharing, person_ids, ids=name == "flags")
    if not counted.shown:
        raise nothing_shared("these records", audience)
    notes = notes_of(store, audience, counted)
    if name == "caseload":
        return Fast(counted.shown, caseload(store, today, person_ids, sharing,
                                            counted.withheld_ids), notes)
    found = flags(store, today, counted.person_ids, counted.withheld_ids)
    return Fast(len(found), found, notes)


def notes_of(store: Store, audience: Audience, counted: Sharing) -> list[str]:
    """What the file says was withheld, from the counts of ``counted``."""
    names = {str(i): str(n) for i, n in store.conn.execute("SELECT id, name FROM agencies")}
    totals = Totals()
    for w in counted.withheld:
        totals.add(w.noun, w.agency_id, w.records, category_of(w.status, w.objection),
                   w.persons)
    return note_lines(audience, left_out_sentence(counted.left_out, audience),
                      totals.sentences(lambda agency: names.get(agency or "", "")))


def note_lines(audience: Audience, persons: str, sentences: list[str]) -> list[str]:
    """The lines saying what was left out (``persons``, the sentence of the persons left
    out, and ``sentences``) and for whom; empty when nothing was."""
    lines = [line for line in (persons, *sentences) if line]
    if lines:
        lines.insert(0, f"This table is for {audience.name}.")
    return lines


def caseload(store: Store, today: date, person_ids: Sequence[str] | None = None,
             sharing: For | None = None, withheld: Collection[str] = ()) -> Iterator[Row]:
    """The caseload table's rows, as tables.caseload gives them: of everyone in name
    order, or of ``person_ids`` in their order; for ``sharing`` (None: everything),
    the records ``withheld`` left out of the counts."""
    parse = date.fromisoformat
    fmt = nhs.format_334
    for batch in caseload_rows(store, today, person_ids=person_ids, sharing=sharing,
                               withheld=withheld):
        for (name, number, birth, hood, gp, lead, agency, status, version, review,
             actions, unowned, waiting, referrals, in_hospital) in batch:
            born = parse(birth)
            yield (name, fmt(number) if number else "", born, age_on(born, today), hood,
                   gp or "", lead or "", agency or "", status or "no open plan", version,
                   parse(review) if review else None, actions, unowned, waiting, referrals,
                   bool(in_hospital))


def flags(store: Store, today: date, persons: Collection[str] | None = None,
          withheld: Collection[str] = frozenset()) -> list[Row]:
    """The flags table's rows: every open flag of the caseload, worst first; only those
    of ``persons`` (when given) and none about the records ``withheld``."""
    rows = [(f.code.value, f.severity.value, f.person_name,
             nhs.format_334(f.nhs_number) if f.nhs_number else "", f.subject_type.value,
             f.subject_id, f.since, f.due, f.message)
            for f in open_flags(store, None, today, within=persons)
            if (persons is None or f.person_id in persons) and f.subject_id not in withheld]
    rows.sort(key=lambda r: flag_order(r[1], r[2]))
    return rows


__all__ = ["SEVERITY_RANK", "Fast", "caseload", "fast_path", "flag_order", "flags",
           "note_lines", "notes_of", "sheet_rows"]
