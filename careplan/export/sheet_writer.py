"""Tables to CSV and XLSX by streaming rows: no DataFrame, no cell objects.

``write_csv`` and ``write_xlsx`` take a header and an iterable of row tuples, write them
to a hidden file beside the target and rename it over the target only when whole
(:func:`careplan.export.outfile.replacing`), so a failure or a cancel leaves the old file
as it was and no new one.

Cells (see :mod:`careplan.export.cells` for why texts are guarded). The table exports
put every value through :mod:`careplan.export.sheet_words` first (headings in words,
British date text in CSV, "Yes"/"No"); what is left to this module:

- CSV: texts through :func:`cells.csv_safe`; ``None`` empty; anything else as
  ``csv.writer`` writes it. Byte for byte what pandas' ``to_csv`` writes of the same
  values but for one thing: pandas made a column of whole numbers with a gap floats, so
  a caseload's ``plan_version`` read ``2.0``; it reads ``2`` here.
- XLSX: a sheet written as SpreadsheetML text straight into the zip. Every text is an
  inline string, never a formula, cleaned of control characters; one that begins with
  a formula character also gets the "quote prefix" style. Dates are date cells shown
  day first (``sheet_words.DATE_FORMAT``, ``DATETIME_FORMAT``); numbers are numbers,
  ``True``/``False`` booleans, ``None`` no cell. The header row is bold and frozen, with
  an autofilter, and each column as wide as ``sheet_words.column_width`` says.

openpyxl's write-only mode writes the same cells (it is the benchmark's baseline) but
builds an object per cell: about 5 s for the 50,000-person caseload's 800,000 cells,
against 0.5 s here and a target of 5 s for the whole export. A cell's XML is its
reference, its type and style, and its value; texts are inline, not shared (a shared
string table would need every text held until the end).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from careplan.export import cells, outfile, sheet_words

#: Rows between two progress reports and cancel checks.
EVERY = 2_000

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class ExportCancelled(Exception):
    """The export was cancelled before it was whole; nothing was written."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(f"the export to {Path(path).name} was cancelled; nothing was written")


def _total(rows: Iterable[Any], total: int | None) -> int:
    if total is not None:
        return total
    return len(rows) if isinstance(rows, Sequence) else 0


def _step(path: Path, done: int, total: int, progress: Progress | None,
          cancelled: Cancelled | None) -> None:
    if cancelled is not None and cancelled():
        raise ExportCancelled(path)
    if progress is not None:
        progress(done, total)


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
              progress: Progress | None = None, cancelled: Cancelled | None = None, *,
              total: int | None = None, notes: Sequence[str] = (),
              marking: str = "") -> int:
    """Write ``header`` and ``rows`` to the CSV file ``path`` (UTF-8 with a byte order
    mark, so Excel reads it as UTF-8); return the number of rows. ``marking`` (the
    protective marking) is the first line and ``notes`` (what was withheld,
    careplan/export/tables.py) end the file after an empty line, each line starting with
    ``#``, so that ``pandas.read_csv(path, comment="#")`` reads the table alone (a row
    with a ``#`` in a cell is quoted, which keeps that cell whole).

    ``progress(done, total)`` is called every :data:`EVERY` rows and at the end (``total``
    0 when unknown); ``cancelled()`` is asked as often and, once true, the export stops
    with :class:`ExportCancelled` and nothing is written.
    """
    path = Path(path)
    every = _total(rows, total)
    done = 0
    with outfile.replacing(path) as tmp:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            if marking:
                fh.write(f"# {cells.clean(marking)}{os.linesep}")
            csv.writer(fh, lineterminator=os.linesep).writerow(header)
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator=os.linesep)
            quoted = csv.writer(buffer, lineterminator=os.linesep, quoting=csv.QUOTE_ALL)
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == EVERY:
                    fh.write(_csv_batch(batch, buffer, writer, quoted))
                    done += len(batch)
                    batch.clear()
                    _step(path, done, every, progress, cancelled)
            fh.write(_csv_batch(batch, buffer, writer, quoted))
            done += len(batch)
            if notes:
                fh.write("\n" + "".join(f"# {line}\n" for line in notes))
        _step(path, done, every, progress, cancelled)
    return done


