"""Encryption at rest: stores made by the demo, ``accounts add`` and the app are SQLCipher
files that the standard library's sqlite3 cannot read; signing in (command line and
desktop) unwraps the key and opens them; their -wal/-shm, keyrings and backups are their
owner's only; backups are encrypted the same way and restore with the key; a wrong
password or a damaged encrypted file is one sentence with the newest backup offered and
nothing overwritten; a plain store says how to encrypt it.

Real files and the real command line throughout (``careplan.cli.main`` in this process,
or ``python -m careplan`` where a process of its own matters).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import ui_world
from signin import ADMIN, PASSWORD, ensure_account, open_demo
from ui_helpers import file_settings

from careplan import cli
from careplan.commands import common
from careplan.demo.accounts import DEMO_PASSWORD
from careplan.demo.build_file import build_demo_file
from careplan.demo.generator import MIN_PERSONS
from careplan.models import Agency
from careplan.models.accounts import WRONG, SignInOutcome
from careplan.store import (
    EncryptedStoreError,
    NotAStoreError,
    Store,
    accounts,
    add,
    backup,
    encryption,
    find,
    keyring,
)
from careplan.store.backup_files import BackupError

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stdlib_refuses(path: Path) -> str:
    """What the standard library's sqlite3 says when asked for the tables (``sqlite3
    demo.db .tables``)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    raise AssertionError(f"{path} was read without its key")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """``careplan demo`` into a new file: encrypted."""
    path = tmp_path / "demo.db"
    code, out, _ = _cli(capsys, "demo", "--db", str(path), "--persons", str(MIN_PERSONS),
                        "--today", "2026-03-10")
    assert code == 0 and "encrypted" in out
    return path


