"""Signing in to the open store: the sign-in screen, and the form it shares with the lock.

Every attempt goes through careplan.store.accounts (``authenticate``, ``change_password``,
``add_account`` for a store's first account), which records it with its audit event. The
verification takes a tenth of a second (argon2id) and the record is a write, so it runs
in a worker of its own with its own connection (:func:`attempt`): the window's
connection only reads, and the GUI thread never waits for a hash. Sign-ins have a pool of
their own, so they never wait behind a long export or flags check.

A password is read from its field and the field is cleared at once; it lives on only in
the attempt under way. When the password must be changed first (an administrator set
it), the one just typed is kept until the new one is set, or the change is abandoned:
that is still the same sign-in. No password is shown, logged or remembered; the user
name last signed in with is (careplan.ui.settings.LAST_USERS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QStringListModel, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from careplan.models import Agency, Professional
from careplan.models import accounts as account_rules
from careplan.models.accounts import (
    PASSWORD_MIN,
    Account,
    AccountRole,
    SignInOutcome,
    typed_username,
)
from careplan.store import (
    InputError,
    NotAStoreError,
    Store,
    StoreError,
    accounts,
    backup,
    encryption,
    keyring,
)
from careplan.store.health import Health
from careplan.ui import workers
from careplan.ui.shell import (
    REFUSAL_STYLE,
    form_box,
    message_label,
    password_field,
    place_panel,
    title_label,
    user_field,
    where_label,
)

log = logging.getLogger(__name__)


_POOL: QThreadPool | None = None


def sign_in_pool() -> QThreadPool:
    """The thread that runs sign-ins (one at a time; never behind other work)."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(1)
        _POOL.setExpiryTimeout(10_000)
    return _POOL


def describe(pro: Professional, agency: Agency | None) -> str:
    """A professional as the window names the one signed in: name, role, agency."""
    where = agency.name if agency else ""
    return f"{pro.name} — {pro.role.value}, {where}" if where else f"{pro.name} — {pro.role.value}"


# -- the attempt (in a worker) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt ended: the account signed in to, or the sentence why not."""

    account: Account | None = None
    refusal: str = ""
    #: The sign-in's outcome when the store refused it (None: refused before signing in,
    #: e.g. a new password that breaks the policy).
    outcome: SignInOutcome | None = None
    #: The store already has accounts (a first administrator was asked for too late).
    has_accounts: bool = False
    #: An encrypted store's key, unwrapped from its keyring by this attempt (the window
    #: opens its own connections with it); None for a plain store.
    key: bytes | None = None
    #: The key was unwrapped but the store cannot be opened with it (damaged, or not the
    #: keyring's store): the window opens it read-only, if it can, to offer a backup.
    damaged: bool = False


class Step(Enum):
    """What the form asks for."""

    SIGN_IN = "sign in"
    #: The password was right but must be changed first: a new one, twice.
    CHANGE = "change"
    #: The store has no account yet: its administrator's user name and password, twice.
    FIRST = "first"


def new_password_sentence(error: Exception) -> str:
    """The password policy's refusal as a sentence about the new password."""
    text = str(error).strip().rstrip(".")
    rest = text.split(":", 1)[1].strip() if text.lower().startswith("password:") else text
    if not rest.lower().startswith("the new password"):
        rest = f"the new password {rest}"
    return f"{rest[:1].upper()}{rest[1:]}."


