"""File ▸ Share: change packs from the menus, and syncing with the team server in the
background.

- *Make a change pack…* asks for which trusted store and where, then writes it in a
  worker with a progress dialog (careplan.store.exchange.make_pack) and says what it
  holds.
- *Read a change pack…* asks for the file, then verifies and applies it in a worker
  (its own connection; all or nothing, careplan.store.exchange.import_pack), shows what
  arrived, what was refused and which conflicts opened, and hands the changes to the
  runner's broadcast so every view shows them (careplan.ui.runner).
- *Sync with the team server now* and the background sync: when the store names a team
  server (``careplan share server``), it is synced shortly after sign-in and then every
  ``share/sync_every_seconds`` (settings), in a pool of its own, one sync at a time
  (careplan.store.serversync). The status bar says "Last synced …"; an unreachable
  server is a quiet line there (its reason in the tooltip), never a dialog, and the app
  works on unchanged. Only a sync asked for from the menu says how it went in a dialog.

The GUI thread only reads (which stores are trusted, the server setting); every write
happens in the worker's own connection, as one transaction per pack or pulled batch;
a worker opens an encrypted store with the open store's key (never from a file).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QMenu, QMessageBox

from careplan.export import outfile
from careplan.store import Store
from careplan.store.changes import Changes
from careplan.ui import settings as keys
from careplan.ui import workers
from careplan.ui.export_run import JobDialog, in_store

if TYPE_CHECKING:
    # Replication is read once someone has signed in, not before the sign-in screen.
    from careplan.store.exchange import MadePack, PackImport
    from careplan.ui.mainwindow import MainWindow

log = logging.getLogger(__name__)

PACKS = "CarePlan change packs (*.cpk)"
#: Changes of more rows than this reach the views as "everything changed".
MANY_ROWS = 5_000
#: The first background sync, this long after sign-in (the window paints first).
FIRST_SYNC_MS = 2_000
#: How long the background sync waits for an unreachable server, in seconds.
CONNECT_TIMEOUT = 5


def broadcast(window: Any, changes: Changes) -> None:
    """Hand changes written in a worker to the runner, which tells every view."""
    runner = window.edits.runner if window.edits is not None else None
    if runner is None or changes.empty and not changes.everyone:
        return
    if len(changes.rows) > MANY_ROWS:
        changes = Changes.of_everything()
    runner.broadcast(changes)


class ShareActions(QObject):
    """The Share menu of one main window, and its background sync."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        #: Stand-ins for the file and choice dialogs (tests replace them).
        self.ask_open: Callable[[str, str], str] = self._ask_open
        self.ask_save: Callable[[str, str, str], str] = self._ask_save
        self.ask_recipient: Callable[[list[str]], int | None] = self._ask_recipient
        self.jobs: list[JobDialog] = []
        tr = self.tr
        self.make = self._action(tr("&Make a change pack…"), self.make_pack,
                                 tr("Write the changes another store has not seen into a "
                                    "signed, sealed file"))
        self.read = self._action(tr("&Read a change pack…"), self.read_pack,
                                 tr("Apply the changes in a pack another store made"))
        self.sync_now = self._action(tr("&Sync with the team server now"),
                                     lambda: self.background.sync_now(quiet=False),
                                     tr("Receive the team's changes and send this store's"))
        self.menu = QMenu(tr("&Share"), window)
        for action in (self.make, self.read):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.sync_now)
        self.background = BackgroundSync(window, self)
        self.update_enabled()

    def _action(self, text: str, slot: Callable[..., Any], tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def update_enabled(self) -> None:
        signed_in = self.window.store is not None and self.window.account is not None
        for action in (self.make, self.read):
            action.setEnabled(signed_in)
        self.sync_now.setEnabled(signed_in and self.background.dsn is not None)
        self.menu.setEnabled(signed_in)

    # -- asking -----------------------------------------------------------------------

    def _folder(self) -> Path:
        saved = self.window.settings.get(keys.EXPORT_FOLDER)
        return Path(saved) if saved and Path(saved).is_dir() else Path.home()

    def _ask_open(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, title, str(self._folder()),
                                              filters + ";;" + self.tr("All files (*)"))
        return path

    def _ask_save(self, title: str, name: str, filters: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(self._folder() / name),
                                              filters)
        if path and not path.lower().endswith(".cpk"):
            path += ".cpk"
        return path

    def _ask_recipient(self, names: list[str]) -> int | None:
        chosen, ok = QInputDialog.getItem(self.window, self.tr("Make a change pack"),
                                          self.tr("For which store?"), names, 0, False)
        return names.index(chosen) if ok and chosen in names else None

    def _store_path(self) -> str | None:
        store = self.window.store
        if store is None or self.window.account is None:
            return None
        if store.path == ":memory:":
            QMessageBox.warning(self.window, self.tr("Share"), self.tr(
                "This store lives in memory only; save it to a file to share it."))
            return None
        return store.path

    # -- packs ------------------------------------------------------------------------------

    def make_pack(self) -> None:
        path = self._store_path()
        store = self.window.store
        if path is None or store is None:
            return
        title = self.tr("Make a change pack")
        from careplan.store.exchange import peers

        trusted = peers(store)
        if not trusted:
            QMessageBox.information(self.window, title, self.tr(
                "This store shares with no other store yet. An administrator adds one with "
                "careplan share trust, giving the line the other store prints with "
                "careplan share id."))
            return
        names = [f"{p.name or self.tr('(no name)')} — {p.store_id}" for p in trusted]
        index = 0 if len(trusted) == 1 else self.ask_recipient(names)
        if index is None:
            return
        peer = trusted[index]
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H%M")
        out = self.ask_save(title, f"changes for {peer.name or peer.store_id[:8]} {stamp}.cpk",
                            PACKS)
        if not out:
            return
        reason = outfile.refusal(out, path)
        if reason is not None:
            QMessageBox.warning(self.window, title, self.tr("Nothing was written: %s.") % reason)
            return
        self.window.settings.set(keys.EXPORT_FOLDER, str(Path(out).parent))
        from careplan.store.exchange import make_pack

        recipient = peer.store_id

        def write(s: Store, job: workers.Job) -> MadePack:
            return make_pack(s, Path(out), recipient, progress=job.report)

        self._run(title, self.tr("Writing the changes for %s…") % (peer.name or recipient),
                  path, write, self._made)

    def _made(self, made: MadePack) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Make a change pack"),
                          made.lines()[0], QMessageBox.StandardButton.Ok, self.window)
        box.setInformativeText("\n".join(made.lines()[1:]))
        box.open()
        self.window.statusBar().showMessage(self.tr("Wrote %s") % made.path, 10000)

    def read_pack(self) -> None:
        path = self._store_path()
        if path is None:
            return
        source = self.ask_open(self.tr("Read a change pack"), PACKS)
        if not source:
            return
        from careplan.store.exchange import import_pack_file

        def read(s: Store, job: workers.Job) -> PackImport:
            return import_pack_file(s, Path(source), progress=job.report)

        self._run(self.tr("Read a change pack"), self.tr("Reading %s…") % Path(source).name,
                  path, read, self._read)

    def _read(self, done: PackImport) -> None:
        broadcast(self.window, done.arrived.result.changes)
        lines = done.lines()
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Read a change pack"),
                          lines[0], QMessageBox.StandardButton.Ok, self.window)
        box.setInformativeText("\n".join(lines[1:]))
        box.setObjectName("pack-summary")
        box.open()
        self.last_summary = lines

    def _run(self, title: str, label: str, path: str,
             fn: Callable[[Store, workers.Job], Any], done: Callable[[Any], None]) -> None:
        store = self.window.store
        key = store.key if store is not None else None
        job = JobDialog(self.window, title, label, in_store(path, fn, key), done,
                        ended=self._forget)
        self.jobs.append(job)

    def _forget(self, job: JobDialog) -> None:
        if job in self.jobs:
            self.jobs.remove(job)

    # -- the store's life --------------------------------------------------------------------

    def started(self) -> None:
        """Someone signed in: the background sync starts when a server is named."""
        self.background.start()
        self.update_enabled()

    def stopped(self) -> None:
        """The store is closing: a sync under way stops between batches first."""
        self.background.stop()
        self.update_enabled()


