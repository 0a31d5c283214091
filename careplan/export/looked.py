"""The handoff audit's "Who looked" section: who opened, printed or exported records in
the audit's period (careplan.store.reads), from every store this one shares with."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from careplan.export import pdf_common as pc
from careplan.export.records import Records
from careplan.models.reads import Read, ReadKind
from careplan.store import Store, reads
from careplan.store.repo import actor_name

#: The looks listed one by one at most (the newest); the summary counts them all.
LISTED = 300


def who_looked(store: Store, rec: Records, start: date, end: date,
               agency_id: str | None = None) -> list[Flowable]:
    """The section: a summary by reader, then the looks themselves, newest first (only
    those of the agency's professionals when ``agency_id`` is given)."""
    found = reads.between(store, datetime.combine(start, time(), UTC),
                          datetime.combine(end + timedelta(days=1), time(), UTC))
    if agency_id is not None:
        found = [r for r in found if (pro := rec.professionals.get(r.reader_id)) is not None
                 and pro.agency_id == agency_id]
    title = "Who looked"
    if not found:
        return pc.section(title, pc.p("Nobody opened, printed or exported a record in this "
                                      "period.", "body"))
    names: dict[str, str] = {}

    def who(read: Read) -> str:
        if read.reader_id not in names:
            pro = rec.professionals.get(read.reader_id)
            names[read.reader_id] = (f"{pro.name}, {rec.agency_name(pro.agency_id)}"
                                     if pro is not None else
                                     actor_name(store, read.reader_id))
        return names[read.reader_id]

    persons = {p.id: p.name for p in rec.persons}
    counts: dict[str, Counter[ReadKind]] = {}
    people: dict[str, set[str]] = {}
    for r in found:
        counts.setdefault(who(r), Counter())[r.kind] += 1
        if r.person_id is not None:
            people.setdefault(who(r), set()).add(r.person_id)
    summary = [[name, c[ReadKind.OPENED], c[ReadKind.PRINTED], c[ReadKind.EXPORTED],
                len(people.get(name, ()))] for name, c in sorted(counts.items())]
    rows = [[f"{r.at:%d %b %Y %H:%M}", who(r), _whose(r, persons),
             f"{r.kind.value}: {r.description}"] for r in found[:LISTED]]
    more = len(found) - len(rows)
    note = pc.p("Each look is one line: a person's record opened in CarePlan, a PDF printed, "
                "a table or FHIR bundle written; an export of many persons is one line. "
                "Looks recorded on the other stores this one shares with are included."
                + (f" The newest {LISTED} of {len(found):,} are listed." if more else ""),
                "small")
    return pc.section(
        f"{title} ({len(found):,})", note, pc.spacer(1.5),
        pc.table(["Who", "Opened", "Printed", "Exported", "Persons named"], summary,
                 [86 * mm, 22 * mm, 22 * mm, 22 * mm, 26 * mm]),
        pc.spacer(3),
        pc.table(["When", "Who", "Whose record", "What"], rows,
                 [26 * mm, 52 * mm, 40 * mm, 60 * mm]))


def _whose(read: Read, persons: dict[str, str]) -> str:
    if read.person_id is not None:
        return persons.get(read.person_id, "a person no longer in this store")
    if read.persons is not None:
        return f"{read.persons:,} persons"
    return "many persons"


__all__ = ["LISTED", "who_looked"]
