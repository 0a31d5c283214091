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
