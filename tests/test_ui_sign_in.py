"""The desktop app's sign-in screen, driven through its real widgets.

Each refusal is one sentence on screen and an attempt the store recorded; five failures
lock the user name (the window's clock is injected, as ``authenticate``'s ``now``); a
password an administrator set is changed on the screen; the professional signed in is
the window's actor; the demo store, and only the demo store, names its accounts and
their published password; no password is kept, logged or remembered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from signin import ADMIN, PASSWORD, ensure_account
from ui_helpers import file_settings, sign_in, when_modal

from careplan import cli
from careplan.demo.build import build_demo
from careplan.demo.generator import MIN_PERSONS
from careplan.demo.published import DEMO_PASSWORD
from careplan.models.accounts import WRONG, AccountRole, SignInOutcome, refusal
from careplan.store import Store, accounts
from careplan.ui import settings as keys
from careplan.ui.mainwindow import MainWindow
from careplan.ui.sign_in import Credentials, Step
from careplan.ui.workers import Job

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
DEACTIVATED = refusal(SignInOutcome.DEACTIVATED)
MUST_CHANGE = refusal(SignInOutcome.MUST_CHANGE_PASSWORD)
TEMPORARY = "temporary-pass-1"
NEW = "my-own-password-2"


class Clock:
    """The window's clock for sign-in attempts (the lockout counts from it)."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def team(tmp_path: Path) -> tuple[Path, ui_world.World]:
    """The UI world with an administrator, Sam (practitioner), Nina (deactivated) and
    Carl (his password reset by the administrator)."""
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
        admin = ensure_account(store, ADMIN)
        ensure_account(store, "sam.okafor", "practitioner", world.sam_social)
        ensure_account(store, "nina.clarke", "practitioner", world.nina_nurse)
        ensure_account(store, "carl.hughes", "practitioner", world.carl_cpn)
        accounts.deactivate(store, "nina.clarke", admin)
        accounts.reset_password(store, "carl.hughes", TEMPORARY, admin)
    return path, world


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def win(qtbot: Any, tmp_path: Path, clock: Clock) -> Iterator[MainWindow]:
    window = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY, now=clock)
    qtbot.addWidget(window)
    window.show()
    yield window


def _form(win: MainWindow) -> Credentials:
    assert win.sign_in_page is not None, "the sign-in screen is not shown"
    return win.sign_in_page.credentials


def _try(qtbot: Any, win: MainWindow, username: str, password: str) -> str:
    """Type a user name and password, press Enter; what the screen then says."""
    form = _form(win)
    form.user.setText(username)
    form.password.setText(password)
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    assert form.password.text() == "", "the password stayed in its field"
    qtbot.waitUntil(lambda: win.account is not None or not form.busy, timeout=20_000)
    return "" if win.account is not None else form.message.text()


def _new_password(qtbot: Any, win: MainWindow, new: str, again: str) -> str:
    form = _form(win)
    form.new_password.setText(new)
    form.repeat.setText(again)
    qtbot.keyClick(form.repeat, Qt.Key.Key_Return)
    assert (form.new_password.text(), form.repeat.text()) == ("", "")
    qtbot.waitUntil(lambda: win.account is not None or not form.busy, timeout=20_000)
    return "" if win.account is not None else form.message.text()


def _attempts(path: Path) -> list[tuple[str, str]]:
    with Store.open(path, create=False) as store:
        return [(r["username"], r["outcome"]) for r in store.query(
            "SELECT username, outcome FROM sign_ins ORDER BY at, rowid")]


def test_each_refusal_is_one_sentence_on_screen_and_recorded(
        qtbot: Any, win: MainWindow, team: tuple[Path, ui_world.World]) -> None:
    path, _ = team
    assert win.open_store(path)
    assert win.model is None and win.caseload is None  # nothing is read before a sign-in
    assert not win.exports.menu.isEnabled() and not win.act_dashboard.isEnabled()
    page = win.sign_in_page
    assert page is not None
    assert "Sign in to team.db" in [label.text() for label in page.findChildren(QLabel)]
    assert not page.demo.isVisible()  # not a demo store: no user names, no password

    assert _try(qtbot, win, "sam.okafor", "not the password") == WRONG
    assert _try(qtbot, win, "nobody.here", PASSWORD) == WRONG  # reads as a wrong password
    assert _try(qtbot, win, "nina.clarke", PASSWORD) == DEACTIVATED
    assert _try(qtbot, win, "sam.okafor", "") == "Type your password."
    assert win.account is None and win.model is None
    field = _form(win).password  # nor is the password kept as a step to undo
    field.setEchoMode(field.EchoMode.Normal)
    field.undo()
    assert field.text() == ""
    # nor by a finished attempt's job, whose connection was given the password
    qtbot.waitUntil(lambda: not _form(win).findChildren(Job), timeout=5_000)
    assert _attempts(path)[-3:] == [("sam.okafor", "wrong password"),
                                    ("nobody.here", "unknown user"),
                                    ("nina.clarke", "deactivated")]


