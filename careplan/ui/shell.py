"""The first window of a start: the store's sign-in screen, shown and painted before the
domain and the store are imported, then the rest imported while the password is typed.

A start's time was mostly imports: the domain (careplan.models), the store package and
the window's own modules, all before a pixel was painted. :class:`StartWindow` needs only
PySide6 and the standard library (it must not import careplan.models, careplan.store or
any module that does: tests/test_start_shell.py checks it). It looks like the main
window on its sign-in screen (the same menus and toolbar, disabled; the same panel, words
and fields, built by the helpers here that careplan.ui.sign_in uses too) and takes what
is typed. Once it has been painted it imports the rest, a module per turn of the event
loop (:data:`STEPS`), so typing stays responsive; then the main window (careplan.ui.
mainwindow) is made, opens the store on its own sign-in screen (which adds what needs
the store: the demo hint, a new store's first administrator, the damage banner, "no
store" messages), takes the typed user name, password, focus and cursor, and is shown in
the shell's place with the shell's geometry. Keys typed in the shell meanwhile go on to
the main window until it is the active window.

Sign in (or Enter) pressed before the rest is imported waits for it: the remaining steps
run at once, and the main window's sign-in (careplan.ui.sign_in.Credentials.go) runs
with what was typed, exactly as if it had been typed there (lockout, keyring unwrap,
refusals under the field). Enter in the user name field with no password yet moves to
the password, as on the real screen.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QObject, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from careplan.ui import settings as keys
from careplan.ui.settings import Settings

if TYPE_CHECKING:
    # Named at import, these would build QEvent's every enum (about 1 ms of a start);
    # the events Qt hands the shell need no more than their names in annotations.
    from PySide6.QtGui import QKeyEvent, QPaintEvent

#: The colour of a refusal (the sign-in form's and RecordForm's).
REFUSAL_STYLE = "color: #b3261e"
#: What a store's keyring is called beside it (careplan.store.keyring.SUFFIX; a test keeps
#: the two equal): a store with none is plain, and the shell says so at once.
KEYRING_SUFFIX = ".keys"

#: What the shell imports once painted, one per turn of the event loop, in an order in
#: which each step's own imports are mostly done by the steps before it.
STEPS: tuple[str, ...] = (
    "careplan.models",
    "careplan.models.accounts",
    "careplan.store",
    "careplan.store.accounts",
    "careplan.store.keyring",
    "careplan.store.backup",
    "careplan.store.health",
    "careplan.ui.workers",
    "careplan.ui.sign_in",
    "careplan.ui.store_health",
    "careplan.ui.audit_watch",
    "careplan.ui.changes_view",
    "careplan.ui.session_lock",
    "careplan.ui.exports",
    "careplan.ui.share",
    "careplan.ui.mainwindow",
)

#: Qt.TextInteractionFlag.TextSelectableByMouse and Qt.ToolButtonStyle.ToolButtonTextOnly,
#: set as properties by value: the first use of PySide6's ``Qt`` namespace builds its
#: every enum, about 25 ms of a start that a bare window does without.
SELECTABLE_BY_MOUSE = 1
TEXT_ONLY = 1
#: QLineEdit.EchoMode.Password and QFrame.Shape.StyledPanel, likewise.
PASSWORD_ECHO = 2
STYLED_PANEL = 6

#: How long keys typed in the shell after the hand-over are passed on at most, should
#: the main window never be told it is active (no window manager).
FORWARD_MS = 2000


# -- the sign-in screen's look, shared with careplan.ui.sign_in ---------------------------


def selectable(label: QLabel) -> None:
    """Text the mouse can select (and copy)."""
    label.setProperty("textInteractionFlags", SELECTABLE_BY_MOUSE)


def title_label(name: str, owner: QObject) -> QLabel:
    """"Sign in to NAME", large and bold."""
    title = QLabel(owner.tr("Sign in to %s") % name)
    font = QFont(title.font())
    font.setPointSizeF(font.pointSizeF() * 1.6)
    font.setBold(True)
    title.setFont(font)
    return title


def where_label(path: str) -> QLabel:
    """The store's path, quiet, below the title."""
    where = QLabel(path)
    where.setStyleSheet("color: palette(placeholder-text)")
    where.setWordWrap(True)
    selectable(where)
    return where


