"""Reading is audited too: recording who opened, printed or exported whose record, and
asking who looked (careplan.models.reads).

A read is written like every record, with its audit event, so it is in its store's
hash chain and travels to the other stores with the log; reads never change, so they
never conflict. Recording one is a write: the command line runs it as an operation, the
desktop app hands it to its writer thread without an undo step (careplan.ui.reads), so
opening a person never waits for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from careplan.models.reads import Read, ReadKind
from careplan.store import repo
from careplan.store.db import Store
from careplan.store.rows import from_row

#: What each read is called in its description (and on the History tab).
WORKSPACE = "their record, in CarePlan"
PLAN_PDF = "joint care plan (PDF)"
MINUTES_PDF = "case conference minutes (PDF)"
FHIR_PERSON = "FHIR R4 bundle of this person"


def table(name: str, path: str, rows: int) -> str:
    """"caseload table (XLSX), 12,345 persons" / "handoffs table (CSV), 582 rows"."""
    kind = path.rsplit(".", 1)[-1].upper() if "." in path else "file"
    count = f"{rows:,} persons" if name == "caseload" else f"{rows:,} rows"
    return f"{name} table ({kind}), {count}"


def handoff_audit(start: datetime | str, end: datetime | str, scope: str) -> str:
    return f"handoff audit (PDF), {_day(start)} to {_day(end)}, {scope}"


def funding(path: str, scope: str, lines: int) -> str:
    kind = "XLSX" if path.lower().endswith(".xlsx") else "PDF"
    return f"funding report ({kind}), {scope}, {lines:,} costed actions"


def fhir_store(persons: int) -> str:
    return f"FHIR R4 bundle of the whole store, {persons:,} persons"


def _day(moment: datetime | str) -> str:
    text = moment if isinstance(moment, str) else moment.date().isoformat()
    return text[:10]


def record(store: Store, reader_id: str, kind: ReadKind, description: str,
           person_ids: Sequence[str] = (), persons: int | None = None,
           at: datetime | None = None) -> int:
    """Record a read: one per person named, or (none named) one of many persons'
    records at once, ``persons`` of them when counted. Return how many were written.

    Raises:
        InputError: a description too long, or bad counts (naming the field).
    """
    when = at or store.clock()
    ids = list(dict.fromkeys(person_ids))
    reads = [Read(reader_id=reader_id, person_id=pid, persons=1, kind=kind,
                  description=description, at=when) for pid in ids] or [
        Read(reader_id=reader_id, person_id=None, persons=persons, kind=kind,
             description=description, at=when)]
    return repo.add_many(store, reads, reader_id)


def of_person(store: Store, person_id: str, limit: int = 500) -> list[Read]:
    """Who looked at this person's record, newest first."""
    return _reads(store, "person_id = ?", (person_id,), limit)


def between(store: Store, start: datetime, end: datetime, limit: int = 100_000) -> list[Read]:
    """Every read from ``start`` (included) to ``end`` (excluded), newest first."""
    return _reads(store, "at >= ? AND at < ?", (start.isoformat(), end.isoformat()), limit)


def _reads(store: Store, where: str, params: tuple[object, ...], limit: int) -> list[Read]:
    cur = store.conn.execute(f"SELECT * FROM reads WHERE {where} ORDER BY at DESC, id DESC "
                             f"LIMIT {int(limit)}", params)
    names = [d[0] for d in cur.description]
    return [from_row(Read, dict(zip(names, row, strict=True))) for row in cur.fetchall()]


__all__ = ["between", "of_person", "record"]