def test_five_failures_lock_the_user_name_until_the_wait_is_over(
        qtbot: Any, win: MainWindow, team: tuple[Path, ui_world.World], clock: Clock) -> None:
    path, world = team
    assert win.open_store(path)
    for n in range(5):
        clock.at = T0 + timedelta(seconds=n)
        assert _try(qtbot, win, "sam.okafor", f"wrong {n}") == WRONG
    clock.at = T0 + timedelta(seconds=14)
    said = _try(qtbot, win, "sam.okafor", PASSWORD)  # the right password, too soon
    assert said == "Too many failed sign-ins with this user name; try again in 50 seconds."
    assert win.account is None
    clock.at = T0 + timedelta(seconds=65)
    assert _try(qtbot, win, "sam.okafor", PASSWORD) == ""
    assert win.account is not None and win.actor is not None
    assert win.actor.id == world.sam_social
    assert [o for _, o in _attempts(path)] == ["wrong password"] * 5 + ["locked", "signed in"]


def test_a_reset_password_is_changed_on_the_screen(
        qtbot: Any, win: MainWindow, team: tuple[Path, ui_world.World]) -> None:
    path, world = team
    assert win.open_store(path)
    assert _try(qtbot, win, "carl.hughes", TEMPORARY) == MUST_CHANGE
    form = _form(win)
    assert form.step is Step.CHANGE and form.user.isReadOnly()
    assert not form.password.isVisible() and form.new_password.isVisible()
    assert _new_password(qtbot, win, "short", "short") == \
        "The new password must be at least 10 characters."
    assert _new_password(qtbot, win, NEW, NEW + "x") == \
        "The two new passwords differ; type the same new password twice."
    assert _new_password(qtbot, win, TEMPORARY, TEMPORARY) == \
        "The new password must differ from the old one."
    assert form.step is Step.CHANGE and win.account is None
    assert _new_password(qtbot, win, NEW, NEW) == ""
    assert win.account is not None and win.actor is not None
    assert win.actor.id == world.carl_cpn
    with Store.open(path, create=False) as store:
        assert accounts.authenticate(store, "carl.hughes", NEW).username == "carl.hughes"
        with pytest.raises(accounts.SignInError):
            accounts.authenticate(store, "carl.hughes", TEMPORARY)


def test_back_from_a_password_change_forgets_the_password(
        qtbot: Any, win: MainWindow, team: tuple[Path, ui_world.World]) -> None:
    path, _ = team
    assert win.open_store(path)
    assert _try(qtbot, win, "carl.hughes", TEMPORARY) == MUST_CHANGE
    form = _form(win)
    assert form._old == TEMPORARY  # kept for the change only
    form.back.click()
    assert form.step is Step.SIGN_IN and form._old is None
    assert form.password.isVisible() and form.password.text() == ""


def test_the_professional_signed_in_is_the_actor_and_the_user_name_is_remembered(
        qtbot: Any, tmp_path: Path, win: MainWindow,
        team: tuple[Path, ui_world.World], caplog: pytest.LogCaptureFixture) -> None:
    path, world = team
    caplog.set_level(logging.DEBUG)
    assert win.open_store(path)
    assert _try(qtbot, win, "  SAM.Okafor ", PASSWORD) == ""  # as typed: trimmed, any case
    assert win.actor is not None and win.actor.id == world.sam_social
    assert win.actor_id() == world.sam_social
    assert win.sign_in_page is None and win.caseload is not None
    assert win.tabs.currentWidget() is win.my_work  # My work comes first
    assert win.act_identity.text() == "Signed in as Sam Okafor"
    assert "sam.okafor" in win.identity_button.toolTip()
    assert win.act_sign_out.isEnabled() and win.exports.menu.isEnabled()
    assert win.caseload.actor_id == world.sam_social
    win.close()

    again = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(again)
    again.show()
    assert again.open_store(path)
    form = _form(again)
    assert form.user.text() == "sam.okafor"  # remembered for this store
    assert again.focusWidget() is form.password  # the password is what is left to type
    again.close()
    kept = (tmp_path / "settings.ini").read_text(encoding="utf-8")
    assert "sam.okafor" in kept and PASSWORD not in kept
    assert PASSWORD not in caplog.text


