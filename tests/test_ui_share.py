"""File ▸ Share in the app: change packs made and read from the menus (in workers, with
a summary), and the background sync with a team server (a real PostgreSQL): "last
synced" in the status bar, the views following the changes that arrive, and an
unreachable server a quiet line, never a dialog, with the app working on."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import ui_world
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_helpers import file_settings, settle, sign_in

from careplan.models import Person
from careplan.store import Store, get, packs, teamserver, update
from careplan.store.exchange import import_pack, make_pack
from careplan.store.replication import new_identity, open_conflicts
from careplan.store.serversync import configure, sync
from careplan.ui.mainwindow import MainWindow
from tests.pg_server import PgServer
from tests.sharing import copy_store


@pytest.fixture
def laptops(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The office's store and a laptop's (a copy with an identity of its own), trusting
    each other."""
    office, laptop = tmp_path / "office.db", tmp_path / "laptop.db"
    with Store.open(office) as store:
        world = ui_world.build(store)
    copy_store(office, laptop)
    with Store.open(office) as here, Store.open(laptop) as there:
        new_identity(there)
        there.set_meta("name", "Laptop")
        here.set_meta("name", "Office")
        packs.trust(here, packs.identity(there).line(), "setup")
        packs.trust(there, packs.identity(here).line(), "setup")
    return office, laptop, world


def _window(qtbot, tmp_path: Path, path: Path, actor: str) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flags_loaded, timeout=20_000):
        sign_in(qtbot, win, path, actor)
    return win


def _summary(qtbot) -> QMessageBox:  # type: ignore[no-untyped-def]
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QMessageBox) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=20_000)
    return found[0]


def test_reading_a_pack_shows_what_arrived_and_the_views_follow(qtbot, tmp_path, laptops) -> None:  # type: ignore[no-untyped-def]
    office, laptop, world = laptops
    with Store.open(laptop) as there:
        teen = get(there, Person, world.teen)
        update(there, teen.evolve(what_matters="Music.", address="9 New Street"),
               world.dr_shah)
        make_pack(there, tmp_path / "laptop.cpk", _id(office))
    win = _window(qtbot, tmp_path, office, world.sam_social)
    ws = win.open_person(world.teen)
    win.edits.runner.submit("What matters", lambda s: update(
        s, get(s, Person, world.teen).evolve(what_matters="Football."), world.sam_social))
    settle(win)
    win.share.ask_open = lambda title, filters: str(tmp_path / "laptop.cpk")
    win.share.read.trigger()
    box = _summary(qtbot)
    text = box.text() + "\n" + box.informativeText()
    assert "from Laptop" in text and "arrived" in text
    assert "1 conflict opened" in text and "Football." in text and "Music." in text
    box.close()
    assert ws.pf.person.address == "9 New Street"  # the open workspace followed
    qtbot.waitUntil(lambda: "sync-conflict" in win.flags[world.teen].codes(), timeout=20_000)
    with Store.open(office) as store:
        assert len(open_conflicts(store)) == 1


def test_a_refused_pack_is_one_sentence_and_changes_nothing(qtbot, tmp_path, laptops,
                                                            monkeypatch) -> None:  # type: ignore[no-untyped-def]
    office, _, world = laptops
    win = _window(qtbot, tmp_path, office, world.sam_social)
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: said.append(text))
    junk = tmp_path / "junk.cpk"
    junk.write_bytes(b"CAREPLAN-PACK\n" + bytes(100))
    win.share.ask_open = lambda title, filters: str(junk)
    win.share.read.trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=20_000)
    assert len(said) == 1 and said[0].count(". ") == 0, said
    with Store.open(office) as store:  # nothing changed
        assert not open_conflicts(store)
        assert get(store, Person, world.teen).address == ""


