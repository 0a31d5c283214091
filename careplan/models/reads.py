"""Reading is audited too: who opened, printed or exported whose record, and when.

A read is a record of its own (``reads``), written through the audited path like every
record, so it sits in its store's hash chain and travels to the other stores with the
log: the lead professional's copy shows who looked, wherever they looked from. A read
is never changed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from careplan.models.base import Entity


class ReadKind(StrEnum):
    """How a record was read."""

    OPENED = "opened"  # the person's record shown in the app
    PRINTED = "printed"  # a PDF made
    EXPORTED = "exported"  # a table (CSV, XLSX) or a FHIR bundle written


@dataclass(frozen=True, slots=True, kw_only=True)
class Read(Entity):
    """One look at one person's record, or (``person_id`` None) at many persons' records
    at once (a whole-caseload export: ``persons`` says how many)."""

    TABLE = "reads"
    NOUN = "look at a record"

    #: Who read: the audit log's actor (a professional's id, or ``account:ID``).
    reader_id: str
    #: Whose record; None when many persons' records were read at once.
    person_id: str | None = None
    #: How many persons' records this read covered (1 for one person; None: not
    #: counted, as for a table of handoffs, which gives its rows in ``description``).
    persons: int | None = 1
    kind: ReadKind
    #: What was read, in the field's words: "joint care plan (PDF)",
    #: "caseload table (XLSX), 12,345 persons".
    description: str
    at: datetime

    def validate(self) -> None:
        if self.persons is not None and self.persons < 0:
            raise ValueError("persons: cannot be negative")
        if self.person_id is not None and self.persons != 1:
            raise ValueError("persons: a read of one person's record covers 1 person")


__all__ = ["Read", "ReadKind"]
