"""A restore that cannot hurt: safety copies with names of their own, no restoring another
store's backup by accident, one sentence (and nothing changed) for a wrong path, and the
store held against every other process, with no plain file handle ever closed beside a
live SQLite connection."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.models import Agency, Person
from careplan.store import Store, add, find, sqlite, update
from careplan.store import backup as bk
from careplan.store import restore as rs
from careplan.store.digest import content_digest
from tests.factories import one_of_each

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def filled(store_path: Path) -> Path:
    with Store.open(store_path) as store:
        for entity in one_of_each():
            add(store, entity, "setup")
    return store_path


@pytest.fixture
def made(filled: Path) -> Path:
    """An automatic backup of ``filled``."""
    path = bk.auto_backup(filled, now=T0).path
    assert path is not None
    return path


def _digest(path: Path) -> str:
    with Store.open(path, create=False) as store:
        return content_digest(store)


def _change(path: Path, text: str) -> None:
    with Store.open(path, create=False) as store:
        person = find(store, Person)[0]
        update(store, person.evolve(address=text), "editor")


def _folder(store: Path) -> list[str]:
    folder = bk.backup_dir(store)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _safety(store: Path) -> list[Path]:
    return sorted(bk.backup_dir(store).glob(f"{store.stem}-before-restore-*.db"))


# -- safety copies ----------------------------------------------------------------------------


def test_two_restores_in_one_second_keep_both_safety_copies(filled: Path, made: Path) -> None:
    states = []
    for text in ("first state", "second state"):
        _change(filled, text)
        states.append(_digest(filled))
        bk.restore(filled, made, now=T0 + timedelta(days=1))  # the same instant, twice
    copies = _safety(filled)
    assert len(copies) == 2
    assert sorted(_digest(c) for c in copies) == sorted(states)


def test_restores_on_the_real_clock_keep_every_safety_copy(filled: Path, made: Path) -> None:
    trials = 10
    for trial in range(trials):
        for k in range(2):
            _change(filled, f"trial {trial}.{k}")
            assert main(["restore", "--db", str(filled), "--from", str(made)]) == 0
    assert len(_safety(filled)) == 2 * trials


def test_a_safety_copy_never_takes_the_name_of_an_existing_file(
        filled: Path, made: Path) -> None:
    when = T0 + timedelta(days=1)
    taken = bk.backup_dir(filled) / f"store-before-restore-{when:%Y%m%d-%H%M%S-%f}.db"
    taken.write_bytes(b"somebody's file")
    _, safety = bk.restore(filled, made, now=when)
    assert safety == taken.with_name(f"{taken.stem}-2.db")
    assert taken.read_bytes() == b"somebody's file"


def test_safety_copies_are_never_rotated_away(filled: Path, made: Path) -> None:
    _, safety = bk.restore(filled, made, now=T0)
    assert safety is not None
    for day in range(1, 40):
        _change(filled, f"day {day}")
        assert bk.auto_backup(filled, now=T0 + timedelta(days=day)).path is not None
    assert safety.exists()
    assert bk.list_safety_copies(filled) == [safety]


# -- another store's backup -----------------------------------------------------------------


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """A backup of another store."""
    other = tmp_path / "elsewhere" / "other.db"
    other.parent.mkdir()
    with Store.open(other) as store:
        add(store, Agency(name="Another team", sector="housing"), "me")
    path = bk.auto_backup(other, now=T0).path
    assert path is not None
    return path


def test_another_stores_backup_is_refused(
        filled: Path, made: Path, foreign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, listing = _digest(filled), _folder(filled)
    assert main(["restore", "--db", str(filled), "--from", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("careplan: Not restored: ") and len(err.strip().splitlines()) == 1
    assert "is a backup of another store" in err and "--other-store" in err
    assert _digest(filled) == before and _folder(filled) == listing
    with pytest.raises(bk.OtherStoreError):
        bk.restore(filled, foreign)


def test_another_stores_backup_is_restored_when_asked_with_a_warning(
        filled: Path, made: Path, foreign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["restore", "--db", str(filled), "--from", str(foreign),
                 "--other-store"]) == 0
    captured = capsys.readouterr()
    warning = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warning) == 1 and "a backup of another store" in warning[0]
    assert _digest(filled) == _digest(foreign)
    assert len(_safety(filled)) == 1


# -- a wrong path: one sentence, exit 2, nothing changed --------------------------------------


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], store: Path,
             option: str, words: str) -> None:
    before = _digest(store)
    listing = _folder(store)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"careplan: {option}: ") and words in err, err
    assert _digest(store) == before and _folder(store) == listing


def test_restore_onto_a_folder_says_so(
        filled: Path, made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "a folder"
    folder.mkdir()
    _refused(["restore", "--db", str(folder), "--from", str(made)], capsys, filled,
             "--db", "is a folder, not a store file")
    assert list(folder.iterdir()) == []


def test_restore_into_a_missing_folder_says_so(
        filled: Path, made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(["restore", "--db", str(tmp_path / "nowhere" / "x.db"), "--from", str(made)],
             capsys, filled, "--db", "does not exist")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(("source", "words"), [
    ("folder", "is a folder, not a backup file"),
    ("device", "is not a file but a device or a pipe"),
    ("missing", "There is no file"),
    ("empty", "is empty, so it is not a CarePlan backup"),
])
def test_restore_from_something_that_is_not_a_file_says_so(
        filled: Path, made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        source: str, words: str) -> None:
    path = {"folder": tmp_path, "device": Path(os.devnull), "missing": tmp_path / "gone.db",
            "empty": tmp_path / "empty.db"}[source]
    if source == "empty":
        path.touch()
    _refused(["restore", "--db", str(filled), "--from", str(path)], capsys, filled,
             "--from", words)


def _chattr(flag: str, path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)


@pytest.fixture
def immutable(filled: Path) -> Iterator[Path]:
    """The store file made immutable: as root, a file that really cannot be replaced."""
    if os.geteuid() != 0:
        filled.chmod(0o444)
        yield filled
        filled.chmod(0o644)
        return
    made = _chattr("+i", filled)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not supported on the filesystem of tmp_path: "
                    f"{made.stderr.decode().strip()}")
    try:
        yield filled
    finally:
        _chattr("-i", filled)


def test_restore_onto_an_immutable_file_says_so(
        made: Path, immutable: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PermissionError):
        immutable.open("r+b")  # the premise: it really cannot be written
    _refused(["restore", "--db", str(immutable), "--from", str(made)], capsys, immutable,
             "--db", "is read-only, so it cannot be replaced; nothing was changed")
    assert not _safety(immutable)


def test_a_failed_rename_puts_the_journals_back(tmp_path: Path) -> None:
    """If the final rename fails after all (the file became immutable since it was
    checked), the -wal set aside for it is put back: the store is as it was."""
    target = tmp_path / "store.db"
    target.write_bytes(b"old store")
    wal = Path(f"{target}-wal")
    wal.write_bytes(b"committed work")
    tmp = tmp_path / ".store.db.restoring"
    tmp.write_bytes(b"restored")
    if os.geteuid() != 0:
        pytest.skip("only root can make a file that cannot be renamed over (chattr +i)")
    if _chattr("+i", target).returncode != 0:
        pytest.skip("chattr +i is not supported on the filesystem of tmp_path")
    try:
        with pytest.raises(PermissionError):
            rs._swap(tmp, target)
    finally:
        _chattr("-i", target)
    assert target.read_bytes() == b"old store" and wal.read_bytes() == b"committed work"


# -- held against other processes ---------------------------------------------------------------

_DESKTOP = """
import sys, threading
from careplan.models import Agency
from careplan.store import Store, add, find
path = sys.argv[1]
window = Store.open(path, create=False)       # the window's connection
opened, stop = threading.Event(), threading.Event()
def worker():                                 # a worker thread with its own connection
    own = Store.open(path, create=False)
    opened.set()
    while not stop.wait(0.01):
        own.query("SELECT count(*) AS n FROM persons")
    own.close()
