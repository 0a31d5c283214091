"""Damage found in the open store: the background check, and the banner that says so.

A store opens at once; SQLite's checks run in a worker (careplan.store.health). Writes
wait for the quick check's verdict. When damage is found, the store turns read-only
(nothing more is attempted in it) and a banner above the tabs says so and offers the
newest backup that passes its own check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from careplan.store import Store, backup, health
from careplan.ui import workers


@dataclass(frozen=True, slots=True)
class Finding:
    """What the background check found: its verdict, and a good backup when damaged."""

    verdict: health.Verdict
    good_backup: backup.Backup | None


def check_store(path: str, gate: health.Health, job: workers.Job,
                key: bytes | None = None) -> Finding | None:
    """Check the store at ``path`` (in a worker), giving ``gate`` each verdict at once:
    writes on the GUI thread may be waiting for it. A small store gets the full check
    straight away; a large one the quick check first (writes wait for that one only).
    None when cancelled (the store was closed meanwhile)."""
    large = health.is_large(path)
    verdict = health.check_file(path, full=not large, cancelled=lambda: job.is_cancelled,
                                key=key)
    if verdict is None:
        return None
    gate.give(verdict)
    if verdict.ok and large:
        job.report(0, 0, "Checking the whole store for damage")
        verdict = health.check_file(path, full=True, cancelled=lambda: job.is_cancelled,
                                    key=key)
        if verdict is None:
            return None
        gate.give(verdict)
    if verdict.ok:
        return Finding(verdict, None)
    return Finding(verdict, good_backup(path, key))


def good_backup(path: str, key: bytes | None = None) -> backup.Backup | None:
    """The newest backup of ``path`` that passes its check (verifying takes a while), with
    the store's key when it is encrypted."""
    for candidate in backup.list_backups(path, key=key):
        try:
            backup.verify_backup(candidate.path, key)
        except backup.BackupError:
            continue
        return candidate
    return None


class DamageBanner(QFrame):
    """A strip above the tabs: the store is damaged and read-only; restore a backup?"""

    restore_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("damageBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Dark text on a pale red: legible in light, dark and high-contrast palettes.
        self.setStyleSheet("#damageBanner { background: #fde8e8; border: 2px solid #a00000; }"
                           " #damageBanner QLabel { color: #000000; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.restore_button = QPushButton()
        self.restore_button.clicked.connect(self._restore_clicked)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.restore_button)
        self._backup: Path | None = None
        self.setAccessibleName(self.tr("The store is damaged"))
        self.hide()

    def show_damage(self, store_path: str, sentence: str, good: backup.Backup | None, *,
                    searching: bool = False) -> None:
        lines = [self.tr("%s.") % sentence.rstrip("."),
                 self.tr("It is open read-only: nothing can be saved to it, and nobody "
                         "can sign in to it (a sign-in is recorded in the store).")]
        self._backup = good.path if good is not None else None
        if good is not None:
            taken = good.taken_at.astimezone().strftime("%d %b %Y %H:%M")
            lines.append(self.tr("The newest good backup was taken %s.") % taken)
            self.restore_button.setText(self.tr("Restore that backup…"))
        elif searching:
            lines.append(self.tr("Looking for a good backup…"))
        else:
            lines.append(self.tr("No good backup of it was found (in %s).")
                         % backup.backup_dir(store_path))
        self.restore_button.setVisible(good is not None)
        self.text.setText("\n".join(lines))
        self.show()

    def _restore_clicked(self) -> None:
        if self._backup is not None:
            self.restore_requested.emit(str(self._backup))


class HealthWatch(QObject):
    """The main window's side of damage: starts the check when a store opens, turns the
    store read-only and shows the banner when damage is found, and restores a backup."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.banner = DamageBanner()
        self.banner.restore_requested.connect(self.restore)
        self._job: workers.Job | None = None

    def watch(self, store: Store, damage: str | None) -> None:
        """Check ``store`` in the background (``damage``: what its opening already found);
        its writes wait for the verdict."""
        gate = store.health = health.Health()
        if damage is not None:
            self._show(store, damage, None, searching=True)
        path, key = store.path, store.key
        if path == ":memory:":
            gate.give(health.Verdict(True, "ok", full=True))
            return
        self._job = workers.start(
            lambda job: check_store(path, gate, job, key), self,
            connect=lambda job: job.finished.connect(
                lambda found, s=store, d=damage: self._known(s, found, d)))

    def stop(self) -> None:
        """The store is closing: stop checking it, hide the banner."""
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self.banner.hide()

    def _known(self, store: Store, found: Finding | None, damage: str | None) -> None:
        if store is not self.window.store or found is None:
            return
        if found.verdict.ok and damage is None:
            return
        self._show(store, damage or found.verdict.sentence(store.path), found.good_backup)

    def _show(self, store: Store, sentence: str, good: backup.Backup | None, *,
              searching: bool = False) -> None:
        store.read_only = True
        if store.health is not None:  # the writer's connection shares this verdict
            store.health.give(health.Verdict(False, sentence, full=False))
        self.banner.show_damage(store.path, sentence, good, searching=searching)
        self.window.setWindowTitle(self.tr("CarePlan — %s (damaged, read-only)")
                                   % Path(store.path).name)

    def restore(self, backup_path: str) -> None:
        """Replace the open (damaged) store with a backup; the damaged one is kept aside."""
        window = self.window
        if window.store is None:
            return
        answer = QMessageBox.question(
            window, self.tr("Restore the backup?"),
            self.tr("Replace the damaged store with the backup %s?\n\nThe damaged store "
                    "is kept as a safety copy in the backups folder.") % backup_path)
        if answer != QMessageBox.StandardButton.Yes or not window.close_all_persons():
            return
        path, key = window.store.path, window.store.key
        window.close_store()
        # The restore needs the store to itself: workers' own connections close as
        # their tasks end.
        from careplan.ui.caseload_model import sort_pool

        workers.wait_for_all(sort_pool())

        def listen(job: workers.Job) -> None:
            job.finished.connect(lambda _: self._restored(path, backup_path))
            job.failed.connect(lambda message: self._failed(path, message))

        window.run_job(self.tr("Restoring the backup"),
                       lambda job: backup.restore(path, backup_path, key=key), listen)

    def _restored(self, path: str, backup_path: str) -> None:
        if self.window.open_store(path):
            self.window.statusBar().showMessage(
                self.tr("Restored %s from %s.") % (path, backup_path), 15000)

    def _failed(self, path: str, message: str) -> None:
        QMessageBox.warning(self.window, self.tr("Not restored"), message)
        self.window.open_store(path)


__all__ = ["DamageBanner", "Finding", "HealthWatch", "check_store", "good_backup"]
