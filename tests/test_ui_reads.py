"""Reading is audited in the app: opening a person and each export record a read through
the window's writer (never on the GUI thread, no undo step, nothing for the views to
refresh), and the History tab shows who looked."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_world
from pypdf import PdfReader
from ui_helpers import file_settings, settle, sign_in, switch_user

from careplan.models.reads import ReadKind
from careplan.store import Store
from careplan.store import reads as looked
from careplan.ui.mainwindow import MainWindow


@pytest.fixture
def setup(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)
    yield win, world, path
    win.close()


def _looked(path: Path, person_id: str) -> list[tuple[str, ReadKind, str]]:
    with Store.open(path, create=False) as store:
        return [(r.reader_id, r.kind, r.description) for r in looked.of_person(store, person_id)]


def test_opening_a_person_is_recorded_by_the_writer_without_an_undo_step(
        qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, path = setup
    broadcast: list[object] = []
    win.edits.runner.changed.connect(broadcast.append)
    ws = win.open_person(world.teen)
    settle(win)
    assert _looked(path, world.teen) == [(world.sam_social, ReadKind.OPENED,
                                          looked.WORKSPACE)]
    assert ws.undo_stack.count() == 0 and not win.act_undo.isEnabled()
    assert broadcast == []  # a read changes nothing any view shows
    assert win.statusBar().currentMessage() != "Saving…"
    win.open_person(world.teen)  # its tab is shown again: not a new look
    settle(win)
    assert len(_looked(path, world.teen)) == 1
    win.close_current_tab()
    win.open_person(world.teen)
    settle(win)
    assert len(_looked(path, world.teen)) == 2


def test_the_history_tab_shows_who_looked(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = setup
    win.open_person(world.teen)
    settle(win)
    switch_user(qtbot, win, world.dr_shah)  # another professional (the practice may see him)
    ws = win.open_person(world.teen)
    settle(win)
    ws.show_tab(ws.history_tab)
    model = ws.history_tab.looked
    rows = [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]
    assert [row[1:] for row in rows] == [
        ["Dr Asha Shah", f"Opened: {looked.WORKSPACE}"],  # newest first
        ["Sam Okafor", f"Opened: {looked.WORKSPACE}"]]


def test_an_export_from_the_menu_is_recorded_once_written(qtbot, setup, tmp_path: Path
                                                          ) -> None:  # type: ignore[no-untyped-def]
    win, world, path = setup
    win.exports.open_url = lambda url: None
    win.open_person(world.teen)
    target = tmp_path / "plan.pdf"
    win.exports.ask_save = lambda title, name, filters: str(target)
    win.exports.plan_pdf.trigger()
    qtbot.waitUntil(lambda: not win.exports.jobs, timeout=60_000)
    settle(win)
    assert "Jordan Baker" in PdfReader(target).pages[0].extract_text()
    assert _looked(path, world.teen)[0] == (world.sam_social, ReadKind.PRINTED,
                                            looked.PLAN_PDF)
    table = tmp_path / "caseload.csv"
    win.exports.ask_save = lambda title, name, filters: str(table)
    win.exports.tables[0].trigger()
    qtbot.waitUntil(lambda: not win.exports.jobs, timeout=60_000)
    settle(win)
    with Store.open(path, create=False) as store:
        found = store.conn.execute("SELECT kind, description, person_id, persons FROM reads "
                                   "WHERE person_id IS NULL").fetchall()
        persons = store.conn.execute("SELECT count(*) FROM persons").fetchone()[0]
    assert found == [("exported", f"caseload table (CSV), {persons:,} persons", None, persons)]
