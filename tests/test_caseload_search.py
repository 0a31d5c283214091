"""Finding a person in the caseload: a date-of-birth column, search by a date of birth
typed the British way and by part of an NHS number, a hint when the filters hide some of
the persons found, and filters remembered between sessions (issue 16)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import ui_world
from PySide6.QtCore import Qt
from ui_helpers import file_settings, sign_in

from careplan.models.search import parse_search
from careplan.store import Store
from careplan.store import caseload as q
from careplan.ui.caseload_model import COLUMNS, PERSON_ID_ROLE
from careplan.ui.caseload_view import CaseloadPanel
from careplan.ui.flagview import FlagSummary
from careplan.ui.mainwindow import MainWindow
from careplan.ui.settings import CASELOAD_FLAG, CASELOAD_SCOPE, CASELOAD_SEVERITY


@pytest.fixture
def world(store: Store) -> ui_world.World:
    return ui_world.build(store, extra_persons=3)


def _agency(store: Store) -> str:
    """An agency every person of the neighbourhood shares their records with."""
    return str(store.conn.execute("SELECT id FROM agencies ORDER BY name").fetchone()[0])


def ids(store: Store, search: str) -> list[str]:
    return q.person_ids(store, q.CaseloadQuery(viewer_agency_id=_agency(store), search=search),
                        ui_world.TODAY)


# -- what the text asks for ------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "born"), [
    ("02/06/2007", date(2007, 6, 2)), ("2/6/2007", date(2007, 6, 2)),
    ("2.6.2007", date(2007, 6, 2)), ("02-06-2007", date(2007, 6, 2)),
    ("2 Jun 2007", date(2007, 6, 2)), ("2 June 2007", date(2007, 6, 2)),
    ("2nd June 2007", date(2007, 6, 2)), ("2007-06-02", date(2007, 6, 2)),
    ("12/03/1941", date(1941, 3, 12)),  # day first: 12 March, never 3 December
])
def test_dates_are_read_day_first(typed: str, born: date) -> None:
    terms = parse_search(typed)
    assert terms.birth_date == born and not terms.words and terms.problem is None


def test_words_digits_and_a_date_combine() -> None:
    terms = parse_search("  Okafor  12/03/1941 marg ")
    assert terms == parse_search("okafor marg 12 Mar 1941")
    assert terms.words == ("okafor", "marg") and terms.birth_date == date(1941, 3, 12)
    assert parse_search("943 476-5919").nhs_digits == "9434765919"


@pytest.mark.parametrize(("typed", "says"), [
    ("31/02/2007", "'31/02/2007' is not a date"),
    ("2/6/07", "'2/6/07' is not a date (write the year in four digits"),
    ("94", "type at least 3 digits"),
])
def test_what_cannot_be_searched_is_said_never_guessed(typed: str, says: str) -> None:
    terms = parse_search(typed)
    assert terms.problem is not None and says in terms.problem
    assert terms.birth_date is None and terms.nhs_digits is None


# -- the store's search -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["02/06/2007", "2 Jun 2007", "2 June 2007", "2007-06-02",
                                   "baker 2/6/2007", "jor 02.06.2007"])
def test_search_by_date_of_birth(store: Store, world: ui_world.World, typed: str) -> None:
    assert ids(store, typed) == [world.teen]


def test_a_date_of_birth_and_a_name_that_disagree_find_nobody(store: Store,
                                                              world: ui_world.World) -> None:
    assert ids(store, "wood 02/06/2007") == []
    assert ids(store, "20/01/1938") == [world.older]


@pytest.mark.parametrize("typed", ["476 59", "765919", "4765", "434-765", "  3 4 7 6 "])
def test_search_by_part_of_an_nhs_number(store: Store, world: ui_world.World,
                                         typed: str) -> None:
    """Before issue 16 only the first digits were searched: "476 59" found nobody."""
    assert ids(store, typed) == [world.teen]


def test_digits_found_in_several_numbers(store: Store, world: ui_world.World) -> None:
    # 943 476 5919 and 401 023 2137 both hold "0" ... but only one holds "023".
    assert ids(store, "023") == [world.older]
    assert set(ids(store, "9")) == set()  # fewer than 3 digits: nobody, and it is said


def test_a_date_that_does_not_exist_finds_nobody(store: Store, world: ui_world.World) -> None:
    assert ids(store, "31/02/2007") == [] and ids(store, "baker 31/02/2007") == []


def test_count_matching_agrees_with_the_ids(store: Store, world: ui_world.World) -> None:
    for text in ("", "test", "476 59", "2/6/2007", "nobody at all"):
        query = q.CaseloadQuery(viewer_agency_id=_agency(store), search=text)
        assert q.count_matching(store, query, ui_world.TODAY) == len(ids(store, text))
    only = q.CaseloadQuery(viewer_agency_id=_agency(store), search="test",
                           person_ids=frozenset({world.teen}))
    assert q.count_matching(store, only, ui_world.TODAY) == 0


# -- the caseload page ----------------------------------------------------------------------


@pytest.fixture
def window(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store, extra_persons=3)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.dr_shah)
    yield win, world, path
    win.close()


def _shown(win: MainWindow) -> list[str]:
    model = win.model
    assert model is not None
    return [model.index(r, 0).data(PERSON_ID_ROLE) for r in range(model.rowCount())]


def test_the_caseload_has_a_date_of_birth_column(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = window
    model = win.model
    col = COLUMNS.index(q.SortKey.BIRTH_DATE)
    assert model.headerData(col, Qt.Orientation.Horizontal) == "Date of birth"
    assert model.index(model.row_of(world.teen), col).data() == "2 Jun 2007"
    win.caseload.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: not model.busy)
    births = [model.index(r, col).data() for r in range(model.rowCount())]
    assert births[0] == "20 Jan 1938"  # the oldest first


def test_typing_a_date_of_birth_or_part_of_a_number(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = window
    panel = win.caseload
    qtbot.keyClicks(panel.search, "2/6/2007")
    panel.apply_filters()
    assert _shown(win) == [world.teen]
    panel.search.setText("476 59")
    panel.apply_filters()
    assert _shown(win) == [world.teen] and panel.hint.isHidden()
    panel.search.setText("31/02/2007")
    panel.apply_filters()
    assert _shown(win) == []
    assert not panel.hint.isHidden() and "is not a date" in panel.hint.text()


def test_a_hint_when_my_caseload_hides_matches(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Before issue 16 a search for someone outside My caseload showed "0 persons" and
    nothing else."""
    win, world, _ = window
    panel = win.caseload
    panel.scope.setCurrentIndex(panel.scope.findData("mine"))
    panel.search.setText("test0000")
    panel.apply_filters()
    assert _shown(win) == []
    assert not panel.hint.isHidden() and panel.hidden_matches() == 3
    assert "3 more outside My caseload" in panel.hint.text() and ">show<" in panel.hint.text()
    panel.hint.linkActivated.emit("show")
    assert len(_shown(win)) == 3 and panel.scope.currentData() == "everyone"
    assert panel.hint.isHidden()
    panel.scope.setCurrentIndex(panel.scope.findData("mine"))
    panel.search.setText("baker")  # in Dr Shah's caseload: nothing hidden, no hint
    panel.apply_filters()
    assert _shown(win) == [world.teen] and panel.hint.isHidden()