def message_label(owner: QObject) -> QLabel:
    """Where a refusal is said, under the fields."""
    message = QLabel()
    message.setWordWrap(True)
    message.setStyleSheet(REFUSAL_STYLE)
    message.setAccessibleName(owner.tr("Why you are not signed in"))
    selectable(message)
    return message


def place_panel(page: QWidget, parts: Sequence[QWidget]) -> QFrame:
    """The sign-in panel, centred on ``page``: ``parts`` one below the other."""
    panel = QFrame()
    panel.setObjectName("signInPanel")
    panel.setProperty("frameShape", STYLED_PANEL)
    panel.setMaximumWidth(560)
    inner = QVBoxLayout(panel)
    inner.setContentsMargins(28, 24, 28, 24)
    inner.setSpacing(10)
    for part in parts:
        inner.addWidget(part)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(panel, 3)
    row.addStretch(1)
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    layout.addLayout(row)
    layout.addStretch(2)
    return panel


def user_field(username: str, owner: QObject, field: QLineEdit | None = None) -> QLineEdit:
    field = field if field is not None else QLineEdit()
    field.setText(username)
    field.setAccessibleName(owner.tr("User name"))
    field.setMaxLength(64)
    return field


def password_field(owner: QObject, name: str = "Password",
                   field: QLineEdit | None = None) -> QLineEdit:
    field = field if field is not None else QLineEdit()
    field.setProperty("echoMode", PASSWORD_ECHO)
    field.setAccessibleName(owner.tr(name))
    return field


def form_box(form: QLayout, message: QLabel, buttons: QLayout, owner: QWidget) -> None:
    """The fields, the message under them and the buttons, in ``owner``."""
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addLayout(form)
    layout.addWidget(message)
    layout.addLayout(buttons)


