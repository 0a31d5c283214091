"""Schema migrations: from empty, re-run, upgrade an older store, refuse a newer one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from careplan.store import NotAStoreError, Store, StoreError, migrations, sqlite


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_new_store_is_at_the_latest_version(store_path: Path) -> None:
    with Store.open(store_path) as s:
        assert s.schema_version == migrations.latest_version()
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_reopening_runs_nothing_again(store_path: Path) -> None:
    Store.open(store_path).close()
    with Store.open(store_path) as s:
        assert migrations.upgrade(s.conn) == []
        assert s.integrity_check() == "ok"


def test_older_store_is_upgraded(store_path: Path) -> None:
    conn = sqlite3.connect(store_path)
    conn.isolation_level = None
    conn.execute("BEGIN")
    migrations.MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()
    with Store.open(store_path) as s:
        assert s.schema_version == migrations.latest_version()
    assert _user_version(store_path) == migrations.latest_version()


def test_newer_store_is_refused(store_path: Path) -> None:
    Store.open(store_path).close()
    with sqlite3.connect(store_path) as conn:
        conn.execute(f"PRAGMA user_version = {migrations.latest_version() + 1}")
    with pytest.raises(StoreError, match="newer CarePlan"):
        Store.open(store_path)


def test_a_failing_migration_leaves_the_store_as_it_was(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: sqlite.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        # The store's own library's error (SQLCipher's), as a failing statement raises.
        raise sqlite.OperationalError("boom")

    Store.open(store_path).close()
    before = _user_version(store_path)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    with pytest.raises(StoreError):
        Store.open(store_path)
    assert _user_version(store_path) == before
    with sqlite3.connect(store_path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names


def test_files_that_are_not_stores(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello, this is not a database at all")
    with pytest.raises(NotAStoreError, match="not an SQLite database"):
        Store.open(text)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE something (x)")
    with pytest.raises(NotAStoreError, match="not a CarePlan store"):
        Store.open(other)
    with pytest.raises(StoreError, match="There is no store"):
        Store.open(tmp_path / "missing.db", create=False)