#: What could need :func:`cells.csv_safe` in a batch's CSV text: a field that begins
#: (after a line break or comma, perhaps a quote) with a formula character, or a control
#: character. It also matches harmless text ("a, -b" in a quoted field), which then goes
#: through the guard for nothing; it never misses a field the guard would change. (Two
#: searches: one pattern with both takes twice as long.)
_FORMULA = re.compile(r'[\n,]"?[=+\-@\t\r]')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _risky(text: str) -> bool:
    return (text.removeprefix('"').startswith(cells.TRIGGERS)
            or _FORMULA.search(text) is not None or _CONTROL.search(text) is not None)


def _csv_batch(batch: list[Sequence[Any]], buffer: io.StringIO, writer: Any,
               quoted: Any) -> str:
    """The CSV text of ``batch`` (csv writes None as "", dates as ISO text and
    True/False, as pandas did), every text made safe by :func:`cells.csv_safe`. The
    batch is written as it is first and through the guard only if
    it might need it (:func:`_risky`): most batches never do, and the guard is most of the time.

    A row with a ``#`` in a text is written by ``quoted`` (every field in quotes): the
    file's marking and notes are ``#`` lines, and ``pandas.read_csv(comment="#")`` would
    cut an unquoted "Flat #3" at its ``#`` but leaves a quoted one whole."""
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(batch)
    text = buffer.getvalue()
    rows: Iterable[Sequence[Any]] = batch
    if _risky(text):
        safe = cells.csv_safe
        rows = [[safe(v) if isinstance(v, str) else v for v in row] for row in batch]
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        text = buffer.getvalue()
    if "#" not in text:
        return text
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        hashed = any(isinstance(v, str) and "#" in v for v in row)
        (quoted if hashed else writer).writerow(row)
    return buffer.getvalue()


# --- XLSX -------------------------------------------------------------------------------

_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.toordinal()
#: Style indexes in styles.xml's cellXfs.
_HEAD, _DATE, _TIME, _QUOTED = 1, 2, 3, 4

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
{more}<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""

_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/>{more}</Relationships>"""

#: The workbook's properties, whose subject is the protective marking: a file manager and
#: Office's File > Info show it without opening the sheet.
_CORE_TYPE = ('<Override PartName="/docProps/core.xml" ContentType="application/'
              'vnd.openxmlformats-package.core-properties+xml"/>')
_CORE_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
             'relationships/metadata/core-properties" Target="docProps/core.xml"/>')
_CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties \
xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject>{subject}</dc:subject>\
</cp:coreProperties>"""

_BOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/>{more}</Relationships>"""

#: The second sheet, of what was withheld: its content type, relationship and entry.
_NOTES_TYPE = ('<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/'
               'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_NOTES_REL = ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/'
              'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>')
_NOTES_SHEET = '<sheet name="withheld" sheetId="2" r:id="rId3"/>'
#: The width of its one column (characters), as the export from pandas set it.
NOTES_WIDTH = 120

_BOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name={name} sheetId="1" r:id="rId1"/>{more}</sheets>{defined}</workbook>"""

_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="{sheet_words.DATE_FORMAT}"/>\
<numFmt numFmtId="165" formatCode="{sheet_words.DATETIME_FORMAT}"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""


def _column(n: int) -> str:
    """The letters of column ``n`` (1: A, 27: AA)."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str, ref: str, head: bool = False) -> str:
    value = cells.clean(value)
    style = f' s="{_QUOTED}"' if value.startswith(cells.TRIGGERS) else ""
    if head:
        style = f' s="{_HEAD}"'
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{escape(value)}</t></is></c>'


def _cell(value: Any, ref: str) -> str:
    """One cell's XML ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(value, ref)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_TIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{value.toordinal() - _EPOCH_DAY}</v></c>'
    if isinstance(value, int | float):
        if not math.isfinite(value):  # NaN: no cell, as pandas wrote it; nor infinity
            return ""
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return _text(str(value), ref)


def _widths(header: Sequence[str], first: list[Sequence[Any]]) -> list[int]:
    return [sheet_words.column_width(str(h), [row[i] for row in first if i < len(row)])
            for i, h in enumerate(header)]