thread = threading.Thread(target=worker)
thread.start()
opened.wait()
find(window, Agency)
print("ready", flush=True)
sys.stdin.readline()
add(window, Agency(name="Written after the refusal", sector="housing"), "me")
stop.set(); thread.join(); window.close()
print("wrote", flush=True)
"""

_MID_WRITE = """
import sys
from careplan.store import Store
store = Store.open(sys.argv[1], create=False)
store.conn.execute("BEGIN IMMEDIATE")
store.conn.execute("UPDATE persons SET address = 'written by the other process'")
print("ready", flush=True)
sys.stdin.readline()
store.conn.execute("COMMIT")
store.close()
print("wrote", flush=True)
"""

#: Asks, from another process, whether anyone holds a lock on SQLite's lock bytes of a
#: file (F_GETLK; it takes no lock itself).
_PROBE = """
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0x40000000, 512, 0)
kind = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, query))[0]
print("locked" if kind != fcntl.F_UNLCK else "free")
"""


def _probe(path: Path) -> str:
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True,
                          text=True, check=True, timeout=60)
    return done.stdout.strip()


@contextlib.contextmanager
def _other_process(script: str, store: Path, *,
                   finish: bool = True) -> Iterator[subprocess.Popen[str]]:
    """Another process running ``script`` on the store, ready when this yields; then told
    to finish its write (and checked to finish well), or stopped when not ``finish``."""
    child = subprocess.Popen([sys.executable, "-c", script, str(store)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield child
        if finish:
            out, _ = child.communicate("go\n", timeout=60)
            assert out.strip() == "wrote" and child.returncode == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.parametrize("script", [_DESKTOP, _MID_WRITE], ids=["desktop app", "mid-write"])
def test_restore_refuses_while_another_process_has_the_store_open(
        filled: Path, made: Path, capsys: pytest.CaptureFixture[str], script: str) -> None:
    before, listing = _digest(filled), _folder(filled)
    with _other_process(script, filled):
        assert main(["restore", "--db", str(filled), "--from", str(made)]) == 2
        err = capsys.readouterr().err
        assert "is open in another window or program" in err
        assert len(err.strip().splitlines()) == 1
        assert _folder(filled) == listing  # no safety copy either
    after = _digest(filled)  # the other process's write went into the store
    assert after != before
    with Store.open(filled, create=False) as store:
        assert store.integrity_check() == "ok"


def test_a_damaged_store_still_open_in_the_desktop_app_is_not_replaced(
        filled: Path, made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite cannot read a damaged store, so it cannot tell whether someone has it open;
    the locks the app holds on its -shm file can."""
    with _other_process(_DESKTOP, filled, finish=False):
        with filled.open("r+b") as fh:  # no connection to it in this process
            fh.write(os.urandom(8192))
        garbled = filled.read_bytes()
        assert main(["restore", "--db", str(filled), "--from", str(made)]) == 2
        assert "is open in another window or program" in capsys.readouterr().err
        assert filled.read_bytes() == garbled and not _safety(filled)