def test_user_on_the_command_line_fills_in_the_user_name(
        qtbot: Any, tmp_path: Path, team: tuple[Path, ui_world.World]) -> None:
    path, _ = team
    args = cli._app_only(["--db", str(path), "--user", "nina.clarke"])
    assert args is not None and args.app_user == "nina.clarke"
    window = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY,
                        user=args.app_user)
    qtbot.addWidget(window)
    file_settings(tmp_path).remember_user("whatever", "sam.okafor")
    assert window.open_store(path)
    assert _form(window).user.text() == "nina.clarke"
    assert _form(window).password.text() == ""


def test_an_administrator_without_a_professional_sees_no_one_and_changes_nothing(
        qtbot: Any, win: MainWindow, team: tuple[Path, ui_world.World]) -> None:
    path, world = team
    assert win.open_store(path)
    assert _try(qtbot, win, ADMIN, PASSWORD) == ""
    account = win.account
    assert account is not None and account.role is AccountRole.ADMINISTRATOR
    assert win.actor is None and win.actor_id() == f"account:{account.id}"
    # No agency, so no sharing basis: no one's record (it manages accounts and rules).
    assert win.model is not None and win.model.rowCount() == 0
    assert win.act_identity.text() == "Signed in as admin"
    assert "sees no one's record and changes nothing" in win.identity_button.toolTip()
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))
    assert win.open_person(world.teen) is None
    assert seen and "belongs to no professional" in seen[0]


def test_sign_out_closes_the_store_and_shows_its_sign_in_screen(
        qtbot: Any, win: MainWindow, team: tuple[Path, ui_world.World]) -> None:
    path, world = team
    sign_in(qtbot, win, path, world.sam_social)
    win.open_person(world.teen)
    win.act_sign_out.trigger()
    assert win.account is None and win.actor is None and win.model is None
    assert win.edits.runner is None and not win.workspaces()
    assert win.store is not None and win.store.path == str(path)
    assert _form(win).user.text() == "sam.okafor"
    assert not win.act_sign_out.isEnabled() and not win.exports.menu.isEnabled()
    sign_in(qtbot, win, None, world.dr_shah)
    assert win.actor is not None and win.actor.id == world.dr_shah


def test_a_new_stores_first_account_is_made_on_the_screen(
        qtbot: Any, win: MainWindow, tmp_path: Path) -> None:
    assert win.open_store(tmp_path / "new.db", create=True)
    form = _form(win)
    assert form.step is Step.FIRST and not form.password.isVisible()
    form.user.setText("boss")
    assert _new_password(qtbot, win, "boss", "boss") == \
        "The new password must be at least 10 characters."
    form.user.setText("boss")
    assert _new_password(qtbot, win, NEW, NEW) == ""
    assert win.account is not None and win.account.username == "boss"
    assert win.account.role is AccountRole.ADMINISTRATOR and win.actor is None


def test_the_demo_store_names_its_accounts_and_their_published_password(
        qtbot: Any, win: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    with Store.open(path) as store:
        build_demo(store, persons=MIN_PERSONS, seed=3, today=date(2025, 3, 10))
        names = [a.username for a in accounts.list_accounts(
            store, accounts.find_account(store, ADMIN))]  # type: ignore[arg-type]
    assert win.open_store(path)
    page = win.sign_in_page
    assert page is not None and page.demo.isVisible()
    text = page.demo.text()
    assert "demo store" in text and DEMO_PASSWORD in text and ADMIN in text
    completer = page.credentials.user.completer()
    assert completer is not None
    offered = completer.model().stringList()  # type: ignore[attr-defined]
    assert offered[0] == ADMIN and sorted(offered) == sorted(names)
    manager = next(n for n in names if n in text and n != ADMIN)
    assert _try(qtbot, win, manager, DEMO_PASSWORD) == ""
    assert win.actor is not None


def test_settings_declare_the_lock_and_the_last_user_names(tmp_path: Path) -> None:
    s = file_settings(tmp_path)
    assert keys.LOCK_AFTER_SECONDS in keys.ALL_KEYS and keys.LAST_USERS in keys.ALL_KEYS
    assert s.lock_after_seconds() == 600
    for bad in ("0", "-5", "ten minutes"):
        s.q.setValue(keys.LOCK_AFTER_SECONDS.name, bad)
        assert s.lock_after_seconds() == 600, bad
    s.q.setValue(keys.LOCK_AFTER_SECONDS.name, "90")
    assert s.lock_after_seconds() == 90
    s.remember_user("store-a", "sam.okafor")
    s.remember_user("store-b", "admin")
    assert (s.last_user("store-a"), s.last_user("store-b"), s.last_user("c")) == \
        ("sam.okafor", "admin", None)
