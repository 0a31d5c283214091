"""Edits in the main window: its runner, its Undo and Redo, and views kept current.

Every change to the open store, the app's own edits and changes made elsewhere alike,
arrives here as one :class:`~careplan.store.changes.Changes` from the runner, and each
view refreshes only what it shows of it: the caseload rows of those persons, the open
workspaces of those persons, and their flags, recomputed at once in a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QMessageBox

from careplan.store import NotFoundError, StaleWriteError, Store, StoreError
from careplan.store.changes import Changes
from careplan.store.visibility import Viewer, visible_ids
from careplan.ui import workers
from careplan.ui.runner import OperationRunner

if TYPE_CHECKING:  # the flags are imported when first looked for, after the sign-in
    from careplan.ui.flagview import FlagSummary

log = logging.getLogger(__name__)

#: What the window's own connection answers to a write: it only reads.
READS_ONLY = "the window's connection only reads; every edit goes through the writer"


class EditsView(QObject):
    """Holds the open store's runner and applies its Changes to the window's views."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.runner: OperationRunner | None = None
        self.undo_group = QUndoGroup(self)
        tr = self.tr
        self.act_undo = QAction(tr("&Undo"), window)
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_undo.triggered.connect(self.undo)
        self.act_redo = QAction(tr("&Redo"), window)
        self.act_redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.act_redo.triggered.connect(self.redo)
        self.undo_group.canUndoChanged.connect(self.act_undo.setEnabled)
        self.undo_group.canRedoChanged.connect(self.act_redo.setEnabled)
        self.undo_group.undoTextChanged.connect(
            lambda text: self.act_undo.setText(tr("&Undo %s") % text if text else tr("&Undo")))
        self.undo_group.redoTextChanged.connect(
            lambda text: self.act_redo.setText(tr("&Redo %s") % text if text else tr("&Redo")))
        self.act_undo.setEnabled(False)
        self.act_redo.setEnabled(False)

    # -- the store's writer -----------------------------------------------------------------

    def start(self, store: Store) -> None:
        """A store was opened: its writer starts; the window's connection only reads."""
        store.reads_only = READS_ONLY
        self.runner = OperationRunner(store.path, self.window.actor_id, store.health, self,
                                      key=store.key)
        self.runner.changed.connect(self.apply)
        self.runner.busy_changed.connect(self._busy)
        self.runner.orphan_failure.connect(
            lambda label, message: self.show_failure(StoreError(f"{label}: {message}")))

    def stop(self) -> None:
        """The store is closing: every save on its way is finished first."""
        if self.runner is not None:
            self.runner.close()
            self.runner.deleteLater()
            self.runner = None

    def undo(self) -> None:
        stack = self.undo_group.activeStack()
        if stack is not None and self.runner is not None:
            self.runner.undo(stack, failed=self.show_failure)

    def redo(self) -> None:
        stack = self.undo_group.activeStack()
        if stack is not None and self.runner is not None:
            self.runner.redo(stack, failed=self.show_failure)

    def show_failure(self, error: Exception) -> None:
        """A refused edit, said plainly (someone else's change: say who, then reload)."""
        window = self.window
        if isinstance(error, StaleWriteError | NotFoundError):
            QMessageBox.warning(window, self.tr("Changed by someone else"), str(error))
            window.refresh()
        elif isinstance(error, ValueError | StoreError):
            text = str(error)
            QMessageBox.warning(window, self.tr("Not saved"), text[:1].upper() + text[1:])
        else:
            log.error("Unexpected error while saving", exc_info=error)
            QMessageBox.warning(window, self.tr("Not saved"),
                                self.tr("An unexpected error stopped the save; it was logged."))

    def _busy(self, busy: bool) -> None:
        if busy:
            self.window.statusBar().showMessage(self.tr("Saving…"))
        else:
            self.window.statusBar().clearMessage()

    # -- views follow the changes -------------------------------------------------------------

    def apply(self, changes: Changes) -> None:
        """Refresh what each view shows of ``changes`` (and nothing else)."""
        window = self.window
        if changes.everyone or changes.entities & {"agencies", "professionals"}:
            window.directory = None
        if window.model is not None:
            # A consent decides whom the caseload lists: ask who is shown again.
            if changes.everyone or "consents" in changes.entities:
                window.model.refresh()
            else:
                window.model.refresh_persons(changes.person_ids)
        for ws in window.workspaces():
            if changes.touches(ws.person_id):
                ws.apply_changes(changes, window.directory_now())
        if changes.flags_may_change:
            self.refresh_flags(None if changes.everyone else changes.person_ids)

    def refresh_flags(self, person_ids: Collection[str] | None) -> None:
        """Recompute the flags of these persons (None: everyone) in a worker."""
        window = self.window
        if window.store is None or window.store.path == ":memory:":
            return
        if person_ids is None:
            window.start_flags()
            return
        path, today, ids = window.store.path, window.today(), sorted(person_ids)
        viewer, key = window.viewer, window.store.key
        opened = {ws.person_id for ws in window.workspaces()}
        window.run_job(self.tr("Checking flags"),
                       lambda job: _flags_of(path, today, ids, job, viewer, opened, key),
                       lambda job: job.finished.connect(
                           lambda found, i=ids: self._flags_found(i, found)))

    def _flags_found(self, ids: list[str], found: dict[str, FlagSummary]) -> None:
        window = self.window
        flags = dict(window.flags)
        for pid in ids:
            if pid in found:
                flags[pid] = found[pid]
            else:
                flags.pop(pid, None)
        window.flags_ready(flags)


def _flags_of(path: str, today: date, ids: list[str], job: workers.Job, viewer: Viewer,
              opened: Collection[str], key: bytes | None = None
              ) -> dict[str, FlagSummary]:
    """The flags of those of ``ids`` the reader may see (or has open)."""
    from careplan.ui.flagsource import load_flags
    from careplan.ui.flagview import summarise_by_person

    store = Store.open(path, create=False, key=key)
    try:
        keep = visible_ids(store, viewer, ids, today) | set(opened)
        shown = [pid for pid in ids if pid in keep]
        return summarise_by_person(load_flags(store, today, job, person_ids=shown))
    finally:
        store.close()


__all__ = ["READS_ONLY", "EditsView"]
