"""The neighbourhood funding report as a workbook, one sheet per table, and the command's
entry point choosing PDF or XLSX by the file's ending.

Money is written as exact decimal pounds (``Decimal(pence) / 100``) in cells formatted
as pounds, so sums in the spreadsheet match the report to the penny.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from careplan.export import cells, outfile, sheet_words
from careplan.export.audience import Audience, NothingShared
from careplan.export.funding_data import FundingReport, funding_report, share
from careplan.models.funding import CareType
from careplan.store import Store
from careplan.store.visibility import shareable_persons

MONEY_FORMAT = '"£"#,##0.00'
#: Columns holding money (written as pounds, formatted as such).
MONEY = {"this_year", "to_date", "unit_cost", "contribution", "spent_to_date", "forecast",
         "variance", "allocation", "committed", "remaining", "amount"}


def gbp(pence: int | None) -> Decimal | None:
    return None if pence is None else Decimal(pence) / 100


def sheets(r: FundingReport) -> dict[str, pd.DataFrame]:
    """Every table of the report as a DataFrame, by sheet name."""
    y = r.year
    summary = [
        ("neighbourhood", r.scope), ("period", r.period), ("as of", r.today),
        ("public money this year", gbp(y.public)), ("public money to date", gbp(r.to_date.public)),
        ("self-funded this year", gbp(y.total - y.public)), ("all money this year", gbp(y.total)),
        ("disputed this year", gbp(y.disputed)), ("actions costed", len(r.lines)),
        ("prevention share", share(y.by_care_type.get(CareType.PREVENTIVE, 0), y.public)),
        ("for", r.audience),
    ]
    if r.withheld_note:
        summary.append(("not listed", r.withheld_note))
    frames: dict[str, pd.DataFrame] = {
        "Summary": pd.DataFrame(summary, columns=["measure", "value"]),
        "By agency": pd.DataFrame(
            [(n, gbp(a), gbp(b)) for n, a, b in r.payer_rows()],
            columns=["agency", "this_year", "to_date"]),
        "By stream": pd.DataFrame(
            [(n, k, p, w, gbp(a), gbp(b)) for n, k, p, w, a, b in r.stream_rows()],
            columns=["stream", "kind", "principle", "paid_by", "this_year", "to_date"]),
        "Shares": pd.DataFrame(
            [("principle", n, gbp(v), s) for n, v, s in r.principle_rows()]
            + [("care type", n, gbp(v), s) for n, v, s in r.care_rows()],
            columns=["view", "name", "amount", "share"]),
        "Disputes": pd.DataFrame(
            [(d.person, d.nhs_number, d.action, d.agencies, d.since, d.days, gbp(d.this_year),
              d.discharge_delayed, d.note) for d in r.disputes],
            columns=["person", "nhs_number", "action", "agencies", "since", "days",
                     "this_year", "discharge_delayed", "note"]),
        "Joint budgets": pd.DataFrame(
            [(j.budget.name, j.budget.arrangement.value,
              r.book.agency_names.get(p.agency_id, "?"), gbp(p.contributed),
              gbp(p.spent_to_date), gbp(p.forecast), gbp(p.variance))
             for j in r.joint for p in j.partners]
            + [(j.budget.name, j.budget.arrangement.value, "whole budget", gbp(j.contributed),
                gbp(j.spent_to_date), gbp(j.forecast), gbp(j.variance)) for j in r.joint],
            columns=["budget", "arrangement", "partner", "contribution", "spent_to_date",
                     "forecast", "variance"]),
        "Personal budgets": pd.DataFrame(
            [(n, p.budget.taken_as.value, p.budget.start_date, p.budget.last_day,
              gbp(p.allocation), gbp(p.committed), gbp(p.remaining), p.overcommitted)
             for n, p in r.personal],
            columns=["person", "taken_as", "from", "to", "allocation", "committed",
                     "remaining", "overcommitted"]),
        "Actions": pd.DataFrame(
            [(ln.person, ln.nhs_number, ln.action, ln.care_type, ln.frequency,
              gbp(ln.unit_pence), ln.funding_status, ln.funders, gbp(ln.this_year),
              gbp(ln.to_date)) for ln in r.lines],
            columns=["person", "nhs_number", "action", "care_type", "frequency", "unit_cost",
                     "funding_status", "funders", "this_year", "to_date"]),
    }
    return frames


def funding_xlsx(r: FundingReport, out: str | Path) -> Path:
    """Write the report ``r`` to ``out`` as a workbook (written whole or not at all)."""
    path = Path(out)
    with outfile.replacing(path) as tmp, pd.ExcelWriter(
            tmp, engine="openpyxl", date_format=sheet_words.DATE_FORMAT,
            datetime_format=sheet_words.DATETIME_FORMAT) as writer:
        for name, df in sheets(r).items():
            words = sheet_words.for_xlsx(df)  # headings in words, British dates
            cells.xlsx_frame(words).to_excel(writer, index=False, sheet_name=name)
            sheet = writer.sheets[name]
            cells.fix_sheet(sheet)
            sheet.freeze_panes = "A2"
            sheet_words.fit_columns(sheet, words)
            for i, col in enumerate(df.columns, 1):
                if col in MONEY:
                    for row in range(2, len(df) + 2):
                        sheet.cell(row, i).number_format = MONEY_FORMAT
            if name == "Summary":
                for row, value in enumerate(df["value"], 2):
                    if isinstance(value, Decimal):
                        sheet.cell(row, 2).number_format = MONEY_FORMAT
    return path


def write_funding(store: Store, out: str | Path, today: date, *, printed_by: str,
                  audience: Audience, reader_agency_id: str | None,
                  neighbourhood: str | None = None, printed_at: datetime | None = None
                  ) -> FundingReport:
    """Write the funding report to ``out`` (.pdf or .xlsx), for ``audience``, and return
    its numbers.

    Raises:
        ValueError: the file's ending is neither (the message names the field).
        NothingShared: no person's record is shared with the audience (and the reader):
            no file is written.
    """
    suffix = Path(out).suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        raise ValueError(f"--out: {Path(out).name} must end in .pdf or .xlsx")
    outfile.check(out, store.path)
    people = shareable_persons(store, audience.agency_id, today)
    if reader_agency_id is not None and reader_agency_id != audience.agency_id:
        people &= shareable_persons(store, reader_agency_id, today)
    if not people:
        raise NothingShared(f"Nothing of the funding report may be shared with "
                            f"{audience.name}: no person's record is shared with it, so no "
                            "document was made.")
    report = funding_report(store, today, neighbourhood, audience_id=audience.agency_id,
                            audience=audience.name, reader_agency_id=reader_agency_id)
    if suffix == ".pdf":
        from careplan.export.funding_pdf import funding_pdf

        funding_pdf(report, out, printed_by=printed_by, printed_at=printed_at)
    else:
        funding_xlsx(report, out)
    return report