def test_making_a_pack_from_the_menu(qtbot, tmp_path, laptops) -> None:  # type: ignore[no-untyped-def]
    office, laptop, world = laptops
    win = _window(qtbot, tmp_path, office, world.sam_social)
    win.edits.runner.submit("Address", lambda s: update(
        s, get(s, Person, world.teen).evolve(address="3 Mill Lane"), world.sam_social))
    settle(win)
    out = tmp_path / "for-laptop.cpk"
    win.share.ask_save = lambda title, name, filters: str(out)
    win.share.make.trigger()
    box = _summary(qtbot)
    assert "for Laptop" in box.text() and out.exists()
    box.close()
    with Store.open(laptop) as there:
        done = import_pack(there, out.read_bytes())
        assert done.arrived.result.applied >= 1
        assert get(there, Person, world.teen).address == "3 Mill Lane"


def _id(path: Path) -> str:
    with Store.open(path, create=False) as store:
        return store.store_id


@pytest.fixture
def server_dsns(pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    passfile = tmp_path / "pgpass"
    passfile.touch(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    db = pg_server.new_database()
    teamserver.init_server(pg_server.admin_dsn(db))
    return [pg_server.add_laptop(db, f"laptop_{uuid.uuid4().hex[:8]}", passfile)
            for _ in range(2)]


def test_the_app_syncs_in_the_background(qtbot, tmp_path, laptops, server_dsns) -> None:  # type: ignore[no-untyped-def]
    office, laptop, world = laptops
    office_dsn, laptop_dsn = server_dsns
    with Store.open(laptop) as there:
        update(there, get(there, Person, world.teen).evolve(address="7 Canal Walk"),
               world.dr_shah)
        sync(there, laptop_dsn)
    with Store.open(office) as here:
        configure(here, office_dsn)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    background = win.share.background
    with qtbot.waitSignal(background.ended, timeout=30_000) as first:
        sign_in(qtbot, win, office, world.sam_social)
    assert first.args[0].error is None
    assert background.label.text().startswith("Last synced")
    assert win.share.sync_now.isEnabled()
    qtbot.waitUntil(lambda: win.model is not None and win.flags is not None)
    ws = win.open_person(world.teen)
    assert ws.pf.person.address == "7 Canal Walk"
    # A change made on the laptop later arrives with the next sync, into the open tab.
    with Store.open(laptop) as there:
        update(there, get(there, Person, world.teen).evolve(address="8 Canal Walk"),
               world.dr_shah)
        sync(there, laptop_dsn)
    with qtbot.waitSignal(background.ended, timeout=30_000):
        background.sync_now()
    qtbot.waitUntil(lambda: ws.pf.person.address == "8 Canal Walk", timeout=20_000)
    # This store's own edits reach the laptop through the server.
    win.edits.runner.submit("What matters", lambda s: update(
        s, get(s, Person, world.teen).evolve(what_matters="Driving."), world.sam_social))
    settle(win)
    with qtbot.waitSignal(background.ended, timeout=30_000):
        background.sync_now()
    with Store.open(laptop) as there:
        sync(there, laptop_dsn)
        assert get(there, Person, world.teen).what_matters == "Driving."


def test_an_unreachable_server_is_a_quiet_line(qtbot, tmp_path, laptops, pg_server) -> None:  # type: ignore[no-untyped-def]
    office, _, world = laptops
    with Store.open(office) as here:
        configure(here, f"host=127.0.0.1 port={pg_server.port + 1} dbname=team "
                        "user=office_laptop")
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    background = win.share.background
    with qtbot.waitSignal(background.ended, timeout=30_000) as first:
        sign_in(qtbot, win, office, world.sam_social)
    assert "cannot be reached" in (first.args[0].error or "")
    assert background.label.text() == "Team server not reachable · not synced yet"
    assert "cannot be reached" in background.label.toolTip()
    assert QApplication.activeModalWidget() is None  # no dialog
    with qtbot.waitSignal(background.ended, timeout=30_000):
        background.sync_now()  # as the timer does, again and again: still no dialog
    assert QApplication.activeModalWidget() is None
    win.edits.runner.submit("Address", lambda s: update(
        s, get(s, Person, world.teen).evolve(address="1 Quiet Row"), world.sam_social))
    settle(win)  # the app works on
    with Store.open(office) as store:
        assert get(store, Person, world.teen).address == "1 Quiet Row"
