"""``careplan export ...``: the joint plan, handoff audit and minutes as PDFs, tables as
CSV/XLSX, and FHIR R4 Bundles. Heavy libraries load only when a command runs.

Every file written is recorded as a read by whoever signed in (careplan.store.reads):
whose record (or, for many persons at once, a summary), when, and what.

Each is made for an audience, ``--audience AGENCY`` (by default your own agency): only
what may be shared with that agency goes in, and the file says what was withheld and why
(careplan.export.audience). An account of no agency prints nothing.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from careplan.commands.common import (
    UserError,
    add_user_option,
    open_store,
    parse_date,
    parse_nhs,
    sign_in,
)
from careplan.export import outfile
from careplan.export.audience import Audience
from careplan.models import Agency, CaseConference, Person, nhs
from careplan.models.reads import ReadKind
from careplan.store import Store, StoreError, find, get, operations
from careplan.store import reads as looked
from careplan.store.repo import actor_name
from careplan.store.visibility import Viewer, viewer_of

TABLE_NAMES = ("caseload", "flags", "handoffs", "referrals", "actions")


def _common(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")
    p.add_argument("--out", metavar="FILE", required=True, help=out_help)
    add_user_option(p)
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date to report as of")
    p.add_argument("--audience", metavar="AGENCY",
                   help="the agency it is for (default: your own): what may not be shared "
                        "with it is left out, and the file says what and why")


def register(sub: Any) -> None:
    top = sub.add_parser("export", help="print plans, audits and minutes; write tables and FHIR")
    kinds = top.add_subparsers(dest="export_kind", metavar="KIND", required=True,
                               parser_class=type(top))
    p = kinds.add_parser("plan-pdf", help="the joint care plan of one person")
    _common(p, "the PDF to write")
    p.add_argument("--nhs", metavar="N", required=True, help="the person's NHS number")
    p.set_defaults(handler=run_plan)
    p = kinds.add_parser("handoff-audit", help="handoff audit for a date range")
    _common(p, "the PDF to write")
    p.add_argument("--from", dest="start", metavar="YYYY-MM-DD",
                   help="first day (default: 90 days before --to)")
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (default: today)")
    p.add_argument("--agency", metavar="NAME", help="only handoffs and referrals of one agency")
    p.set_defaults(handler=run_audit)
    p = kinds.add_parser("minutes", help="minutes of a case conference")
    _common(p, "the PDF to write")
    p.add_argument("--conference", metavar="ID", required=True, help="the case conference id")
    p.set_defaults(handler=run_minutes)
    p = kinds.add_parser("table", help=f"a table as CSV or XLSX ({', '.join(TABLE_NAMES)})")
    p.add_argument("name", choices=TABLE_NAMES, metavar="NAME",
                   help=f"one of {', '.join(TABLE_NAMES)}")
    _common(p, "FILE.csv or FILE.xlsx")
    p.set_defaults(handler=run_table)
    p = kinds.add_parser("funding", help="neighbourhood funding report: all public money "
                         "by agency and stream, disputes, prevention share (PDF or XLSX)")
    _common(p, "FILE.pdf or FILE.xlsx")
    p.add_argument("--neighbourhood", metavar="NAME",
                   help="only the people of one neighbourhood (default: everyone)")
    p.set_defaults(handler=run_funding)
    p = kinds.add_parser("fhir", help="a FHIR R4 Bundle of the store or one person")
    _common(p, "the JSON file to write")
    p.add_argument("--nhs", metavar="N", help="only this person")
    p.set_defaults(handler=run_fhir)
    p = kinds.add_parser("fhir-ndjson", help="FHIR R4 as Bulk Data NDJSON: a new folder with "
                         "one file per resource type and a manifest")
    _common(p, "the folder to make (new, or empty)")
    p.add_argument("--nhs", metavar="N", help="only this person")
    p.set_defaults(handler=run_fhir_ndjson)


def _signed_in(store: Store, args: argparse.Namespace) -> tuple[str, Viewer, Audience]:
    """Sign in ``--user``: the name the printed page shows as who printed it, the reader,
    and the audience (``--audience``, else the reader's own agency).

    Raises:
        UserError: the account belongs to no agency (it may print no one's record), or
            ``--audience`` names no agency (or several).
    """
    from careplan.export.audience import audience_for

    account = sign_in(store, args)
    args.reader = account.actor  # the audit log's actor, for _read
    reader = viewer_of(store, account)
    if not reader.sees_anyone:
        raise UserError(reader.nobody())
    named = getattr(args, "audience", None)
    if named is not None:
        if not named.strip():
            raise UserError("--audience: name an agency, e.g. --audience \"Adult Social "
                            "Care\" (leave it out to print for your own agency).")
        agency = agency_by_name(store, named, "--audience")
        return actor_name(store, account.actor), reader, audience_for(store, reader,
                                                                      agency.id)
    return actor_name(store, account.actor), reader, audience_for(store, reader)


def _read(store: Store, args: argparse.Namespace, kind: ReadKind, description: str,
          person_ids: list[str] | None = None, persons: int | None = None) -> None:
    """Record that the signed-in user read what was just written (careplan.store.reads)."""
    operations.run(store, lambda s: looked.record(s, args.reader, kind, description,
                                                  person_ids or (), persons))


def person_by_nhs(store: Store, text: str) -> Person:
    number = parse_nhs(text)
    found = find(store, Person, nhs_number=number)
    if not found:
        raise UserError(f"--nhs: no person with NHS number {nhs.format_334(number)} "
                        "in this store.")
    return found[0]


def agency_by_name(store: Store, text: str, option: str = "--agency") -> Agency:
    agencies = find(store, Agency)
    exact = [a for a in agencies if text.lower() in (a.name.lower(), a.id, a.ods_code.lower())]
    matches = exact or [a for a in agencies if text.lower() in a.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"{option}: no agency called {text!r} in this store.")
    names = "; ".join(a.name for a in matches[:5])
    raise UserError(f"{option}: {text!r} matches {len(matches)} agencies ({names}); "
                    "give the full name.")


def check_out(args: argparse.Namespace) -> Path:
    """``--out``, checked before any work is done (careplan.export.outfile): a file in a
    folder that exists, and never the store itself, its WAL or SHM, a backup, another
    SQLite database, a folder, a device, a pipe, a socket or a symbolic link.

    Raises:
        UserError: naming ``--out`` and what is wrong with it.
    """
    try:
        return outfile.check(args.out, getattr(args, "db", None))
    except outfile.OutRefused as exc:
        raise UserError(f"{exc}.") from None


@contextlib.contextmanager
def writing(path: str) -> Iterator[None]:
    """Turn trouble writing ``--out`` (no permission, disk full, the file changed into
    something that must not be replaced) into one sentence."""
    try:
        yield
    except outfile.OutRefused as exc:
        raise UserError(f"{exc}.") from None
    except OSError as exc:
        raise UserError(f"--out: cannot write {path} ({exc.strerror or exc}).") from None


def _done(path: Any, what: str) -> int:
    print(f"Wrote {what} to {path}")
    return 0


def run_plan(args: argparse.Namespace) -> int:
    from careplan.export.plan_pdf import plan_pdf

    today = parse_date(args.today, "--today")
    check_out(args)
    with open_store(getattr(args, "db", None), args=args) as store:
        printed_by, reader, audience = _signed_in(store, args)
        person = person_by_nhs(store, args.nhs)
        with writing(args.out):
            plan_pdf(store, person.id, args.out, printed_by=printed_by, today=today,
                     audience=audience, reader=reader)
        _read(store, args, ReadKind.PRINTED, looked.PLAN_PDF, [person.id])
    return _done(args.out, f"the joint care plan of {person.name} for {audience.name}")


def run_audit(args: argparse.Namespace) -> int:
    from careplan.export.audit_pdf import audit_pdf

    today = parse_date(args.today, "--today")
    end = parse_date(args.end, "--to") if args.end else today
    start = parse_date(args.start, "--from") if args.start else end - timedelta(days=90)
    if start > end:
        raise UserError(f"--from: {start.isoformat()} is after --to {end.isoformat()}.")
    check_out(args)
    with open_store(getattr(args, "db", None), args=args) as store:
        printed_by, reader, audience = _signed_in(store, args)
        agency = agency_by_name(store, args.agency) if args.agency else None
        with writing(args.out):
            audit_pdf(store, args.out, start=start, end=end, today=today,
                      printed_by=printed_by, audience=audience, reader=reader,
                      agency_id=agency.id if agency else None)
        _read(store, args, ReadKind.PRINTED, looked.handoff_audit(
            start.isoformat(), end.isoformat(), agency.name if agency else "all agencies"))
    return _done(args.out, f"the handoff audit for {audience.name}")


def run_minutes(args: argparse.Namespace) -> int:
    from careplan.export.minutes_pdf import minutes_pdf

    today = parse_date(args.today, "--today")
    check_out(args)
    with open_store(getattr(args, "db", None), args=args) as store:
        printed_by, reader, audience = _signed_in(store, args)
        try:
            conference = get(store, CaseConference, args.conference)
        except StoreError:
            raise UserError(f"--conference: no case conference with id {args.conference} "
                            "in this store.") from None
        with writing(args.out):
            minutes_pdf(store, args.conference, args.out, printed_by=printed_by, today=today,
                        audience=audience, reader=reader)
        _read(store, args, ReadKind.PRINTED, looked.MINUTES_PDF, [conference.person_id])
    return _done(args.out, f"the case conference minutes for {audience.name}")


def run_table(args: argparse.Namespace) -> int:
    from careplan.export.tables import write_table

    today = parse_date(args.today, "--today")
    check_out(args)
    with open_store(getattr(args, "db", None), args=args) as store:
        _, reader, audience = _signed_in(store, args)
        with writing(args.out):
            try:
                n = write_table(store, args.name, args.out, today, audience=audience,
                                reader_agency_id=reader.agency_id)
            except ValueError as exc:
                raise UserError(f"{exc}.") from None
        _read(store, args, ReadKind.EXPORTED, looked.table(args.name, args.out, n),
              persons=n if args.name == "caseload" else None)
    return _done(args.out, f"{n:,} rows of {args.name} for {audience.name}")


def _fhir_out(args: argparse.Namespace, export: Callable[..., Any]) -> tuple[Any, str, str]:
    """Run a FHIR export (``export(store, out, ids, audience=, reader=, today=)``) for the
    signed-in reader and record it as a read; returns its result, " for AUDIENCE" and the
    "; N persons and M records withheld" tail of the line that reports it."""
    today = parse_date(args.today, "--today")
    with open_store(getattr(args, "db", None), args=args) as store:
        _, reader, audience = _signed_in(store, args)
        ids = [person_by_nhs(store, args.nhs).id] if args.nhs else None
        with writing(args.out):
            result = export(store, args.out, ids, audience=audience, reader=reader,
                            today=today)
        if ids:
            _read(store, args, ReadKind.EXPORTED, looked.FHIR_PERSON, ids)
        else:
            _read(store, args, ReadKind.EXPORTED, looked.fhir_store(result.persons),
                  persons=result.persons)
    left = (f"; {result.persons_left_out:,} persons and {result.records_withheld:,} records "
            "withheld" if result.persons_left_out or result.records_withheld else "")
    return result, f" for {audience.name}", left


def run_fhir(args: argparse.Namespace) -> int:
    from careplan.export.fhir_export import export_fhir

    parse_date(args.today, "--today")  # a mistake is said before anything is checked
    check_out(args)
    result, whom, left = _fhir_out(args, export_fhir)
    return _done(result.path, f"a FHIR R4 Bundle of {result.persons:,} persons{whom} "
                              f"({result.resources:,} resources, each validated{left})")


def run_fhir_ndjson(args: argparse.Namespace) -> int:
    from careplan.export.fhir_ndjson import check, export_ndjson

    parse_date(args.today, "--today")
    with writing(args.out):
        check(args.out, getattr(args, "db", None))
    result, whom, left = _fhir_out(args, export_ndjson)
    return _done(result.path, f"FHIR R4 NDJSON of {result.persons:,} persons{whom} "
                              f"({result.resources:,} resources, each validated, in "
                              f"{len(result.files)} files and a manifest{left})")


def run_funding(args: argparse.Namespace) -> int:
    from careplan.export.funding_data import neighbourhoods
    from careplan.export.funding_xlsx import write_funding

    today = parse_date(args.today, "--today")
    check_out(args)
    with open_store(getattr(args, "db", None), args=args) as store:
        printed_by, reader, audience = _signed_in(store, args)
        place = None
        if args.neighbourhood:
            known = neighbourhoods(store)
            match = [n for n in known if n.lower() == args.neighbourhood.strip().lower()]
            if not match:
                listed = ", ".join(known[:8]) or "none recorded"
                raise UserError(f"--neighbourhood: no person lives in {args.neighbourhood!r} "
                                f"(neighbourhoods: {listed}).")
            place = match[0]
        try:
            with writing(args.out):
                report = write_funding(store, args.out, today, printed_by=printed_by,
                                       audience=audience, reader_agency_id=reader.agency_id,
                                       neighbourhood=place)
        except ValueError as exc:
            raise UserError(f"{exc}.") from None
        _read(store, args, ReadKind.PRINTED if args.out.lower().endswith(".pdf")
              else ReadKind.EXPORTED, looked.funding(args.out, report.scope, len(report.lines)))
    return _done(args.out, f"the funding report for {report.scope} "
                           f"({len(report.lines):,} costed actions)")
