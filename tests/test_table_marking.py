"""Tables carry the protective marking every print carries, and for whom (HAZ-035): the
first line of a CSV, and in a workbook the header of every printed page and its subject."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from careplan.demo.build import build_demo
from careplan.export.audience import audience_of
from careplan.export.tables import write_table
from careplan.models import Agency
from careplan.store import Store, find

TODAY = date(2026, 11, 22)
MARK = ("OFFICIAL-SENSITIVE: PERSONAL. Confidential health and care information: share only "
        "within the care team under the information sharing agreement. Made for Northbridge "
        "Homes on 22 Nov 2026.")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(str(tmp_path_factory.mktemp("marking") / "demo.db"))
    build_demo(store, persons=120, seed=7, today=TODAY)
    yield store
    store.close()


def _homes(store: Store) -> Agency:
    return next(a for a in find(store, Agency) if a.name == "Northbridge Homes")


def test_a_csv_table_begins_with_the_marking_and_reads_as_a_table(demo: Store,
                                                                  tmp_path: Path) -> None:
    homes = _homes(demo)
    out = tmp_path / "caseload.csv"
    n = write_table(demo, "caseload", out, TODAY, audience=audience_of(demo, homes.id),
                    reader_agency_id=homes.id)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == f"# {MARK}"
    assert next(csv.reader([lines[1]]))[:2] == ["Person", "NHS number"]
    frame = pd.read_csv(out, comment="#", encoding="utf-8-sig")
    assert len(frame) == n and list(frame.columns)[0] == "Person"


def test_a_workbook_is_marked_on_every_printed_page_and_in_its_properties(
        demo: Store, tmp_path: Path) -> None:
    homes = _homes(demo)
    out = tmp_path / "flags.xlsx"
    write_table(demo, "flags", out, TODAY, audience=audience_of(demo, homes.id),
                reader_agency_id=homes.id)
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    assert sheet.oddHeader.center.text == MARK
    assert sheet.oddFooter.center.text == "Page &P of &N"
    assert book.properties.subject == MARK
    assert sheet["A1"].value != MARK  # the table itself starts with its headings


def test_a_hash_inside_a_cell_survives_reading_past_the_marking(tmp_path: Path) -> None:
    """The README's ``pandas.read_csv(path, comment="#")`` skips the marking and the notes;
    it also cut an unquoted cell at its ``#`` ("Flat #3" read as "Flat "). Such a row is
    now written with every field quoted; other rows are written as before."""
    from careplan.export.sheet_writer import write_csv

    out = tmp_path / "addresses.csv"
    rows = [["Flat #3, Mill Lane", "012 345 6789", 3], ["12 Mill Lane", "111 222 3333", 4],
            ["#1 priority", None, 5]]
    write_csv(out, ["Address", "NHS number", "Actions"], rows, marking=MARK,
              notes=["2 persons not shared with Northbridge Homes are left out."])
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[2] == '"Flat #3, Mill Lane","012 345 6789","3"'
    assert lines[3] == "12 Mill Lane,111 222 3333,4"
    frame = pd.read_csv(out, comment="#", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert frame.values.tolist() == [["Flat #3, Mill Lane", "012 345 6789", "3"],
                                     ["12 Mill Lane", "111 222 3333", "4"],
                                     ["#1 priority", "", "5"]]
