"""Child process of bench/startup_bench.py: start the desktop app (or a bare window) and
print one JSON line when its main window is on screen.

``python -m bench.app_probe bare``: a bare PySide6 QMainWindow, the baseline.
``python -m bench.app_probe app DB TODAY``: ``careplan --db DB``, through the command line
as a user starts it, on the day TODAY (the demo store's own day, not this machine's: a
store opened long after its day has every review overdue and every person flagged).
The QApplication is made first (by the app's own ``application()``, which the app then
reuses) only to queue the report on its event loop: it runs once the first window, the
one the user types into (careplan.ui.shell, the store's sign-in screen before the rest
is imported), is shown, and paints the whole window before reporting (stage "shown").
A second line follows once the rest is imported and the main window has taken over on
the store's sign-in screen, painted (stage "imported": Sign in is instant from then on).
``python -m bench.app_probe use DB TODAY PERSON``: the same, then signs in on that screen
(the demo's administrator, the demo's password, Enter), waits for the caseload and its
flags, scrolls and sorts the caseload and opens PERSON, and reports the peak memory.
``python -m bench.app_probe remember DB USERNAME STORE_ID``: remember the user name last
signed in to this store with in the settings (as after a first start).

Nothing but the standard library is imported before the app's own imports.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


def _status(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _report(**extra: Any) -> None:
    print(json.dumps({"cpu_s": time.process_time(), "rss_mb": _status("VmRSS"),
                      "peak_mb": _status("VmHWM"), **extra}), flush=True)


def _painted(window: Any) -> None:
    window.repaint()  # a synchronous paint of the whole window, caseload included


def bare() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1360, 820)
    window.show()

    def shown() -> None:
        _painted(window)
        _report()
        app.quit()

    QTimer.singleShot(0, shown)
    return int(app.exec())


def _first_window() -> Any:
    """The window the user types into first: the start's shell."""
    from PySide6.QtWidgets import QApplication

    from careplan.ui.shell import StartWindow

    found = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, StartWindow) and w.isVisible()]
    assert found, "the first window is not shown"
    return found[0]


def _main_window(shell: Any) -> Any:
    """The main window, once it has taken the shell's place."""
    _wait(lambda: shell.window is not None)
    window = shell.window
    assert window.isVisible(), "the main window is not shown"
    return window


def _wait(condition: Any, timeout: float = 300) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not finish in time")
        QApplication.processEvents()
        time.sleep(0.005)


def _sign_in(window: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from careplan.demo.published import ADMIN, DEMO_PASSWORD

    form = window.sign_in_page.credentials
    if not form.user.text():  # remembered from an earlier start, as a user's would be
        form.user.setText(ADMIN)
    form.password.setText(DEMO_PASSWORD)
    QTest.keyClick(form.password, Qt.Key.Key_Return)
    _wait(lambda: window.caseload is not None)


def _use(window: Any, person_id: str) -> None:
    """What a manager does first with a big store: flags, scrolling, sorting, a person."""
    _sign_in(window)
    _wait(lambda: not window.jobs)  # the flags of the whole caseload
    table = window.caseload.table
    bar = table.verticalScrollBar()
    for n in range(1, 21):
        bar.setValue(bar.maximum() * n // 20)
        table.viewport().repaint()
    for column in (1, 3, 4):
        window.model.sort(column)
        _wait(lambda: not getattr(window.model, "busy", False))
        table.viewport().repaint()
    _fail_on_modal()
    window.open_person(person_id)
    _painted(window)


def _fail_on_modal() -> None:
    """A modal dialog (say, "Not shared with your agency") would wait for a click that
    never comes: say what it is and fail instead of hanging."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def check() -> None:
        box = QApplication.activeModalWidget()
        if box is not None:
            sys.stderr.write(f"app_probe: a dialog is in the way: {box.windowTitle()}\n")
            sys.stderr.flush()
            os._exit(3)

    timer = QTimer(QApplication.instance())
    timer.timeout.connect(check)
    timer.start(500)


def app(db: str, today: str, person_id: str | None = None) -> int:
    from datetime import date

    # In the order a start imports them: the command line, then Qt and the first window
    # (PySide6's import hook costs every module imported after it a little).
    from careplan.cli import main
    from careplan.ui import app as ui_app  # isort: skip
    from PySide6.QtCore import QTimer  # isort: skip

    qapp = ui_app.application()
    run, day = ui_app.run, date.fromisoformat(today)

    def run_on_day(path: Any, today: Any = None, user: str | None = None,
                   imported: Any = None) -> int:
        return run(path, today=lambda: day, user=user, imported=imported)

    ui_app.run = run_on_day  # type: ignore[assignment]

    def shown() -> None:
        shell = _first_window()
        _painted(shell)
        _report(stage="shown")
        window = _main_window(shell)
        _wait(lambda: window.sign_in_page is not None)  # should the store be opened later
        _painted(window)
        _report(stage="imported")
        if person_id is not None:
            _use(window, person_id)
            _report(stage="used")
        window.close()
        qapp.quit()

    QTimer.singleShot(0, shown)
    return main(["--db", db])


def remember(db: str, username: str, store_id: str) -> int:
    from careplan.ui.settings import Settings

    settings = Settings()
    settings.remember_user(store_id, username)
    settings.remember_user(db, username)  # by its path too, as a sign-in does
    settings.sync()
    _report()
    return 0


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    modes: dict[str, Callable[..., int]] = {"bare": bare, "app": app, "use": app,
                                            "remember": remember}
    code = modes[mode](*args)
    for thread in threading.enumerate():  # the app's backup, as an ordinary exit would
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    sys.stdout.flush()
    # Skip the interpreter's teardown: what happens after the window closed is not
    # measured, and a crash in Qt's object teardown must not fail the benchmark.
    os._exit(code)
