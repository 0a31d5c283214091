"""``careplan encrypt --db PLAIN.db --user ADMIN``: a plain store converted in place.

The content is exported into an encrypted file that is checked (quick_check and every
table's row count) before it replaces the plain store; the plain store is kept in
backups/; every account keeps its password; refusals are one sentence and change nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import ui_world
from signin import ADMIN, PASSWORD, ensure_account

from careplan import cli
from careplan.store import Store, accounts, keyring
from careplan.store.digest import content_digest

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def plain(tmp_path: Path, signed_in: Any) -> tuple[Path, ui_world.World]:
    """A plain store with people in it, an administrator and a practitioner."""
    path = tmp_path / "team.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
        ensure_account(store, ADMIN)
        ensure_account(store, "sam.okafor", "practitioner", world.sam_social)
    signed_in(path)  # CAREPLAN_PASSWORD_FILE holds the accounts' password
    return path, world


def test_encrypt_converts_in_place_and_every_account_keeps_its_password(
        plain: tuple[Path, ui_world.World], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = plain
    with Store.open(path, create=False) as store:
        before = content_digest(store)
        counts = store.table_counts()
    code, out, err = _cli(capsys, "encrypt", "--db", str(path), "--user", ADMIN)
    assert code == 0, err
    assert "Encrypted" in out and "delete it once the encrypted store has been checked" in out
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    conn.close()
    # Each account opens it with its own password; the practitioner's entry was made from
    # the password hash and is wrapped anew at this first use.
    key = keyring.unlock(path, "sam.okafor", PASSWORD, NOW)
    ring = keyring.load(path)
    assert not ring.entries[ring.entry_id("sam.okafor")].provisional
    assert keyring.unlock(path, ADMIN, PASSWORD, NOW) == key
    with Store.open(path, create=False, key=key) as store:
        assert store.quick_check() == "ok"
        after_counts = store.table_counts()
        # The content is the same, but for the administrator's sign-in to encrypt it.
        assert after_counts["sign_ins"] == counts["sign_ins"] + 1
        assert {t: n for t, n in after_counts.items() if t not in ("sign_ins",
                                                                      "audit_events")} == \
            {t: n for t, n in counts.items() if t not in ("sign_ins", "audit_events")}
    # The plain store as it was is kept, readable, in backups/.
    kept = sorted((path.parent / "backups").glob("team-before-encryption-*.db"))
    assert len(kept) == 1
    with Store.open(kept[0], create=False) as old:
        assert old.table_counts()["persons"] == counts["persons"]
        assert old.key is None and content_digest(old) != before  # with the sign-in
    code, out, err = _cli(capsys, "flags", "--db", str(path), "--user", "sam.okafor")
    assert code == 0, err


def test_a_store_encrypted_already_is_refused(
        plain: tuple[Path, ui_world.World], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = plain
    assert _cli(capsys, "encrypt", "--db", str(path), "--user", ADMIN)[0] == 0
    before = _digest(path)
    code, _, err = _cli(capsys, "encrypt", "--db", str(path), "--user", ADMIN)
    assert code == 2 and "is encrypted already" in err and err.count("\n") == 1
    assert _digest(path) == before


@pytest.mark.parametrize(("user", "password", "said"), [
    (ADMIN, "not-the-password", "Wrong user name or password."),
    ("sam.okafor", PASSWORD, "Only an administrator may encrypt the store"),
    (None, PASSWORD, "--user: an administrator signs in to encrypt a store"),
])
def test_only_an_administrator_with_the_right_password_encrypts(
        plain: tuple[Path, ui_world.World], capsys: pytest.CaptureFixture[str],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: str | None, password: str,
        said: str) -> None:
    path, _ = plain
    file = tmp_path / "typed"
    file.write_text(password + "\n", encoding="utf-8")
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(file))
    with Store.open(path, create=False) as store:
        records = _records(store)
    argv = ["encrypt", "--db", str(path)] + (["--user", user] if user else [])
    code, _, err = _cli(capsys, *argv)
    assert code == 2 and said in err and err.count("\n") == 1, err
    assert not keyring.exists(path)
    with Store.open(path, create=False) as store:
        assert _records(store) == records  # a sign-in may be recorded; nothing else
    assert not list((path.parent / "backups").glob("*before-encryption*")) \
        if (path.parent / "backups").exists() else True


def _records(store: Store) -> dict[str, int]:
    return {t: n for t, n in store.table_counts().items()
            if t not in ("sign_ins", "audit_events", "account_secrets")}


def test_a_store_without_accounts_is_not_encrypted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], signed_in: Any) -> None:
    path = tmp_path / "empty.db"
    Store.open(path).close()
    other = tmp_path / "other.db"
    Store.open(other).close()
    signed_in(other)  # sets the password file; the store to encrypt keeps no account
    before = _digest(path)
    code, _, err = _cli(capsys, "encrypt", "--db", str(path), "--user", ADMIN)
    assert code == 2 and "has no accounts" in err and "careplan accounts add" in err
    assert _digest(path) == before and not keyring.exists(path)


def test_a_store_open_in_another_program_is_left_as_it_was(
        plain: tuple[Path, ui_world.World], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = plain
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from careplan.store import Store
            store = Store.open({str(path)!r}, create=False)
            store.conn.execute("SELECT count(*) FROM persons").fetchone()
            print("open", flush=True)
            sys.stdin.readline()
            store.close()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        code, _, err = _cli(capsys, "encrypt", "--db", str(path), "--user", ADMIN)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    assert code == 2 and "open in another window or program" in err, err
    assert not keyring.exists(path)
    with Store.open(path, create=False) as store:
        assert store.quick_check() == "ok"
        assert accounts.find_account(store, ADMIN) is not None
