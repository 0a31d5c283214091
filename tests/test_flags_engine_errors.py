"""A broken flags engine is an error the user sees, never an empty list of flags.

The engine (careplan.store.flagdata over the rules) is imported plainly wherever flags
are shown or printed. When it fails to import or to run: the desktop app says the flags
could not be checked (status bar, caseload, the person's header) instead of showing
nobody flagged; a print or export fails as a bug (exit status 1, traceback logged)
instead of coming out without its flags.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import ui_world
from export_sample import NHS, build, reader_account
from ui_helpers import file_settings, sign_in

import careplan.store as store_package
from careplan.cli import main
from careplan.commands import logs, paths
from careplan.store import Store, flagdata
from careplan.ui.flagview import NOT_CHECKED
from careplan.ui.mainwindow import MainWindow

ENGINE = "careplan.store.flagdata"


def _raise(exc: BaseException):  # type: ignore[no-untyped-def]
    def broken(*args: object, **kwargs: object) -> None:
        raise exc
    return broken


def _break_the_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import careplan.store.flagdata`` fail, as in a build that lost a module."""
    monkeypatch.delattr(store_package, "flagdata")
    monkeypatch.setitem(sys.modules, ENGINE, None)  # type: ignore[arg-type]


# -- the desktop app ---------------------------------------------------------------------

@pytest.fixture
def world_path(tmp_path: Path) -> tuple[Path, ui_world.World]:
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    return path, world


def _open(qtbot, tmp_path: Path, path: Path, reader: str) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, reader)
    return win


def _header_labels(ws) -> list[str]:  # type: ignore[no-untyped-def]
    """Each chip's flag code (chips read as words), or the text of one that has none."""
    return [b.property("flag_code") or b.text() for b in ws.header._buttons]


def _shows_flags_not_checked(qtbot, win: MainWindow, world, reason: str) -> None:  # type: ignore[no-untyped-def]
    """The failure is in the status bar, above the caseload and in a person's header."""
    banner = win.caseload.flags_problem
    qtbot.waitUntil(lambda: banner.isVisibleTo(win.caseload), timeout=30000)
    status = win.statusBar().currentMessage()
    assert "Checking flags failed" in status and reason in status
    assert "Flags could not be checked" in banner.text() and reason in banner.text()
    assert not win.caseload.flag_code.isEnabled()  # a filter by flag would show nobody
    ws = win.open_person(world.teen)
    assert _header_labels(ws) == [NOT_CHECKED], _header_labels(ws)
    assert reason in ws.flags.lines[0][2]