@dataclass(frozen=True, slots=True)
class Synced:
    """A sync's outcome, from the worker: what it did (or did before it stopped), the
    lines saying so, and why it stopped (None: it finished)."""

    report: Any
    lines: list[str]
    error: str | None
    changes: Changes
    opened: int


def _sync_task(path: str, key: bytes | None, dsn: str, job: workers.Job) -> Synced:
    from careplan.store.serversync import SyncError, sync
    from careplan.store.teamserver import ServerError

    store = Store.open(path, create=False, key=key)
    try:
        try:
            report = sync(store, dsn, timeout=CONNECT_TIMEOUT,
                          progress=lambda done, total, what: job.progress.emit(done, total,
                                                                                what),
                          cancelled=lambda: job.is_cancelled)
        except SyncError as exc:
            report = exc.report
            arrived = report.arrived(store)
            return Synced(report, report.lines(store), str(exc), arrived.result.changes,
                          len(arrived.opened))
        except ServerError as exc:
            return Synced(None, [], str(exc), Changes(), 0)
        arrived = report.arrived(store)
        return Synced(report, report.lines(store), None, arrived.result.changes,
                      len(arrived.opened))
    finally:
        store.close()


class BackgroundSync(QObject):
    """Syncs the open store with its team server now and then, one sync at a time."""

    #: A sync ended (its Synced), whether it finished or not.
    ended = Signal(object)

    def __init__(self, window: MainWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.dsn: str | None = None
        self.job: workers.Job | None = None
        self.last_synced: datetime | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.timer = QTimer(self)
        self.timer.timeout.connect(lambda: self.sync_now(quiet=True))
        self.label = QLabel()
        self.label.setAccessibleName(self.tr("Team server"))
        self.label.hide()
        window.statusBar().addPermanentWidget(self.label)

    def start(self) -> None:
        from careplan.store.serversync import configured, last_state

        store = self.window.store
        if store is None or store.path == ":memory:":
            return
        self.dsn = configured(store)
        if self.dsn is None:
            return
        state = last_state(store, self.dsn)
        if state is not None and state.last_synced:
            self.last_synced = datetime.fromisoformat(state.last_synced)
        self._show(None)
        seconds = max(10, int(self.window.settings.get(keys.SYNC_EVERY_SECONDS)))
        self.timer.start(seconds * 1000)
        QTimer.singleShot(FIRST_SYNC_MS, self, lambda: self.sync_now(quiet=True))

    def stop(self) -> None:
        self.timer.stop()
        if self.job is not None:
            self.job.cancel()
        self.pool.waitForDone(60_000)
        self.job = None
        self.dsn = None
        self.last_synced = None
        self.label.hide()

    @property
    def busy(self) -> bool:
        return self.job is not None

    def sync_now(self, quiet: bool = True) -> None:
        """Sync now, unless a sync is under way (``quiet``: the background's, which
        never opens a dialog)."""
        store = self.window.store
        if self.dsn is None or store is None or self.window.account is None or self.busy:
            return
        path, key, dsn = store.path, store.key, self.dsn
        self.label.setText(self.tr("Syncing with the team server…"))

        def listen(job: workers.Job) -> None:
            job.finished.connect(lambda result: self._finished(result, quiet))
            job.failed.connect(lambda message: self._failed(message, quiet))
            job.cancelled.connect(lambda: self._done())

        self.job = workers.start(lambda job: _sync_task(path, key, dsn, job), self,
                                 pool=self.pool, connect=listen)

    def _done(self) -> None:
        self.job = None

    def _finished(self, synced: Synced, quiet: bool) -> None:
        self._done()
        broadcast(self.window, synced.changes)
        if synced.error is None:
            self.last_synced = datetime.now(UTC)
        self._show(synced.error)
        if synced.opened:
            self.window.statusBar().showMessage(
                self.tr("%d conflict(s) opened by changes from the team server: see the "
                        "sync-conflict flags.") % synced.opened, 15000)
        if not quiet:
            box = QMessageBox(
                QMessageBox.Icon.Information if synced.error is None
                else QMessageBox.Icon.Warning, self.tr("Sync with the team server"),
                synced.lines[0] if synced.lines and synced.error is None
                else synced.error or "", QMessageBox.StandardButton.Ok, self.window)
            box.setInformativeText("\n".join(synced.lines[1:] if synced.error is None
                                             else synced.lines))
            box.open()
        self.ended.emit(synced)

    def _failed(self, message: str, quiet: bool) -> None:
        """A bug in the sync (logged by the worker): said quietly in the status bar."""
        self._done()
        self._show(message)
        self.ended.emit(Synced(None, [], message, Changes(), 0))

    def _show(self, error: str | None) -> None:
        when = (self.last_synced.astimezone().strftime("%d %b %H:%M")
                if self.last_synced is not None else None)
        if error is None:
            text = self.tr("Last synced %s") % when if when else self.tr("Not synced yet")
            tip = self.tr("Team server: %s") % (self.dsn or "")
        else:
            text = (self.tr("Team server not reachable · last synced %s") % when if when
                    else self.tr("Team server not reachable · not synced yet"))
            tip = error
        self.label.setText(text)
        self.label.setToolTip(tip)
        self.label.show()


__all__ = ["BackgroundSync", "ShareActions", "Synced", "broadcast"]
