"""A start shows the store's sign-in screen before the domain and the store are imported
(careplan.ui.shell): what is typed there, Enter included, signs in once the rest is.

The first test starts ``careplan --db STORE`` in a process of its own and looks at
``sys.modules`` when the first window is painted; the others drive the first window
(StartWindow) through its real widgets, with the real main window taking over.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from signin import ADMIN, PASSWORD
from ui_helpers import file_settings, when_modal

from careplan.commands import gui
from careplan.models.accounts import WRONG
from careplan.store import Store, keyring
from careplan.ui import shell as shell_module
from careplan.ui.mainwindow import MainWindow
from careplan.ui.settings import Settings
from careplan.ui.shell import StartWindow
from careplan.ui.sign_in import Step

#: What the first window must be painted without.
NOT_YET = ("careplan.models", "careplan.store", "careplan.ui.sign_in", "careplan.ui.mainwindow",
           "careplan.demo", "sqlite3", "sqlcipher3")

FIRST_PAINT = """
import os, sys, threading
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QLineEdit
from careplan.ui.app import application
from careplan.ui.shell import StartWindow
app = application()
wanted = sys.argv[2:]
seen = {}

def loaded():
    return ",".join(m for m in wanted if m in sys.modules)

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "painted" not in seen \\
                and isinstance(obj.window(), StartWindow) and obj.window().isVisible():
            shell = obj.window()
            seen["painted"] = loaded()
            fields = [f.accessibleName() for f in shell.findChildren(QLineEdit)
                      if f.isVisibleTo(shell)]
            seen["fields"] = ",".join(fields)
            seen["shell"] = shell
        return False

watch = FirstPaint()
app.installEventFilter(watch)

def handed_over():
    shell = seen.get("shell")
    if shell is None or shell.window is None:
        QTimer.singleShot(5, handed_over)
        return
    seen["after"] = loaded()
    seen["main"] = type(shell.window).__name__ if shell.window.sign_in_page else "none"
    app.quit()

QTimer.singleShot(0, handed_over)
from careplan.cli import main
code = main(["--db", sys.argv[1]])
for key in ("painted", "fields", "after", "main"):
    print(seen.get(key, "never"))
sys.stdout.flush()
for t in threading.enumerate():
    if t is not threading.main_thread() and not t.daemon:
        t.join()
os._exit(code)
"""


BROKEN = """
import sys
from careplan.ui import shell
shell.STEPS = (*shell.STEPS[:2], "careplan.ui.no_such_module", *shell.STEPS[2:])
from careplan.cli import main
sys.exit(main(["--db", sys.argv[1]]))
"""


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A plain store with the UI world and an administrator."""
    return ui_world.team_store(tmp_path / "team.db")


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    return env


def test_the_first_window_is_painted_before_the_domain_and_the_store_are_imported(
        tmp_path: Path, team: Path) -> None:
    result = subprocess.run([sys.executable, "-c", FIRST_PAINT, str(team), *NOT_YET],
                            capture_output=True, text=True, timeout=120, env=_env(tmp_path),
                            check=False)
    assert result.returncode == 0, result.stderr
    painted, fields, after, main = result.stdout.splitlines()
    assert painted == "", f"imported before the first window was painted: {painted}"
    assert fields == "User name,Password"  # a sign-in screen to type into
    # Then the rest is imported and the main window takes over on the store's screen.
    assert {"careplan.models", "careplan.store", "careplan.ui.mainwindow"} <= \
        set(after.split(","))
    assert main == "MainWindow"


def test_a_bug_importing_the_rest_ends_the_start_as_any_bug_does(
        tmp_path: Path, team: Path) -> None:
    result = subprocess.run([sys.executable, "-c", BROKEN, str(team)], capture_output=True,
                            text=True, timeout=120, env=_env(tmp_path), check=False)
    assert result.returncode == 1
    assert "an unexpected error occurred (a bug); details were logged" in result.stderr
    log = next((tmp_path / "xdg_state_home").rglob("careplan.log")).read_text(encoding="utf-8")
    assert "ModuleNotFoundError" in log


