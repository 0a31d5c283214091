"""A sync conflict on screen: the person's header and caseload flag it, the agenda of
their next case conference lists it, and the flag's detail decides it through the
window's writer."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_world
from PySide6.QtWidgets import QPushButton
from ui_helpers import file_settings, settle, sign_in

from careplan.models import Person
from careplan.store import Store, find, get, update
from careplan.store.replication import (
    apply_events,
    events_for,
    new_identity,
    open_conflicts,
    version_vector,
)
from careplan.ui.conference import agenda_for
from careplan.ui.conflicts import ConflictDialog
from careplan.ui.mainwindow import MainWindow
from tests.sharing import copy_store, exchange


@pytest.fixture
def conflicted(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A store in which two computers changed what matters to Jordan at once."""
    path, laptop = tmp_path / "store.db", tmp_path / "laptop.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    copy_store(path, laptop)
    with Store.open(path) as here, Store.open(laptop) as there:
        new_identity(there)
        update(here, get(here, Person, world.teen).evolve(what_matters="Football."),
               world.sam_social)
        update(there, get(there, Person, world.teen).evolve(what_matters="Music."),
               world.dr_shah)
        exchange([here, there])
        assert len(open_conflicts(here)) == 1
    return path, world


def _window(qtbot, tmp_path: Path, path: Path, actor: str) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flags_loaded, timeout=20_000):
        sign_in(qtbot, win, path, actor)  # through the real sign-in screen
    return win


def _flag_button(ws) -> QPushButton | None:  # type: ignore[no-untyped-def]
    return next((b for b in ws.header._buttons if b.property("flag_code") == "sync-conflict"), None)


def test_the_conflict_is_flagged_put_on_the_agenda_and_decided(qtbot, tmp_path, conflicted) -> None:  # type: ignore[no-untyped-def]
    path, world = conflicted
    win = _window(qtbot, tmp_path, path, world.sam_social)
    assert "sync-conflict" in win.flags[world.teen].codes()  # the caseload's flags
    ws = win.open_person(world.teen)
    button = _flag_button(ws)
    assert button is not None
    assert any("“Football.”" in item and "“Music.”" in item for item in agenda_for(ws))
    button.click()
    dialog = ws.findChild(ConflictDialog)
    assert dialog is not None and dialog.list.choices.rowCount() == 1
    keep = [b for b in dialog.keep_buttons if "Music." in b.text()]
    assert len(dialog.keep_buttons) == 2 and len(keep) == 1
    assert "Dr" in keep[0].text() or "Shah" in keep[0].text()
    with qtbot.waitSignal(win.flags_loaded, timeout=20_000):
        keep[0].click()
        settle(win)
    qtbot.waitUntil(lambda: dialog.list.choices.rowCount() == 0)
    assert _flag_button(ws) is None
    assert ws.pf.person.what_matters == "Music."
    with Store.open(path) as store:
        assert open_conflicts(store) == []
        assert find(store, Person, id=world.teen)[0].what_matters == "Music."
    assert ws.undo_stack.count() == 0  # a decision is not undone: it is changed


def test_a_workspace_opened_only_to_read_shows_the_conflict_without_deciding(
        qtbot, qtmodeltester, tmp_path, conflicted) -> None:  # type: ignore[no-untyped-def]
    from careplan.store.visibility import viewer_for
    from careplan.ui.workspace import PersonWorkspace

    path, world = conflicted
    with Store.open(path) as store:
        ws = PersonWorkspace(store, world.teen, ui_world.TODAY, None,
                             viewer=viewer_for(store, world.sam_social))
        qtbot.addWidget(ws)
        dialog = ConflictDialog(ws)
        assert dialog.list.choices.rowCount() == 1
        qtmodeltester.check(dialog.list.choices)
        assert dialog.list.current_row() == 0
        assert dialog.keep_buttons and not any(b.isEnabled() for b in dialog.keep_buttons)
        assert "only to read" in dialog.note.text()


def test_another_stores_changes_reach_the_open_window_through_its_runner(
        qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, laptop = tmp_path / "store.db", tmp_path / "laptop.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
        copy_store(path, laptop)
        update(store, get(store, Person, world.teen).evolve(what_matters="Football."),
               world.sam_social)
    win = _window(qtbot, tmp_path, path, world.sam_social)
    ws = win.open_person(world.teen)
    assert _flag_button(ws) is None
    with Store.open(laptop) as there:
        new_identity(there)
        update(there, get(there, Person, world.teen).evolve(what_matters="Music."),
               world.dr_shah)
        with Store.open(path) as writer:  # as a change pack or the team server would
            result = apply_events(writer, events_for(there, version_vector(writer)))
    assert result.opened and world.teen in result.changes.person_ids
    with qtbot.waitSignal(win.flags_loaded, timeout=20_000):
        win.edits.runner.broadcast(result.changes)
    assert _flag_button(ws) is not None
    # Neither change is applied: the header's person reads as before both.
    assert ws.pf.person.what_matters == "Going to college with my friends"
