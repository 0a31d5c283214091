"""Start-up: stores (new, open, recent), typed settings. Signing in: test_ui_sign_in.py."""

from __future__ import annotations

from pathlib import Path

import ui_world
from signin import open_demo
from ui_helpers import file_settings, sign_in, when_modal

from careplan.commands import gui
from careplan.demo.published import is_demo
from careplan.store import Store
from careplan.ui import settings as keys
from careplan.ui.mainwindow import MainWindow


def _store(path: Path) -> ui_world.World:
    store = Store.open(path)
    world = ui_world.build(store)
    store.close()
    return world


def test_settings_are_typed_with_defaults(tmp_path: Path) -> None:
    s = file_settings(tmp_path)
    assert s.get(keys.RECENT_STORES) == [] and s.get(keys.CONFERENCE_POINT_SIZE) == 20
    s.set(keys.CONFERENCE_POINT_SIZE, 24)
    s.add_recent_store("/a.db")
    s.sync()
    again = file_settings(tmp_path)  # read back from the file: text becomes int, list
    assert again.get(keys.CONFERENCE_POINT_SIZE) == 24
    assert again.get(keys.RECENT_STORES) == ["/a.db"]
    again.q.setValue(keys.CONFERENCE_POINT_SIZE.name, "not a number")
    assert again.get(keys.CONFERENCE_POINT_SIZE) == 20


def test_recent_stores_and_a_bad_file(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "one.db", tmp_path / "two.db"
    _store(first)
    _store(second)
    bad = tmp_path / "notes.db"
    bad.write_text("not a store")
    settings = file_settings(tmp_path)
    win = MainWindow(settings, today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    assert win.open_store(first) and win.open_store(second)
    assert settings.recent_stores()[:2] == [str(second), str(first)]
    win._fill_recent()
    labels = [a.text() for a in win.recent_menu.actions()]
    assert labels[0].endswith("two.db") and labels[1].endswith("one.db")
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))
    assert not win.open_store(bad)
    assert "not a CarePlan store" in seen[0]
    assert win.store is not None and win.store.path == str(second)  # still open


def test_new_store_starts_empty(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(file_settings(tmp_path))
    qtbot.addWidget(win)
    assert win.open_store(tmp_path / "new.db", create=True)
    assert win.model is None  # nothing is read before someone signs in
    sign_in(qtbot, win)  # its first account, the administrator, made on the screen
    assert win.model is not None and win.model.rowCount() == 0


def test_gui_command_helpers(tmp_path: Path) -> None:
    line = gui.apt_line()
    assert line.startswith("sudo apt-get update && sudo apt-get install --no-install-recommends")
    assert "libxcb-cursor0" in line and "xvfb" in line
    target = tmp_path / "data" / "careplan.db"
    gui.ensure_default_store(target)
    store = open_demo(target)  # the first start's demo store is encrypted
    try:
        assert store.key is not None
        assert store.schema_version >= 1
        assert is_demo(store)  # its sign-in screen names the demo's accounts
    finally:
        store.close()
