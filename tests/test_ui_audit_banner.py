"""The app checks the audit log in the background after sign-in (careplan audit verify's
check, in a worker with its own connection) and warns with a banner, saying who to tell,
when the store was changed outside CarePlan."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import ui_world
from PySide6.QtWidgets import QMessageBox
from ui_helpers import account_for, file_settings, sign_in, when_modal

from careplan.store import Store
from careplan.ui.mainwindow import MainWindow


@pytest.fixture
def made(tmp_path: Path) -> tuple[Path, ui_world.World]:
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    return path, world


def _window(qtbot, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    return win


def test_a_clean_store_shows_no_banner(qtbot, tmp_path: Path, made) -> None:  # type: ignore[no-untyped-def]
    path, world = made
    account_for(path, world.sam_social)
    win = _window(qtbot, tmp_path)
    assert win.open_store(path)
    assert win.audit.job is None  # nothing is checked before someone signs in
    sign_in(qtbot, win, None, world.sam_social)
    qtbot.waitUntil(lambda: win.audit.report is not None, timeout=30_000)
    assert win.audit.report.ok and win.audit.banner.isHidden()
    win.close()


def test_a_row_changed_with_sqlite3_raises_the_banner(qtbot, tmp_path: Path, made) -> None:  # type: ignore[no-untyped-def]
    path, world = made
    conn = sqlite3.connect(path)
    conn.execute("UPDATE persons SET what_matters = 'Changed quietly.' WHERE id = ?",
                 (world.teen,))
    conn.commit()
    conn.close()
    win = _window(qtbot, tmp_path)
    sign_in(qtbot, win, path, world.sam_social)
    qtbot.waitUntil(lambda: win.audit.banner.isVisible(), timeout=30_000)
    text = win.audit.banner.text.text()
    assert f"persons {world.teen}" in text and "1 problem" in text
    assert "information governance lead" in text and "administrator" in text
    assert f"careplan audit verify --db {path}" in text
    assert "Changed quietly." not in text  # what a record says is never shown
    seen: list[str] = []

    def read(box: object) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.detailedText())
        box.close()

    when_modal(read)
    win.audit.banner.details_button.click()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert "edited outside CarePlan" in seen[0] and "what_matters" in seen[0]
    win.sign_out(confirm=False)
    assert win.audit.banner.isHidden()  # a closed store's warning goes with it
    win.close()
