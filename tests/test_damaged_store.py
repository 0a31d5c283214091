"""A damaged store answers nothing and takes no write; an empty file is never made a store.

Damage here is what a failing disk or a bad copy leaves: 4 KB of garbage somewhere in
the middle of a store file. Before, read commands printed answers from such files (16
of 20 exited 0) and writes went into them. Now SQLite's quick check runs before any
command works on a store, through a read-only connection, so the file is not touched.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.models import Agency
from careplan.store import DamagedStoreError, NotAStoreError, Store, StoreError, add
from careplan.store import health as hl
from careplan.store.migrations import latest_version
from tests.older_schema import made_by, take_back

TRIALS = 20
TODAY = "2026-11-30"


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store of 200 persons (about 5 MB), closed, so it is one file."""
    path = tmp_path_factory.mktemp("damage") / "sound.db"
    with Store.open(path) as store:
        build_demo(store, persons=200, seed=3, today=date(2026, 11, 30), parallel=False)
    return path


def _spoil(sound: Path, dest: Path, seed: int) -> Path:
    """A copy of ``sound`` with 4 KB of garbage at a random place past its first quarter."""
    shutil.copyfile(sound, dest)
    rng = random.Random(seed)
    size = dest.stat().st_size
    with dest.open("r+b") as fh:  # no connection to the copy exists in this process
        fh.seek(rng.randrange(size // 4, size - 8192))
        fh.write(rng.randbytes(4096))
    return dest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_command_refuses_a_damaged_store_and_leaves_it_as_it_was(
        sound: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reads = writes = 0
    for seed in range(TRIALS):
        spoiled = _spoil(sound, tmp_path / f"spoiled-{seed}.db", seed)
        before = _sha(spoiled)
        assert main(["flags", "--db", str(spoiled), "--today", TODAY]) == 2
        err = capsys.readouterr().err
        assert " is damaged (" in err and "Traceback" not in err
        reads += 1
        assert main(["rules", "--db", str(spoiled), "--set",
                     "discharge.critical_days=5"]) == 2
        err = capsys.readouterr().err
        assert " is damaged (" in err and "nothing was changed" in err
        writes += 1
        assert _sha(spoiled) == before, "a refused command changed the damaged file"
        assert not (tmp_path / "backups").exists(), "a damaged store was backed up"
    print(f"damaged stores: {reads} reads and {writes} writes refused, files unchanged")


def test_the_sound_store_still_answers(sound: Path, tmp_path: Path,
                                      demo_signed_in: Callable[..., list[str]]) -> None:
    copy = tmp_path / "copy.db"
    shutil.copyfile(sound, copy)
    reader, admin = demo_signed_in(copy, "reader"), demo_signed_in(copy)
    assert main(["flags", "--db", str(copy), "--today", TODAY, *reader]) == 0
    assert main(["rules", "--db", str(copy), "--set", "discharge.critical_days=5",
                 *admin]) == 0


def test_open_with_check_raises_a_sentence(sound: Path, tmp_path: Path) -> None:
    spoiled = _spoil(sound, tmp_path / "spoiled.db", 4)
    with pytest.raises(DamagedStoreError, match=r"is damaged \(quick check: .*nothing was"):
        Store.open(spoiled, create=False, check=True)
    verdict = hl.check_file(spoiled)
    assert verdict is not None and not verdict.ok and len(verdict.detail) <= 200


@pytest.mark.parametrize("make", ["zero bytes", "empty sqlite"])
def test_an_empty_file_is_never_made_into_a_new_store(tmp_path: Path, make: str,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """What is left of a truncated caseload must not quietly become an empty store,
    whose backups would then rotate the real ones away."""
    path = tmp_path / "caseload.db"
    if make == "zero bytes":
        path.write_bytes(b"")
    else:
        sqlite3.connect(path).execute("VACUUM").connection.close()
    before = path.read_bytes()
    with pytest.raises(NotAStoreError, match="empty"):
        Store.open(path)
    for args in (["info", "--db", str(path)],
                 ["rules", "--db", str(path), "--set", "discharge.critical_days=5"]):
        code = main(args)
        err = capsys.readouterr().err
        assert code == 2 and "empty" in err and "Traceback" not in err, (args, err)
    assert path.read_bytes() == before
    assert not (tmp_path / "backups").exists()


def test_a_new_store_is_made_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with Store.open(path) as store:
        assert store.schema_version == latest_version() and store.store_id
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_older_store_is_backed_up_before_its_schema_is_upgraded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Even a read-only command (info) upgrades the schema; it takes a copy first."""
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        add(store, Agency(name="Old Practice", sector="health"), "setup")
        store_id = store.store_id
    made, added = made_by(latest_version())
    assert made or added, "the last migration makes nothing this test can take away"
    with sqlite3.connect(path) as conn:  # as it was before the last migration
        take_back(conn, latest_version() - 1)
    conn.close()
    assert main(["info", "--db", str(path)]) == 0
    copies = list((tmp_path / "backups").glob("old-before-schema-*.db"))
    assert len(copies) == 1
    with sqlite3.connect(f"file:{copies[0]}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version() - 1
        assert conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'"
                            ).fetchone()[0] == store_id
        assert conn.execute("SELECT name FROM agencies").fetchall() == [("Old Practice",)]
    conn.close()
    capsys.readouterr()


def test_a_read_only_store_refuses_writes_before_trying(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    Store.open(path).close()
    with Store.open(path, read_only=True) as store, \
            pytest.raises(StoreError, match="read-only"):
        add(store, Agency(name="Nope", sector="health"), "me")
    with Store.open(path, create=False) as store:
        assert store.query("SELECT count(*) AS n FROM agencies") == [{"n": 0}]


def test_writes_wait_for_the_verdict_and_damage_refuses_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "gate.db"
    with Store.open(path) as store:
        store.health = hl.Health()
        store.health.give(hl.Verdict(True, "ok", full=False))
        add(store, Agency(name="Fine", sector="health"), "me")
        store.health.give(hl.Verdict(False, "Page 9: btreeInitPage() returns error", True))
        with pytest.raises(StoreError, match=r"is damaged \(integrity check: Page 9"):
            add(store, Agency(name="Refused", sector="health"), "me")
        assert store.read_only
        undecided = Store.open(path, create=False)
        undecided.health = hl.Health()
        monkeypatch.setattr(hl, "VERDICT_WAIT_S", 0.05)
        with pytest.raises(StoreError, match="still being checked"):
            add(undecided, Agency(name="Too soon", sector="health"), "me")
        undecided.close()
        names = [r["name"] for r in store.query("SELECT name FROM agencies")]
    assert names == ["Fine"]
