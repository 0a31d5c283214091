"""Sharing with encrypted stores: ``careplan share`` unlocks an encrypted store with
``--user`` (``share id`` and ``share copy`` too, which sign no one in); ``share copy`` of
an encrypted store is encrypted with the same key and carries a copy of its keyring, so
the same accounts open it with the same passwords; change packs pass between two
encrypted stores, from the command line and from the app's workers (which open the
store with its key), and the app's background sync does too."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import ui_world
from signin import open_demo
from ui_helpers import file_settings

from careplan import cli
from careplan.demo.accounts import ADMIN, DEMO_PASSWORD
from careplan.demo.build_file import build_demo_file
from careplan.demo.generator import MIN_PERSONS
from careplan.models.accounts import WRONG
from careplan.store import Store, keyring, packs, teamserver
from careplan.store.exchange import copy_store, import_pack, make_pack
from careplan.store.overrides import read_overrides, set_override
from careplan.store.serversync import configure, sync
from tests.pg_server import PgServer

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Cli:
    def go(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def office(tmp_path: Path, run: Cli, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``careplan demo`` into a new file (encrypted), and the demo's password in the file
    named by CAREPLAN_PASSWORD_FILE."""
    path = tmp_path / "office.db"
    code, out, err = run("demo", "--db", str(path), "--persons", str(MIN_PERSONS),
                         "--today", "2026-03-10")
    assert code == 0 and "encrypted" in out, err
    password = tmp_path / "demo-password"
    password.write_text(DEMO_PASSWORD + "\n", encoding="utf-8")
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(password))
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stdlib_refuses(path: Path) -> str:
    """What the standard library's sqlite3 says when asked for the tables."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    raise AssertionError(f"{path} was read without its key")


def _rule(path: Path, name: str) -> str | None:
    with open_demo(path) as store:
        return read_overrides(store).get(name)


def _admin(store: Store) -> str:
    """The actor of the demo's administrator (an account that is no professional): the
    one who may change the thresholds, here and wherever the change arrives."""
    row = store.conn.execute("SELECT id FROM accounts WHERE username = ?", (ADMIN,)
                             ).fetchone()
    return f"account:{row[0]}"


def test_a_copy_of_an_encrypted_store_opens_with_the_same_accounts_and_passwords(
        office: Path, tmp_path: Path, run: Cli) -> None:
    laptop = tmp_path / "laptop.db"
    office_files = {p.name: _digest(p) for p in (office, keyring.path_of(office))}
    code, out, err = run("share", "copy", "--db", str(office), "--out", str(laptop),
                         "--name", "Laptop", "--user", ADMIN)
    assert code == 0, err
    assert "a store of its own" in out
    # Both files are their owner's only, and nothing is left from building them.
    assert _mode(laptop) == _mode(keyring.path_of(laptop)) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("laptop")) == [
        "laptop.db", "laptop.db.keys"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # Another SQLite cannot read it: it is encrypted, as the office's store is.
    assert "not a database" in _stdlib_refuses(laptop)
    # The same accounts unlock it with the same passwords, and a wrong one does not.
    ring = keyring.load(laptop)
    assert ring.entries.keys() == keyring.load(office).entries.keys()
    assert ring.attempts == []
    key = keyring.unlock(laptop, ADMIN, DEMO_PASSWORD, NOW)
    assert keyring.unlock(laptop, "ethan.roberts", DEMO_PASSWORD, NOW) == key
    with pytest.raises(keyring.UnlockRefused, match=WRONG):
        keyring.unlock(laptop, ADMIN, "not-the-password", NOW)
    with open_demo(office) as here, Store.open(laptop, create=False, key=key) as copy:
        assert copy.store_id != here.store_id and ring.store_id == copy.store_id
        assert copy.meta("name") == "Laptop"
        assert copy.conn.execute("SELECT count(*) FROM persons").fetchone() == \
            here.conn.execute("SELECT count(*) FROM persons").fetchone()
    # The command line signs in to the copy as to the office's store.
    code, out, err = run("rules", "--db", str(laptop), "--user", ADMIN)
    assert code == 0 and "discharge.warning_days" in out, err
    # The office's store and keyring are as they were (nothing written, no backup).
    assert {p.name: _digest(p) for p in (office, keyring.path_of(office))} == office_files
    assert not (tmp_path / "backups").exists()


def test_share_id_and_copy_need_user_on_an_encrypted_store_only(
        office: Path, tmp_path: Path, run: Cli) -> None:
    laptop = tmp_path / "laptop.db"
    for argv in (["share", "id", "--db", str(office)],
                 ["share", "copy", "--db", str(office), "--out", str(laptop)]):
        code, out, err = run(*argv)
        assert code == 2 and out == ""
        assert err == (f"careplan: --user: {office} is encrypted; sign in with --user NAME to "
                       "open it (the password is asked for, or read from the file named by "
                       "CAREPLAN_PASSWORD_FILE).\n")
    assert not laptop.exists() and not keyring.path_of(laptop).exists()
    code, out, err = run("share", "id", "--db", str(office), "--user", ADMIN)
    assert code == 0 and out.startswith("careplan-store-v1:"), err
    # A plain store needs no --user for either.
    plain = tmp_path / "plain.db"
    build_demo_file(plain, persons=MIN_PERSONS, today=ui_world.TODAY, parallel=False,
                    encrypted=False)
    code, out, err = run("share", "id", "--db", str(plain))
    assert code == 0 and out.startswith("careplan-store-v1:"), err
    code, _, err = run("share", "copy", "--db", str(plain), "--out", str(tmp_path / "p2.db"))
    assert code == 0, err
    assert not keyring.path_of(tmp_path / "p2.db").exists()
    with Store.open(tmp_path / "p2.db", create=False) as copy:  # plain, no key
        assert copy.key is None and copy.conn.execute(
            "SELECT count(*) FROM persons").fetchone()[0] >= MIN_PERSONS


def test_a_copy_never_takes_the_place_of_a_keyring_there(office: Path, tmp_path: Path,
                                                          run: Cli) -> None:
    """A keyring left where the copy would go (another store's, its store moved away) is
    never replaced, and nothing is written."""
    laptop = tmp_path / "laptop.db"
    keyring.path_of(laptop).write_text("another store's keyring\n", encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    code, out, err = run("share", "copy", "--db", str(office), "--out", str(laptop),
                         "--user", ADMIN)
    assert code == 2 and out == ""
    assert err == (f"careplan: --out: {keyring.path_of(laptop)} exists already (the keyring "
                   "of another store?); name a new file.\n")
    assert sorted(tmp_path.iterdir()) == before
    assert keyring.path_of(laptop).read_text(encoding="utf-8") == "another store's keyring\n"


def test_a_pack_passes_between_two_encrypted_stores_on_the_command_line(
        office: Path, tmp_path: Path, run: Cli) -> None:
    laptop = tmp_path / "laptop.db"
    admin = ["--user", ADMIN]
    assert run("share", "copy", "--db", str(office), "--out", str(laptop), "--name",
               "Laptop", *admin)[0] == 0
    ids = {}
    for path, name in ((office, "Office"), (laptop, "Laptop")):
        code, out, err = run("share", "id", "--db", str(path), "--name", name, *admin)
        assert code == 0, err
        ids[name] = out.strip()
    assert run("share", "trust", ids["Laptop"], "--db", str(office), *admin)[0] == 0
    assert run("share", "trust", ids["Office"], "--db", str(laptop), *admin)[0] == 0
    code, _, err = run("rules", "--set", "discharge.warning_days=3", "--db", str(laptop),
                       *admin)
    assert code == 0, err
    pack = tmp_path / "laptop.cpk"
    code, out, err = run("share", "export", "--db", str(laptop), *admin, "--for", "Office",
                         "--out", str(pack))
    assert code == 0 and pack.exists(), err
    assert b"warning_days" not in pack.read_bytes()  # sealed for the office
    code, out, err = run("share", "import", str(pack), "--db", str(office), *admin)
    assert code == 0 and "from Laptop" in out and "arrived" in out, err
    assert _rule(office, "discharge.warning_days") == "3"
    code, out, err = run("share", "conflicts", "--db", str(office), *admin)
    assert code == 0 and out == "No conflict is waiting for a decision.\n", err


# -- the app ------------------------------------------------------------------------------


@pytest.fixture
def laptops(tmp_path: Path) -> tuple[Path, Path]:
    """An encrypted demo store for the office and its copy for a laptop, made with the
    code ``share copy`` runs, trusting each other."""
    office, laptop = tmp_path / "office.db", tmp_path / "laptop.db"
    build_demo_file(office, persons=MIN_PERSONS, today=ui_world.TODAY, parallel=False)
    with open_demo(office) as here:
        copy_store(here, laptop, "Laptop")
        here.set_meta("name", "Office")
    with open_demo(office) as here, open_demo(laptop) as there:
        packs.trust(here, packs.identity(there).line(), "setup")
        packs.trust(there, packs.identity(here).line(), "setup")
    return office, laptop


def _window(qtbot: Any, tmp_path: Path, path: Path, ended: Any = None) -> Any:
    """The app, signed in to the encrypted store at ``path`` as the demo's administrator
    through its sign-in screen (waiting for ``ended`` meanwhile, when given)."""
    from PySide6.QtCore import Qt

    from careplan.ui.mainwindow import MainWindow

    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    assert win.open_store(path) and win.store is None  # opened only at the sign-in
    credentials = win.sign_in_page.credentials
    credentials.user.setText(ADMIN)
    credentials.password.setText(DEMO_PASSWORD)
    if ended is None:
        qtbot.keyClick(credentials.password, Qt.Key.Key_Return)
    else:
        with qtbot.waitSignal(ended(win), timeout=30_000) as done:
            qtbot.keyClick(credentials.password, Qt.Key.Key_Return)
        win.first_sync = done.args[0]
    qtbot.waitUntil(lambda: win.account is not None, timeout=20_000)
    assert win.store is not None and win.store.key is not None
    return win


def _summary(qtbot: Any) -> Any:
    from PySide6.QtWidgets import QApplication, QMessageBox

    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QMessageBox) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=20_000)
    return found[0]


def test_the_app_makes_and_reads_packs_of_an_encrypted_store(
        qtbot: Any, tmp_path: Path, laptops: tuple[Path, Path]) -> None:
    office, laptop = laptops
    with open_demo(laptop) as there, open_demo(office) as here:
        set_override(there, "discharge.warning_days", 4, _admin(there))
        make_pack(there, tmp_path / "laptop.cpk", here.store_id)
    win = _window(qtbot, tmp_path, office)
    # Read: the worker opens the store with the window's key.
    win.share.ask_open = lambda title, filters: str(tmp_path / "laptop.cpk")
    win.share.read.trigger()
    box = _summary(qtbot)
    assert "from Laptop" in box.text() + box.informativeText()
    box.close()
    assert _rule(office, "discharge.warning_days") == "4"
    # Make: the same, and the laptop reads what the office's store sent.
    with open_demo(office) as here:
        set_override(here, "discharge.critical_days", 9, _admin(here))
    out = tmp_path / "for-laptop.cpk"
    win.share.ask_save = lambda title, name, filters: str(out)
    win.share.make.trigger()
    box = _summary(qtbot)
    assert "for Laptop" in box.text() and out.exists(), box.text()
    box.close()
    with open_demo(laptop) as there:
        assert import_pack(there, out.read_bytes()).arrived.result.applied >= 1
    assert _rule(laptop, "discharge.critical_days") == "9"
    win.close_store()


def test_the_app_syncs_an_encrypted_store_in_the_background(
        qtbot: Any, tmp_path: Path, laptops: tuple[Path, Path], pg_server: PgServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    office, laptop = laptops
    passfile = tmp_path / "pgpass"
    passfile.touch(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    db = pg_server.new_database()
    teamserver.init_server(pg_server.admin_dsn(db))
    office_dsn, laptop_dsn = (pg_server.add_laptop(db, f"laptop_{uuid.uuid4().hex[:8]}",
                                                   passfile) for _ in range(2))
    with open_demo(laptop) as there:
        set_override(there, "discharge.warning_days", 5, _admin(there))
        sync(there, laptop_dsn)
    with open_demo(office) as here:
        configure(here, office_dsn)
    win = _window(qtbot, tmp_path, office, ended=lambda w: w.share.background.ended)
    assert win.first_sync.error is None, win.first_sync.error
    assert win.share.background.label.text().startswith("Last synced")
    assert _rule(office, "discharge.warning_days") == "5"
    win.close_store()
