"""The session lock: after a while without input, every window is covered and the
password is asked again.

Nothing is closed or hidden by the lock: an open form (even one in ``exec()``) keeps
what was typed in it, under a cover that hides its content. The password is asked in a
new application-modal dialog above everything; only the account signed in may unlock
(its user name is fixed there), and a wrong password counts like any sign-in (the
lockout applies). The other way out is "Sign out", which saves what is on its way and
closes the store (the sign-in screen comes back for the next person).

How long without input: careplan.ui.settings.LOCK_AFTER_SECONDS (10 minutes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from careplan.models.accounts import Account
from careplan.store.health import Health
from careplan.ui.sign_in import Credentials

#: Input that shows someone is at the computer.
INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate, QEvent.Type.TabletPress, QEvent.Type.TabletMove,
})
#: How often the idle time is looked at, at most (a tenth of the timeout, at least).
CHECK_EVERY_MS = 5_000
LOCKED_TITLE = "CarePlan — locked"


class Cover(QWidget):
    """An opaque sheet over one window's content (its menus and toolbars too). A child
    of the window, so it moves and resizes with it; nothing under it is touched."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("sessionCover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#sessionCover { background: palette(window); }")
        self.setAccessibleName(self.tr("CarePlan is locked"))
        label = QLabel(self.tr("CarePlan is locked"))
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(label.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        label.setFont(font)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        parent = self.parentWidget()
        if parent is not None and watched is parent:
            if kind == QEvent.Type.Resize:
                self.setGeometry(parent.rect())
            elif kind == QEvent.Type.ChildAdded:  # a widget added later stays under
                QTimer.singleShot(0, self, self.raise_)
        return False


class UnlockDialog(QDialog):
    """The password again, for the account signed in only; or sign out."""

    sign_out_requested = Signal()

    def __init__(self, account: Account, who: str, path: str,
                 now: Callable[[], datetime | None], gate: Health | None,
                 parent: QWidget | None = None, *, key: bytes | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.setWindowTitle(tr("CarePlan is locked"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(440)
        intro = QLabel(tr("CarePlan is locked and hides what was on screen. Signed in as "
                          "%s: type your password to carry on where you left off; nothing "
                          "typed is lost.\n\nSomeone else? Sign out: the store closes, "
                          "without what is typed in open forms, so that you can sign in.")
                       % who)
        intro.setWordWrap(True)
        self.credentials = Credentials(path, now, gate, username=account.username,
                                       fixed_user=True, action=tr("Unlock"), key=key)
        self.sign_out = QPushButton(tr("Sign &out"))
        self.sign_out.setAutoDefault(False)
        self.sign_out.setToolTip(tr("Save what is on its way, close the store and let "
                                    "someone else sign in (what is typed in open forms is "
                                    "not saved)"))
        self.sign_out.clicked.connect(self.sign_out_requested)
        self.credentials.buttons.insertWidget(0, self.sign_out)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.credentials)

    def reject(self) -> None:
        """Escape does not unlock: only the password, or signing out."""

    def closeEvent(self, event: Any) -> None:
        event.ignore()


class SessionLock(QObject):
    """Watches for input while someone is signed in; locks after the idle time."""

    locked_changed = Signal(bool)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.account: Account | None = None
        self.locked = False
        self.dialog: UnlockDialog | None = None
        self._covers: list[Cover] = []
        self._titles: list[tuple[QWidget, str]] = []
        self._focus: QWidget | None = None
        self._last_input = time.monotonic()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._watching = False

    # -- watching ---------------------------------------------------------------------------

    def timeout_s(self) -> int:
        return int(self.window.settings.lock_after_seconds())

    def start(self, account: Account) -> None:
        """Someone signed in: count the time without input from now."""
        self.account = account
        self._last_input = time.monotonic()
        app = QApplication.instance()
        if app is not None and not self._watching:
            app.installEventFilter(self)
            self._watching = True
        self._timer.start(max(50, min(CHECK_EVERY_MS, self.timeout_s() * 100)))

    def stop(self) -> None:
        """Nobody is signed in any more (sign-out, the store closed)."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None and self._watching:
            app.removeEventFilter(self)
            self._watching = False
        self._uncover()
        if self.dialog is not None:
            self.dialog.credentials.clear()
            self.dialog.hide()
            self.dialog.deleteLater()
            self.dialog = None
        if self.locked:
            self.locked = False
            self.locked_changed.emit(False)
        self.account = None

    def idle_s(self) -> float:
        return time.monotonic() - self._last_input

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in INPUT_EVENTS:
            if not self.locked:
                self._last_input = time.monotonic()
        elif self.locked and kind == QEvent.Type.Show and isinstance(watched, QWidget) \
                and watched.isWindow() and not isinstance(watched, Cover):
            self._shown_while_locked(watched)
        return False

    def _check(self) -> None:
        if self.account is not None and not self.locked and self.idle_s() >= self.timeout_s():
            self.lock()

    # -- locking ----------------------------------------------------------------------------

    def lock(self) -> None:
        """Cover every window and ask for the password (nothing is closed)."""
        if self.account is None or self.locked:
            return
        self.locked = True
        self._focus = QApplication.focusWidget()
        for _ in range(20):  # open menus and drop-down lists close (they hold nothing)
            popup = QApplication.activePopupWidget()
            if popup is None:
                break
            popup.close()
        QToolTip.hideText()
        window = self.window
        # The main window is the parent (a form that is open may close while locked).
        self.dialog = UnlockDialog(self.account, window.signed_in_name(), window.store.path,
                                   window.now, window.store.health, window,
                                   key=window.store.key)
        self.dialog.credentials.signed_in.connect(self._unlocked)
        self.dialog.sign_out_requested.connect(self._sign_out)
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible() and widget is not self.dialog:
                self._cover(widget)
        self._show_dialog()
        self.locked_changed.emit(True)

    def _cover(self, widget: QWidget) -> None:
        if widget.windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip):
            widget.close()
            return
        if any(c.parentWidget() is widget for c in self._covers if shiboken6.isValid(c)):
            return
        self._covers.append(Cover(widget))
        self._titles.append((widget, widget.windowTitle()))
        widget.setWindowTitle(self.tr(LOCKED_TITLE))

    def _show_dialog(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        dialog.show()  # a window shown is on top (raise() is not supported everywhere)
        dialog.activateWindow()
        dialog.credentials.focus_first_empty()

    def _shown_while_locked(self, widget: QWidget) -> None:
        """A window opened while locked (say a message about a save still on its way):
        covered too, and the password dialog brought back above it, as the newest modal
        window, so that it still takes the keyboard."""
        if widget is self.dialog:
            return
        self._cover(widget)
        if self.dialog is not None:
            QTimer.singleShot(0, self, self._reshow_dialog)

    def _reshow_dialog(self) -> None:
        if self.dialog is not None and self.locked:
            self.dialog.hide()
            self._show_dialog()

    def _uncover(self) -> None:
        for cover in self._covers:
            if shiboken6.isValid(cover):
                parent = cover.parentWidget()
                if parent is not None:
                    parent.removeEventFilter(cover)
                cover.hide()
                cover.deleteLater()
        self._covers.clear()
        for widget, title in self._titles:
            if shiboken6.isValid(widget):
                widget.setWindowTitle(title)
        self._titles.clear()

    # -- unlocking --------------------------------------------------------------------------

    def _unlocked(self, account: Account) -> None:
        if self.account is None or account.id != self.account.id:  # never another's session
            return
        self.account = account
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.hide()
            dialog.deleteLater()
        self._uncover()
        self.locked = False
        self._last_input = time.monotonic()
        focus, self._focus = self._focus, None
        if focus is not None and shiboken6.isValid(focus) and focus.isVisible():
            focus.activateWindow()
            focus.setFocus()
        self.locked_changed.emit(False)

    def _sign_out(self) -> None:
        """Leave: what is on its way is saved, open forms are closed unsaved, the store
        closes. The store closes once every form's ``exec()`` has returned."""
        runner = self.window.edits.runner
        if runner is not None:
            runner.flush()  # a form being saved closes itself once saved
        if self.dialog is not None:
            self.dialog.credentials.clear()
            self.dialog.hide()
        self._close_dialogs()
        QTimer.singleShot(0, self, lambda: self._finish_sign_out(50))

    def _close_dialogs(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget is not self.dialog \
                    and widget.isVisible():
                widget.reject()

    def _finish_sign_out(self, tries: int) -> None:
        still = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QDialog) and w is not self.dialog and w.isVisible()]
        if still and tries:
            self._close_dialogs()
            QTimer.singleShot(20, self, lambda: self._finish_sign_out(tries - 1))
            return
        self.window.sign_out(confirm=False)


__all__ = ["Cover", "SessionLock", "UnlockDialog"]
