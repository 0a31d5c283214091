"""File ▸ Export can never write over the open store, its WAL, a backup or a device: the
file dialog can pick any of them, and the window says no in a message before a worker
starts; the store and the chosen file are left as they were."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtWidgets import QWidget
from ui_helpers import file_settings, settle, sign_in, when_modal

import careplan.ui.exports as exports_module
from careplan.export.plan_pdf import plan_pdf
from careplan.store import Store
from careplan.store import sqlite as store_sqlite
from careplan.store.backup import backup_dir
from careplan.store.digest import content_digest
from careplan.ui.mainwindow import MainWindow


def _digest(path: Path) -> str:
    with Store.open(path, create=False) as store:
        return content_digest(store)


def _signature(path: Path) -> tuple[int, ...] | None:
    try:
        s = os.lstat(path)
    except FileNotFoundError:
        return None
    return s.st_ino, s.st_mode, s.st_size, s.st_mtime_ns, s.st_rdev


class Setup:
    def __init__(self, win: MainWindow, world: ui_world.World, db: Path,
                 started: list[Any]) -> None:
        self.win, self.world, self.db, self.started = win, world, db, started


@pytest.fixture
def setup(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:  # type: ignore[no-untyped-def]
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        world = ui_world.build(store)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, db, world.sam_social)
    win.exports.open_url = lambda url: None
    started: list[Any] = []
    real = exports_module.JobDialog

    def recording(*args: Any, **kwargs: Any) -> Any:
        started.append(args[1])  # the job's title
        return real(*args, **kwargs)

    monkeypatch.setattr(exports_module, "JobDialog", recording)
    yield Setup(win, world, db, started)
    win.close()


def _store(s: Setup) -> Path:
    return s.db


def _wal(s: Setup) -> Path:
    wal = Path(f"{s.db}-wal")
    assert wal.exists()  # the open window holds it
    return wal


def _backup(s: Setup) -> Path:
    folder = backup_dir(s.db)
    folder.mkdir(exist_ok=True)
    copy = folder / "store-20250310-090000.db"
    # The store's own SQLite library: a second library in this process would drop the
    # window's locks on the store when its connection closes.
    source, dest = store_sqlite.connect(s.db), store_sqlite.connect(copy)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()
    return copy


def _device(s: Setup) -> Path:
    node = s.db.parent / "null.json"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    except (PermissionError, FileNotFoundError):
        pytest.skip("making a copy of /dev/null needs /dev/null and CAP_MKNOD")
    return node


TARGETS: dict[str, Callable[[Setup], Path]] = {
    "the open store": _store, "its WAL": _wal, "a backup": _backup, "a device": _device,
}
#: (the action, whether it needs a person open)
ACTIONS = {"joint plan": ("plan_pdf", True), "FHIR of the store": ("fhir_store", False),
           "funding report": ("funding", False)}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("target", list(TARGETS))
def test_the_window_refuses_before_any_worker_starts(qtbot, setup: Setup, target: str,  # type: ignore[no-untyped-def]
                                                     action: str) -> None:
    s = setup
    chosen = TARGETS[target](s)
    name, needs_person = ACTIONS[action]
    if needs_person:
        s.win.open_person(s.world.teen)
        settle(s.win)  # opening the record is itself recorded (a read), then nothing more
    before, store_before = _signature(chosen), _signature(s.db)
    listing = sorted(os.listdir(chosen.parent))
    digest = content_digest(s.win.store)  # type: ignore[arg-type]
    s.win.exports.ask_save = lambda title, default, filters: str(chosen)
    seen: list[str] = []

    def read(box: QWidget) -> None:
        seen.append(box.text())  # type: ignore[attr-defined]
        box.accept()  # type: ignore[attr-defined]

    when_modal(read)
    getattr(s.win.exports, name).trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=10000)

    assert s.started == [] and s.win.exports.jobs == []
    assert seen[0].startswith("Nothing was written: ") and seen[0].endswith(".")
    assert str(chosen) in seen[0] and "\n" not in seen[0]
    assert _signature(chosen) == before and _signature(s.db) == store_before
    assert sorted(os.listdir(chosen.parent)) == listing
    assert _digest(s.db) == digest


def test_a_refusal_inside_the_worker_is_a_message_not_a_bug(qtbot, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    """Were the window's check ever skipped, the export itself refuses, and the job
    reports that as the user's choice, in a sentence."""
    s = setup
    before = _signature(s.db)
    digest = content_digest(s.win.store)  # type: ignore[arg-type]
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))  # type: ignore[attr-defined]
    target, teen = str(s.db), s.world.teen
    job = s.win.exports.run("Joint care plan", "Printing…", lambda store, j: plan_pdf(
        store, teen, target, printed_by="t", today=ui_world.TODAY, **ui_world.prints(store)))
    assert job is not None
    qtbot.waitUntil(lambda: not s.win.exports.jobs, timeout=30000)
    qtbot.waitUntil(lambda: bool(seen), timeout=10000)
    assert job.outcome == "refused"
    assert seen[0] == f"Nothing was written: {target} is the store being exported; " \
                      "choose another file."
    assert _signature(s.db) == before and _digest(s.db) == digest
