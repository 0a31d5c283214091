"""Exports of what is on screen (issue 16): a table for the persons the caseload shows,
with progress and Cancel; headings in words and British dates in spreadsheets (formula
injection still neutralised); the minutes' menu item with no case conference says so."""

from __future__ import annotations

import csv
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import ui_world
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMessageBox, QPushButton
from ui_helpers import file_settings, settle, sign_in, when_modal

from careplan.export import sheet_writer, table_sources, tables
from careplan.export.tables import write_table
from careplan.models import CaseConference
from careplan.models.reads import ReadKind
from careplan.store import Store
from careplan.store import casework as cw
from careplan.store import reads as looked
from careplan.ui.mainwindow import MainWindow


class Stop(Exception):
    """What a Cancel raises in the middle of an export."""


def reader(store: Store) -> dict[str, Any]:
    """``audience=`` and ``reader_agency_id=`` of a table made by and for an agency of the
    neighbourhood, which may see everyone in it."""
    from careplan.export.audience import audience_of

    agency = ui_world.query(store).viewer_agency_id
    return {"audience": audience_of(store, agency), "reader_agency_id": agency}


# -- the export functions -----------------------------------------------------------------


def test_a_table_of_some_persons(store: Store, tmp_path: Path) -> None:
    world = ui_world.build(store, extra_persons=20)
    out = tmp_path / "caseload.csv"
    seen: list[tuple[int, int]] = []
    n = write_table(store, "caseload", out, ui_world.TODAY, person_ids=[world.teen, world.dual],
                    progress=lambda done, total: seen.append((done, total)), **reader(store))
    frame = pd.read_csv(out, encoding="utf-8-sig", comment="#")
    assert n == 2 and set(frame["Person"]) == {"Jordan Baker", "Ryan Price"}
    assert seen == [(0, 2), (2, 2)]


def test_progress_in_chunks_and_a_stop_writes_nothing(store: Store, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ui_world.build(store, extra_persons=20)
    monkeypatch.setattr(tables, "CHUNK", 10)
    out = tmp_path / "actions.xlsx"
    out.write_bytes(b"the previous export")
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 20:
            raise Stop

    with pytest.raises(Stop):
        write_table(store, "actions", out, ui_world.TODAY, progress=progress, **reader(store))
    assert seen == [(0, 23), (10, 23), (20, 23)]
    assert out.read_bytes() == b"the previous export"  # left as it was
    assert [p.name for p in tmp_path.iterdir()] == ["actions.xlsx"]


def test_everyone_chunked_is_everyone_at_once(store: Store, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ui_world.build(store, extra_persons=20)
    whole = {name: tables.frame(store, name, ui_world.TODAY, **reader(store))[0]
             for name in tables.TABLES}
    monkeypatch.setattr(tables, "CHUNK", 7)
    for name, frame in whole.items():
        chunked = tables.frame(store, name, ui_world.TODAY, **reader(store))[0]
        key = list(frame.columns)
        assert chunked.sort_values(key).reset_index(drop=True).equals(
            frame.sort_values(key).reset_index(drop=True)), name


def test_headings_in_words_and_british_dates(store: Store, tmp_path: Path) -> None:
    """Before issue 16 the headings were ``nhs_number``, ``date_of_birth`` and the dates
    2007-06-02."""
    world = ui_world.build(store)
    out = tmp_path / "caseload.csv"
    write_table(store, "caseload", out, ui_world.TODAY, person_ids=[world.teen],
                **reader(store))
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("# ")))
    assert list(rows[0])[:4] == ["Person", "NHS number", "Date of birth", "Age"]
    assert "GP practice" in rows[0] and "In hospital now" in rows[0]
    assert rows[0]["Date of birth"] == "02/06/2007" and rows[0]["Review date"] == "09/04/2025"
    assert rows[0]["In hospital now"] == "No"
    handoffs = tmp_path / "handoffs.csv"
    write_table(store, "handoffs", handoffs, ui_world.TODAY, **reader(store))
    with handoffs.open(encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(line for line in fh if not line.startswith("# ")))
    assert first["Proposed at"] == "01/03/2025 09:30" and first["Answer by"] == "08/03/2025"

    book = tmp_path / "caseload.xlsx"
    write_table(store, "caseload", book, ui_world.TODAY, person_ids=[world.teen],
                **reader(store))
    sheet = openpyxl.load_workbook(book).active
    heads = [c.value for c in sheet[1]]
    assert heads[:3] == ["Person", "NHS number", "Date of birth"]
    born = sheet.cell(2, 3)
    assert born.value == datetime(2007, 6, 2) and born.number_format == "DD/MM/YYYY"
    assert born.is_date


def test_formulas_stay_neutralised_with_words(store: Store, tmp_path: Path) -> None:
    world = ui_world.build(store)
    store.conn.execute("UPDATE persons SET given_name = '=HYPERLINK(\"x\")' WHERE id = ?",
                       (world.teen,))
    store.conn.commit()
    out = tmp_path / "caseload.csv"
    write_table(store, "caseload", out, ui_world.TODAY, **reader(store))
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    book = tmp_path / "caseload.xlsx"
    write_table(store, "caseload", book, ui_world.TODAY, **reader(store))
    cells = [c for row in openpyxl.load_workbook(book).active.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]


# -- from the window --------------------------------------------------------------------------


@pytest.fixture
def setup(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store, extra_persons=300)
        cw.save_conference(store, CaseConference(
            person_id=world.teen, held_at=datetime(2025, 3, 3, 10), chair_id=world.sam_social,
            attendee_ids=(world.dr_shah,), decisions=("Ask adult services to join",)),
            None, [], world.sam_social)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.dr_shah)
    opened: list[QUrl] = []
    win.exports.open_url = opened.append
    out = tmp_path / "out"
    out.mkdir()
    yield win, world, out, opened
    win.close()


