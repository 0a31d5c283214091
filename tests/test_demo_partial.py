"""A killed demo leaves nothing behind for long, and the demo never replaces a store.

``careplan demo --db NAME`` builds a new store aside (in a work folder beside NAME, with
worker processes staging chunks there) and gives it its name only when whole. Killed
half-way (SIGKILL: nothing of it can clean up) it leaves that folder; the next demo
built in the same folder removes it, and the killed demo's workers exit by themselves.
The finished store is never renamed over a file that appeared meanwhile: a store that
another process has open would otherwise go on being written in a deleted file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.demo.build_file import WORK_PREFIX, _host, build_demo_file, remove_leftovers
from careplan.demo.generator import CHUNK, MIN_PERSONS
from careplan.models import Agency, Person, Sector
from careplan.store import InputError, Store, add, find
from careplan.store.digest import content_digest

TODAY = date(2025, 3, 10)


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux's /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_killed_demo_is_cleaned_up_by_the_next_one(tmp_path: Path) -> None:
    target = tmp_path / "big.db"
    # Enough chunks for worker processes, and for the build to take a while.
    persons = MIN_PERSONS + 60 * CHUNK
    demo = subprocess.Popen(
        [sys.executable, "-m", "careplan", "demo", "--db", str(target), "--persons",
         str(persons), "--today", TODAY.isoformat()],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        def staging() -> bool:
            assert demo.poll() is None, "the demo ended before it could be killed"
            workers.update(_children(demo.pid))  # known even if this wait fails
            return any(tmp_path.glob(f"{WORK_PREFIX}*/part-*.db"))

        _wait_for(staging, 120, "the workers to stage a chunk")
        assert workers, "the demo has worker processes"
        demo.send_signal(signal.SIGKILL)
        demo.wait(timeout=30)
        left = sorted(p.name for p in tmp_path.iterdir())
        assert not target.exists()
        assert len(left) == 1 and left[0].startswith(f"{WORK_PREFIX}{_host()}-{demo.pid}-")
        # The killed demo's workers go too, instead of waiting for work for ever.
        _wait_for(lambda: not any(_running(w) for w in workers), 30, "the workers to exit")
    finally:
        for pid in [demo.pid, *workers]:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        if demo.returncode is None:
            demo.wait(timeout=30)

    # The next demo in that folder removes what the killed one left, and then the
    # killed one's store can be made after all.
    assert main(["demo", "--db", str(tmp_path / "small.db"), "--persons",
                 str(MIN_PERSONS), "--today", TODAY.isoformat()]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.db", "small.db.keys"]
    assert main(["demo", "--db", str(target), "--persons", str(MIN_PERSONS),
                 "--today", TODAY.isoformat()]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.db", "big.db.keys", "small.db",
                                                          "small.db.keys"]


def test_only_the_folders_of_builds_that_are_gone_are_removed(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait(timeout=30)
        host = _host()
        alive = tmp_path / f"{WORK_PREFIX}{host}-{sleeper.pid}-abcd1234"
        dead = tmp_path / f"{WORK_PREFIX}{host}-{gone.pid}-efgh5678"
        elsewhere = tmp_path / f"{WORK_PREFIX}otherhost-{gone.pid}-ijkl9012"
        mine = tmp_path / f"{WORK_PREFIX}{host}-{os.getpid()}-mnop3456"
        unrelated = tmp_path / ".careplan-demo-notes"
        for folder in (alive, dead, elsewhere, mine, unrelated):
            folder.mkdir()
            (folder / "big.db.partial").write_bytes(b"x")
        assert remove_leftovers(tmp_path) == [dead]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            p.name for p in (alive, elsewhere, mine, unrelated))
    finally:
        sleeper.kill()
        sleeper.wait(timeout=30)


def test_a_store_made_while_the_demo_was_built_is_never_replaced(tmp_path: Path) -> None:
    """Another process makes the store NAME (and keeps it open) while the demo of the
    same name is being built: the demo is refused, and that store goes on working."""
    path = tmp_path / "team.db"
    holder: list[subprocess.Popen[str]] = []
    keep_open = (
        "import sys\n"
        "from careplan.models import Agency, Sector\n"
        "from careplan.store import Store, add\n"
        "store = Store.open(sys.argv[1])\n"
        "add(store, Agency(name='Made first', sector=Sector.HEALTH), 'other')\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"  # hold the store open until told
        "add(store, Agency(name='Written after the demo', sector=Sector.HEALTH), 'other')\n"
        "store.close()\n"
    )

    def other_process_makes_the_store(done: int, total: int) -> None:
        if done == 1:
            proc = subprocess.Popen([sys.executable, "-c", keep_open, str(path)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            holder.append(proc)
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"

    try:
        with pytest.raises(InputError, match=r"^demo: .*team\.db was made while the demo "
                                             r"was being built; it was left as it is"):
            build_demo_file(path, persons=MIN_PERSONS + 2 * CHUNK, today=TODAY,
                            progress=other_process_makes_the_store, parallel=False)
        assert len(holder) == 1
        proc = holder[0]
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        for proc in holder:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    # What the other process wrote, before and after, is in the file called team.db.
    with Store.open(path, create=False) as store:
        assert sorted(a.name for a in find(store, Agency)) == ["Made first",
                                                               "Written after the demo"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.db"]


def test_the_demo_refuses_a_store_that_holds_records(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """An existing store is filled only when it is empty; otherwise it is left as it is,
    the same file, untouched."""
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        add(store, Agency(name="Riverside Practice", sector=Sector.HEALTH), "setup")
        add(store, Person(given_name="Ada", family_name="Khan", birth_date=date(1950, 1, 1)),
            "setup")
        before = content_digest(store)
    inode = path.stat().st_ino
    assert main(["demo", "--db", str(path), "--persons", str(MIN_PERSONS)]) == 2
    err = capsys.readouterr().err
    assert err == ("careplan: demo: the store already holds 1 person; the demo fills only "
                   "an empty store and never replaces one (choose a new file name).\n")
    assert path.stat().st_ino == inode
    with Store.open(path, create=False) as store:
        assert content_digest(store) == before
