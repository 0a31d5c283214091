"""Spreadsheets as people read them: headings in words, British dates, yes and no.

The tables keep their data's names (``nhs_number``, ``date_of_birth``; the code and the
tests speak of them); what is written says "NHS number" and "Date of birth". Dates read
12/03/2025 (day first): in CSV as that text, in XLSX as real date cells formatted so
(they sort and filter as dates). A moment with a zone is the time on a clock in England.
True and false are "Yes" and "No".

Formula injection is still :mod:`careplan.export.cells`' job: run these first, then
``cells.csv_frame`` / ``cells.xlsx_frame`` and ``cells.fix_sheet``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from careplan import clock

#: Words that are not just the name with "_" as spaces, capitalised.
HEADINGS: dict[str, str] = {
    "nhs_number": "NHS number", "gp_practice": "GP practice",
    "past_answer_by": "Answer overdue", "hours_to_answer": "Hours to answer",
    "subject_id": "Subject id", "in_hospital": "In hospital now",
    "this_year": "This year", "to_date": "To date", "paid_by": "Paid by",
    "taken_as": "Taken as", "from": "From", "to": "To",
}
#: Cell formats of dates and times in XLSX (pandas' ExcelWriter's date_format and
#: datetime_format).
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
#: Values a column's width is measured over, and the widest a column gets (characters).
WIDTH_ROWS = 200
MAX_WIDTH = 60


def heading(name: str) -> str:
    """``date_of_birth`` -> "Date of birth"; ``nhs_number`` -> "NHS number"."""
    if name in HEADINGS:
        return HEADINGS[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _moment(value: datetime) -> datetime:
    return clock.now(value) if value.tzinfo is not None else value


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def csv_value(value: Any) -> Any:
    """A cell's value as CSV text reads it (dates day first, yes and no)."""
    if _missing(value):
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        at = _moment(value)  # formatted by hand: strftime takes four times as long
        return f"{at.day:02d}/{at.month:02d}/{at.year} {at.hour:02d}:{at.minute:02d}"
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return value


def xlsx_value(value: Any) -> Any:
    """A cell's value for XLSX: dates stay dates (formatted by :data:`DATE_FORMAT`);
    moments lose their zone after being put in England's time; yes and no are words."""
    if _missing(value):
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return _moment(value)
    return value


#: Types :func:`csv_value` and :func:`xlsx_value` give back as they are (``type(v)``,
#: exactly: a bool is not an int here, nor a datetime a date).
_CSV_AS_IS = frozenset({str, int})
_XLSX_AS_IS = frozenset({str, int, date})


def csv_row(row: Sequence[Any]) -> tuple[Any, ...]:
    """:func:`csv_value` of each of ``row``'s values (the values it keeps as they are are
    not passed to it: a streamed caseload of 50,000 persons has 800,000)."""
    keep = _CSV_AS_IS
    return tuple([v if type(v) in keep else csv_value(v) for v in row])


def xlsx_row(row: Sequence[Any]) -> tuple[Any, ...]:
    """:func:`xlsx_value` of each of ``row``'s values, as :func:`csv_row`."""
    keep = _XLSX_AS_IS
    return tuple([v if type(v) in keep else xlsx_value(v) for v in row])


def _words(df: pd.DataFrame, cell: Any) -> pd.DataFrame:
    out = df.astype(object).map(cell)
    out.columns = [heading(str(c)) for c in df.columns]
    return out


def for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with headings in words and values as CSV shows them."""
    return _words(df, csv_value)


def for_xlsx(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with headings in words and values for an XLSX sheet."""
    return _words(df, xlsx_value)


def fit_columns(sheet: Any, df: pd.DataFrame) -> None:
    """Date cells formatted day first; column widths from the heading and the first 200
    values (at most 60 characters)."""
    for i, col in enumerate(df.columns, 1):
        for row, value in enumerate(df[col], 2):
            if isinstance(value, datetime):
                sheet.cell(row, i).number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                sheet.cell(row, i).number_format = DATE_FORMAT
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = column_width(
            str(col), df[col].head(WIDTH_ROWS))


def column_width(heading: str, values: Iterable[Any]) -> int:
    """A column's width: its heading's or its widest value's as CSV shows it (of the
    first :data:`WIDTH_ROWS`), plus 2, at most :data:`MAX_WIDTH`."""
    shown = [len(str(csv_value(v))) for v in values]
    return min(MAX_WIDTH, max([len(heading), *shown]) + 2)


__all__ = ["DATETIME_FORMAT", "DATE_FORMAT", "HEADINGS", "MAX_WIDTH", "WIDTH_ROWS",
           "column_width", "csv_row", "csv_value", "fit_columns", "for_csv", "for_xlsx",
           "heading", "xlsx_row", "xlsx_value"]
