"""Backups: automatic rotating copies, ``careplan backup`` / ``careplan restore``, and what
a damaged store, a full disk or a read-only file do to a person's work (nothing)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from signin import digest_without_sign_ins, ensure_account

from careplan.cli import main
from careplan.models import Agency, Need, Person
from careplan.models.accounts import SignIn
from careplan.store import Store, StoreError, add, add_many, find, update
from careplan.store import backup as bk
from careplan.store.digest import content_digest
from careplan.store.migrations import latest_version
from tests.factories import one_of_each

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PATIENT = Path(__file__).resolve().parent / "fixtures" / "fhir" / "hl7" / "Patient-f201.json"


def _digest(path: Path) -> str:
    with Store.open(path, create=False) as store:
        return content_digest(store)


@pytest.fixture
def filled(store_path: Path) -> Path:
    with Store.open(store_path) as store:
        for entity in one_of_each():
            add(store, entity, "setup")
    return store_path


def _change(path: Path, text: str) -> None:
    with Store.open(path, create=False) as store:
        person = find(store, Person)[0]
        update(store, person.evolve(address=text), "editor")


# -- automatic backups -------------------------------------------------------------------


def test_nothing_to_back_up_in_memory_or_in_a_new_store(store_path: Path) -> None:
    assert bk.auto_backup(":memory:").path is None
    Store.open(store_path).close()
    result = bk.auto_backup(store_path, now=T0)
    assert result.path is None and result.reason == "the store is empty"
    assert bk.list_backups(store_path) == []


def test_backup_is_a_checked_copy_beside_the_store(filled: Path) -> None:
    result = bk.auto_backup(filled, now=T0)
    with Store.open(filled, create=False) as store:
        short = store.store_id.replace("-", "")[:8]
    assert result.path == filled.parent / "backups" / f"store-20261122-090000-{short}.db"
    assert bk.verify_backup(result.path).persons == 1
    assert _digest(result.path) == _digest(filled)
    assert not list(result.path.parent.glob("*.partial"))
    assert bk.newest_backup(filled) == bk.Backup(result.path, T0)


def test_backups_are_skipped_when_recent_or_unchanged(filled: Path) -> None:
    assert bk.auto_backup(filled, now=T0).path is not None
    recent = bk.auto_backup(filled, now=T0 + timedelta(minutes=59))
    assert recent.path is None and "less than" in recent.reason
    same = bk.auto_backup(filled, now=T0 + timedelta(hours=2))
    assert same.path is None and "not changed" in same.reason
    _change(filled, "1 Changed Road")
    assert bk.auto_backup(filled, now=T0 + timedelta(hours=2)).path is not None
    # the same day: only its newest backup is kept (see test_backup_rotation.py)
    assert [b.taken_at for b in bk.list_backups(filled)] == [T0 + timedelta(hours=2)]


def test_older_generations_are_kept_by_day(filled: Path) -> None:
    """Within a day only its newest backup stays; each earlier day keeps its own newest
    (tests/test_backup_rotation.py has the whole policy)."""
    digests = {}
    for hour in (0, 5, 24, 26, 30):
        _change(filled, f"{hour} Rotating Road")
        made = bk.auto_backup(filled, now=T0 + timedelta(hours=hour))
        assert made.path is not None
        digests[hour] = _digest(made.path)
    kept = bk.list_backups(filled)
    assert [b.taken_at for b in kept] == [T0 + timedelta(hours=30), T0 + timedelta(hours=5)]
    assert [_digest(b.path) for b in kept] == [digests[30], digests[5]]


def test_a_backup_holds_only_committed_work(filled: Path) -> None:
    with Store.open(filled, create=False) as writer:
        writer.conn.execute("BEGIN IMMEDIATE")
        writer.conn.execute("UPDATE persons SET address = 'uncommitted'")
        made = bk.auto_backup(filled, now=T0)
        writer.conn.execute("ROLLBACK")
    assert made.path is not None
    assert _digest(made.path) == _digest(filled)


def test_the_command_line_backs_up_a_store_it_opens_to_write(
        filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        signed_in: Callable[..., list[str]]) -> None:
    junk = tmp_path / "bundle.json"
    junk.write_text("{not json")
    user = signed_in(filled)
    before = _digest(filled)
    assert main(["import", "fhir", str(junk), "--db", str(filled), *user]) == 2
    assert "Not imported" in capsys.readouterr().err
    (made,) = bk.list_backups(filled)  # taken once signed in, before the import
    assert _digest(made.path) == _digest(filled) != before  # the sign-in is in both
    with Store.open(filled, create=False) as store, Store.open(made.path) as copy:
        assert digest_without_sign_ins(copy) == digest_without_sign_ins(store)
        assert [s.outcome.value for s in find(copy, SignIn)] == ["signed in"]
    assert main(["info", "--db", str(filled)]) == 0  # reading takes no backup
    assert len(bk.list_backups(filled)) == 1


def test_a_failed_backup_is_reported_and_harms_nothing(
        filled: Path, capsys: pytest.CaptureFixture[str],
        signed_in: Callable[..., list[str]]) -> None:
    folder = bk.backup_dir(filled)
    folder.mkdir()
    user = signed_in(filled)
    before = _digest(filled)
    with _unwritable(folder):
        result = bk.auto_backup(filled, now=T0)
        assert result.path is None and result.reason.startswith("the backup failed")
        assert main(["import", "fhir", str(PATIENT), "--db", str(filled), *user]) == 0
        err = capsys.readouterr().err
        assert f"careplan: warning: {filled} was not backed up" in err
    assert list(folder.iterdir()) == []
    with Store.open(filled, create=False) as store:  # the import went ahead
        assert content_digest(store) != before and store.integrity_check() == "ok"


def test_half_made_copies_left_by_a_crash_are_cleared(filled: Path) -> None:
    folder = bk.backup_dir(filled)
    folder.mkdir()
    old, young = folder / ".store-20261120-090000.db.77.partial", folder / ".store-x.db.78.partial"
    for stale in (old, young):
        stale.write_bytes(b"half")
    two_days_ago = (T0 - timedelta(days=2)).timestamp()
    os.utime(old, (two_days_ago, two_days_ago))
    assert bk.auto_backup(filled, now=T0).path is not None
    assert not old.exists() and young.exists()


# -- careplan backup ---------------------------------------------------------------------


def test_backup_command_writes_a_checked_copy(
        filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "copy.db"
    assert main(["backup", "--db", str(filled), "--out", str(out)]) == 0
    assert "checked" in capsys.readouterr().out
    assert _digest(out) == _digest(filled)
    size = out.stat().st_size
    assert main(["backup", "--db", str(filled), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.stat().st_size == size
    assert main(["backup", "--db", str(filled)]) == 0  # a new automatic backup, now
    assert main(["backup", "--db", str(filled), "--list"]) == 0
    assert str(bk.list_backups(filled)[0].path) in capsys.readouterr().out


# -- careplan restore --------------------------------------------------------------------


def test_restore_puts_the_backup_back_and_keeps_the_store_as_it_was(
        filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = bk.auto_backup(filled, now=T0).path
    assert made is not None
    _change(filled, "after the backup")
    changed = _digest(filled)
    assert main(["restore", "--db", str(filled), "--from", str(made)]) == 0
    out = capsys.readouterr().out
    assert _digest(filled) == _digest(made)
    safety = next(filled.parent.glob("backups/store-before-restore-*.db"))
    assert f"kept at {safety}" in out
    assert _digest(safety) == changed
    assert safety not in [b.path for b in bk.list_backups(filled)]  # never rotated away


def _corrupt(path: Path) -> None:
    with path.open("r+b") as fh:
        fh.seek(4096)
        fh.write(b"\xff" * 8192)


def _newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()


def _other_sqlite(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()


@pytest.mark.parametrize(("spoil", "message"), [
    (_corrupt, "is damaged"),
    (_newer, "was written by a newer CarePlan"),
    (_other_sqlite, "is an SQLite database but not a CarePlan store"),
    (lambda p: p.write_bytes(b"PK\x03\x04 a spreadsheet"), "is not an SQLite database"),
])
def test_restore_refuses_a_backup_that_fails_its_check(
        filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spoil, message) -> None:
    made = bk.auto_backup(filled, now=T0).path
    assert made is not None
    candidate = tmp_path / "candidate.db"
    shutil.copyfile(made, candidate)
    spoil(candidate)
    before = _digest(filled)
    assert main(["restore", "--db", str(filled), "--from", str(candidate)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("careplan: Not restored: ") and message in err
    assert _digest(filled) == before
    assert not list(filled.parent.glob("backups/*before-restore*"))


def test_restore_refuses_while_the_store_is_open_elsewhere(
        filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = bk.auto_backup(filled, now=T0).path
    assert made is not None
    with Store.open(filled, create=False) as other_window:
        before = content_digest(other_window)
        assert main(["restore", "--db", str(filled), "--from", str(made)]) == 2
        assert "is open in another window or program" in capsys.readouterr().err
        add(other_window, Agency(name="Still working", sector="housing"), "me")
        assert content_digest(other_window) != before


def test_restore_will_not_replace_a_file_that_was_never_a_store(
        filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = bk.auto_backup(filled, now=T0).path
    notes = tmp_path / "notes.db"
    notes.write_text("my notes")
    assert main(["restore", "--db", str(notes), "--from", str(made)]) == 2
    assert "is not a CarePlan store and has no backups" in capsys.readouterr().err
    assert notes.read_text() == "my notes"


# -- a damaged store or a file that is not one ---------------------------------------------


@pytest.mark.parametrize("spoil", ["garbage", "damaged pages"])
def test_a_damaged_store_offers_its_newest_backup_and_the_offer_works(
        filled: Path, capsys: pytest.CaptureFixture[str], spoil: str) -> None:
    with Store.open(filled, create=False) as store:  # enough pages to damage some
        add_many(store, [Need(plan_id=store.query("SELECT id FROM care_plans")[0]["id"],
                              description=f"need {k}", domain="other") for k in range(400)],
                 "setup")
    good = _digest(filled)
    older = bk.auto_backup(filled, now=T0).path
    _change(filled, "newer")
    newest = bk.auto_backup(filled, now=T0 + timedelta(hours=2)).path
    assert older is not None and newest is not None
    if spoil == "garbage":
        filled.write_bytes(os.urandom(20_000))
    else:
        _corrupt(filled)
    assert main(["info", "--db", str(filled)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"The newest backup is {newest} (taken 2026-11-22 11:00 UTC)" in err
    command = err.split("Restore it with: ")[1].strip().split()
    assert command[:4] == ["careplan", "restore", "--db", str(filled)]
    assert main(command[1:]) == 0
    assert _digest(filled) == _digest(newest) != good
    assert main(["info", "--db", str(filled)]) == 0


def test_a_file_that_is_not_a_store_says_so_without_backups(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    letter = tmp_path / "letter.db"
    letter.write_text("Dear Sir or Madam")
    assert main(["info", "--db", str(letter)]) == 2
    err = capsys.readouterr().err
    assert "is not a CarePlan store" in err and "No backup of it was found" in err


# -- a full disk and a read-only file --------------------------------------------------------


def test_a_full_disk_refuses_the_write_in_words_and_keeps_what_was_saved(filled: Path) -> None:
    with Store.open(filled, create=False) as store:
        plan = store.query("SELECT id FROM care_plans")[0]["id"]
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        # The store may not grow: SQLite then fails exactly as on a full disk.
        store.conn.execute(f"PRAGMA max_page_count = {pages}")
        before = content_digest(store)
        needs = [Need(plan_id=plan, description="x" * 2000, domain="other") for _ in range(50)]
        with pytest.raises(StoreError, match="is full; nothing more was saved"):
            add_many(store, needs, "me")
        assert content_digest(store) == before  # the batch: all or nothing
        saved = 0
        with pytest.raises(StoreError, match="is full; nothing more was saved"):
            for need in needs:
                add(store, need, "me")
                saved += 1
        kept = content_digest(store)
    with Store.open(filled, create=False) as store:
        assert store.integrity_check() == "ok"
        assert content_digest(store) == kept
        assert store.query("SELECT count(*) AS n FROM needs WHERE description LIKE 'xx%'") \
            == [{"n": saved}]


def test_a_read_only_connection_refuses_in_words(filled: Path) -> None:
    before = _digest(filled)
    with Store.open(filled, create=False) as store:
        store.conn.execute("PRAGMA query_only = ON")
        person = find(store, Person)[0]
        with pytest.raises(StoreError, match="is read-only; nothing was changed"):
            update(store, person.evolve(address="nowhere"), "me")
    assert _digest(filled) == before


@contextlib.contextmanager
def _unwritable(path: Path) -> Iterator[Path]:
    """A file or folder made read-only for real: chmod for a normal user; for root (who
    ignores file modes) the immutable attribute, which binds root too."""
    mode = path.stat().st_mode
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
    else:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.fail(f"cannot make a file read-only as root here: {made.stderr!r}")
    try:
        with pytest.raises(PermissionError):
            if path.is_dir():
                (path / "probe").touch()
            else:
                path.open("r+b")
        yield path
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


@pytest.fixture
def read_only(filled: Path) -> Iterator[Path]:
    ensure_account(filled)  # tests/signin.py: to sign in to it, read-only
    with _unwritable(filled) as path:
        yield path


def test_a_read_only_store_file_refuses_in_words(
        read_only: Path, capsys: pytest.CaptureFixture[str],
        signed_in: Callable[..., list[str]]) -> None:
    before = read_only.read_bytes()
    with Store.open(read_only, create=False) as store:
        digest = content_digest(store)
        with pytest.raises(StoreError, match="is read-only; nothing was changed"):
            add(store, Agency(name="Nowhere", sector="housing"), "me")
        assert content_digest(store) == digest
    status = main(["import", "fhir", str(PATIENT), "--db", str(read_only),
                   *signed_in(read_only)])
    err = capsys.readouterr().err
    assert status == 2 and "is read-only; nothing was changed" in err, err
    assert read_only.read_bytes() == before
