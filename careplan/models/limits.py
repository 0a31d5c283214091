"""How much text each field of a stored record may hold: every limit in one place.

A field without a limit would take a 10 MB "name" from a FHIR file and carry it into
every list, flag and printed page. The numbers are generous for real records and small
enough that nothing downstream has to cope with megabytes:

========================  =========  =======================================================
class                     limit      fields
========================  =========  =======================================================
``NAME``                  200        given and family names; names of agencies,
                                     professionals, conditions, budgets and funding
                                     streams; neighbourhood; who recorded a consent or
                                     reviewed an emergency access;
                                     people at a case conference who are not professionals
``CODE``                  100        ids (UUID text is 36), NHS number, ODS and SNOMED
                                     codes, local authority id, phone number, user name
``EMAIL``                 254        e-mail address (the longest RFC 5321 allows)
``LINE``                  500        legal basis of a consent or a joint budget
``ADDRESS``               500        postal address (may run over several lines)
``FREE_TEXT``             10,000     what matters to me, descriptions of needs, outcomes
                                     and actions, reasons, referral summaries, cost notes,
                                     case conference agenda items and decisions, the
                                     reason for an emergency access and its review
========================  =========  =======================================================

One field is not text people type: ``snapshot`` of a plan version holds one item of
the signed plan per entry, as JSON (ASCII, every break escaped); ``SNAPSHOT_ITEM``
leaves room for a description at the ``FREE_TEXT`` limit written as escapes. It is never
printed or exported as it is, so ``LONGEST`` does not count it.

Limits count characters (Python ``len``), not bytes. One-line fields also refuse
every control character (a tab or line break in a name breaks one-line displays: the
printed header, the flags list, CSV); multi-line fields (``ADDRESS``, ``FREE_TEXT``)
allow tab, line feed and carriage return and refuse the other control characters
(NUL, escape, form feed...), which no keyboard or form enters and which printers,
terminals and other systems' parsers mishandle.

Records the store already holds are read back as they are (``careplan.store.rows``):
a limit applies when a record is made or changed, so an older store stays readable and
an over-long value must be shortened only when it is next edited.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextLimit:
    """The most characters a text field may hold, and whether it may break lines."""

    chars: int
    multiline: bool = False


NAME = TextLimit(200)
CODE = TextLimit(100)
EMAIL = TextLimit(254)
LINE = TextLimit(500)
ADDRESS = TextLimit(500, multiline=True)
FREE_TEXT = TextLimit(10_000, multiline=True)
SNAPSHOT_ITEM = TextLimit(200_000)

#: The longest text any field may hold (exporters size their safety cut-off on it).
LONGEST = max(NAME.chars, CODE.chars, EMAIL.chars, LINE.chars, ADDRESS.chars, FREE_TEXT.chars)

#: Each text field by name (the same name means the same limit in every record). Fields
#: named ``id`` or ending in ``_id``/``_ids`` are ids: ``CODE``.
BY_FIELD: dict[str, TextLimit] = {
    # names and short labels
    "name": NAME,
    "given_name": NAME,
    "family_name": NAME,
    "neighbourhood": NAME,
    "recorded_by": NAME,
    "signed_by": NAME,
    "issued_by": NAME,
    "answered_by": NAME,
    "reviewed_by": NAME,
    "other_attendees": NAME,
    # codes and identifiers
    "nhs_number": CODE,
    "ods_code": CODE,
    "code": CODE,
    "phone": CODE,
    "disputed_by": CODE,
    "username": CODE,
    # contact and legal lines
    "email": EMAIL,
    "legal_basis": LINE,
    "address": ADDRESS,
    # free text
    "what_matters": FREE_TEXT,
    "description": FREE_TEXT,
    "reason": FREE_TEXT,
    "answer_reason": FREE_TEXT,
    "lead_reason": FREE_TEXT,
    "summary": FREE_TEXT,
    "note": FREE_TEXT,
    "review_note": FREE_TEXT,
    "agenda": FREE_TEXT,
    "decisions": FREE_TEXT,
    # the signed content of a plan version, one JSON item per entry
    "snapshot": SNAPSHOT_ITEM,
}


def limit_for(field: str) -> TextLimit | None:
    """The limit of the text field called ``field``, or None when it has none here."""
    found = BY_FIELD.get(field)
    if found is None and (field == "id" or field.endswith(("_id", "_ids"))):
        return CODE
    return found