def test_an_engine_that_raises_is_shown_not_taken_for_no_flags(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, world_path, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    path, world = world_path
    monkeypatch.setattr(flagdata, "candidates_by_code",
                        _raise(RuntimeError("rule table corrupt")))
    with caplog.at_level(logging.ERROR):
        win = _open(qtbot, tmp_path, path, world.dr_shah)
        _shows_flags_not_checked(qtbot, win, world, "rule table corrupt")
    failures = [r for r in caplog.records if r.exc_info]
    assert failures and "rule table corrupt" in str(failures[0].exc_info[1])  # logged


def test_an_engine_that_cannot_be_imported_is_shown(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, world_path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, world = world_path
    _break_the_import(monkeypatch)
    win = _open(qtbot, tmp_path, path, world.dr_shah)
    _shows_flags_not_checked(qtbot, win, world, ENGINE)


def test_a_person_already_open_is_told_and_a_later_check_clears_it(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, world_path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, world = world_path
    win = _open(qtbot, tmp_path, path, world.dr_shah)
    with qtbot.waitSignal(win.flags_loaded, timeout=30000):
        pass
    ws = win.open_person(world.teen)
    found = _header_labels(ws)
    assert found and NOT_CHECKED not in found and "No flags" not in found  # teen is flagged
    monkeypatch.setattr(flagdata, "candidates_by_code", _raise(RuntimeError("engine down")))
    win.refresh()
    qtbot.waitUntil(lambda: _header_labels(ws) == [NOT_CHECKED], timeout=30000)
    assert win.caseload.flags_problem.isVisibleTo(win.caseload)
    monkeypatch.undo()
    with qtbot.waitSignal(win.flags_loaded, timeout=30000):
        win.refresh()
    assert _header_labels(ws) == found
    assert not win.caseload.flags_problem.isVisibleTo(win.caseload)
    assert win.caseload.flag_code.isEnabled()


def test_the_engine_is_imported_after_the_first_paint(tmp_path: Path) -> None:
    # Imported plainly, but inside the worker: the window is on screen first.
    from test_startup_imports import _start

    _, when_shown = _start(tmp_path, (ENGINE, "careplan.models.rules"))
    assert when_shown == "", f"imported before the window was shown: {when_shown}"


def test_the_dashboard_says_the_flags_failed(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, world_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from careplan.store.visibility import Viewer
    from careplan.ui.dashboard import Dashboard

    path, world = world_path
    monkeypatch.setattr(flagdata, "caseload_flags", _raise(RuntimeError("engine down")))
    board = Dashboard(str(path), ui_world.TODAY, viewer=Viewer(world.gp))
    qtbot.addWidget(board)
    qtbot.waitUntil(lambda: "could not be computed" in board.status.text(), timeout=30000)
    assert "engine down" in board.status.text() and board.data is None


# -- prints and exports on the command line -----------------------------------------------

#: ``--user`` of the sample store's administrator (set by the ``sample`` fixture).
USER: list[str] = []


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           signed_in: Callable[..., list[str]]) -> Iterator[Path]:
    """A store to print from, its administrator signed in (``USER``); the command line's
    log goes to the test's own file."""
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        build(store)
        reader_account(store)
    USER[:] = signed_in(path, "sue")  # the lead agency's manager (export_sample)
    log = tmp_path / "careplan.log"
    monkeypatch.setattr(paths, "log_file", lambda: log)
    logger = logging.getLogger("careplan")
    handlers = list(logger.handlers)
    yield path
    for handler in [h for h in logger.handlers if h not in handlers]:
        logger.removeHandler(handler)  # the file handler main() adds for a bug
        handler.close()


def _bug_reported(tmp_path: Path, err: str, reason: str) -> None:
    """The bug is logged with its traceback and exception types; its message is withheld
    (an engine's message may carry a person's data: careplan.commands.logs)."""
    assert "an unexpected error occurred (a bug)" in err
    logged = (tmp_path / "careplan.log").read_text(encoding="utf-8")
    assert "Traceback" in logged and "FlagsEngineError" in logged
    assert reason not in logged and logs.WITHHELD in logged


def test_a_plan_is_not_printed_without_its_flags(
        sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(flagdata, "caseload_flags", _raise(RuntimeError("engine down")))
    out = tmp_path / "plan.pdf"
    assert main(["export", "plan-pdf", "--db", str(sample), "--nhs", NHS,
                 "--out", str(out), "--today", "2025-03-03", *USER]) == 1
    assert not out.exists()
    _bug_reported(tmp_path, capsys.readouterr().err, "engine down")


@pytest.mark.parametrize("error", [ValueError("bad threshold row"), OSError("no such rule")])
def test_an_engine_error_is_a_bug_not_the_users_mistake(
        sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], error: Exception) -> None:
    # The table command turns a ValueError into "bad input" (exit 2), and --out's
    # writing turns an OSError into "cannot write": neither may swallow the engine's.
    monkeypatch.setattr(flagdata, "caseload_flags", _raise(error))
    out = tmp_path / "flags.csv"
    assert main(["export", "table", "flags", "--db", str(sample), "--out", str(out),
                 "--today", "2025-03-03", *USER]) == 1
    assert not out.exists()
    _bug_reported(tmp_path, capsys.readouterr().err, str(error))


#: The command line in a process of its own whose flags engine cannot be imported.
BROKEN_BUILD = f"""
import sys
sys.modules[{ENGINE!r}] = None
from careplan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run_broken(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())  # the log of the bug goes there
    return subprocess.run([sys.executable, "-c", BROKEN_BUILD, *argv], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def test_a_build_without_its_engine_prints_nothing(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.pdf"
    result = _run_broken(tmp_path, "export", "plan-pdf", "--db", str(sample), "--nhs", NHS,
                         "--out", str(out), "--today", "2025-03-03", *USER)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "a bug" in result.stderr and not out.exists()
    table = tmp_path / "flags.csv"
    result = _run_broken(tmp_path, "export", "table", "flags", "--db", str(sample),
                         "--out", str(table), *USER)
    assert result.returncode == 1, result.stdout + result.stderr
    assert not table.exists()
    result = _run_broken(tmp_path, "flags", "--db", str(sample), *USER)
    assert result.returncode == 1 and "No flags" not in result.stdout