def _finish(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not win.exports.jobs, timeout=60000)


def test_the_caseload_table_holds_the_persons_on_screen(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """Before issue 16 the export ignored the filter: 3 persons shown, 303 exported."""
    win, world, out, opened = setup
    panel = win.caseload
    panel.scope.setCurrentIndex(panel.scope.findData("mine"))
    assert win.model.rowCount() == 3
    target = out / "mine.csv"
    titles: list[str] = []

    def ask(title: str, name: str, filters: str) -> str:
        titles.append(title)
        return str(target)

    win.exports.ask_save = ask
    win.exports.tables[0].trigger()
    _finish(qtbot, win)
    frame = pd.read_csv(target, encoding="utf-8-sig", comment="#")
    assert set(frame["Person"]) == {"Jordan Baker", "Margaret Wood", "Ryan Price"}
    assert titles == ["Export the caseload table for the 3 persons shown"]
    assert opened == [QUrl.fromLocalFile(str(target))]

    panel.scope.setCurrentIndex(panel.scope.findData("everyone"))
    panel.search.setText("476 59")
    panel.apply_filters()
    actions = out / "actions.xlsx"
    win.exports.ask_save = lambda title, name, filters: str(actions)
    win.exports.tables[4].trigger()
    _finish(qtbot, win)
    assert set(pd.read_excel(actions)["Person"]) == {"Jordan Baker"}
    settle(win)
    with Store.open(win.store.path, create=False) as store:  # each recorded as a read
        exported = [(r.description, r.persons) for r in looked.between(
            store, datetime(2000, 1, 1), datetime(2100, 1, 1)) if r.kind is ReadKind.EXPORTED]
    assert sorted(exported) == [("actions table (XLSX), 2 rows", 1),  # 2 actions, 1 person
                                ("caseload table (CSV), 3 persons", 3)]


def test_a_table_of_everyone_reports_progress_and_can_be_cancelled(qtbot, setup,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    win, world, out, opened = setup
    # The whole caseload's caseload streams from one query: progress every 5 rows.
    monkeypatch.setattr(sheet_writer, "EVERY", 5)
    read = table_sources.caseload

    def slowly(*args, **kwargs):  # type: ignore[no-untyped-def]
        for row in read(*args, **kwargs):
            time.sleep(0.01)  # 303 rows: a few seconds, time to press Cancel
            yield row

    monkeypatch.setattr(table_sources, "caseload", slowly)
    target = out / "caseload.xlsx"
    win.exports.ask_save = lambda title, name, filters: str(target)
    win.exports.tables[0].trigger()
    job = win.exports.jobs[0]
    cancel = job.dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    reports: list[tuple[int, int]] = []
    job.job.progress.connect(lambda done, total, what: reports.append((done, total)))
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=30000)
    cancel.click()
    _finish(qtbot, win)
    assert job.outcome == "cancelled"
    assert reports[0][1] == 303 and not target.exists() and list(out.iterdir()) == []
    assert opened == []
    assert "cancelled; nothing was written" in win.statusBar().currentMessage()


def test_minutes_from_the_menu_print_the_chosen_conference(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """Before issue 16 File ▸ Export ▸ Case conference minutes said "There is no case
    conference with id False": the menu's "checked" was taken for an id."""
    win, world, out, opened = setup
    win.open_person(world.teen)
    target = out / "minutes.pdf"
    win.exports.ask_save = lambda title, name, filters: str(target)
    win.exports.minutes_pdf.trigger()
    _finish(qtbot, win)
    assert opened == [QUrl.fromLocalFile(str(target))]


def test_minutes_with_no_conference_say_so_in_a_sentence(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, out, opened = setup
    win.open_person(world.older)
    said: list[str] = []

    def read(box: QMessageBox) -> None:
        said.append(box.text())
        box.accept()

    when_modal(read)  # type: ignore[arg-type]
    win.exports.ask_save = lambda title, name, filters: pytest.fail("asked where to write")
    win.exports.minutes_pdf.trigger()
    qtbot.waitUntil(lambda: bool(said))
    assert said == ["Margaret Wood has no case conference recorded yet, so there are no "
                    "minutes to print. Hold one with View ▸ Case conference mode (F11)."]
    assert "False" not in said[0] and not win.exports.jobs and list(out.iterdir()) == []


def test_today_is_not_a_birthday_in_the_sheet(store: Store, tmp_path: Path) -> None:
    """An age is a number, a date of birth a date: neither becomes the other."""
    world = ui_world.build(store)
    out = tmp_path / "c.xlsx"
    write_table(store, "caseload", out, date(2025, 3, 10), person_ids=[world.older],
                **reader(store))
    sheet = openpyxl.load_workbook(out).active
    assert sheet.cell(2, 4).value == 87 and sheet.cell(2, 4).number_format == "General"


def test_a_cancel_after_the_point_of_no_return_is_too_late(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Once a file is being written it is reported as written, never as "cancelled;
    nothing was written"; a cancel before that point stops the task there."""
    import threading

    from careplan.ui import workers

    committed, go = threading.Event(), threading.Event()

    def task(job: workers.Job) -> str:
        job.commit()
        committed.set()
        go.wait(10)
        return "written"

    ends: list[object] = []
    job = workers.start(task, connect=lambda j: (j.finished.connect(ends.append),
                                                 j.cancelled.connect(lambda: ends.append("c"))))
    assert committed.wait(10)
    job.cancel()
    go.set()
    qtbot.waitUntil(lambda: bool(ends))
    assert ends == ["written"] and not job.is_cancelled

    early = workers.Job()
    early.cancel()
    with pytest.raises(workers.Cancelled):
        early.commit()
