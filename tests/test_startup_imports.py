"""The desktop app starts without the heavy libraries only exports need.

pandas and numpy (for the XLSX exports), reportlab, fhir.resources and pydantic together
cost the app seconds at every start; they are imported when an export first needs them.
How fast the app starts is measured in bench/startup_bench.py; this checks only which
modules a start loads, in a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from careplan.demo.build import build_demo
from careplan.demo.generator import MIN_PERSONS
from careplan.store import Store

HEAVY = ("pandas", "numpy", "reportlab", "fhir", "pydantic", "sqlite_utils", "openpyxl")
#: Parts of the app itself a start does without: the person workspace (imported when a
#: person is opened) and the subcommands (a parser for them is built only when asked for).
LATER = ("careplan.ui.workspace", "careplan.commands.backup", "careplan.commands.demo",
         "careplan.commands.export", "careplan.commands.flags", "careplan.commands.common")
#: What only a signed-in window shows, imported once someone has signed in: the caseload
#: (its model, view and query), the flags, the directory of agencies and professionals,
#: the export dialogs (their menu entries are built at the start) and the audit log's
#: check (run in the background after the sign-in).
SIGNED_IN = ("careplan.ui.caseload_model", "careplan.ui.caseload_view", "careplan.ui.flagview",
             "careplan.ui.flagsource", "careplan.models.flags", "careplan.store.caseload",
             "careplan.store.person_file", "careplan.models.facts", "careplan.ui.export_dialogs",
             "careplan.store.audit_check", "careplan.store.replication",
             # File ▸ Print (QtPdf, QtPrintSupport) and Help, imported when first used.
             "careplan.ui.printing", "PySide6.QtPdf", "careplan.ui.help")

# The start a user makes (``careplan --db STORE``), left as soon as the main window has
# taken the first window's place with the store open on its sign-in screen: the
# QApplication is made first only to queue the quit.
START = """
import os, sys, threading
from PySide6.QtCore import QTimer
from careplan.ui.app import application
app = application()
opened = []
at_shown = []
wanted = set(sys.argv[2:])

def loaded():
    return ",".join(sorted(({m.split(".")[0] for m in sys.modules} | set(sys.modules)) & wanted))

def shown():
    found = [w for w in app.topLevelWidgets() if getattr(w, "store", None) is not None
             and w.isVisible() and getattr(w, "sign_in_page", None) is not None]
    if not found:
        QTimer.singleShot(5, shown)
        return
    opened.extend(found)
    at_shown.append(loaded())
    app.quit()

QTimer.singleShot(0, shown)
from careplan.cli import main
code = main(["--db", sys.argv[1]])
print(loaded())
print(at_shown[0] if at_shown else "never shown")
print("opened" if opened else "none")
sys.stdout.flush()
for t in threading.enumerate():
    if t is not threading.main_thread() and not t.daemon:
        t.join()
os._exit(code)
"""


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    return env


def _start(tmp_path: Path, modules: tuple[str, ...]) -> tuple[str, str]:
    """Which of ``modules`` a start of the app on a demo store imported (comma-separated):
    by the time the app quit, and by the time its window was shown with the store open."""
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        build_demo(store, persons=MIN_PERSONS, seed=2, today=date(2025, 3, 10))
    result = subprocess.run([sys.executable, "-c", START, str(path), *modules],
                            capture_output=True, text=True, timeout=120, env=_env(tmp_path),
                            check=False)
    assert result.returncode == 0, result.stderr
    loaded, when_shown, opened = result.stdout.splitlines()
    assert opened == "opened"  # the start went as far as the open store
    return loaded, when_shown


def test_the_app_starts_without_export_libraries(tmp_path: Path) -> None:
    loaded, _ = _start(tmp_path, HEAVY)
    assert loaded == "", f"imported at startup: {loaded}"


def test_the_window_is_shown_before_the_workspace_or_subcommands_load(tmp_path: Path) -> None:
    _, when_shown = _start(tmp_path, LATER)
    assert when_shown == "", f"imported before the window was shown: {when_shown}"


def test_the_sign_in_screen_is_shown_before_what_only_a_signed_in_window_needs(
        tmp_path: Path) -> None:
    _, when_shown = _start(tmp_path, SIGNED_IN)
    assert when_shown == "", f"imported before the sign-in screen was shown: {when_shown}"
