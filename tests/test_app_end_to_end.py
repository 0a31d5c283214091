"""End to end: the real desktop app saves while other programs read its store, and is
killed; every save it confirmed is there afterwards.

The app runs in a process of its own (tests/app_driver.py: ``careplan --db --user``,
signed in on its sign-in screen, with a window that takes orders on stdin), offscreen,
with all its connections: the window's, the damage check's, the flags worker's, the
caseload's, the automatic backup's. Beside it, ``careplan flags`` and ``careplan info``
open and close the store, as a manager's script would. Before the store stopped opening
plain file handles on itself, those commands deleted the app's WAL and the saves below
were lost at the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import ui_world

from careplan.store import Store
from tests.store_checks import assert_whole

DRIVER = Path(__file__).with_name("app_driver.py")
WAIT_S = 90


def _careplan(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "careplan", *args], capture_output=True,
                          text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr


def _line(app: subprocess.Popen[str]) -> str:
    assert app.stdout is not None
    line = app.stdout.readline().strip()
    assert line, f"the app stopped: {app.poll()}"
    return line


def test_app_saves_survive_other_programs_and_a_kill(
        tmp_path: Path, signed_in: Callable[..., list[str]]) -> None:
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    # Sets CAREPLAN_PASSWORD_FILE, which env below carries: the app signs in with it.
    user = signed_in(path, "sam.social", "practitioner", world.sam_social)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen(
        [sys.executable, str(DRIVER), str(path), user[1], world.teen],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    saved: list[tuple[str, str]] = []
    try:
        assert _line(app) == "ready"
        assert app.stdin is not None
        for n in range(1, 4):
            _careplan("flags", "--db", str(path), "--today", ui_world.TODAY.isoformat(),
                      *user, env=env)
            _careplan("info", "--db", str(path), env=env)
            assert Path(f"{path}-wal").exists(), "another process deleted the app's WAL"
            text = f"Edit {n} made while others read the store"
            app.stdin.write(f"add-need {text}\n")
            app.stdin.flush()
            answer = _line(app)
            assert answer.startswith("saved "), answer
            saved.append((answer.split()[1], text))
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait(WAIT_S)
    assert app.returncode == -signal.SIGKILL
    assert_whole(path)
    with Store.open(path, create=False) as store:
        for need_id, text in saved:
            rows = store.query("SELECT description FROM needs WHERE id = ?", (need_id,))
            assert rows == [{"description": text}], "a save the app confirmed was lost"
    assert len(saved) == 3