@pytest.mark.parametrize("spoil", ["none", "garbage"])
def test_the_store_stays_locked_until_it_is_replaced(
        filled: Path, made: Path, monkeypatch: pytest.MonkeyPatch, spoil: str) -> None:
    """While the safety copy is made and the backup copied in, no other process may
    start writing: at the final rename the store must still be locked. (A plain copy of
    the store, closed beside the SQLite connection holding it, drops that lock.)"""
    _change(filled, "after the backup")
    if spoil == "garbage":
        filled.write_bytes(os.urandom(20_000))
    seen = []
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)) == filled:
            seen.append(_probe(filled))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    _, safety = bk.restore(filled, made)
    monkeypatch.undo()
    assert seen == ["locked"]
    assert safety is not None and _digest(filled) == _digest(made)
    if spoil == "garbage":
        assert safety.read_bytes()[:16] != b"SQLite format 3\x00"  # kept byte for byte


def test_checking_a_backup_keeps_the_locks_of_a_connection_to_it(made: Path) -> None:
    """The file offered for restore may be open in this process (a store being used as
    the source): checking it must not drop that connection's locks. The holder uses the
    app's own SQLite library (careplan.store.sqlite): two copies of SQLite in one process
    keep their POSIX locks apart, so one's closing drops the other's whatever is done."""
    holder = sqlite.connect(made, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # a RESERVED lock on the backup file
        assert _probe(made) == "locked"
        assert bk.verify_backup(made).persons == 1
        assert _probe(made) == "locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_listing_and_offering_backups_keep_the_apps_locks(filled: Path, made: Path) -> None:
    """The desktop app asks for the backups (a banner, a menu) while it has the store
    open: reading the store's id for that must not drop the app's locks."""
    with Store.open(filled, create=False) as window:
        window.conn.execute("BEGIN IMMEDIATE")
        window.query("SELECT count(*) AS n FROM persons")
        assert _probe(filled) == "locked"
        assert bk.list_backups(filled)[0].path == made
        assert bk.newest_good_backup(filled) is not None
        assert bk.store_id_of(filled) == window.store_id
        assert _probe(filled) == "locked"
        window.conn.execute("ROLLBACK")


# -- a store cut to nothing -----------------------------------------------------------------


def test_the_wal_of_a_store_cut_to_nothing_is_kept_beside_the_safety_copy(
        filled: Path, made: Path) -> None:
    """A store file truncated to 0 bytes may have its work in the -wal still: the restore
    keeps it (SQLite, opening an empty file, would delete that -wal)."""
    filled.write_bytes(b"")
    wal = Path(f"{filled}-wal")
    wal.write_bytes(b"frames of committed work" * 100)
    _, safety = bk.restore(filled, made)
    assert safety is not None and safety.read_bytes() == b""
    assert Path(f"{safety}-wal").read_bytes() == b"frames of committed work" * 100
    assert not wal.exists() and _digest(filled) == _digest(made)


def test_a_store_cut_to_nothing_while_the_app_has_it_open_is_not_replaced(
        filled: Path, made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _other_process(_DESKTOP, filled, finish=False):
        with filled.open("r+b") as fh:  # no connection to it in this process
            fh.truncate(0)
        assert main(["restore", "--db", str(filled), "--from", str(made)]) == 2
        assert "is open in another window or program" in capsys.readouterr().err
        assert filled.stat().st_size == 0 and not _safety(filled)