def test_a_hint_when_the_flag_filter_hides_matches(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = window
    panel = win.caseload
    panel.set_flags({world.older: FlagSummary((("critical", 1),), (
        ("critical", "discharge-delayed", "Ready for discharge 9 days ago"),))})
    panel.flag_code.setCurrentIndex(panel.flag_code.findData("discharge-delayed"))
    panel.search.setText("baker")
    panel.apply_filters()
    assert _shown(win) == []
    assert "1 more hidden by the flag filter" in panel.hint.text()


def test_filters_are_remembered(qtbot, tmp_path: Path, window) -> None:  # type: ignore[no-untyped-def]
    win, world, path = window
    panel = win.caseload
    panel.scope.setCurrentIndex(panel.scope.findData("mine"))
    panel.severity.setCurrentIndex(panel.severity.findData("warning"))
    panel.set_flags({world.older: FlagSummary((("critical", 1),), (
        ("critical", "discharge-delayed", "Ready for discharge 9 days ago"),))})
    panel.flag_code.setCurrentIndex(panel.flag_code.findData("discharge-delayed"))
    settings = win.settings
    assert (settings.get(CASELOAD_SCOPE), settings.get(CASELOAD_SEVERITY),
            settings.get(CASELOAD_FLAG)) == ("mine", "warning", "discharge-delayed")
    win.close()

    again = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(again)
    again.show()
    sign_in(qtbot, again, path, world.dr_shah)
    panel = again.caseload
    assert panel.scope.currentData() == "mine" and panel.severity.currentData() == "warning"
    assert panel.search.text() == ""  # names typed are never kept
    # The flag filter waits for the flags, then applies.
    panel.set_flags({world.older: FlagSummary((("critical", 1),), (
        ("critical", "discharge-delayed", "Ready for discharge 9 days ago"),))})
    assert panel.flag_code.currentData() == "discharge-delayed"
    assert _shown(again) == [world.older]
    again.close()


def test_the_panel_alone_remembers_nothing(qtbot, store: Store, world: ui_world.World) -> None:  # type: ignore[no-untyped-def]
    from careplan.ui.caseload_model import CaseloadModel

    model = CaseloadModel(store, ui_world.TODAY)
    model.set_query(q.CaseloadQuery())
    panel = CaseloadPanel(model)
    qtbot.addWidget(panel)
    panel.scope.setCurrentIndex(1)
    assert panel.settings is None and panel.scope.currentIndex() == 1