def attempt(path: str, username: str, password: str, now: datetime | None,
            gate: Health | None, *, step: Step = Step.SIGN_IN,
            new_password: str | None = None, key: bytes | None = None) -> Attempt:
    """One sign-in attempt on the store at ``path``, with a connection of its own (run it
    in a worker). ``gate`` is the open store's damage verdict: the record of the attempt
    waits for it, and a damaged store refuses it. Never raises for a refusal.

    An encrypted store (a keyring beside it) is first unlocked: its key unwrapped with
    the password (careplan.store.keyring; wrong passwords count towards the lockout
    there), unless ``key`` is known already (the session lock). A store that does not
    exist yet is made, encrypted, with its first administrator (``Step.FIRST``)."""
    unlocked = key
    if step is Step.FIRST and not Path(path).exists():
        return _first_store(path, username, new_password or "", now)
    if unlocked is None and keyring.exists(path):
        try:
            unlocked = keyring.unlock(path, username, password,
                                      now or datetime.now(UTC).replace(microsecond=0))
        except keyring.UnlockRefused as exc:
            return Attempt(refusal=str(exc), outcome=exc.outcome)
        except keyring.KeyringError as exc:
            return Attempt(refusal=_sentence(str(exc)))
    try:
        store = Store.open(path, create=False, key=unlocked)
    except NotAStoreError as exc:
        if unlocked is None:
            return Attempt(refusal=_sentence(f"The sign-in could not be recorded: {exc}"))
        hint = backup.recovery_hint(path, unlocked)[1]
        return Attempt(refusal=_sentence(f"{str(exc).rstrip('.')}. {hint}"), key=unlocked,
                       damaged=True)
    except StoreError as exc:
        return Attempt(refusal=_sentence(f"The sign-in could not be recorded: {exc}"))
    store.health = gate
    try:
        if unlocked is not None and key is None:
            accounts.record_pending(store)  # refusals the keyring kept meanwhile
        if step is Step.FIRST:
            assert new_password is not None
            accounts.add_account(store, username, new_password, AccountRole.ADMINISTRATOR)
            account = accounts.authenticate(store, username, new_password, now)
        elif step is Step.CHANGE:
            assert new_password is not None
            account = accounts.change_password(store, username, password, new_password, now)
        else:
            account = accounts.authenticate(store, username, password, now)
    except accounts.SignInError as exc:
        return Attempt(refusal=str(exc), outcome=exc.outcome)
    except accounts.NotAllowedError:
        # Someone made the first account meanwhile: sign in to it instead.
        return Attempt(refusal="This store has an administrator now: sign in.",
                       has_accounts=True)
    except InputError as exc:
        text = str(exc)
        if text.startswith("password:"):
            return Attempt(refusal=new_password_sentence(exc))
        return Attempt(refusal=_sentence(text))
    except StoreError as exc:  # a damaged or read-only store cannot record the attempt
        verdict = gate.verdict if gate is not None else None
        if verdict is not None and not verdict.ok:
            return Attempt(refusal=_sentence(
                f"{verdict.sentence(path)}, so no sign-in can be recorded in it; restore its "
                "newest good backup first"))
        return Attempt(refusal=_sentence(f"The sign-in could not be recorded: {exc}"))
    finally:
        store.close()
    return Attempt(account=account, outcome=SignInOutcome.SIGNED_IN, key=unlocked)


def _first_store(path: str, username: str, password: str, now: datetime | None) -> Attempt:
    """A new store, encrypted, made with its first administrator (File ▸ New store…)."""
    try:
        account_rules.check_password(password, typed_username(username))
        account_rules.normalise_username(username)
    except ValueError as exc:
        text = str(exc)
        if text.startswith("password:"):
            return Attempt(refusal=new_password_sentence(exc))
        return Attempt(refusal=_sentence(text))
    try:
        store = encryption.create_store(path)
    except StoreError as exc:
        return Attempt(refusal=_sentence(f"The store could not be made: {exc}"))
    try:
        accounts.add_account(store, username, password, AccountRole.ADMINISTRATOR)
        account = accounts.authenticate(store, username, password, now)
    except (InputError, StoreError) as exc:
        encryption.discard_new(store)
        return Attempt(refusal=_sentence(str(exc)))
    key = store.key
    store.close()
    return Attempt(account=account, outcome=SignInOutcome.SIGNED_IN, key=key)


def _wipe(field: QLineEdit) -> None:
    """Empty a password field. ``setText`` also empties its undo history, where ``clear``
    would keep the text as a step to undo."""
    field.setText("")


def _sentence(text: str) -> str:
    text = text.strip()
    return f"{text[:1].upper()}{text[1:].rstrip('.')}."


# -- the form ---------------------------------------------------------------------------------


