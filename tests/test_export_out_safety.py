"""An export's --out can never name the store, its WAL or SHM, a backup, a folder, a device,
a pipe or a socket, however the path is spelled: refused in one sentence before any work,
exit 2, nothing written, the store and the target as they were. A failing export leaves the
old file byte for byte and no temporary file behind. ``careplan backup --out`` likewise."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import sqlite3
import stat
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from export_sample import NHS, build, prints, reader_account, tables
from signin import digest_without_sign_ins, ensure_account

import careplan.commands.export as export_command
from careplan.cli import main
from careplan.export import outfile
from careplan.export.audit_pdf import audit_pdf
from careplan.export.fhir_export import export_fhir
from careplan.export.funding_xlsx import write_funding
from careplan.export.minutes_pdf import minutes_pdf
from careplan.export.plan_pdf import plan_pdf
from careplan.export.tables import write_table
from careplan.store import Store
from careplan.store.backup import backup_dir

#: Every export command, with what it needs besides --db and --out.
KINDS: dict[str, Callable[[str], list[str]]] = {
    "plan-pdf": lambda conf: ["plan-pdf", "--nhs", NHS],
    "handoff-audit": lambda conf: ["handoff-audit", "--from", "2025-01-01",
                                   "--to", "2025-03-03"],
    "minutes": lambda conf: ["minutes", "--conference", conf],
    "table": lambda conf: ["table", "actions"],
    "funding": lambda conf: ["funding", "--today", "2025-03-03"],
    "fhir": lambda conf: ["fhir"],
}
#: Tables and the funding report insist on their file's ending; a store of that name
#: gets past that check, as anyone's could.
ENDING = {"table": ".xlsx", "funding": ".xlsx"}

Signature = tuple[int, int, int, int, int, int] | None


class World:
    """A store with one person's whole record, in a folder of the test's own."""

    def __init__(self, tmp: Path, kind: str) -> None:
        self.tmp = tmp
        self.kind = kind
        self.ending = ENDING.get(kind, ".db")
        self.db = tmp / f"s{self.ending}"
        with Store.open(self.db) as store:
            sample = build(store)
            ensure_account(store)
            self.user = reader_account(store)
        assert sample.conference is not None
        self.conference = sample.conference.id
        self.person = sample.person.id
        self.digest = digest(self.db)

    def argv(self, out: str) -> list[str]:
        return ["export", *KINDS[self.kind](self.conference), "--db", str(self.db),
                "--out", out, "--user", self.user]


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch, password_file: Path) -> None:
    """The World's reader signs in with the test password (tests/signin.py)."""
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(password_file))


def digest(db: Path) -> str:
    """The store's content; an export records its sign-in and changes nothing else."""
    with Store.open(db, create=False) as store:
        return digest_without_sign_ins(store)


def signature(path: Path) -> Signature:
    """What a path is, without opening it: replaced or rewritten, this changes."""
    try:
        s = os.lstat(path)
    except FileNotFoundError:
        return None
    return s.st_ino, s.st_mode, s.st_size, s.st_mtime_ns, s.st_rdev, s.st_nlink


@pytest.fixture(params=sorted(KINDS))
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    return World(tmp_path, request.param)


@pytest.fixture
def reader(world: World) -> Iterator[sqlite3.Connection]:
    """A connection reading the store, as the open window has: its -wal and -shm exist."""
    conn = sqlite3.connect(world.db)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert Path(f"{world.db}-wal").exists() and Path(f"{world.db}-shm").exists()
    yield conn
    conn.close()


def _store(w: World) -> str:
    return str(w.db)


def _wal(w: World) -> str:
    return f"{w.db}-wal"


def _shm(w: World) -> str:
    return f"{w.db}-shm"


def _dot(w: World) -> str:
    os.chdir(w.tmp)
    return f"./{w.db.name}"


def _dotdot(w: World) -> str:
    (w.tmp / "sub").mkdir()
    return str(w.tmp / "sub" / ".." / w.db.name)


def _relative_up(w: World) -> str:
    (w.tmp / "sub").mkdir()
    os.chdir(w.tmp / "sub")
    return f"../{w.db.name}"


def _case(w: World) -> str:
    return str(w.tmp / w.db.name.upper())  # the same file on a case-insensitive disk only


def _hard_link(w: World) -> str:
    (w.tmp / "elsewhere").mkdir()
    link = w.tmp / "elsewhere" / f"copy{w.ending}"
    os.link(w.db, link)
    return str(link)


def _symlink(w: World) -> str:
    link = w.tmp / f"alias{w.ending}"
    link.symlink_to(w.db)
    return str(link)


def _symlink_to_a_file(w: World) -> str:
    """Refused too, rather than replaced by a file or followed: say which file you mean."""
    (w.tmp / "elsewhere").mkdir()
    (w.tmp / "elsewhere" / f"real{w.ending}").write_bytes(b"an earlier export")
    link = w.tmp / f"alias{w.ending}"
    link.symlink_to(w.tmp / "elsewhere" / f"real{w.ending}")
    return str(link)


