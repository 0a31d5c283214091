"""The desktop app on a damaged store: read-only, a banner that says so, and a restore.

The store opens at once; SQLite's check runs in the background. When it finds damage
the store turns read-only (no write is attempted, a sign-in's record included), and a
banner above the sign-in screen and the tabs names the damage and offers the newest
backup that passes its check; restoring it from there brings the store back, writable,
without the banner.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import ui_world
from PySide6.QtWidgets import QMessageBox
from signin import ADMIN, PASSWORD, ensure_account
from ui_helpers import file_settings, sign_in

from careplan.models import Agency
from careplan.store import Store, add
from careplan.store import backup as bk
from careplan.store.digest import content_digest
from careplan.ui.mainwindow import MainWindow


def _spoil(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    size = path.stat().st_size
    with path.open("r+b") as fh:  # no connection to the store is open in this process
        fh.seek(rng.randrange(size // 2, size - 8192))
        fh.write(rng.randbytes(4096))


def _save(win: MainWindow, record: Agency) -> Exception | None:
    """Save through the window's writer, as every edit does; the refusal, or None."""
    outcome: list[Exception | None] = []
    assert win.edits.runner is not None
    win.edits.runner.submit("Add agency", lambda s: add(s, record, "me"),
                            done=lambda _: outcome.append(None), failed=outcome.append)
    assert win.edits.runner.flush()
    return outcome[0]


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, str]:
    """A store with a good backup, then damaged where SQLite can still open it."""
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        ui_world.build(store, extra_persons=300)
        ensure_account(store, ADMIN)  # its administrator, in the backup too
        digest = content_digest(store)
    assert bk.auto_backup(path, force=True).path is not None
    _spoil(path, seed=7)
    Store.open(path, create=False).close()  # still opens: the damage is found by checking
    return path, digest


def test_a_damaged_store_opens_read_only_with_a_banner_and_restores(
        qtbot, damaged: tuple[Path, str], tmp_path: Path,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, digest = damaged
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    assert win.open_store(path)
    banner = win.health.banner
    qtbot.waitUntil(banner.isVisible, timeout=20_000)
    assert "is damaged" in banner.text.text() and "read-only" in banner.text.text()
    assert "The newest good backup was taken" in banner.text.text()
    assert banner.restore_button.isVisible()
    assert "(damaged, read-only)" in win.windowTitle()
    assert win.store is not None and win.store.read_only
    # A sign-in is a write (its record): a damaged store refuses it, and says why.
    page = win.sign_in_page
    assert page is not None and banner.isVisible()  # the banner is above the sign-in screen
    page.credentials.user.setText(ADMIN)
    page.credentials.password.setText(PASSWORD)
    page.credentials.go()
    qtbot.waitUntil(lambda: not page.credentials.busy, timeout=20_000)
    said = page.credentials.message.text()
    assert "is damaged" in said and "no sign-in can be recorded" in said, said
    assert win.account is None and win.model is None and win.edits.runner is None

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    banner.restore_button.click()
    qtbot.waitUntil(lambda: win.store is not None and not win.store.read_only
                    and not banner.isVisible(), timeout=20_000)
    qtbot.waitUntil(lambda: win.store is not None and win.store.health is not None
                    and win.store.health.verdict is not None, timeout=20_000)
    assert win.store.health.verdict is not None and win.store.health.verdict.ok
    assert content_digest(win.store) == digest
    assert win.account is None  # the restored store is signed in to afresh
    sign_in(qtbot, win)
    assert _save(win, Agency(name="Saved again", sector="health")) is None
    assert "damaged" not in win.windowTitle()
    kept = [b for b in (tmp_path / "backups").iterdir() if "before-restore" in b.name]
    assert len(kept) == 1, "the damaged store was not kept aside"
    win.close()


def test_a_sound_store_shows_no_banner_and_takes_writes(
        qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sound.db"
    with Store.open(path) as store:
        ui_world.build(store)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    sign_in(qtbot, win, path)
    assert win.store is not None and win.store.health is not None
    qtbot.waitUntil(lambda: win.store.health.verdict is not None, timeout=20_000)
    assert win.store.health.verdict.ok and not win.health.banner.isVisible()
    assert _save(win, Agency(name="Saved", sector="health")) is None
    win.close()
