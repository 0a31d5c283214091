"""Helpers for driving real modal dialogs from pytest-qt tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from careplan.ui.settings import Settings


def when_modal(fill: Callable[[QWidget], None], tries: int = 1500) -> None:
    """Once a modal dialog is up, hand it to ``fill`` (which must close it)."""

    def poll(left: int = tries) -> None:
        widget = QApplication.activeModalWidget()
        if widget is not None:
            fill(widget)
        elif left:
            QTimer.singleShot(10, lambda: poll(left - 1))

    QTimer.singleShot(0, poll)



def fill_form(steps: list[tuple[str, object]], errors: list[str] | None = None,
              missing: list[str] | None = None) -> None:
    """Answer the next form (a RecordForm): set each (field, value) in turn; "ok" presses
    OK and waits for the save (the form stays open until the store has taken the record,
    or says in the form why it will not), adding what the form says to ``errors``. With
    ``missing``, a choice the form does not offer is added to it and the form is closed
    (never a hang)."""
    from PySide6.QtCore import QDate, QEventLoop

    from careplan.ui.workspace.forms import RecordForm

    def fill(form: QWidget) -> None:
        assert isinstance(form, RecordForm)
        for name, value in steps:
            if name == "ok":
                form.check()
                while form.is_saving:
                    QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
                if errors is not None and form.isVisible():
                    errors.append(form.error.text())
                continue
            widget: Any = form.fields[name]
            if isinstance(value, QDate):
                widget.setDate(value)
            elif hasattr(widget, "findData"):
                index = widget.findData(value)
                if index < 0 and missing is not None:
                    missing.append(name)
                    break
                widget.setCurrentIndex(index)
            else:
                widget.setText(str(value))
        if form.isVisible():
            form.reject()

    when_modal(fill)


def answer_form(steps: list[tuple[str, object]], seen: dict[str, object]) -> None:
    """Answer the next form (a RecordForm): set each (field, value) in turn (a text, a
    choice's value, or the values to tick in a checklist), press OK and wait for the save.
    Noted in ``seen``: its ``title``, whether it stayed ``open``, and if it did the
    refusal it shows (``error``), the field it sits below (``below``) and what each field
    named then holds (``values``: its text, its choice's value or the values ticked);
    then the form is closed."""
    from PySide6.QtCore import QEventLoop

    from careplan.ui.listmodels import ChoiceList
    from careplan.ui.workspace.forms import RecordForm

    def holds(widget: Any) -> object:
        if isinstance(widget, ChoiceList):
            return widget.choices.checked_values()
        return widget.currentData() if hasattr(widget, "currentData") else widget.text()

    def fill(form: QWidget) -> None:
        assert isinstance(form, RecordForm)
        seen["title"] = form.windowTitle()
        for name, value in steps:
            widget: Any = form.fields[name]
            if isinstance(widget, ChoiceList):
                ticks = widget.choices
                for row in range(ticks.rowCount()):
                    ticks.set_checked(row, ticks.value(row) in value)  # type: ignore[operator]
            elif hasattr(widget, "findData"):
                index = widget.findData(value)
                assert index >= 0, f"{name} does not offer {value!r}"
                widget.setCurrentIndex(index)
            else:
                widget.setText(str(value))
        form.check()
        while form.is_saving:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        seen["open"] = form.isVisible()
        if form.isVisible():
            seen["error"] = form.error.text()
            seen["below"] = form.error_field
            seen["values"] = {name: holds(form.fields[name]) for name, _ in steps}
            form.reject()

    when_modal(fill)


def file_settings(folder: Path) -> Settings:
    """Settings kept in a file of the test's own, never the user's."""
    return Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))


def settle(window: object) -> None:
    """Wait until every edit the window handed to its writer is saved and its changes
    reached the views (edits run off the GUI thread)."""
    runner = window.edits.runner  # type: ignore[attr-defined]
    if runner is not None:
        assert runner.flush(), "an edit did not finish"


def account_for(path: str | Path, professional_id: str | None = None,
                role: str = "practitioner") -> tuple[str, str]:
    """The user name and password of the professional's account in the store at ``path``:
    a demo account (the demo's password), else one made with the test password
    (tests/signin.py) when they have none. The store's administrator ``admin`` (no
    professional) when ``professional_id`` is None."""
    from signin import ADMIN, PASSWORD, ensure_account

    from careplan.demo.accounts import username_for
    from careplan.demo.published import DEMO_PASSWORD, is_demo
    from careplan.models import Professional
    from careplan.models.accounts import Account
    from careplan.store import Store, find, get

    with Store.open(path, create=False) as store:
        password = DEMO_PASSWORD if is_demo(store) else PASSWORD
        if professional_id is None:
            return ensure_account(store, ADMIN).username, password
        mine = find(store, Account, professional_id=professional_id)
        if mine:
            return mine[0].username, password
        name = username_for(get(store, Professional, professional_id).name)
        return ensure_account(store, name, role, professional_id).username, PASSWORD


def sign_in(qtbot: Any, window: Any, path: str | Path | None = None,
            professional_id: str | None = None, *, role: str = "practitioner") -> None:
    """Open ``path`` in ``window`` (when given) and sign in through its real sign-in
    screen: the user name and the password typed, then Enter. As the professional's
    account (see :func:`account_for`), or as the administrator when none is named."""
    from careplan.ui.sign_in import Step

    # A new store (and an encrypted one) is opened only at the sign-in: its path waits.
    target = path if path is not None else (
        window.store.path if window.store is not None else window.locked_path)
    page = window.sign_in_page
    if path is None and page is not None and page.credentials.step is Step.FIRST:
        from signin import ADMIN, PASSWORD

        assert professional_id is None, "a new store's first account is its administrator"
        username, password = ADMIN, PASSWORD
    else:
        username, password = account_for(target, professional_id, role)
    if path is not None:
        assert window.open_store(path)
    page = window.sign_in_page
    assert page is not None, "the window shows no sign-in screen"
    credentials = page.credentials
    credentials.user.setText(username)
    if credentials.step is Step.FIRST:  # a new store: its administrator is made here
        credentials.new_password.setText(password)
        credentials.repeat.setText(password)
        qtbot.keyClick(credentials.repeat, Qt.Key.Key_Return)
    else:
        credentials.password.setText(password)
        qtbot.keyClick(credentials.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.account is not None, timeout=20_000)
    assert window.account.username == username


def switch_user(qtbot: Any, window: Any, professional_id: str | None) -> None:
    """Sign out (the open persons close) and sign in again as another professional."""
    path = window.store.path
    account_for(path, professional_id)  # before the sign-in screen reads the store
    assert window.sign_out(confirm=False)
    sign_in(qtbot, window, None, professional_id)