def _backup(w: World) -> str:
    folder = backup_dir(w.db)
    folder.mkdir(exist_ok=True)
    copy = folder / f"s-20250303-120000{w.ending}"
    _sqlite_copy(w.db, copy)
    return str(copy)


def _sqlite_copy(source: Path, dest: Path) -> None:
    """A copy of the store made through SQLite (the way a backup is), not a file handle."""
    src, out = sqlite3.connect(source), sqlite3.connect(dest)
    try:
        src.backup(out)
    finally:
        out.close()
        src.close()


def _new_in_backups(w: World) -> str:
    backup_dir(w.db).mkdir(exist_ok=True)
    return str(backup_dir(w.db) / f"mine{w.ending}")


def _other_database(w: World) -> str:
    (w.tmp / "elsewhere").mkdir()
    copy = w.tmp / "elsewhere" / f"kept{w.ending}"
    _sqlite_copy(w.db, copy)
    return str(copy)


def _folder(w: World) -> str:
    (w.tmp / f"folder{w.ending}").mkdir()
    return str(w.tmp / f"folder{w.ending}")


def _device(w: World) -> str:
    """A character device like /dev/null, made in the test's folder: a regression must
    not be able to replace the machine's own /dev/null."""
    if not os.path.exists("/dev/null"):
        pytest.skip("this machine has no /dev/null to copy the device number of")
    node = w.tmp / f"null{w.ending}"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD, which this test lacks")
    return str(node)


def _link_to_dev_full(w: World) -> str:
    if not os.path.exists("/dev/full"):
        pytest.skip("this machine has no /dev/full")
    link = w.tmp / f"full{w.ending}"
    link.symlink_to("/dev/full")
    return str(link)


def _fifo(w: World) -> str:
    os.mkfifo(w.tmp / f"pipe{w.ending}")
    return str(w.tmp / f"pipe{w.ending}")


def _socket(w: World) -> str:
    path = w.tmp / f"sock{w.ending}"
    if len(str(path)) > 100:
        pytest.skip("the test folder's path is too long for a Unix socket")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
    return str(path)


TARGETS: dict[str, Callable[[World], str]] = {
    "store": _store, "store-wal": _wal, "store-shm": _shm, "dot-slash": _dot,
    "dot-dot": _dotdot, "relative-up": _relative_up, "hard-link": _hard_link,
    "symlink-to-store": _symlink, "symlink-to-a-file": _symlink_to_a_file, "backup": _backup,
    "new-file-in-backups": _new_in_backups,
    "another-database": _other_database, "folder": _folder, "device": _device,
    "symlink-to-dev-full": _link_to_dev_full, "fifo": _fifo, "socket": _socket,
}
#: Targets that need the store open elsewhere, as the desktop app holds it.
WHILE_OPEN = {"store-wal", "store-shm"}


def test_upper_case_name_of_the_store_is_refused_only_where_it_is_the_store(
        tmp_path: Path) -> None:
    w = World(tmp_path, "plan-pdf")
    reason = outfile.refusal(_case(w), w.db)
    # Compared case-blind within the store's own folder: on a case-insensitive disk this
    # is the store; on a case-sensitive one refusing a name so close costs nothing.
    assert reason is not None and "is the store being exported" in reason


