"""Caseload, flags, handoffs, referrals and actions as tables (CSV or XLSX, streamed by
careplan/export/sheet_writer.py; :func:`frame` gives a table as a pandas DataFrame).

NHS numbers are written in 3-3-4 form so spreadsheets keep them as text (a bare
10-digit number would lose nothing today but invites scientific notation and sums).

Each table is made for an audience (careplan.export.audience): persons whose records are
not shared with it are left out, and so is what agencies without a sharing basis
recorded. What was withheld and why is said in the file: an XLSX has a sheet
``withheld``; a CSV ends, after an empty line, with one line per sentence, each starting
with ``#`` (``pandas.read_csv(path, comment="#")`` reads the table alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from careplan.export import outfile, sheet_words, sheet_writer
from careplan.export.audience import (
    CONFIDENTIAL,
    Audience,
    Shared,
    for_audience,
    require_something,
)
from careplan.export.flags import open_flags
from careplan.export.records import Records, load_some
from careplan.export.table_sources import flag_order, note_lines, sheet_rows
from careplan.models import nhs
from careplan.models.dates import age_on, uk_date
from careplan.models.enums import HandoffStatus, ReferralStatus
from careplan.store import Store

Rows = list[dict[str, Any]]


def _nhs(number: str | None) -> str:
    return nhs.format_334(number) if number else ""


def caseload(rec: Records, store: Store, today: date) -> Rows:
    rows = []
    for p in rec.persons:
        plans = [pl for pl in rec.plans.get(p.id, []) if pl.is_open]
        plan = max(plans, key=lambda pl: pl.created_on) if plans else None
        lead = next((m for m in rec.team.get(p.id, []) if m.is_lead and m.active_on(today)),
                    None)
        lead_prof = rec.professionals.get(lead.professional_id) if lead else None
        actions = [a for pl in plans for a in rec.actions.get(pl.id, []) if a.is_open]
        rows.append({
            "person": p.name, "nhs_number": _nhs(p.nhs_number),
            "date_of_birth": p.birth_date, "age": age_on(p.birth_date, today),
            "neighbourhood": p.neighbourhood,
            "gp_practice": rec.agency_name(p.gp_practice_id),
            "lead_professional": lead_prof.name if lead_prof else "",
            "lead_agency": rec.agency_name(lead_prof.agency_id) if lead_prof else "",
            "plan_status": plan.status.value if plan else "no open plan",
            "plan_version": plan.plan_version if plan else None,
            "review_date": plan.review_date if plan else None,
            "open_actions": len(actions),
            "unowned_actions": sum(1 for a in actions if not a.owner_professional_id),
            "handoffs_waiting": sum(1 for h in rec.handoffs.get(p.id, [])
                                    if h.status is HandoffStatus.PROPOSED),
            "open_referrals": sum(1 for r in rec.referrals.get(p.id, [])
                                  if r.status is not ReferralStatus.RESOLVED),
            "in_hospital": any(s.discharged_on is None for s in rec.stays.get(p.id, [])),
        })
    return rows


def flags(rec: Records, store: Store, today: date,
          withheld: set[str] | frozenset[str] = frozenset()) -> Rows:
    found = [f for f in open_flags(store, [p.id for p in rec.persons], today)
             if f.subject_id not in withheld]
    return [{
        "code": f.code.value, "severity": f.severity.value, "person": f.person_name,
        "nhs_number": _nhs(f.nhs_number), "subject": f.subject_type.value,
        "subject_id": f.subject_id, "since": f.since, "due": f.due, "why": f.message,
    } for f in found]


def handoffs(rec: Records, store: Store, today: date) -> Rows:
    names = {p.id: p for p in rec.persons}
    rows = []
    for pid, items in rec.handoffs.items():
        for h in items:
            hours = ((h.answered_at - h.proposed_at).total_seconds() / 3600
                     if h.answered_at else None)
            rows.append({
                "person": names[pid].name, "nhs_number": _nhs(names[pid].nhs_number),
                "subject": h.subject.value, "status": h.status.value,
                "from_professional": rec.professional_name(h.from_professional_id),
                "from_agency": rec.agency_name(h.from_agency_id),
                "to_professional": rec.professional_name(h.to_professional_id),
                "to_agency": rec.agency_name(h.to_agency_id),
                "proposed_at": h.proposed_at, "answer_by": h.answer_by,
                "answered_at": h.answered_at,
                "hours_to_answer": None if hours is None else round(hours, 1),
                "past_answer_by": h.status is HandoffStatus.PROPOSED and h.answer_by < today,
                "reason": h.reason,
                "answered_by": rec.professional_name(h.answered_by) if h.answered_by else "",
                "answer_reason": h.answer_reason,
            })
    return rows


def referrals(rec: Records, store: Store, today: date) -> Rows:
    names = {p.id: p for p in rec.persons}
    rows = []
    for pid, items in rec.referrals.items():
        for r in items:
            events = rec.referral_events.get(r.id, [])
            last = events[-1] if events else None
            rows.append({
                "person": names[pid].name, "nhs_number": _nhs(names[pid].nhs_number),
                "need": r.domain.value, "summary": r.summary,
                "from_agency": rec.agency_name(r.from_agency_id), "sent_on": r.sent_on,
                "status": r.status.value, "steps": len(events),
                "declines": sum(1 for e in events if e.kind.value == "declined"),
                "last_step": f"{last.kind.value} {last.occurred_on.isoformat()}" if last else "",
                "interim_owner": rec.professional_name(r.interim_owner_id),
            })
    return rows


def actions(rec: Records, store: Store, today: date) -> Rows:
    plan_person = {pl.id: p for p in rec.persons for pl in rec.plans.get(p.id, [])}
    rows = []
    for plan_id, items in rec.actions.items():
        person = plan_person[plan_id]
        for a in items:
            rows.append({
                "person": person.name, "nhs_number": _nhs(person.nhs_number),
                "action": a.description,
                "owner": rec.professional_name(a.owner_professional_id),
                "agency": rec.agency_name(a.owner_agency_id), "due": a.due_date,
                "status": a.status.value,
                "overdue": a.is_open and a.due_date is not None and a.due_date < today,
            })
    return rows


TABLES: dict[str, Callable[[Records, Store, date], Rows]] = {
    "caseload": caseload, "flags": flags, "handoffs": handoffs,
    "referrals": referrals, "actions": actions,
}


#: Column names, so an empty table still has its header row.
HEADERS: dict[str, list[str]] = {
    "caseload": ["person", "nhs_number", "date_of_birth", "age", "neighbourhood",
                 "gp_practice", "lead_professional", "lead_agency", "plan_status",
                 "plan_version", "review_date", "open_actions", "unowned_actions",
                 "handoffs_waiting", "open_referrals", "in_hospital"],
    "flags": ["code", "severity", "person", "nhs_number", "subject", "subject_id", "since",
              "due", "why"],
    "handoffs": ["person", "nhs_number", "subject", "status", "from_professional",
                 "from_agency", "to_professional", "to_agency", "proposed_at", "answer_by",
                 "answered_at", "hours_to_answer", "past_answer_by", "reason",
                 "answered_by", "answer_reason"],
    "referrals": ["person", "nhs_number", "need", "summary", "from_agency", "sent_on",
                  "status", "steps", "declines", "last_step", "interim_owner"],
    "actions": ["person", "nhs_number", "action", "owner", "agency", "due", "status",
                "overdue"],
}


#: What each table reads besides the persons (careplan.export.records.load_some): their
#: consents always, to know what the audience may receive.
PARTS: dict[str, frozenset[str]] = {
    "caseload": frozenset({"consents", "team", "plans", "actions", "handoffs", "referrals",
                           "stays"}),
    # the records a flag may be about, so that flags about withheld ones are left out
    "flags": frozenset({"consents", "plans", "actions", "handoffs", "referrals", "stays"}),
    "handoffs": frozenset({"consents", "handoffs"}),
    "referrals": frozenset({"consents", "referrals"}),
    "actions": frozenset({"consents", "plans", "actions"}),
}
#: Persons read and put in rows at a time (progress is reported between chunks).
CHUNK = 1000

#: ``progress(done, total)``: the one progress callback of the table exports.
Progress = sheet_writer.Progress


def everyone(store: Store) -> list[str]:
    """Every person's id, in the caseload's name order."""
    return [r[0] for r in store.conn.execute(
        "SELECT id FROM persons ORDER BY family_name, given_name, rowid")]


def rows(store: Store, name: str, today: date, audience: Audience,
         reader_agency_id: str | None, person_ids: Sequence[str] | None = None,
         progress: Progress | None = None) -> tuple[Rows, Shared]:
    """The table ``name``'s rows with its data's column names (``nhs_number``), for
    ``person_ids`` (everyone when None) as ``audience`` may receive them (see the
    module), read :data:`CHUNK` persons at a time from the loaded records; and what was
    withheld of them all.

    ``progress(done, total)`` is called with the persons read, after each chunk; it may
    raise to stop (a Cancel), and nothing is written then.

    Raises:
        KeyError: an unknown table name.
        NothingShared: no person's record is shared with the audience (and the reader).
    """
    build = TABLES[name]
    ids = everyone(store) if person_ids is None else list(dict.fromkeys(person_ids))
    found: Rows = []
    total = len(ids)
    whole: Shared | None = None
    if progress is not None:
        progress(0, total)
    for start in range(0, total, CHUNK):
        chunk = ids[start:start + CHUNK]
        part = for_audience(load_some(store, chunk, PARTS[name]), audience, today,
                            reader_agency_id)
        if name == "flags":
            found += flags(part.records, store, today, part.withheld_ids)
        else:
            found += build(part.records, store, today)
        whole = part if whole is None else _joined(whole, part)
        if progress is not None:
            progress(min(start + CHUNK, total), total)
    if whole is None:
        whole = Shared(Records(), audience)
    require_something(whole, "these records")
    if name == "handoffs":
        found.sort(key=lambda r: r["proposed_at"])
    elif name == "flags":  # worst first, then by person, over every chunk
        found.sort(key=lambda r: flag_order(r["severity"], r["person"]))
    return found, whole


def frame(store: Store, name: str, today: date, audience: Audience,
          reader_agency_id: str | None, person_ids: Sequence[str] | None = None,
          progress: Progress | None = None) -> tuple[pd.DataFrame, Shared]:
    """:func:`rows` as a DataFrame, and what was withheld (the export before issue 17
    wrote it with pandas; the tests keep that as the oracle)."""
    found, shared = rows(store, name, today, audience, reader_agency_id, person_ids,
                         progress)
    return pd.DataFrame(found, columns=HEADERS[name]), shared


def _joined(whole: Shared, part: Shared) -> Shared:
    """What was shared and withheld over two chunks of persons (their rows are dropped:
    only the persons, agencies and what was withheld are kept)."""
    records = Records(agencies=part.records.agencies, professionals=part.records.professionals,
                      persons=[*whole.records.persons, *part.records.persons])
    return Shared(records, whole.audience, [*whole.withheld, *part.withheld],
                  whole.persons_left_out + part.persons_left_out,
                  whole.withheld_ids | part.withheld_ids)


def withheld_lines(shared: Shared) -> list[str]:
    """What the file says was left out, and why (empty when nothing was)."""
    return note_lines(shared.audience, shared.persons_sentence(), shared.sentences())


def write_table(store: Store, name: str, out: str | Path, today: date, *,
                audience: Audience, reader_agency_id: str | None,
                person_ids: Sequence[str] | None = None,
                progress: Progress | None = None,
                cancelled: sheet_writer.Cancelled | None = None) -> int:
    """Write table ``name`` to ``out`` (.csv or .xlsx) for ``audience`` and ``person_ids``
    (everyone when None, else in their order); return the number of rows. Headings are
    words ("NHS number"), dates are British (12/03/2025) and yes/no are words; see
    :mod:`careplan.export.sheet_words`. What was withheld is said in the file (see the
    module).

    The caseload table and the whole caseload's flags come from their fast path
    (careplan/export/table_sources.py: the query and the engine, made for the audience
    in SQL) and ``progress(done, total)`` counts the rows written, from (0, total). The
    other tables, and the flags of some persons, are read from the records
    :data:`CHUNK` persons at a time and filtered for the audience, and ``progress``
    counts the persons read. Both are written streamed (careplan.export.sheet_writer).
    ``progress`` may raise to stop, and ``cancelled()``, asked as often, stops once
    true; nothing is written then.

    Raises:
        ValueError: unknown table or file type (the message names the field).
        NothingShared: no person's record is shared with the audience (and the reader);
            no file is written.
        sheet_writer.ExportCancelled: ``cancelled()`` was true; nothing was written.
    """
    if name not in TABLES:
        raise ValueError(f"table: {name!r} is not one of {', '.join(TABLES)}")
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"--out: {path.name} must end in .csv or .xlsx")
    outfile.check(path, store.path)
    header = HEADERS[name]
    fast = sheet_rows(store, name, today, audience, reader_agency_id, person_ids)
    if fast is not None:
        total, found, notes, step = fast.total, fast.rows, fast.notes, progress
        if progress is not None:
            progress(0, total)
    else:
        def read(done: int, total: int) -> None:
            if cancelled is not None and cancelled():
                raise sheet_writer.ExportCancelled(path)
            if progress is not None:
                progress(done, total)

        listed, shared = rows(store, name, today, audience, reader_agency_id, person_ids,
                              read)
        notes = withheld_lines(shared)
        total, found, step = len(listed), [tuple(r[h] for h in header) for r in listed], None
    headings = [sheet_words.heading(h) for h in header]
    mark = marking(audience, today)
    if suffix == ".csv":
        return sheet_writer.write_csv(path, headings, map(sheet_words.csv_row, found),
                                      step, cancelled, total=total, notes=notes,
                                      marking=mark)
    return sheet_writer.write_xlsx(path, headings, map(sheet_words.xlsx_row, found),
                                   step, cancelled, sheet=name, total=total, notes=notes,
                                   marking=mark)


def marking(audience: Audience, today: date) -> str:
    """The protective marking a table carries, as every print does, and for whom."""
    return f"{CONFIDENTIAL} Made for {audience.name} on {uk_date(today)}."