class Credentials(QWidget):
    """User name and password; a new password twice when one must be set. Enter signs in.

    ``fixed_user``: the user name cannot be changed (the lock: nobody else may take the
    session over). Emits :attr:`signed_in` with the account once the store let it in.
    """

    signed_in = Signal(object)  # Account
    #: An encrypted store's key was unwrapped but the store cannot be opened with it: the
    #: sentence (naming the newest backup) and the key.
    damaged = Signal(str, object)

    def __init__(self, path: str, now: Callable[[], datetime | None],
                 gate: Health | None, *, username: str = "", fixed_user: bool = False,
                 first: bool = False, action: str = "", parent: QWidget | None = None,
                 key: bytes | None = None) -> None:
        super().__init__(parent)
        self.path = path
        #: An encrypted store's key when it is known already (the lock); None: unwrapped
        #: from the keyring by each attempt.
        self.known_key = key
        #: The key the last successful attempt unlocked (read on :attr:`signed_in`).
        self.unlocked_key: bytes | None = None
        #: The button's text for a sign-in ("Sign in" unless told).
        self.action = action or self.tr("Sign in")
        self.now = now
        self.gate = gate
        self.fixed_user = fixed_user
        self.busy = False
        #: The password just typed, kept only while a new one must be set (see the module).
        self._old: str | None = None
        self._job: workers.Job | None = None
        tr = self.tr
        self.user = user_field(username, self)
        self.user.setReadOnly(fixed_user)
        self.password = password_field(self)
        self.new_password = password_field(self, "New password")
        self.repeat = password_field(self, "New password again")
        for field in (self.user, self.password, self.new_password, self.repeat):
            field.returnPressed.connect(self.go)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.message = message_label(self)
        self.submit = QPushButton()
        self.submit.setAutoDefault(False)  # Enter in a field signs in (once)
        self.submit.clicked.connect(self.go)
        self.back = QPushButton(tr("Back"))
        self.back.setAutoDefault(False)
        self.back.setToolTip(tr("Sign in without changing the password now"))
        self.back.clicked.connect(self.abandon_change)
        self.form = QFormLayout()
        self.form.addRow(self.intro)
        self.form.addRow(tr("&User name:"), self.user)
        self.form.addRow(tr("&Password:"), self.password)
        self.form.addRow(tr("&New password:"), self.new_password)
        self.form.addRow(tr("New password &again:"), self.repeat)
        self.buttons = buttons = QHBoxLayout()
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        form_box(self.form, self.message, buttons, self)
        self.step = Step.SIGN_IN
        self.show_step(Step.FIRST if first else Step.SIGN_IN)

    # -- what is asked ------------------------------------------------------------------------

    def show_step(self, step: Step) -> None:
        tr = self.tr
        self.step = step
        asks_password = step is Step.SIGN_IN
        asks_new = step is not Step.SIGN_IN
        self.form.setRowVisible(self.password, asks_password)
        self.form.setRowVisible(self.new_password, asks_new)
        self.form.setRowVisible(self.repeat, asks_new)
        self.user.setReadOnly(self.fixed_user or step is Step.CHANGE)
        self.back.setVisible(step is Step.CHANGE)
        if step is Step.CHANGE:
            self.intro.setText(tr(
                "Your password was set by an administrator: choose a new one of at least "
                "%d characters, then type it again.") % PASSWORD_MIN)
            self.submit.setText(tr("Change password and sign in"))
        elif step is Step.FIRST:
            self.intro.setText(tr(
                "This store has no accounts yet. Create its administrator: a user name, and "
                "a password of at least %d characters, typed twice. The administrator adds "
                "everyone else's accounts (careplan accounts add).")
                % PASSWORD_MIN)
            self.submit.setText(tr("Create and sign in"))
        else:
            self.intro.setText("")
            self.submit.setText(self.action)
        self.intro.setVisible(bool(self.intro.text()))
        self.focus_first_empty()

    def focus_first_empty(self) -> None:
        order = {Step.SIGN_IN: (self.user, self.password),
                 Step.CHANGE: (self.new_password, self.repeat),
                 Step.FIRST: (self.user, self.new_password, self.repeat)}[self.step]
        for field in order:
            if not field.isReadOnly() and not field.text():
                field.setFocus()
                return
        order[-1].setFocus()

    def say(self, text: str) -> None:
        self.message.setStyleSheet(REFUSAL_STYLE)
        self.message.setText(text)

    def abandon_change(self) -> None:
        """Leave the new password for later: the sign-in starts again."""
        self._forget()
        self.message.clear()
        self.show_step(Step.SIGN_IN)

    def _forget(self) -> None:
        self._old = None
        for field in (self.password, self.new_password, self.repeat):
            _wipe(field)

    def clear(self) -> None:
        """Forget every password typed (the lock, a store closing)."""
        self._forget()
        if self.step is Step.CHANGE:
            self.show_step(Step.SIGN_IN)

    # -- signing in ---------------------------------------------------------------------------

    def go(self) -> None:
        """Enter, or the button: try to sign in with what is typed."""
        if self.busy:
            return
        tr = self.tr
        username = typed_username(self.user.text())
        if not username:
            self.say(tr("Type your user name."))
            self.user.setFocus()
            return
        password, new = "", None
        if self.step is Step.SIGN_IN:
            password = self.password.text()
            _wipe(self.password)
            if not password and self.user.hasFocus():  # Enter after the user name
                self.message.clear()
                self.password.setFocus()
                return
            if not password:
                self.say(tr("Type your password."))
                self.password.setFocus()
                return
        else:
            new, again = self.new_password.text(), self.repeat.text()
            _wipe(self.new_password)
            _wipe(self.repeat)
            if not new:
                self.say(tr("Type the new password, then the same again."))
                self.new_password.setFocus()
                return
            if new != again:
                self.say(tr("The two new passwords differ; type the same new password "
                            "twice."))
                self.new_password.setFocus()
                return
            password = self._old or ""
        step, path, now, gate, key = self.step, self.path, self.now(), self.gate, self.known_key
        self._set_busy(True)

        def run(_job: workers.Job) -> Attempt:
            return attempt(path, username, password, now, gate, step=step, new_password=new,
                           key=key)

        def listen(job: workers.Job) -> None:
            job.finished.connect(lambda result, p=password: self._answered(result, p))
            job.failed.connect(self._failed)

        self._job = workers.start(run, self, sign_in_pool(), connect=listen)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for w in (self.user, self.password, self.new_password, self.repeat, self.submit,
                  self.back):
            w.setEnabled(not busy)
        if busy:
            self.message.setStyleSheet("")
            self.message.setText(self.tr("Signing in…"))

    def _done_with_job(self) -> None:
        """The attempt is over: its job goes, and with it the one reference to the
        password it was given (the connection below holds it)."""
        job, self._job = self._job, None
        if job is not None:
            job.deleteLater()
        self._set_busy(False)

    def _answered(self, result: Attempt, password: str) -> None:
        self._done_with_job()
        if result.account is not None:
            self._forget()
            self.message.clear()
            self.unlocked_key = result.key
            self.signed_in.emit(result.account)
            return
        if result.damaged:
            self._forget()
            self.say(result.refusal)
            self.damaged.emit(result.refusal, result.key)
            return
        if result.outcome is SignInOutcome.MUST_CHANGE_PASSWORD and self.step is not Step.FIRST:
            self._old = password  # right, and needed once more to set the new one
            self.say(result.refusal)
            self.show_step(Step.CHANGE)
            return
        if result.has_accounts or (self.step is Step.CHANGE and result.outcome is not None):
            self._forget()
            self.say(result.refusal)
            self.show_step(Step.SIGN_IN)
            return
        self.say(result.refusal)
        self.focus_first_empty()

    def _failed(self, message: str) -> None:
        self._done_with_job()
        self._forget()
        if self.step is Step.CHANGE:
            self.show_step(Step.SIGN_IN)
        # The worker logged its traceback; its message is not logged (it may hold data).
        log.error("A sign-in failed unexpectedly")
        self.say(self.tr("The sign-in failed unexpectedly (it was logged); try again."))