class PlainStoreBanner(QLabel):
    """A strip above the sign-in screen and the tabs of a store that is not encrypted: it
    says so, and how to encrypt it (careplan encrypt)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plainBanner")
        self.setWordWrap(True)
        selectable(self)
        self.setStyleSheet("#plainBanner { background: #fff4ce; border: 1px solid #b58800; "
                           "padding: 6px; color: #000000; }")
        self.setAccessibleName(self.tr("The store is not encrypted"))
        self.hide()

    def show_for(self, path: str) -> None:
        self.setText(self.tr(
            "This store is not encrypted: anyone who can read %s can read its records. An "
            "administrator can encrypt it with: careplan encrypt --db %s --user NAME")
            % (path, path))
        self.show()


def is_plain(path: str) -> bool:
    """Whether the store at ``path`` has no keyring beside it (a plain store)."""
    store = Path(path)
    return store.is_file() and not store.with_name(store.name + KEYRING_SUFFIX).is_file()


# -- the first window ------------------------------------------------------------------------


class _Field(QLineEdit):
    """A field of the shell: once the main window has taken over, keys typed here (on
    their way before the window manager moved the keyboard) go on to it."""

    def __init__(self) -> None:
        super().__init__()
        self.forward_to: Callable[[QKeyEvent], bool] | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.forward_to is None or not self.forward_to(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.forward_to is None or not self.forward_to(event):
            super().keyReleaseEvent(event)


class ShellPage(QWidget):
    """The sign-in screen as the shell shows it: title, path, user name, password, Sign in."""

    submitted = Signal()
    #: Emitted after the page's first paint.
    painted = Signal()

    def __init__(self, path: str, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.setAccessibleName(tr("Sign in"))
        self.first_paint = True
        self.user = _Field()
        user_field(username, self, self.user)
        self.password = _Field()
        password_field(self, field=self.password)
        for field in (self.user, self.password):
            field.returnPressed.connect(self.submitted)
        self.message = message_label(self)
        self.submit = QPushButton(tr("Sign in"))
        self.submit.setAutoDefault(False)
        self.submit.clicked.connect(self.submitted)
        form = QFormLayout()
        form.addRow(tr("&User name:"), self.user)
        form.addRow(tr("&Password:"), self.password)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        credentials = QWidget()
        form_box(form, self.message, buttons, credentials)
        place_panel(self, [title_label(Path(path).name, self), where_label(path), credentials])

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.first_paint:
            self.first_paint = False
            self.painted.emit()


class StartWindow(QMainWindow):
    """The window a start shows first; the main window takes its place once imported.

    ``make_window``: makes the main window (hidden) once :data:`STEPS` are imported.
    ``steps``: what to import (tests may give fewer). Call :meth:`begin` once shown; it
    waits for the first paint before importing anything."""

    #: The main window that took the shell's place.
    handed_over = Signal(object)

    def __init__(self, path: str, settings: Settings, make_window: Callable[[], Any], *,
                 user: str | None = None, steps: Sequence[str] | None = None) -> None:
        super().__init__()
        tr = self.tr
        self.path = path
        self.make_window = make_window
        self.steps = list(STEPS if steps is None else steps)
        #: Sign in was pressed before the rest was imported: it runs once it is.
        self.pending = False
        self.painted = False
        self.started = False
        self.cancelled = False
        #: What went wrong importing the rest or making the main window (a bug), if so.
        self.failed: Exception | None = None
        #: The main window, once it took over.
        self.window: Any = None
        self._forwarding = False
        name = Path(path).name
        self.setWindowTitle(tr("CarePlan — %s") % name)
        self.setAccessibleName(tr("CarePlan"))
        for title in (tr("&File"), tr("&Edit"), tr("&View"), tr("&Help")):
            self.menuBar().addMenu(title)  # empty until the main window takes over
        tools = self.addToolBar(tr("Main"))
        tools.setObjectName("main-toolbar")
        tools.setProperty("toolButtonStyle", TEXT_ONLY)
        for text in (tr("&Caseload"), tr("&Dashboard"), tr("&Budgets"),
                     tr("Case &conference mode"), None, tr("&Undo"), tr("&Redo")):
            if text is None:
                tools.addSeparator()
            else:
                tools.addAction(text).setEnabled(False)
        username = user or settings.last_user(path) or ""
        self.page = ShellPage(path, username)
        tools.addWidget(_stretch())
        identity = QToolButton()
        identity.setText(tr("Not signed in"))
        identity.setEnabled(False)
        tools.addWidget(identity)
        # The main window's status bar holds a Cancel button, hidden until a job runs,
        # that makes it taller than an empty one: the same here, so nothing moves.
        cancel = QPushButton(tr("Cancel"))
        self.statusBar().addPermanentWidget(cancel)
        cancel.hide()
        self.page.submitted.connect(self.submit)
        self.plain_banner = PlainStoreBanner()
        if is_plain(path):
            self.plain_banner.show_for(path)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plain_banner)
        # Where the main window has its stage (a QStackedWidget without a frame): the
        # page in its place, as the stage would place it (it costs a start about 1 ms).
        layout.addWidget(self.page, 1)
        self.setCentralWidget(body)
        geometry = settings.get(keys.WINDOW_GEOMETRY)
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1360, 820)
        self.page.painted.connect(self._painted)
        (self.page.password if self.page.user.text() else self.page.user).setFocus()

    # -- importing the rest -----------------------------------------------------------------

    def begin(self) -> None:
        """Start importing the rest once the shell has been painted (at once if it was)."""
        self.started = True
        if self.painted:
            QTimer.singleShot(0, self, self._step)

    def _painted(self) -> None:
        self.painted = True
        if self.started:
            QTimer.singleShot(0, self, self._step)

    def _step(self) -> None:
        """Import the next module; the last step hands over to the main window."""
        if self.cancelled or self.window is not None or self.failed is not None:
            return
        try:
            if self.steps:
                importlib.import_module(self.steps.pop(0))
                QTimer.singleShot(0, self, self._step)
                return
            self._hand_over()
        except Exception as exc:  # a bug: the start ends, and the command line logs it
            self._fail(exc)

    def _finish_now(self) -> None:
        """Someone is waiting (Sign in was pressed): import the rest without yielding."""
        if self.failed is not None:
            return
        try:
            while self.steps and not self.cancelled:
                importlib.import_module(self.steps.pop(0))
            if not self.cancelled and self.window is None:
                self._hand_over()
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        """The rest could not be imported or the main window not made: the event loop
        ends and :attr:`failed` is raised from the start (careplan.ui.app.run), where
        the command line logs it as any other bug."""
        self.failed = exc
        self.cancelled = True
        app = QApplication.instance()
        if app is not None:
            app.exit(1)

    def submit(self) -> None:
        """Sign in (or Enter) before the rest is imported."""
        page = self.page
        if self.pending or self.window is not None:
            return
        if self.focusWidget() is page.user and page.user.text().strip() \
                and not page.password.text():
            page.password.setFocus()  # Enter after the user name, as on the real screen
            return
        self.pending = True
        for w in (page.user, page.password, page.submit):
            w.setEnabled(False)
        page.message.setStyleSheet("")
        page.message.setText(self.tr("Signing in…"))
        QTimer.singleShot(0, self, self._finish_now)  # "Signing in…" is painted first

    # -- the hand-over ----------------------------------------------------------------------

    def _hand_over(self) -> None:
        page = self.page
        typing_in = self.focusWidget()
        window = self.make_window()
        self.window = window
        window.resize(self.size())  # where the shell is, as the user may have moved it
        window.move(self.pos())
        window.setWindowState(self.windowState())
        window.show()
        opened = window.open_store(self.path)
        real = window.sign_in_page if opened else None
        if real is not None:
            self._fill(real.credentials, typing_in)
        page.password.setText("")  # the shell keeps no password
        window.activateWindow()
        self._forwarding = True
        for field in (page.user, page.password):
            field.forward_to = self._forward
        QTimer.singleShot(FORWARD_MS, self, self._retire)
        window.installEventFilter(_WhenActive(window, self._retire))
        self.handed_over.emit(window)
        if real is not None and self.pending:
            real.credentials.go()
        if window.isActiveWindow():
            self._retire()

    def _fill(self, credentials: Any, typing_in: QWidget | None) -> None:
        """What was typed in the shell, in the main window's sign-in form, with the focus
        in the same field (or the first empty one)."""
        page = self.page
        if (page.user.isModified() or not credentials.user.text()) \
                and not credentials.user.isReadOnly():
            credentials.user.setText(page.user.text())
            credentials.user.setCursorPosition(page.user.cursorPosition())
        asks_password = credentials.form.isRowVisible(credentials.password)
        if asks_password:
            credentials.password.setText(page.password.text())
            credentials.password.setCursorPosition(page.password.cursorPosition())
        if self.pending:
            credentials.focus_first_empty()
        elif typing_in is page.password and asks_password:
            credentials.password.setFocus()
        elif typing_in is page.user and not credentials.user.isReadOnly():
            credentials.user.setFocus()
        else:
            credentials.focus_first_empty()

    def _forward(self, event: QKeyEvent) -> bool:
        """A key typed in the shell after the hand-over: to the main window's field."""
        window = self.window
        target = window.focusWidget() if window is not None else None
        if target is None or not self._forwarding:
            return False
        from PySide6.QtGui import QKeyEvent

        copy = QKeyEvent(event.type(), event.key(), event.modifiers(), event.text(),
                         event.isAutoRepeat(), event.count())
        QApplication.sendEvent(target, copy)
        return True

    def _retire(self) -> None:
        """The main window has the keyboard: the shell goes."""
        if not self._forwarding:
            return
        self._forwarding = False
        self.hide()  # kept (hidden), with the main window it made

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if self.window is None:  # closed before the main window took over: no start
            self.cancelled = True
        super().closeEvent(event)


def _stretch() -> QWidget:
    """The toolbar's spacer, which pushes what follows it to the far end: an empty widget
    that grows across as the main window's does (its layout's stretch makes it expand),
    without a QSizePolicy (whose type costs a start about half a millisecond)."""
    spacer = QWidget()
    row = QHBoxLayout(spacer)
    row.setContentsMargins(0, 0, 0, 0)
    row.addStretch(1)
    return spacer


class _WhenActive(QObject):
    """Calls ``then`` once the watched window is activated."""

    def __init__(self, parent: QObject, then: Callable[[], None]) -> None:
        super().__init__(parent)
        self.then = then

    def eventFilter(self, watched: QObject, event: Any) -> bool:  # noqa: N802 - Qt's name
        from PySide6.QtCore import QEvent  # its enum is built on import: not before now

        if event.type() == QEvent.Type.WindowActivate:
            watched.removeEventFilter(self)
            self.then()
        return False


__all__ = ["KEYRING_SUFFIX", "STEPS", "PlainStoreBanner", "ShellPage", "StartWindow",
           "is_plain", "message_label", "place_panel", "title_label", "where_label"]