@pytest.fixture
def demo_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Point CAREPLAN_PASSWORD_FILE at a file holding the given password."""

    def use(password: str) -> None:
        file = tmp_path / f"pw-{hashlib.sha256(password.encode()).hexdigest()[:8]}"
        file.write_text(password + "\n", encoding="utf-8")
        monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(file))

    return use


# -- the demo store and the command line -------------------------------------------------


def _manager(db: Path) -> str:
    """The demo's example manager (kept in its keyring for the sign-in screen): one whose
    agency may see the most persons."""
    from careplan.demo.published import from_keyring
    from careplan.store import keyring

    hint = from_keyring(keyring.load(db).demo)
    assert hint is not None and hint.manager
    return hint.manager


def test_the_demo_store_is_not_a_database_to_sqlite_and_signing_in_opens_it(
        demo: Path, capsys: pytest.CaptureFixture[str],
        demo_password: Callable[[str], None]) -> None:
    assert _stdlib_refuses(demo) == "file is not a database"
    assert b"SQLite format 3" not in demo.read_bytes()[:100]
    demo_password(DEMO_PASSWORD)
    code, out, err = _cli(capsys, "info", "--db", str(demo), "--user", "admin", "--json")
    assert code == 0, err
    assert '"encrypted": true' in out and '"integrity_check": "ok"' in out
    # Flags are read for a professional's agency (the administrator sees no one's record).
    code, out, err = _cli(capsys, "flags", "--db", str(demo), "--user", _manager(demo),
                          "--today", "2026-03-10")
    assert code == 0 and "referral-dispute" in out, err


def test_without_user_an_encrypted_store_says_how_to_sign_in(
        demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _digest(demo)
    code, _, err = _cli(capsys, "info", "--db", str(demo))
    assert code == 2 and err.count("\n") == 1
    assert "is encrypted; sign in with --user NAME" in err
    assert _digest(demo) == before


def test_a_wrong_password_is_one_sentence_counted_and_recorded_at_the_next_sign_in(
        demo: Path, capsys: pytest.CaptureFixture[str],
        demo_password: Callable[[str], None]) -> None:
    before = _digest(demo)
    demo_password("not-the-password")
    code, _, err = _cli(capsys, "flags", "--db", str(demo), "--user", "admin")
    assert (code, err) == (2, f"careplan: {WRONG}\n")
    assert _digest(demo) == before  # nothing written to the store
    assert len(keyring.load(demo).attempts) == 1
    demo_password(DEMO_PASSWORD)
    code, _, err = _cli(capsys, "accounts", "list", "--db", str(demo), "--user", "admin")
    assert code == 0, err
    assert keyring.load(demo).attempts == [] and keyring.load(demo).failures == {}
    with open_demo(demo) as store:
        outcomes = [r[0] for r in store.conn.execute(
            "SELECT outcome FROM sign_ins WHERE username = 'admin' ORDER BY at, rowid")]
        events = store.conn.execute(
            "SELECT count(*) FROM audit_events WHERE entity = 'sign_ins'").fetchone()[0]
    assert SignInOutcome.WRONG_PASSWORD.value in outcomes
    assert outcomes[-1] == SignInOutcome.SIGNED_IN.value and events == len(outcomes)


def test_five_wrong_passwords_lock_the_user_name_before_the_store_is_opened(
        demo: Path, capsys: pytest.CaptureFixture[str],
        demo_password: Callable[[str], None]) -> None:
    demo_password("not-the-password")
    for _ in range(5):
        assert _cli(capsys, "info", "--db", str(demo), "--user", "admin")[0] == 2
    demo_password(DEMO_PASSWORD)
    code, _, err = _cli(capsys, "info", "--db", str(demo), "--user", "admin")
    assert code == 2 and "Too many failed sign-ins with this user name" in err


def test_the_store_and_its_companions_are_their_owners_only(
        demo: Path, capsys: pytest.CaptureFixture[str],
        demo_password: Callable[[str], None]) -> None:
    with open_demo(demo) as store:
        store.conn.execute("SELECT count(*) FROM persons").fetchone()
        for name in ("demo.db", "demo.db-wal", "demo.db-shm", "demo.db.keys"):
            assert _mode(demo.parent / name) == 0o600, name
    demo_password(DEMO_PASSWORD)
    code, out, err = _cli(capsys, "backup", "--db", str(demo), "--user", "admin")
    assert code == 0, err
    folder = backup.backup_dir(demo)
    assert _mode(folder) == 0o700
    made = backup.list_backups(demo, key=keyring.unlock(demo, ADMIN_DEMO, DEMO_PASSWORD, NOW))
    assert len(made) == 1
    assert _mode(made[0].path) == 0o600 and _mode(keyring.path_of(made[0].path)) == 0o600


ADMIN_DEMO = "admin"


def test_a_new_store_made_by_accounts_add_is_encrypted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        demo_password: Callable[[str], None]) -> None:
    path = tmp_path / "team.db"
    new = tmp_path / "new-password"
    new.write_text("first-admin-pass-1\n", encoding="utf-8")
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(new))
    code, out, err = _cli(capsys, "accounts", "add", "chief", "--db", str(path))
    assert code == 0, err
    assert _stdlib_refuses(path) == "file is not a database"
    assert _mode(path) == 0o600 and _mode(keyring.path_of(path)) == 0o600
    demo_password("first-admin-pass-1")
    code, out, err = _cli(capsys, "accounts", "list", "--db", str(path), "--user", "chief")
    assert code == 0 and "chief" in out, err


def test_accounts_added_reset_and_changed_keep_the_keyring_in_step(
        demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, demo_password: Callable[[str], None]) -> None:
    new = tmp_path / "new-password"
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(new))
    demo_password(DEMO_PASSWORD)
    new.write_text("temporary-pass-1\n", encoding="utf-8")
    code, _, err = _cli(capsys, "accounts", "add", "newcomer", "--role", "administrator",
                        "--db", str(demo), "--user", "admin")
    assert code == 0, err
    assert keyring.unlock(demo, "newcomer", "temporary-pass-1", NOW)
    # The newcomer changes the temporary password: only the new one opens the keyring.
    demo_password("temporary-pass-1")
    new.write_text("newcomers-own-pass-2\n", encoding="utf-8")
    code, _, err = _cli(capsys, "accounts", "passwd", "--db", str(demo), "--user", "newcomer")
    assert code == 0, err
    assert keyring.unlock(demo, "newcomer", "newcomers-own-pass-2", NOW)
    with pytest.raises(keyring.UnlockRefused):
        keyring.unlock(demo, "newcomer", "temporary-pass-1", NOW)
    # An administrator's reset wraps the key under the password they set.
    demo_password(DEMO_PASSWORD)
    new.write_text("reset-by-admin-3\n", encoding="utf-8")
    code, _, err = _cli(capsys, "accounts", "reset", "newcomer", "--db", str(demo),
                        "--user", "admin")
    assert code == 0, err
    assert keyring.unlock(demo, "newcomer", "reset-by-admin-3", NOW)


# -- opening ------------------------------------------------------------------------------


def test_store_open_needs_the_key_and_a_wrong_key_is_refused_unchanged(demo: Path) -> None:
    before = _digest(demo)
    with pytest.raises(EncryptedStoreError, match="is encrypted: sign in to open it"):
        Store.open(demo, create=False)
    with pytest.raises(NotAStoreError, match="cannot be opened with its key"):
        Store.open(demo, create=False, key=keyring.new_key())
    assert _digest(demo) == before
    with open_demo(demo) as store:
        assert store.key is not None
        again = store.open_again()
        try:
            assert again.key == store.key
            assert find(again, Agency)
        finally:
            again.close()


def test_store_open_without_a_key_still_makes_and_opens_plain_stores(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    with Store.open(path) as store:
        add(store, Agency(name="Plain Surgery", sector="health", kind="gp practice"), "tester")
    assert not encryption.is_encrypted(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 1
    finally:
        conn.close()
    assert _mode(path) == 0o600


def test_a_damaged_encrypted_store_is_one_sentence_offering_the_newest_backup(
        demo: Path, capsys: pytest.CaptureFixture[str],
        demo_password: Callable[[str], None]) -> None:
    demo_password(DEMO_PASSWORD)
    assert _cli(capsys, "backup", "--db", str(demo), "--user", "admin")[0] == 0
    with open(demo, "r+b") as handle:  # no connection to it is open
        handle.seek(0)
        handle.write(os.urandom(4096))
    before = _digest(demo)
    code, _, err = _cli(capsys, "flags", "--db", str(demo), "--user", "admin")
    assert code == 2 and err.count("\n") == 1, err
    assert "cannot be opened with its key" in err
    assert "careplan restore --db" in err and "--from" in err
    assert _digest(demo) == before
    newest = backup.newest_backup(demo)
    assert newest is not None
    code, out, err = _cli(capsys, "restore", "--db", str(demo), "--from", str(newest.path),
                          "--user", "admin")
    assert code == 0, err
    assert _cli(capsys, "info", "--db", str(demo), "--user", "admin")[0] == 0
    assert _stdlib_refuses(demo) == "file is not a database"


def test_backups_are_encrypted_and_restore_verifies_with_the_key(demo: Path) -> None:
    key = keyring.unlock(demo, ADMIN_DEMO, DEMO_PASSWORD, NOW)
    made = backup.auto_backup(demo, key=key, force=True)
    assert made.path is not None
    assert _stdlib_refuses(made.path) == "file is not a database"
    assert keyring.path_of(made.path).is_file()
    with pytest.raises(BackupError, match="encrypted: sign in"):
        backup.verify_backup(made.path)
    verified = backup.verify_backup(made.path, key)
    assert verified.encrypted and verified.persons >= MIN_PERSONS
    assert backup.describe(made.path, key).endswith("persons")
    done, safety = backup.restore(demo, made.path, key=key)
    assert done.persons == verified.persons and safety is not None
    assert _stdlib_refuses(safety) == "file is not a database"
    assert keyring.path_of(safety).is_file()
    with Store.open(demo, create=False, key=key) as store:
        assert store.quick_check() == "ok"


def test_a_plain_backup_taken_before_encryption_is_encrypted_when_restored(
        tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        add(store, Agency(name="Old Surgery", sector="health", kind="gp practice"), "tester")
        ensure_account(store, ADMIN)
    old = backup.auto_backup(path, force=True)
    assert old.path is not None
    encryption.encrypt(path, ADMIN, PASSWORD, lambda store: None)
    key = keyring.unlock(path, ADMIN, PASSWORD, NOW)
    assert not backup.verify_backup(old.path, key).encrypted
    backup.restore(path, old.path, key=key)
    assert _stdlib_refuses(path) == "file is not a database"
    with Store.open(path, create=False, key=key) as store:
        assert [a.name for a in find(store, Agency)] == ["Old Surgery"]


def test_an_export_never_replaces_an_encrypted_store_backup_or_keyring(
        demo: Path, tmp_path: Path) -> None:
    from careplan.export import outfile

    key = keyring.unlock(demo, ADMIN_DEMO, DEMO_PASSWORD, NOW)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "copy.db"
    with open_demo(demo) as store:
        backup.backup_to(store.conn, copy, key, store.path)
    assert outfile.refusal(copy, demo) is not None
    assert "keyring" in (outfile.refusal(keyring.path_of(copy), demo) or "")
    assert "keyring" in (outfile.refusal(keyring.path_of(demo), demo) or "")
    assert key  # the copy above was made with the store's key


# -- a plain store says so ------------------------------------------------------------------


def test_a_plain_store_on_a_terminal_says_how_to_encrypt_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plain.db"
    Store.open(path).close()
    monkeypatch.setattr(common, "_stderr_on_terminal", lambda: True)
    code, out, err = _cli(capsys, "info", "--db", str(path))
    assert code == 0
    assert err == (f"careplan: warning: {path} is not encrypted: anyone who can read the "
                   f"file can read its records; encrypt it with: careplan encrypt --db "
                   f"{path} --user ADMIN.\n")
    assert "Encrypted    no: encrypt it with careplan encrypt" in out
    monkeypatch.setattr(common, "_stderr_on_terminal", lambda: False)
    assert _cli(capsys, "info", "--db", str(path))[2] == ""  # scripts' output as it was


# -- the desktop app ------------------------------------------------------------------------


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Any:
    from careplan.ui.mainwindow import MainWindow

    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close_store()


def _type_sign_in(qtbot: Any, window: Any, user: str, password: str) -> None:
    from PySide6.QtCore import Qt

    credentials = window.sign_in_page.credentials
    credentials.user.setText(user)
    credentials.password.setText(password)
    qtbot.keyClick(credentials.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not credentials.busy, timeout=20_000)


def test_the_app_opens_an_encrypted_store_only_at_sign_in(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    build_demo_file(path, persons=MIN_PERSONS, today=ui_world.TODAY, parallel=False)
    assert window.open_store(path)
    assert window.store is None and window.locked_path == str(path)
    page = window.sign_in_page
    assert page is not None and DEMO_PASSWORD in page.demo.text()  # from the keyring
    _type_sign_in(qtbot, window, "admin", "not-the-password")
    assert page.credentials.message.text() == WRONG and window.store is None
    _type_sign_in(qtbot, window, _manager(path), DEMO_PASSWORD)  # sees persons
    qtbot.waitUntil(lambda: window.account is not None, timeout=20_000)
    assert window.store is not None and window.store.key is not None
    assert not window.plain_banner.isVisible()
    qtbot.waitUntil(lambda: window.model is not None and window.model.rowCount() > 0,
                    timeout=20_000)
    with Store.open(path, create=False, key=window.store.key) as store:
        outcomes = [r[0] for r in store.conn.execute("SELECT outcome FROM sign_ins")]
    assert sorted(outcomes) == sorted([SignInOutcome.WRONG_PASSWORD.value,
                                       SignInOutcome.SIGNED_IN.value])
    assert window.sign_out(confirm=False)
    assert window.store is None and window.locked_path == str(path)


def test_a_new_store_made_in_the_app_is_encrypted_with_its_administrator(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from careplan.ui.sign_in import Step

    path = tmp_path / "new.db"
    assert window.open_store(path, create=True)
    assert not path.exists()  # nothing is made before its administrator is
    credentials = window.sign_in_page.credentials
    assert credentials.step is Step.FIRST
    credentials.user.setText("chief")
    credentials.new_password.setText("first-admin-pass-1")
    credentials.repeat.setText("first-admin-pass-1")
    qtbot.keyClick(credentials.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.account is not None, timeout=20_000)
    assert _stdlib_refuses(path) == "file is not a database"
    assert keyring.unlock(path, "chief", "first-admin-pass-1", NOW) == window.store.key


def test_a_plain_store_in_the_app_shows_how_to_encrypt_it(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    with Store.open(path) as store:
        ensure_account(store, ADMIN)
    assert window.open_store(path)
    assert window.plain_banner.isVisible()
    assert f"careplan encrypt --db {path}" in window.plain_banner.text()


def test_a_damaged_encrypted_store_in_the_app_names_the_newest_backup(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    build_demo_file(path, persons=MIN_PERSONS, today=ui_world.TODAY, parallel=False)
    key = keyring.unlock(path, ADMIN_DEMO, DEMO_PASSWORD, NOW)
    made = backup.auto_backup(path, key=key, force=True)
    assert made.path is not None
    with open(path, "r+b") as handle:
        handle.seek(0)
        handle.write(os.urandom(4096))
    before = _digest(path)
    assert window.open_store(path)
    _type_sign_in(qtbot, window, "admin", DEMO_PASSWORD)
    message = window.sign_in_page.credentials.message.text()
    assert "cannot be opened with its key" in message and str(made.path) in message
    assert window.account is None and _digest(path) == before


def test_accounts_written_to_an_encrypted_store_from_the_store_api(demo: Path) -> None:
    """The store's own account functions keep the keyring in step (the app's forms and
    the command line both go through them)."""
    with open_demo(demo) as store:
        admin = accounts.find_account(store, "admin")
        assert admin is not None
        accounts.add_account(store, "api.added", "api-added-pass-1", "administrator",
                             None, admin)
    assert keyring.unlock(demo, "api.added", "api-added-pass-1", NOW)


def test_change_packs_pass_between_encrypted_stores(tmp_path: Path) -> None:
    """Packs are written from an open store and read into one (careplan.store.packs): an
    encrypted sender and receiver work as plain ones do, and a pack file is not the
    store's plain text either."""
    from careplan.store import packs

    events = [{"id": f"e{n}", "store_id": "origin", "store_seq": n, "after": {"x": n}}
              for n in range(1, 4)]
    gp = encryption.create_store(tmp_path / "gp.db")
    sw = encryption.create_store(tmp_path / "sw.db")
    try:
        assert gp.key is not None and sw.key is not None and gp.key != sw.key
        packs.trust(gp, packs.identity(sw).line(), "setup")
        packs.trust(sw, packs.identity(gp).line(), "setup")
        out = tmp_path / "for-sw.cpk"
        packs.write_pack(gp, sw.store_id, events, {gp.store_id: 3}, out)
        pack = packs.read_pack(sw, out.read_bytes())
        assert pack.events == events and pack.sender == gp.store_id
    finally:
        gp.close()
        sw.close()
    for name in ("gp.db", "sw.db"):
        assert "file is not a database" in _stdlib_refuses(tmp_path / name)


def test_a_deactivated_account_unwraps_the_key_but_is_refused_by_the_store(
        demo: Path, demo_password: Callable[[str], None],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Deactivating keeps the account's keyring entry (the store's key is not changed, so
    removing it would protect nothing the person has not seen); the store's own account
    check refuses the sign-in, and records it, as on a plain store."""
    with open_demo(demo) as store:
        admin = accounts.find_account(store, "admin")
        assert admin is not None
        accounts.add_account(store, "leaver", "leaver-pass-1", "administrator", None, admin,
                             temporary=False)
        accounts.deactivate(store, "leaver", admin)
    assert keyring.unlock(demo, "leaver", "leaver-pass-1", NOW)
    demo_password("leaver-pass-1")
    code, out, err = _cli(capsys, "flags", "--db", str(demo), "--user", "leaver")
    assert code == 2 and out == ""
    assert err == ("careplan: This account has been deactivated; ask an administrator to "
                   "reactivate it.\n")
    with open_demo(demo) as store:
        rows = store.conn.execute("SELECT outcome FROM sign_ins ORDER BY at").fetchall()
    assert rows[-1][0] == "deactivated"