def write_xlsx(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
               progress: Progress | None = None, cancelled: Cancelled | None = None, *,
               sheet: str = "Sheet1", total: int | None = None,
               notes: Sequence[str] = (), marking: str = "") -> int:
    """Write ``header`` and ``rows`` to the workbook ``path``, one sheet; return the number
    of rows. ``notes`` (what was withheld) go in a second sheet, ``withheld``, under that
    heading, one a row. ``marking`` (the protective marking) heads every printed page
    and is the workbook's subject. Progress and cancel as :func:`write_csv`."""
    path = Path(path)
    every = _total(rows, total)
    letters = [_column(i) for i in range(1, len(header) + 1)]
    it = iter(rows)
    first: list[Sequence[Any]] = []
    for row in it:
        first.append(row)
        if len(first) == sheet_words.WIDTH_ROWS:
            break
    done = 0
    with outfile.replacing(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
            book.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
                more=(_NOTES_TYPE if notes else "") + (_CORE_TYPE if marking else "")))
            book.writestr("_rels/.rels", _RELS.format(more=_CORE_REL if marking else ""))
            if marking:
                book.writestr("docProps/core.xml", _CORE.format(subject=escape(
                    cells.clean(marking))))
            book.writestr("xl/_rels/workbook.xml.rels",
                          _BOOK_RELS.format(more=_NOTES_REL if notes else ""))
            book.writestr("xl/styles.xml", _STYLES)
            with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
                raw.write(_sheet_head(header, letters, first).encode())
                batch: list[str] = []
                for row in _chain(first, it):
                    done += 1
                    r = str(done + 1)
                    batch.append(f'<row r="{r}">' + "".join(
                        [_cell(v, c + r) for c, v in zip(letters, row, strict=False)])
                        + "</row>")
                    if len(batch) == EVERY:
                        raw.write("".join(batch).encode())
                        batch.clear()
                        _step(path, done, every, progress, cancelled)
                raw.write("".join(batch).encode())
                last = f"{letters[-1]}{done + 1}" if letters else "A1"
                raw.write(('</sheetData>' + (f'<autoFilter ref="A1:{last}"/>' if letters
                                              else "") + _header_footer(marking)
                           + "</worksheet>").encode())
            if notes:
                book.writestr("xl/worksheets/sheet2.xml", _notes_sheet(notes))
            book.writestr("xl/workbook.xml", _BOOK.format(
                name=quoteattr(sheet[:31]), more=_NOTES_SHEET if notes else "",
                defined=(f'<definedNames><definedName name="_xlnm._FilterDatabase" '
                         f'localSheetId="0" hidden="1">{escape(_quoted(sheet[:31]))}!'
                         f'$A$1:${letters[-1]}${done + 1}</definedName></definedNames>'
                         if letters else "")))
        _step(path, done, every, progress, cancelled)
    return done


def _header_footer(marking: str) -> str:
    """Every printed page headed by the marking ("&" is Excel's code sign: doubled), and
    numbered in its footer."""
    if not marking:
        return ""
    text = escape(cells.clean(marking).replace("&", "&&")[:250])
    return (f"<headerFooter><oddHeader>&amp;C{text}</oddHeader>"
            "<oddFooter>&amp;CPage &amp;P of &amp;N</oddFooter></headerFooter>")


def _notes_sheet(notes: Sequence[str]) -> str:
    rows = "".join(f'<row r="{i}">{_text(line, f"A{i}")}</row>'
                   for i, line in enumerate(notes, 2))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<cols><col min="1" max="1" width="{NOTES_WIDTH}" customWidth="1"/></cols>'
            f'<sheetData><row r="1">{_text("withheld", "A1", head=True)}</row>{rows}'
            '</sheetData></worksheet>')


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _chain(first: list[Sequence[Any]], rest: Iterable[Sequence[Any]]
           ) -> Iterable[Sequence[Any]]:
    yield from first
    yield from rest


def _sheet_head(header: Sequence[str], letters: list[str],
                first: list[Sequence[Any]]) -> str:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(_widths(header, first), 1))
    heads = "".join(_text(str(h), f"{c}1", head=True) for c, h in zip(letters, header,
                                                                       strict=True))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + f'<sheetData><row r="1">{heads}</row>')


__all__ = ["EVERY", "NOTES_WIDTH", "ExportCancelled", "write_csv", "write_xlsx"]