def _shell(qtbot: Any, tmp_path: Path, path: Path, user: str | None = None,
           settings: Settings | None = None) -> StartWindow:
    settings = settings or file_settings(tmp_path)

    def make_window() -> MainWindow:
        window = MainWindow(settings, today=lambda: ui_world.TODAY)
        qtbot.addWidget(window)
        return window

    shell = StartWindow(str(path), settings, make_window, user=user)
    qtbot.addWidget(shell)
    shell.show()
    qtbot.waitExposed(shell)
    return shell


def _handed_over(qtbot: Any, shell: StartWindow) -> MainWindow:
    qtbot.waitUntil(lambda: shell.window is not None, timeout=20_000)
    window = shell.window
    assert isinstance(window, MainWindow) and window.isVisible()
    return window


def test_typing_and_enter_before_the_imports_finish_signs_in(
        qtbot: Any, tmp_path: Path, team: Path) -> None:
    shell = _shell(qtbot, tmp_path, team)
    page = shell.page
    assert shell.focusWidget() is page.user and page.user.text() == ""
    qtbot.keyClicks(page.user, ADMIN)
    qtbot.keyClick(page.user, Qt.Key.Key_Return)  # on to the password, as on the real screen
    assert shell.focusWidget() is page.password and not shell.pending
    qtbot.keyClicks(page.password, PASSWORD)
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    assert shell.pending and shell.window is None  # nothing imported yet: it waits
    assert page.message.text() == "Signing in…"
    shell.begin()  # the first paint was before: the imports start now
    window = _handed_over(qtbot, shell)
    qtbot.waitUntil(lambda: window.account is not None, timeout=20_000)
    assert window.account.username == ADMIN
    assert window.caseload is not None  # the caseload took the sign-in screen's place
    assert page.password.text() == ""  # the shell kept no password
    assert window.geometry() == shell.geometry()
    with Store.open(team, create=False) as store:
        last = store.query("SELECT username, outcome FROM sign_ins ORDER BY at, rowid")[-1]
    assert (last["username"], last["outcome"]) == (ADMIN, "signed in")


def test_a_wrong_password_typed_early_is_refused_under_the_field_as_today(
        qtbot: Any, tmp_path: Path, team: Path) -> None:
    shell = _shell(qtbot, tmp_path, team, user=ADMIN)
    assert shell.focusWidget() is shell.page.password  # the user name was given: the password next
    qtbot.keyClicks(shell.page.password, "not-the-password")
    qtbot.keyClick(shell.page.submit, Qt.Key.Key_Space)  # the Sign in button
    assert shell.pending
    shell.begin()
    window = _handed_over(qtbot, shell)
    form = window.sign_in_page.credentials
    qtbot.waitUntil(lambda: not form.busy and form.message.text() != "", timeout=20_000)
    assert form.message.text() == WRONG
    assert window.account is None and form.password.text() == ""


def test_what_is_typed_moves_to_the_main_window_when_it_takes_over(
        qtbot: Any, tmp_path: Path, team: Path) -> None:
    settings = file_settings(tmp_path)
    settings.remember_user(str(team), ADMIN)  # the last user name, remembered by path
    shell = _shell(qtbot, tmp_path, team, settings=settings)
    assert shell.page.user.text() == ADMIN and shell.focusWidget() is shell.page.password
    assert shell.plain_banner.isVisibleTo(shell)  # a plain store says so at once
    qtbot.keyClicks(shell.page.password, PASSWORD[:6])
    shell.begin()
    window = _handed_over(qtbot, shell)
    form = window.sign_in_page.credentials
    assert (form.user.text(), form.password.text()) == (ADMIN, PASSWORD[:6])
    assert form.password.cursorPosition() == 6 and window.focusWidget() is form.password
    assert shell.page.password.text() == ""
    assert window.plain_banner.isVisibleTo(window)
    qtbot.keyClicks(form.password, PASSWORD[6:])
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.account is not None, timeout=20_000)