@pytest.mark.parametrize("target", list(TARGETS))
def test_out_that_must_never_be_replaced_is_refused_before_any_work(
        world: World, target: str, request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    if target in WHILE_OPEN:
        request.getfixturevalue("reader")
    monkeypatch.chdir(world.tmp)
    out = TARGETS[target](world)
    folder = Path(os.path.abspath(out)).parent
    listing, before = sorted(os.listdir(folder)), signature(Path(out))
    store_before = signature(world.db)
    opened: list[str | None] = []
    real_open = export_command.open_store
    monkeypatch.setattr(export_command, "open_store",
                        lambda path, **kw: (opened.append(path), real_open(path, **kw))[1])

    code = main(world.argv(out))

    err = capsys.readouterr()
    assert code == 2, err
    sentence = err.err.strip()
    assert sentence.startswith("careplan: --out: ") and sentence.endswith(".")
    assert "\n" not in sentence and "Wrote" not in err.out
    assert opened == []  # refused before the store was even opened
    assert signature(Path(out)) == before
    assert sorted(os.listdir(folder)) == listing  # no temporary file left either
    assert signature(world.db) == store_before
    assert digest(world.db) == world.digest


@pytest.mark.parametrize("target", ["store", "hard-link", "symlink-to-store", "backup", "fifo"])
def test_the_export_functions_refuse_on_their_own(world: World, target: str) -> None:
    """Whoever calls them (the desktop's workers, a script), not only the command line."""
    out = TARGETS[target](world)
    before = signature(Path(out))
    with Store.open(world.db, create=False) as store:
        person = world.person
        writers = {
            "plan-pdf": lambda: plan_pdf(store, person, out, printed_by="t",
                                         today=date(2025, 3, 3), **prints(store)),
            "handoff-audit": lambda: audit_pdf(store, out, start=date(2025, 1, 1),
                                               end=date(2025, 3, 3), today=date(2025, 3, 3),
                                               printed_by="t", **prints(store)),
            "minutes": lambda: minutes_pdf(store, world.conference, out, printed_by="t",
                                           today=date(2025, 3, 3), **prints(store)),
            "table": lambda: write_table(store, "actions", out, date(2025, 3, 3),
                                         **tables(store)),
            "funding": lambda: write_funding(store, out, date(2025, 3, 3), printed_by="t",
                                             **tables(store)),
            "fhir": lambda: export_fhir(store, out, **prints(store), today=date(2025, 3, 3)),
        }
        with pytest.raises(ValueError, match="^--out: "):  # careplan.export.outfile.OutRefused
            writers[world.kind]()
    assert signature(Path(out)) == before
    assert digest(world.db) == world.digest


# openpyxl's ZipFile, dropped half-written when the disk refused, retries its close when
# garbage-collected; its temporary file is already gone by then.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(("kind", "name"), [
    ("plan-pdf", "plan.pdf"), ("handoff-audit", "audit.pdf"), ("minutes", "minutes.pdf"),
    ("table", "actions.csv"), ("table", "actions.xlsx"), ("funding", "funding.pdf"),
    ("funding", "funding.xlsx"), ("fhir", "bundle.json")])
def test_a_failed_export_leaves_the_old_file_and_no_temporary(
        tmp_path: Path, kind: str, name: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk refuses mid-write (the file-size limit, as a full disk would): the export
    stops with one sentence, the old file is byte for byte as it was, nothing is left.
    The limit holds while the export is written (``writing``), after the sign-in, which
    writes to the store."""
    w = World(tmp_path, kind)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / name
    old = b"the previous export, kept until a new one is whole\n"
    target.write_bytes(old)
    target.chmod(0o640)
    keep_open = sqlite3.connect(w.db)  # its -shm exists, so opening needs no file to grow
    keep_open.execute("SELECT count(*) FROM sqlite_master").fetchone()
    limit = 600  # bytes: less than any of these exports, more than the old file
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    real_writing = export_command.writing

    @contextlib.contextmanager
    def limited(path: str) -> Iterator[None]:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        try:
            with real_writing(path):
                yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    monkeypatch.setattr(export_command, "writing", limited)
    try:
        code = main(w.argv(str(target)))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        keep_open.close()
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith(f"careplan: --out: cannot write {target} (") and err.endswith(".")
    assert target.read_bytes() == old
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path / "out") == [name]
    assert digest(w.db) == w.digest


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_new_export_replaces_the_old_file_keeping_its_permissions(
        tmp_path: Path, kind: str) -> None:
    w = World(tmp_path, kind)
    name = {"table": "t.csv", "funding": "f.xlsx", "fhir": "b.json"}.get(kind, "p.pdf")
    target = tmp_path / name
    target.write_bytes(b"old")
    target.chmod(0o600)  # a confidential print, kept private by its owner
    assert main(w.argv(str(target))) == 0
    assert target.read_bytes() != b"old" and target.stat().st_size > 600
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# -- careplan backup --out ------------------------------------------------------------------

BACKUP_TARGETS = ["store", "store-wal", "store-shm", "store-journal", "hard-link", "device",
                  "symlink-to-dev-full", "folder", "fifo"]


@pytest.mark.parametrize("target", BACKUP_TARGETS)
def test_backup_out_can_never_name_the_store_or_a_device(
        tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    w = World(tmp_path, "plan-pdf")
    monkeypatch.chdir(tmp_path)
    keep_open = sqlite3.connect(w.db)  # as the desktop app would: -wal and -shm exist
    keep_open.execute("SELECT count(*) FROM sqlite_master").fetchone()
    try:
        out = f"{w.db}-journal" if target == "store-journal" else TARGETS[target](w)
        listing, before = sorted(os.listdir(Path(out).parent)), signature(Path(out))
        code = main(["backup", "--db", str(w.db), "--out", out])
        err = capsys.readouterr().err.strip()
        assert code == 2, err
        assert err.startswith("careplan: --out: ") and err.endswith(".") and "\n" not in err
        assert signature(Path(out)) == before
        assert sorted(os.listdir(Path(out).parent)) == listing
    finally:
        keep_open.close()
    assert digest(w.db) == w.digest


def test_backup_out_to_a_new_file_still_works(tmp_path: Path) -> None:
    w = World(tmp_path, "plan-pdf")
    out = tmp_path / "copy.db"
    assert main(["backup", "--db", str(w.db), "--out", str(out)]) == 0
    assert digest(out) == w.digest
