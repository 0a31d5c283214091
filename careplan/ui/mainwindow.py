"""The main window: the store and who is signed in to it, caseload, person tabs, dashboard,
conference mode.

A store opens on its sign-in screen (careplan.ui.sign_in); its caseload, its writer and
everything else that reads person data start only once someone has signed in
(:meth:`MainWindow.complete_sign_in`). The session locks after a while without input
(careplan.ui.session_lock); signing out closes the store and shows its sign-in screen
again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Agency, Professional
from careplan.models.accounts import Account, AccountRole
from careplan.store import (
    NotAStoreError,
    NotFoundError,
    Store,
    StoreError,
    backup,
    get,
    keyring,
)
from careplan.store.visibility import NotSharedError, Viewer, viewer_of
from careplan.ui import plurals, text, workers
from careplan.ui import settings as keys
from careplan.ui.audit_watch import AuditWatch
from careplan.ui.changes_view import READS_ONLY, EditsView
from careplan.ui.exports import ExportActions
from careplan.ui.session_lock import SessionLock
from careplan.ui.settings import Settings
from careplan.ui.share import ShareActions
from careplan.ui.shell import PlainStoreBanner
from careplan.ui.sign_in import SignInPage, describe, sign_in_pool
from careplan.ui.store_health import HealthWatch
from careplan.ui.store_watch import StoreWatch

if TYPE_CHECKING:
    # What only a signed-in window shows (the caseload, its flags, the directory) is
    # imported once someone has signed in, not before the sign-in screen is painted.
    from careplan.models.facts import Directory
    from careplan.ui.caseload_model import CaseloadModel
    from careplan.ui.caseload_view import CaseloadPanel

log = logging.getLogger(__name__)


#: How long after a store opens its flags are started (the window paints first).
AFTER_FIRST_PAINT_MS = 150


def _import_workspace() -> None:
    import careplan.ui.workspace  # noqa: F401


def _start_backup(store: Store) -> None:
    """The automatic backup of an encrypted store, once it is unlocked (the command line
    starts a plain store's before the window opens), in a thread of its own with its own
    connection; Python waits for it at exit."""
    import threading

    path, key = store.path, store.key
    threading.Thread(target=lambda: backup.auto_backup(path, key=key),
                     name="careplan-backup").start()


class MainWindow(QMainWindow):
    """One open store at a time; persons open in tabs beside the caseload."""

    #: The store's path, once someone signed in to it and its caseload is shown.
    store_opened = Signal(str)
    flags_loaded = Signal()
    #: The account signed in on the sign-in screen (not emitted again by an unlock).
    signed_in = Signal(object)

    def __init__(self, settings: Settings, today: Callable[[], date] = date.today,
                 now: Callable[[], datetime | None] = lambda: None, user: str | None = None,
                 parent: QWidget | None = None) -> None:
        """``now``: the time of sign-in attempts (the lockout counts from it); None, the
        default, is the store's own clock. ``user``: the user name the sign-in screen
        starts with (``careplan --user NAME``), rather than the last one used."""
        super().__init__(parent)
        plurals.install()
        self.settings = settings
        self.today = today
        self.now = now
        self.user = user
        self.store: Store | None = None
        #: An encrypted (or new) store waiting for a sign-in: nothing of it can be read
        #: before its key is unwrapped, so it is opened only then (complete_sign_in).
        self.locked_path: str | None = None
        #: The account signed in to the open store; None until someone has signed in.
        self.account: Account | None = None
        self.sign_in_page: SignInPage | None = None
        #: The signed-in account's professional: None for an administrator's account that
        #: belongs to no professional, which sees no one's record and changes nothing.
        self.actor: Professional | None = None
        self.actor_agency: Agency | None = None
        #: Who reads: the signed-in professional's agency, whose sharing basis decides
        #: whose records are shown (careplan.store.visibility); no agency sees no one.
        self.viewer: Viewer = Viewer(None)
        self.model: CaseloadModel | None = None
        self.caseload: CaseloadPanel | None = None
        #: My work (careplan.ui.mywork), the first tab once someone has signed in.
        self.my_work: Any = None
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
        self.audit = AuditWatch(self)
        self.lock = SessionLock(self)
        # The open store's page: the damage banner above its sign-in screen, then its tabs.
        self.stage = QStackedWidget()
        self.stage.addWidget(self.tabs)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.health.banner)
        body.addWidget(self.audit.banner)
        self.plain_banner = PlainStoreBanner()
        body.addWidget(self.plain_banner)
        body.addWidget(self.stage, 1)
        self.empty = QLabel(self.tr("Open a store with File ▸ Open store… (Ctrl+O)."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.body)
        self.setCentralWidget(self.pages)
        self._build_actions()
        self._build_help_menu()
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
        self.act_new = self._action(tr("&New store…"), self.new_store, "Ctrl+Shift+N",
                                    tr("Create an empty store file"))
        self.act_register = self._action(tr("&Register a person…"), self.register_person,
                                         QKeySequence.StandardKey.New,
                                         tr("Add a person not yet on record"))
        self.act_open = self._action(tr("&Open store…"), self.choose_store,
                                     QKeySequence.StandardKey.Open, tr("Open a store file"))
        self.act_identity = self._action(tr("Not signed in"), self.show_caseload)
        self.act_identity.setEnabled(False)
        self.act_lock = self._action(tr("&Lock"), self.lock.lock, "Ctrl+L",
                                     tr("Cover the screen until your password is typed again"))
        self.act_sign_out = self._action(tr("Sign &out"), self.sign_out, None,
                                         tr("Close the store so that someone else can sign "
                                            "in"))
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
        self.act_close_tab = self._action(tr("Close &person"), self.close_current_tab)
        # Every binding of Close (Ctrl+W as well as Ctrl+F4), not only the first.
        self.act_close_tab.setShortcuts(QKeySequence.StandardKey.Close)
        self.act_emergency = self._action(
            tr("&Emergency access…"), self.emergency_access, None,
            tr("Open, in an emergency, the record of a person your agency may not see: the "
               "reason is recorded and reported to their lead professional"))
        self.act_undo, self.act_redo = self.edits.act_undo, self.edits.act_redo

        bar = self.menuBar()
        file_menu = bar.addMenu(tr("&File"))
        file_menu.addAction(self.act_register)
        file_menu.addSeparator()
        file_menu.addAction(self.act_new)
        file_menu.addAction(self.act_open)
        self.recent_menu = QMenu(tr("Open &recent"), self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        self.exports = ExportActions(self)
        self._add_print_action(file_menu)
        file_menu.addMenu(self.exports.menu)
        file_menu.addAction(self.exports.fhir_import)
        self.share = ShareActions(self)
        #: Other processes' commits to the store, and midnight (careplan.ui.store_watch).
        self.watch = StoreWatch(self)
        file_menu.addMenu(self.share.menu)
        file_menu.addSeparator()
        file_menu.addAction(self.act_identity)
        file_menu.addAction(self.act_lock)
        file_menu.addAction(self.act_sign_out)
        file_menu.addSeparator()
        file_menu.addAction(self.act_emergency)
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
        self.identity_menu = QMenu(self)
        self.identity_menu.addAction(self.act_lock)
        self.identity_menu.addAction(self.act_sign_out)
        self.identity_button = QToolButton()
        self.identity_button.setText(tr("Not signed in"))
        self.identity_button.setMenu(self.identity_menu)
        self.identity_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.identity_button.setAccessibleName(tr("Who is signed in"))
        tools.addWidget(self.identity_button)
        self._update_enabled()

    def _add_print_action(self, menu: QMenu) -> None:
        """File ▸ Print… (Ctrl+P): a preview, then the platform's print dialog. Its module
        (QtPdf, QtPrintSupport) is imported when first used, not before the sign-in
        screen is painted."""
        tr = self.tr
        self.act_print = QAction(tr("&Print…"), self)
        self.act_print.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
        tip = tr("Print the joint plan, the handoff audit, case conference minutes or the "
                 "funding report, with a preview first")
        self.act_print.setStatusTip(tip)
        self.act_print.setToolTip(tip)
        self.act_print.triggered.connect(lambda _=False: self.printing.print_document())
        self._printing: Any = None
        menu.addAction(self.act_print)

    @property
    def printing(self) -> Any:
        """File ▸ Print's actions (careplan.ui.printing.PrintActions), made when first
        used."""
        if self._printing is None:
            from careplan.ui.printing import PrintActions

            self._printing = PrintActions(self, self.act_print)
        return self._printing

    def _build_help_menu(self) -> None:
        """Help ▸ User guide (F1) and About CarePlan."""
        tr = self.tr
        self.guide: QWidget | None = None
        self.act_guide = self._action(tr("&User guide"), self.show_guide,
                                      QKeySequence.StandardKey.HelpContents,
                                      tr("A short guide to CarePlan"))
        self.act_about = self._action(tr("&About CarePlan"), self.show_about, None,
                                      tr("Version, the store open and its layout version"))
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu = self.menuBar().addMenu(tr("&Help"))
        help_menu.addAction(self.act_guide)
        help_menu.addSeparator()
        help_menu.addAction(self.act_about)

    def show_guide(self) -> QWidget:
        """The user guide in a window of its own (one, raised when already open)."""
        from careplan.ui.help import GuideWindow

        if self.guide is None:
            self.guide = GuideWindow(self)
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()
        return self.guide

    def show_about(self) -> None:
        from careplan.ui.help import AboutDialog

        AboutDialog(self.store, self).exec()

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
        signed_in = self.store is not None and self.account is not None
        for act in (self.act_caseload, self.act_dashboard, self.act_budgets,
                    self.act_refresh, self.act_lock, self.act_sign_out):
            act.setEnabled(signed_in)
        self.identity_button.setEnabled(signed_in)
        self.act_emergency.setEnabled(signed_in and self.actor is not None)
        self.act_conference.setEnabled(self.current_workspace() is not None)
        self._enable_register()
        self.act_close_tab.setEnabled(self.current_workspace() is not None)
        self.exports.update_enabled()
        self.share.update_enabled()
        self.act_print.setEnabled(self.store is not None and self.account is not None)
        if self.account is not None:
            text = self.tr("Signed in as %s") % self.signed_in_name()
            self.act_identity.setText(text)
            self.identity_button.setText(text)
            self.identity_button.setToolTip(self.signed_in_description())
        else:
            self.act_identity.setText(self.tr("Not signed in"))
            self.identity_button.setText(self.tr("Not signed in"))
            self.identity_button.setToolTip("")

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
        """Open (or create) the store at ``path`` in place of the current one.

        An encrypted store (a keyring beside it) and a new one show their sign-in screen
        without opening anything: the sign-in unwraps the key (or makes the store, with
        its administrator), and the store opens then. A plain store opens at once, and
        a banner says it is not encrypted and how to encrypt it."""
        text = str(path)
        if not self.close_all_persons():
            return False
        if text != ":memory:" and (keyring.exists(text) or (create and not Path(text).exists())):
            return self._open_locked(text)
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
        store.reads_only = READS_ONLY  # the window reads; sign-ins and edits write elsewhere
        self.setWindowTitle(self.tr("CarePlan — %s") % Path(text).name)
        self.health.watch(store, damage)
        self.settings.add_recent_store(text)
        if text != ":memory:":
            self.plain_banner.show_for(text)
        self._show_sign_in()
        self.pages.setCurrentWidget(self.body)
        self._update_enabled()
        return True

    def _open_locked(self, text: str) -> bool:
        """An encrypted store, or a new one: its sign-in screen, and nothing opened yet."""
        if keyring.exists(text) and not Path(text).is_file():
            QMessageBox.warning(self, self.tr("Cannot open the store"),
                                self.tr("There is no store at %s (only its keyring).") % text)
            return False
        self.close_store()
        self.locked_path = text
        self.setWindowTitle(self.tr("CarePlan — %s") % Path(text).name)
        if Path(text).exists():
            self.settings.add_recent_store(text)
        self._show_sign_in()
        self.pages.setCurrentWidget(self.body)
        self._update_enabled()
        return True

    def _show_sign_in(self) -> None:
        """The store's sign-in screen, with the user name given on the command line, else
        the last one signed in to this store with (an encrypted store's id is not known
        before the sign-in: the command line's or none)."""
        store = self.store
        if store is not None:
            name = self.user or self.settings.last_user(store.store_id) or ""
            page = SignInPage(store, self.now, username=name)
        else:
            assert self.locked_path is not None
            name = self.user or self.settings.last_user(self.locked_path) or ""
            page = SignInPage(None, self.now, username=name, path=self.locked_path)
            page.credentials.damaged.connect(self._damaged_after_unlock)
        page.signed_in.connect(self.complete_sign_in)
        self.sign_in_page = page
        self.stage.addWidget(page)
        self.stage.setCurrentWidget(page)
        page.credentials.focus_first_empty()

    def _drop_sign_in(self) -> None:
        page, self.sign_in_page = self.sign_in_page, None
        if page is not None:
            page.credentials.clear()
            self.stage.removeWidget(page)
            page.deleteLater()

    def complete_sign_in(self, account: Account) -> None:
        """``account`` signed in to the open store (through careplan.store.accounts): its
        professional becomes the actor, and the caseload, the writer and the session lock
        start. The caseload lists only persons whose records may be shared with the
        professional's agency (careplan.store.visibility). An administrator's account that
        belongs to no professional belongs to no agency: it sees no one's record and
        changes nothing (every edit asks for a professional)."""
        if self.store is None and self.locked_path is not None:
            page = self.sign_in_page
            if not self._open_unlocked(page.credentials.unlocked_key if page else None):
                return
        store = self.store
        assert store is not None, "no store is open to sign in to"
        if self.account is not None:
            return
        self.account = account
        self.actor = self.actor_agency = None
        if account.professional_id is not None:
            try:
                self.actor = get(store, Professional, account.professional_id)
                self.actor_agency = get(store, Agency, self.actor.agency_id)
            except NotFoundError:
                log.warning("The account %s names a professional the store does not have",
                            account.username)
        self.viewer = viewer_of(store, account)
        self.exports.audience_id = None  # prints are for the reader's own agency at first
        self._drop_sign_in()
        self.settings.remember_user(store.store_id, account.username)
        # By its path as well: an encrypted store's id is read only now, and the first
        # window of a start (careplan.ui.shell) fills in the user name before any store
        # is read.
        self.settings.remember_user(store.path, account.username)
        if store.key is not None:
            _start_backup(store)
        self.edits.start(store)
        self.share.started()
        self.watch.start(store)
        from careplan.store import caseload as q
        from careplan.ui.caseload_model import CaseloadModel
        from careplan.ui.caseload_view import CaseloadPanel

        self.model = CaseloadModel(store, self.today(), self)
        self.caseload = CaseloadPanel(self.model, self.settings)
        self.caseload.open_person.connect(self.open_person)
        self.caseload.register_requested.connect(self.register_person)
        self.caseload.restore_header(self.settings.get(keys.CASELOAD_HEADER))
        self.tabs.insertTab(0, self.caseload, self.tr("Caseload"))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.stage.setCurrentWidget(self.tabs)
        self.add_my_work(store)
        self.model.set_query(q.CaseloadQuery(viewer_agency_id=self.viewer.agency_id))
        self.caseload.set_actor(self.actor.id if self.actor else None,
                                self.actor.agency_id if self.actor else None)
        if not self.viewer.sees_anyone:
            self.caseload.show_note(self.viewer.nobody())
        self.statusBar().showMessage(self.tr("Signed in to %s as %s")
                                     % (store.path, self.signed_in_name()), 5000)
        self._update_enabled()
        self.lock.start(account)
        self.signed_in.emit(account)
        self.store_opened.emit(store.path)
        self.my_work.table.setFocus()
        # Work the first paint does not need waits until the window is on screen: the
        # flags worker would otherwise take the interpreter's lock from the painting, and
        # the workspace is imported so the first person opened does not wait for it.
        QTimer.singleShot(AFTER_FIRST_PAINT_MS, self, lambda s=store: self._after_open(s))

    def _open_unlocked(self, key: bytes | None) -> bool:
        """The window's own (reading) connection to the store just unlocked."""
        path = self.locked_path
        assert path is not None
        try:
            store = Store.open(path, create=False, key=key)
        except StoreError as exc:
            QMessageBox.warning(self, self.tr("Cannot open the store"), str(exc))
            return False
        self.locked_path = None
        self.store = store
        store.reads_only = READS_ONLY
        self.health.watch(store, None)
        self.settings.add_recent_store(path)
        return True

    def _damaged_after_unlock(self, sentence: str, key: object) -> None:
        """The key was unwrapped but the store cannot be opened with it: open it to read,
        if SQLite still can, so that the damage banner offers its newest good backup."""
        path = self.locked_path
        if path is None or not isinstance(key, bytes):
            return
        try:
            store = Store.open(path, read_only=True, key=key)
        except StoreError:
            return  # the sign-in form says why, and names the newest backup
        self.locked_path = None
        self.store = store
        store.reads_only = READS_ONLY
        self.health.watch(store, sentence)
        self._update_enabled()

    def _after_open(self, store: Store) -> None:
        if self.store is not store:  # another store was opened meanwhile
            return
        self.start_flags()
        self.audit.watch(store)  # the audit log's chains and records, in the background
        _import_workspace()

    def close_store(self) -> None:
        """Close the open store: what is on its way is saved first; whoever was signed in
        is signed out."""
        self.lock.stop()
        self.watch.stop()
        self.share.stopped()  # a sync under way stops between batches
        if self._printing is not None:  # a preview of someone's records, and its PDF, go too
            self._printing.close_all()
        self.edits.stop()  # saves on their way finish first
        self.health.stop()
        self.audit.stop()
        self.cancel_jobs()
        self._drop_sign_in()
        sign_in_pool().waitForDone(30_000)  # a sign-in under way has its own connection
        if self.caseload is not None:
            self.settings.set(keys.CASELOAD_HEADER, self.caseload.header_state())
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if widget is not None:
                widget.deleteLater()
        if self.store is not None:
            self.store.close()
        self.locked_path = None
        self.plain_banner.hide()
        self.store = self.model = self.caseload = self.directory = self.my_work = None
        self.account = self.actor = self.actor_agency = None
        self.viewer = Viewer(None)
        self.flags, self.flags_error = {}, None
        self.pages.setCurrentWidget(self.empty)
        self._update_enabled()

    # -- who is signed in --------------------------------------------------------------------

    def signed_in_name(self) -> str:
        """Who is signed in, as the window names them: the professional's name, else the
        account's user name."""
        if self.actor is not None:
            return self.actor.name
        return self.account.username if self.account is not None else ""

    def signed_in_description(self) -> str:
        account = self.account
        if account is None:
            return ""
        if self.actor is not None:
            return self.tr("%s (user name %s, %s)") % (
                describe(self.actor, self.actor_agency), account.username, account.role.value)
        if account.role is AccountRole.ADMINISTRATOR:
            return self.tr("%s, the store's administrator: this account belongs to no "
                           "professional and no agency, so it sees no one's record and "
                           "changes nothing in it") % account.username
        return account.username

    def sign_out(self, _checked: bool = False, *, confirm: bool = True) -> bool:
        """Close the store (saving what is on its way) and show its sign-in screen again,
        for the next person. ``confirm``: ask open persons whether to close (not from the
        lock, where the signed-in person is not at the keyboard)."""
        if self.store is None or self.account is None:
            return False
        if confirm and not self.close_all_persons():
            return False
        path = self.store.path
        self.close_store()
        self.open_store(path)
        self.statusBar().showMessage(self.tr("Signed out."), 5000)
        return True

    # -- flags (background) -----------------------------------------------------------------

    def start_flags(self) -> None:
        if self.store is None or self.store.path == ":memory:":
            return
        path, today, viewer, key = self.store.path, self.today(), self.viewer, self.store.key
        opened = {ws.person_id for ws in self.workspaces()}
        from careplan.ui.flagsource import load_flag_summaries

        def connect(job: workers.Job) -> None:
            job.finished.connect(self.flags_ready)
            job.failed.connect(self._flags_failed)

        self.run_job(self.tr("Checking flags"),
                     lambda j: load_flag_summaries(path, today, j, viewer, opened, key),
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
            from careplan.ui.flagview import not_checked

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
        from careplan.ui.workspace import PersonWorkspace, retitle_people

        assert self.store is not None
        self._workspace_type = PersonWorkspace
        for ws in self.workspaces():
            if ws.person_id == person_id:
                self.tabs.setCurrentWidget(ws)
                return ws
        try:
            ws = PersonWorkspace(self.store, person_id, self.today(), self.actor,
                                 self.directory_now(), edits=self.edits, viewer=self.viewer)
        except NotSharedError as exc:
            QMessageBox.warning(self, self.tr("Not shared with your agency"), str(exc))
            return None
        from careplan.ui import reads  # reading is audited (on the writer, not here)

        reads.record(self, reads.ReadKind.OPENED, reads.WORKSPACE, [person_id])
        ws.set_flags(self.person_flags(person_id))
        ws.minutes_requested.connect(self.exports.export_minutes)
        ws.no_longer_shared.connect(lambda message, w=ws: self._no_longer_shared(w, message))
        self.undo_group.addStack(ws.undo_stack)
        index = self.tabs.addTab(ws, ws.title())
        retitle_people(self.tabs)  # two open persons of one name are told apart
        self.tabs.setCurrentIndex(index)
        if ws.pf.opened_in_emergency is not None:  # not among the reader's flags: find them
            self.edits.refresh_flags([person_id])
        return ws

    def register_person(self) -> None:
        """Ask for a new person (careplan.ui.person_form); their tab opens once saved."""
        from careplan.ui.person_form import register_form

        register_form(self)

    def person_registered(self, person_id: str) -> None:
        """A person was registered: the caseload lists them and their tab opens."""
        if self.model is not None:
            self.model.refresh()
        self.open_person(person_id)

    def may_register(self) -> Any:
        """Whether the account signed in may register a person (a Decision). Imported
        here, not from the form: the window is shown before the workspace is imported."""
        from careplan.models.permissions import register_person
        from careplan.store.permissions import who

        if self.store is None or self.account is None:
            return register_person(None)
        return register_person(who(self.store, self.actor_id()))

    def _enable_register(self) -> None:
        allowed = self.may_register()
        self.act_register.setEnabled(allowed.allowed)
        self.act_register.setToolTip(allowed.reason or self.act_register.statusTip())
        if self.caseload is not None:
            self.caseload.register.setEnabled(allowed.allowed)
            self.caseload.register.setToolTip(allowed.reason)

    def _no_longer_shared(self, ws: QWidget, message: str) -> None:
        """The record stopped being shared with the reader's agency: its tab closes."""
        index = self.tabs.indexOf(ws)
        if index >= 0:
            self.undo_group.removeStack(ws.undo_stack)  # type: ignore[attr-defined]
            self.tabs.removeTab(index)
            ws.deleteLater()
        self.statusBar().showMessage(message, 15000)

    def emergency_access(self) -> None:
        """Open, in an emergency, a record the reader's agency may not see
        (careplan.ui.emergency)."""
        from careplan.ui.emergency import ask_to_open

        if self.store is not None and self.account is not None:
            ask_to_open(self)

    def directory_now(self) -> Directory:
        """The store's agencies and professionals, read once and shared."""
        assert self.store is not None
        if self.directory is None:
            from careplan.store.person_file import load_directory

            self.directory = load_directory(self.store)
        return self.directory

    def actor_id(self) -> str:
        """Who is editing, as the audit log records them: the professional signed in, else
        the account (an administrator's that belongs to no professional)."""
        if self.actor is not None:
            return self.actor.id
        return self.account.actor if self.account is not None else "unknown"

    def _tab_changed(self, index: int) -> None:
        ws = self.current_workspace()
        self.undo_group.setActiveStack(ws.undo_stack if ws else None)  # type: ignore[arg-type]
        self._update_enabled()

    def close_tab(self, index: int) -> bool:
        widget = self.tabs.widget(index)
        if widget is None or widget is self.caseload or widget is self.my_work:
            return False
        if hasattr(widget, "confirm_close") and not widget.confirm_close():
            return False
        if hasattr(widget, "undo_stack"):
            self.undo_group.removeStack(widget.undo_stack)
        self.tabs.removeTab(index)
        widget.deleteLater()
        if self._workspace_type is not None:  # a namesake left open loses its date of birth
            from careplan.ui.workspace import retitle_people

            retitle_people(self.tabs)
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

        if self.store is None or self.account is None:
            return
        for i in range(self.tabs.count()):
            if isinstance(self.tabs.widget(i), Dashboard):
                self.tabs.setCurrentIndex(i)
                return
        board = Dashboard(self.store.path, self.today(), self, viewer=self.viewer,
                          key=self.store.key)
        board.open_persons.connect(self._show_persons)
        self.tabs.addTab(board, self.tr("Dashboard"))
        self.tabs.setCurrentWidget(board)

    def show_budgets(self) -> None:
        from careplan.ui.budgets import BudgetsView

        if self.store is None or self.account is None:
            return
        for i in range(self.tabs.count()):
            if isinstance(self.tabs.widget(i), BudgetsView):
                self.tabs.setCurrentIndex(i)
                return
        view = BudgetsView(self.store.path, self.today(), self, viewer=self.viewer,
                           key=self.store.key)
        self.tabs.addTab(view, self.tr("Budgets"))
        self.tabs.setCurrentWidget(view)

    def add_my_work(self, store: Store) -> None:
        """My work, the first tab and the one shown after sign-in: its count in its title,
        kept current by the runner's Changes; a row opens the person on the right tab."""
        from careplan.ui.mywork import MyWorkView, show_item, tab_title

        view = self.my_work = MyWorkView(store, self.actor, self.today)
        self.tabs.insertTab(0, view, tab_title(view.model.rowCount()))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        view.count_changed.connect(
            lambda n: self.tabs.setTabText(self.tabs.indexOf(view), tab_title(n)))
        view.open_item.connect(lambda item: show_item(self.open_person(item.person_id), item))
        if self.edits.runner is not None:
            self.edits.runner.changed.connect(view.apply)
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

    def new_day(self, day: date) -> None:
        """Midnight passed in England: the caseload, the open persons and every flag are
        judged again on ``day``, and acts recorded from now on are dated on it."""
        if self.model is not None:
            self.model.set_today(day)
        for ws in self.workspaces():
            ws.today = day
        self.refresh()
        self.statusBar().showMessage(self.tr("A new day: flags and dates are now judged on %s")
                                     % text.fmt_date(day), 30000)

    def refresh(self) -> None:
        self.directory = None
        if self.my_work is not None:
            self.my_work.refresh()
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