def test_keys_typed_in_the_first_window_after_the_hand_over_reach_the_main_window(
        qtbot: Any, tmp_path: Path, team: Path) -> None:
    shell = _shell(qtbot, tmp_path, team, user=ADMIN)
    shell.begin()
    window = _handed_over(qtbot, shell)
    form = window.sign_in_page.credentials
    shell._forwarding = True  # as while the window manager has not yet moved the keyboard
    qtbot.keyClicks(shell.page.password, PASSWORD)  # keys already on their way to the shell
    assert shell.page.password.text() == "" and form.password.text() == PASSWORD
    qtbot.keyClick(shell.page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.account is not None, timeout=20_000)


def test_a_new_store_asks_for_its_administrator_once_the_rest_is_imported(
        qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    Store.open(path).close()  # a store with no accounts yet
    shell = _shell(qtbot, tmp_path, path)
    qtbot.keyClicks(shell.page.user, "boss")
    shell.begin()
    window = _handed_over(qtbot, shell)
    form = window.sign_in_page.credentials
    assert form.step is Step.FIRST and form.user.text() == "boss"
    assert form.new_password.isVisibleTo(form) and not form.password.isVisibleTo(form)


def test_a_file_that_is_no_store_is_refused_by_the_main_window(
        qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a store, only some notes" * 200)
    shell = _shell(qtbot, tmp_path, path)
    said: list[str] = []

    def answer(box: QWidget) -> None:
        said.append(box.windowTitle())
        box.close()

    when_modal(answer)
    shell.begin()
    window = _handed_over(qtbot, shell)
    assert said == ["Cannot open the store"] and window.sign_in_page is None


def test_closing_the_first_window_before_the_hand_over_starts_nothing(
        qtbot: Any, tmp_path: Path, team: Path) -> None:
    made: list[object] = []
    shell = StartWindow(str(team), file_settings(tmp_path), lambda: made.append(1))
    qtbot.addWidget(shell)
    shell.show()
    shell.begin()
    shell.close()
    qtbot.wait(200)
    assert made == [] and shell.window is None


def test_the_shell_knows_the_keyring_by_its_name() -> None:
    assert keyring.path_of("a/team.db").name == "team.db" + shell_module.KEYRING_SUFFIX


def _listening(path: Path) -> socket.socket:
    """A real Unix socket at ``path``, as an X server's."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    return server


def test_qt_is_known_to_start_on_a_local_x_display_without_a_second_start(
        tmp_path: Path) -> None:
    server = _listening(tmp_path / "X7")
    try:
        assert gui._xcb_ready({"DISPLAY": ":7"}, str(tmp_path))
        assert gui._xcb_ready({"DISPLAY": ":7.0", "QT_QPA_PLATFORM": "xcb"}, str(tmp_path))
        # Not known without Qt's own try: the child process decides.
        assert not gui._xcb_ready({"DISPLAY": ":8"}, str(tmp_path))  # no such display
        assert not gui._xcb_ready({}, str(tmp_path))  # no display at all
        assert not gui._xcb_ready({"DISPLAY": "laptop:7"}, str(tmp_path))  # a remote one
        assert not gui._xcb_ready({"DISPLAY": ":7", "WAYLAND_DISPLAY": "wayland-0"},
                                  str(tmp_path))
        assert not gui._xcb_ready({"DISPLAY": ":7", "QT_QPA_PLATFORM": "wayland"},
                                  str(tmp_path))
    finally:
        server.close()
    (tmp_path / "X9").write_text("not a socket", encoding="utf-8")
    assert not gui._xcb_ready({"DISPLAY": ":9"}, str(tmp_path))
