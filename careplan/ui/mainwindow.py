"""The main window: store and identity, caseload, person tabs, dashboard, conference mode."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Agency, Professional
from careplan.models.facts import Directory
from careplan.store import NotAStoreError, NotFoundError, Store, StoreError, backup, get
from careplan.store import caseload as q
from careplan.store.person_file import load_directory
from careplan.ui import settings as keys
from careplan.ui import workers
from careplan.ui.caseload_model import CaseloadModel
from careplan.ui.caseload_view import CaseloadPanel
from careplan.ui.changes_view import EditsView
from careplan.ui.exports import ExportActions
from careplan.ui.flagsource import load_flag_summaries
from careplan.ui.flagview import not_checked
from careplan.ui.identity import ChooseProfessionalDialog, describe
from careplan.ui.settings import Settings
from careplan.ui.store_health import HealthWatch

log = logging.getLogger(__name__)


#: How long after a store opens its flags are started (the window paints first).
AFTER_FIRST_PAINT_MS = 150


def _import_workspace() -> None:
    import careplan.ui.workspace  # noqa: F401


class MainWindow(QMainWindow):
    """One open store at a time; persons open in tabs beside the caseload."""

    store_opened = Signal(str)
    flags_loaded = Signal()

    def __init__(self, settings: Settings, today: Callable[[], date] = date.today,
                 ask_identity: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.today = today
        self.ask_identity = ask_identity
        self.store: Store | None = None
        self.actor: Professional | None = None
        self.actor_agency: Agency | None = None
        self.model: CaseloadModel | None = None
        self.caseload: CaseloadPanel | None = None
        self.flags: dict[str, Any] = {}
        #: Why the last flags check failed; None when it did not.
        self.flags_error: str | None = None
        #: Agencies and professionals, read once per store and shared by the workspaces.
        self.directory: Directory | None = None
        self.jobs: list[workers.Job] = []
        #: PersonWorkspace once a person was opened (only open_person adds one to the tabs).
        self._workspace_type: type[QWidget] | None = None
        self.edits = EditsView(self)
        self.undo_group = self.edits.undo_group
        self.setWindowTitle(self.tr("CarePlan"))
        self.setAccessibleName(self.tr("CarePlan"))

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.health = HealthWatch(self)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.health.banner)
        body.addWidget(self.tabs, 1)
        self.empty = QLabel(self.tr("Open a store with File ▸ Open store… (Ctrl+O)."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.empty)
        self._build_actions()
        self._build_status()
        geometry = settings.get(keys.WINDOW_GEOMETRY)
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1360, 820)

    # -- actions, menus, toolbar -------------------------------------------------------

    def _action(self, text: str, slot: Callable[..., Any], shortcut: Any = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        tr = self.tr
        self.act_new = self._action(tr("&New store…"), self.new_store, QKeySequence.StandardKey.New,
                                    tr("Create an empty store file"))
        self.act_open = self._action(tr("&Open store…"), self.choose_store,
                                     QKeySequence.StandardKey.Open, tr("Open a store file"))
        self.act_identity = self._action(tr("&Who am I…"), self.choose_identity, "Ctrl+I",
                                         tr("Choose which professional you are"))
        self.act_quit = self._action(tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        self.act_caseload = self._action(tr("&Caseload"), self.show_caseload, "Ctrl+1",
                                         tr("Back to the caseload"))
        self.act_dashboard = self._action(tr("&Dashboard"), self.show_dashboard, "Ctrl+2",
                                          tr("Where the system is failing people"))
        self.act_budgets = self._action(tr("&Budgets"), self.show_budgets, "Ctrl+3",
                                        tr("Pooled and aligned budgets, spend by stream and "
                                           "agency, disputes and the prevention share"))
        self.act_conference = self._action(tr("Case &conference mode"), self.toggle_conference,
                                           "F11", tr("Large-text view for a case conference"))
        self.act_refresh = self._action(tr("&Refresh"), self.refresh,
                                        QKeySequence.StandardKey.Refresh,
                                        tr("Read the store again"))
        self.act_close_tab = self._action(tr("Close &person"), self.close_current_tab,
                                          QKeySequence.StandardKey.Close)
        self.act_undo, self.act_redo = self.edits.act_undo, self.edits.act_redo

        bar = self.menuBar()
        file_menu = bar.addMenu(tr("&File"))
        file_menu.addAction(self.act_new)
        file_menu.addAction(self.act_open)
        self.recent_menu = QMenu(tr("Open &recent"), self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        self.exports = ExportActions(self)
        file_menu.addMenu(self.exports.menu)
        file_menu.addAction(self.exports.fhir_import)
        file_menu.addSeparator()
        file_menu.addAction(self.act_identity)
        file_menu.addSeparator()
        file_menu.addAction(self.act_close_tab)
        file_menu.addAction(self.act_quit)
        edit_menu = bar.addMenu(tr("&Edit"))
        edit_menu.addAction(self.act_undo)
        edit_menu.addAction(self.act_redo)
        view_menu = bar.addMenu(tr("&View"))
        for act in (self.act_caseload, self.act_dashboard, self.act_budgets,
                    self.act_conference, self.act_refresh):
            view_menu.addAction(act)

        tools = self.addToolBar(tr("Main"))
        tools.setObjectName("main-toolbar")
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tools.addAction(self.act_caseload)
        tools.addAction(self.act_dashboard)
        tools.addAction(self.act_budgets)
        tools.addAction(self.act_conference)
        tools.addSeparator()
        tools.addAction(self.act_undo)
        tools.addAction(self.act_redo)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy())
        tools.addWidget(spacer)
        self.identity_button = QToolButton()
        self.identity_button.setDefaultAction(self.act_identity)
        self.identity_button.setAccessibleName(tr("Who you are"))
        tools.addWidget(self.identity_button)
        self._update_enabled()

    def _build_status(self) -> None:
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_jobs)
        for w in (self.progress_label, self.progress, self.cancel_button):
            self.statusBar().addPermanentWidget(w)
            w.hide()

    def _update_enabled(self) -> None:
        has_store = self.store is not None
        for act in (self.act_identity, self.act_caseload, self.act_dashboard,
                    self.act_budgets, self.act_refresh):
            act.setEnabled(has_store)
        self.act_conference.setEnabled(self.current_workspace() is not None)
        self.act_close_tab.setEnabled(self.current_workspace() is not None)
        self.exports.update_enabled()
        if self.actor is not None:
            self.act_identity.setText(self.tr("You are %s") % self.actor.name)
            self.identity_button.setToolTip(describe(self.actor, self.actor_agency))
        else:
            self.act_identity.setText(self.tr("&Who am I…"))

    # -- stores ------------------------------------------------------------------------

    def new_store(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("New store"), str(Path.home() / "careplan.db"),
            self.tr("CarePlan stores (*.db)"))
        if path:
            self.open_store(path, create=True)

    def choose_store(self) -> None:
        start = str(Path(self.store.path).parent) if self.store else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open store"), start, self.tr("CarePlan stores (*.db);;All files (*)"))
        if path:
            self.open_store(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = self.settings.recent_stores()
        if not paths:
            none = self.recent_menu.addAction(self.tr("No recent stores"))
            none.setEnabled(False)
        for n, path in enumerate(paths, start=1):
            act = self.recent_menu.addAction(f"&{n} {path}")
            act.triggered.connect(lambda _=False, p=path: self.open_store(p))

    def open_store(self, path: str | Path, *, create: bool = False) -> bool:
        """Open (or create) the store at ``path`` in place of the current one."""
        text = str(path)
        if not self.close_all_persons():
            return False
        damage: str | None = None
        try:
            store = Store.open(text, create=create)
        except NotAStoreError as exc:
            # Damaged past opening for writing: open it to read, if SQLite still can.
            try:
                store = Store.open(text, read_only=True)
            except StoreError:
                QMessageBox.warning(self, self.tr("Cannot open the store"),
                                    f"{str(exc).rstrip('.')}. {backup.recovery_hint(text)[1]}")
                return False
            damage = str(exc)
        except StoreError as exc:
            QMessageBox.warning(self, self.tr("Cannot open the store"), str(exc))
            if not Path(text).exists():
                self.settings.remove_recent_store(text)
            return False
        self.close_store()
        self.store = store
        self.health.watch(store, damage)
        self.edits.start(store)
        self.settings.add_recent_store(text)
        self.model = CaseloadModel(store, self.today(), self)
        self.caseload = CaseloadPanel(self.model)
        self.caseload.open_person.connect(self.open_person)
        header_state = self.settings.get(keys.CASELOAD_HEADER)
        if header_state:
            self.caseload.table.horizontalHeader().restoreState(QByteArray(header_state))
        self.tabs.insertTab(0, self.caseload, self.tr("Caseload"))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.setCentralWidget(self.body)
        self.model.set_query(q.CaseloadQuery())
        self._restore_identity()
        self.setWindowTitle(self.tr("CarePlan — %s") % Path(text).name)
        self.statusBar().showMessage(self.tr("Opened %s") % text, 5000)
        self._update_enabled()
        self.store_opened.emit(text)
        self.caseload.search.setFocus()
        # Work the first paint does not need waits until the window is on screen: the
        # flags worker would otherwise take the interpreter's lock from the painting, and
        # the workspace is imported so the first person opened does not wait for it.
        QTimer.singleShot(AFTER_FIRST_PAINT_MS, self, lambda s=store: self._after_open(s))
        return True

    def _after_open(self, store: Store) -> None:
        if self.store is not store:  # another store was opened meanwhile
            return
        self.start_flags()
        _import_workspace()

    def close_store(self) -> None:
        self.edits.stop()  # saves on their way finish first
        self.health.stop()
        self.cancel_jobs()
        if self.caseload is not None:
            self.settings.set(keys.CASELOAD_HEADER,
                              bytes(self.caseload.table.horizontalHeader().saveState().data()))
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if widget is not None:
                widget.deleteLater()
        if self.store is not None:
            self.store.close()
        self.store = self.model = self.caseload = self.directory = None
        self.actor = self.actor_agency = None
        self.flags, self.flags_error = {}, None

    # -- who you are ------------------------------------------------------------------------

    def _restore_identity(self) -> None:
        assert self.store is not None
        remembered = self.settings.identity(self.store.store_id)
        if remembered and self.set_actor(remembered):
            return
        if self.ask_identity:
            QTimer.singleShot(0, self, self.choose_identity)

    def set_actor(self, professional_id: str) -> bool:
        """Act as this professional from now on; False if the store has none such."""
        assert self.store is not None
        try:
            self.actor = get(self.store, Professional, professional_id)
            self.actor_agency = get(self.store, Agency, self.actor.agency_id)
        except NotFoundError:
            return False
        self.settings.remember_identity(self.store.store_id, self.actor.id)
        if self.caseload is not None:
            self.caseload.set_actor(self.actor.id, self.actor.agency_id)
        for ws in self.workspaces():
            ws.set_actor(self.actor)
        self._update_enabled()
        return True

    def choose_identity(self) -> None:
        if self.store is None:
            return
        dialog = ChooseProfessionalDialog(self.store, self.actor.id if self.actor else None,
                                          self)
        if dialog.list.model().rowCount() == 0:
            QMessageBox.information(self, self.tr("No professionals yet"), self.tr(
                "This store has no professionals yet, so you can read it but not change it."))
            return
        if dialog.exec() and dialog.chosen_id():
            self.set_actor(str(dialog.chosen_id()))

    # -- flags (background) -----------------------------------------------------------------

    def start_flags(self) -> None:
        if self.store is None or self.store.path == ":memory:":
            return
        path, today = self.store.path, self.today()

        def connect(job: workers.Job) -> None:
            job.finished.connect(self.flags_ready)
            job.failed.connect(self._flags_failed)

        self.run_job(self.tr("Checking flags"), lambda j: load_flag_summaries(path, today, j),
                     connect)

    def flags_ready(self, flags: Any) -> None:
        """Flag summaries per person: the caseload and open workspaces show them."""
        self.flags, self.flags_error = dict(flags or {}), None
        if self.caseload is not None:
            self.caseload.set_flags(self.flags)
        for ws in self.workspaces():
            ws.set_flags(self.flags.get(ws.person_id))
        self.flags_loaded.emit()

    def _flags_failed(self, message: str) -> None:
        """A failed check must not look like "no flags": the caseload and every person
        opened say the flags could not be checked (the status bar says so too)."""
        self.flags, self.flags_error = {}, message
        if self.caseload is not None:
            self.caseload.flags_not_checked(message)
        for ws in self.workspaces():
            ws.set_flags(self.person_flags(ws.person_id))

    def person_flags(self, person_id: str) -> Any:
        """The person's flag summary, or one saying the check failed."""
        if self.flags_error is not None:
            return not_checked(self.flags_error)
        return self.flags.get(person_id)

    def run_job(self, label: str, fn: Callable[[workers.Job], Any],
                connect: Callable[[workers.Job], Any] | None = None) -> workers.Job:
        """Run ``fn`` in the pool with the status bar's progress and Cancel button;
        ``connect`` hooks up the caller's slots before the task starts."""

        def listen(job: workers.Job) -> None:
            job.progress.connect(self._job_progress)
            for signal in (job.finished, job.failed, job.cancelled):
                signal.connect(lambda *_, j=job: self._job_done(j))
            job.failed.connect(lambda msg: self.statusBar().showMessage(
                self.tr("%s failed: %s") % (label, msg), 10000))
            if connect is not None:
                connect(job)

        job = workers.start(fn, self, connect=listen)
        self.jobs.append(job)
        self.progress_label.setText(label)
        self.progress.setRange(0, 0)
        for w in (self.progress_label, self.progress, self.cancel_button):
            w.show()
        return job

    def _job_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if what:
            self.progress_label.setText(what)

    def _job_done(self, job: workers.Job) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        if not self.jobs:
            for w in (self.progress_label, self.progress, self.cancel_button):
                w.hide()

    def cancel_jobs(self) -> None:
        for job in list(self.jobs):
            job.cancel()

    # -- tabs ------------------------------------------------------------------------------

    def workspaces(self) -> list[Any]:
        kind = self._workspace_type
        if kind is None:
            return []
        return [w for i in range(self.tabs.count())
                if isinstance(w := self.tabs.widget(i), kind)]

    def current_workspace(self) -> Any:
        kind = self._workspace_type
        widget = self.tabs.currentWidget() if self.store else None
        return widget if kind is not None and isinstance(widget, kind) else None

    def open_person(self, person_id: str) -> Any:
        """Show the person's workspace (re-using an open tab)."""
        # The workspace and its tabs are imported with the first person opened: at start
        # they would cost about a quarter of the start-up time.
        from careplan.ui.workspace import PersonWorkspace

        assert self.store is not None
        self._workspace_type = PersonWorkspace
        for ws in self.workspaces():
            if ws.person_id == person_id:
                self.tabs.setCurrentWidget(ws)
                return ws
        ws = PersonWorkspace(self.store, person_id, self.today(), self.actor,
                             self.directory_now(), edits=self.edits)
        ws.set_flags(self.person_flags(person_id))
        ws.minutes_requested.connect(self.exports.export_minutes)
        self.undo_group.addStack(ws.undo_stack)
        index = self.tabs.addTab(ws, ws.title())
        self.tabs.setTabToolTip(index, ws.title())
        self.tabs.setCurrentIndex(index)
        return ws

    def directory_now(self) -> Directory:
        """The store's agencies and professionals, read once and shared."""
        assert self.store is not None
        if self.directory is None:
            self.directory = load_directory(self.store)
        return self.directory

    def actor_id(self) -> str:
        """Who is editing, as the audit log records them."""
        return self.actor.id if self.actor else "unknown"

    def _tab_changed(self, index: int) -> None:
        ws = self.current_workspace()
        self.undo_group.setActiveStack(ws.undo_stack if ws else None)  # type: ignore[arg-type]
        self._update_enabled()

    def close_tab(self, index: int) -> bool:
        widget = self.tabs.widget(index)
        if widget is None or widget is self.caseload:
            return False
        if hasattr(widget, "confirm_close") and not widget.confirm_close():
            return False
        if hasattr(widget, "undo_stack"):
            self.undo_group.removeStack(widget.undo_stack)
        self.tabs.removeTab(index)
        widget.deleteLater()
        return True

    def close_current_tab(self) -> None:
        self.close_tab(self.tabs.currentIndex())

    def close_all_persons(self) -> bool:
        return all(self.close_tab(self.tabs.indexOf(ws)) for ws in self.workspaces())

    def show_caseload(self) -> None:
        if self.caseload is not None:
            self.tabs.setCurrentWidget(self.caseload)
            self.caseload.search.setFocus()
            self.caseload.search.selectAll()

    def show_dashboard(self) -> None:
        from careplan.ui.dashboard import Dashboard

        if self.store is None:
            return
        for i in range(self.tabs.count()):
            if isinstance(self.tabs.widget(i), Dashboard):
                self.tabs.setCurrentIndex(i)
                return
        board = Dashboard(self.store.path, self.today(), self)
        board.open_persons.connect(self._show_persons)
        self.tabs.addTab(board, self.tr("Dashboard"))
        self.tabs.setCurrentWidget(board)

    def show_budgets(self) -> None:
        from careplan.ui.budgets import BudgetsView

        if self.store is None:
            return
        for i in range(self.tabs.count()):
            if isinstance(self.tabs.widget(i), BudgetsView):
                self.tabs.setCurrentIndex(i)
                return
        view = BudgetsView(self.store.path, self.today(), self)
        self.tabs.addTab(view, self.tr("Budgets"))
        self.tabs.setCurrentWidget(view)

    def _show_persons(self, ids: list[str], label: str) -> None:
        if self.caseload is None:
            return
        self.caseload.show_only(ids, label)
        self.show_caseload()

    def toggle_conference(self) -> None:
        ws = self.current_workspace()
        if ws is not None:
            ws.toggle_conference()

    def refresh(self) -> None:
        self.directory = None
        if self.model is not None:
            self.model.refresh()
        for ws in self.workspaces():
            ws.reload()
        self.start_flags()

    # -- closing -----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.close_all_persons():
            event.ignore()
            return
        self.settings.set(keys.WINDOW_GEOMETRY, bytes(self.saveGeometry().data()))
        self.close_store()
        self.settings.sync()
        event.accept()