# -- the screen -------------------------------------------------------------------------------


class SignInPage(QWidget):
    """What the window shows of an open store until someone signs in to it."""

    def __init__(self, store: Store | None, now: Callable[[], datetime | None], *,
                 username: str = "", parent: QWidget | None = None,
                 path: str | None = None) -> None:
        """``store``: the open (plain) store; None for an encrypted store, which cannot be
        read before the sign-in, or a new one (``path`` names either)."""
        super().__init__(parent)
        tr = self.tr
        self.setAccessibleName(tr("Sign in"))
        where_path = store.path if store is not None else str(path)
        name = Path(where_path).name
        first = accounts.count(store) == 0 if store is not None else \
            not Path(where_path).exists()
        title = title_label(name, self)
        self.where = where = where_label(where_path)
        self.credentials = Credentials(where_path, now,
                                       store.health if store is not None else None,
                                       username=username, first=first)
        self.signed_in = self.credentials.signed_in
        self.demo = QLabel()
        self.demo.setWordWrap(True)
        self.demo.setObjectName("demoHint")
        self.demo.setStyleSheet("#demoHint { background: #eef4fb; border: 1px solid #8aa9cf; "
                                "padding: 8px; color: #000000; }")
        self.demo.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.demo.hide()
        if not first:
            self._show_demo(store, where_path)

        place_panel(self, [title, where, self.demo, self.credentials])

    def _show_demo(self, store: Store | None, path: str) -> None:
        """Only for a store built as the demo: its user names and published password (for
        an encrypted store, from its keyring)."""
        from careplan.demo.published import ADMIN, demo_sign_in, from_keyring

        if store is not None:
            demo = demo_sign_in(store)
        else:
            try:
                demo = from_keyring(keyring.load(path).demo)
            except keyring.KeyringError:
                demo = None
        if demo is None:
            return
        tr = self.tr
        examples = [n for n in (demo.manager, demo.practitioner) if n]
        example = (tr(", for example %s") % tr(" or ").join(examples)) if examples else ""
        self.demo.setText(tr(
            "This is a demo store, with made-up people. Sign in as %s (the administrator) or "
            "as any demo professional by first.last%s; type part of a name to see the user "
            "names. Every demo account's password is %s: it is published, so never keep real "
            "records here.")
            % (ADMIN, example, demo.password))
        self.demo.show()
        completer = QCompleter(QStringListModel(list(demo.usernames), self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.credentials.user.setCompleter(completer)
        self.credentials.user.setPlaceholderText(tr("e.g. %s") % ADMIN)


__all__ = ["Attempt", "Credentials", "SignInPage", "Step", "attempt", "describe",
           "new_password_sentence", "sign_in_pool"]
