"""The Help menu (issue 16): F1 opens the short user guide shipped inside the package;
About names the version, the store open and its schema version."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from ui_helpers import file_settings, sign_in, when_modal

from careplan import __version__, resources
from careplan.store import Store
from careplan.ui.help import AboutDialog, GuideWindow, about_facts
from careplan.ui.mainwindow import MainWindow


def test_the_guide_ships_inside_the_package() -> None:
    shipped = importlib.resources.files("careplan.resources").joinpath("user_guide.html")
    assert shipped.is_file()
    guide = resources.user_guide()
    assert guide == shipped.read_text(encoding="utf-8")
    for words in ("okafor marg", "12/03/1941", "476 59", "Print", "Case conference mode",
                  "Ctrl+P", "F1"):
        assert words in guide, words


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen only
def test_f1_opens_the_guide(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    win.activateWindow()
    help_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Help")
    assert [a.text() for a in help_menu.actions() if a.text()] == ["&User guide",
                                                                    "&About CarePlan"]
    assert win.act_guide.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    assert win.act_guide.shortcut().toString() == "F1"
    qtbot.keyClick(win, Qt.Key.Key_F1)  # works before any store is open
    guide = win.guide
    assert isinstance(guide, GuideWindow) and guide.isVisible() and not guide.isModal()
    shown = guide.browser.toPlainText()
    assert "CarePlan: a short guide" in shown and "3 more outside My caseload" in shown
    assert win.show_guide() is guide  # one guide window, raised again
    guide.show_section("print")
    assert guide.browser.verticalScrollBar().value() > 0


def test_a_missing_guide_is_said_not_shown_blank(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import careplan.ui.help as help_module

    def missing() -> str:
        raise resources.ResourceError("CarePlan's data file user_guide.html is missing")

    monkeypatch.setattr(help_module, "user_guide", missing)
    guide = GuideWindow()
    qtbot.addWidget(guide)
    assert "user_guide.html is missing" in guide.browser.toPlainText()


def test_about_names_version_store_and_schema(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
        schema = store.schema_version
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    seen: list[list[tuple[str, str]]] = []
    texts: list[str] = []

    def read(dialog: AboutDialog) -> None:
        seen.append(dialog.facts)
        texts.append(dialog.text.text())
        dialog.accept()  # before any assertion: a failing one must not leave it open

    when_modal(read)  # type: ignore[arg-type]
    win.act_about.trigger()
    assert dict(seen[0])["Store"] == "none open" and __version__ in texts[0]
    sign_in(qtbot, win, path, world.sam_social)
    when_modal(read)  # type: ignore[arg-type]
    win.act_about.trigger()
    facts = dict(seen[1])
    assert str(path) in texts[1] and __version__ in texts[1]
    assert facts["CarePlan version"] == __version__
    assert facts["Store"] == str(path)
    assert facts["Store layout (schema) version"] == str(schema) and schema > 1
    assert facts["Qt"].startswith("6.")


def test_about_facts_without_a_window() -> None:
    assert about_facts(None)[:2] == [("CarePlan version", __version__), ("Store", "none open")]
