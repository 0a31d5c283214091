"""Build a large demo store as a new file, quickly and never half-written.

Worker processes make each chunk's records and stage them, with their audit events, in
a small index-free SQLite file; this process copies each staged chunk into the store
with ``INSERT ... SELECT`` (SQLite's own loop: no Python per row). The store is built
as ``NAME.partial`` without a rollback journal (a failure discards the file, so none is
needed) and given its name ``NAME`` only when complete: the file appears whole or not
at all. The content is the same as ``build_demo`` into an empty store gives.

Everything a build makes lives in one work folder beside the new store, named for the
builder (``.careplan-demo-HOST-PID-XXXXXXXX``). A build that fails removes it; one that
is killed (SIGKILL, out of memory, power cut) cannot, so every build first removes the
work folders whose builder is no longer running on this computer. The finished store
is linked to its name, which fails if the name exists: a file made meanwhile (say a
store another process has open) is never replaced.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from careplan import clock
from careplan.demo import build as demo_store
from careplan.demo.generator import Demo
from careplan.demo.published import wrap_for_demo_accounts
from careplan.models import BY_TABLE
from careplan.models.sync import HLC_WIDTH
from careplan.store import audit, chain, keyring, repo, sqlite
from careplan.store.db import Store
from careplan.store.errors import InputError, StoreError
from careplan.store.rows import columns

#: The start of a build's work folder name (then the host, the builder's process id and
#: a random part).
WORK_PREFIX = ".careplan-demo-"

_worker: tuple[Demo, Path] | None = None


def _init_worker(persons: int, seed: int, today: date, folder: str) -> None:
    global _worker
    demo_store.exit_with_parent()
    _worker = (Demo(persons, seed, today), Path(folder))


def _stage(demo: Demo, folder: Path, part: int) -> tuple[str, int]:
    """Write part ``part`` of the demo to its own staging file; return (path, events)."""
    prepared, event_ids = demo_store.prepare_part(demo, part)
    path = folder / f"part-{part:05d}.db"
    conn = sqlite.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for table, (_, params) in prepared.rows.items():
            cols = columns(BY_TABLE[table])
            conn.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
            marks = ", ".join("?" for _ in cols)
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", params)
        conn.execute("CREATE TABLE audit (id, entity, entity_id, after)")
        conn.executemany(
            "INSERT INTO audit VALUES (?, ?, ?, ?)",
            [(eid, entity, entity_id, after)
             for (entity, entity_id, after), eid in zip(prepared.audit, event_ids, strict=True)],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return str(path), len(event_ids)


def _stage_in_worker(part: int) -> tuple[str, int]:
    assert _worker is not None
    return _stage(_worker[0], _worker[1], part)


def _staged(demo: Demo, folder: Path, parallel: bool) -> Iterator[tuple[str, int]]:
    parts = range(1, demo.chunk_count + 1)
    if not parallel:
        for part in parts:
            yield _stage(demo, folder, part)
        return
    ctx = multiprocessing.get_context("fork")  # only chosen with no other threads running
    workers = max(1, min(4, os.cpu_count() or 2))
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(demo.persons, demo.seed, demo.today, str(folder))) as pool:
        yield from pool.map(_stage_in_worker, parts)


class _Links:
    """The hash chain along one part's events, made one event after another."""

    def __init__(self, prev: bytes | None, store_id: str, actor: str, at: str,
                 vector: str | None) -> None:
        self.prev = prev
        self.seq = 0
        self.make = chain.creations(store_id, actor, at, vector)

    def next(self, event_id: str, seq: int, entity: str, entity_id: str, after: str,
             hlc: str) -> bytes:
        self.seq = seq
        self.prev = self.make(self.prev, event_id, seq, entity, entity_id, after, hlc)
        return self.prev


def _copy_part(store: Store, staged: str, events: int, tables: list[str]) -> None:
    """Copy one staged part into the store in one transaction."""
    conn = store.conn
    moment = store.clock()
    now = moment.isoformat()
    params = {"at": now, "actor": demo_store.DEMO_ACTOR, "store_id": store.store_id}
    # KEY '': the staged part is a plain file (an encrypted store's key would otherwise be
    # used for it too).
    conn.execute("ATTACH DATABASE ? AS part KEY ''", (staged,))
    try:
        staged_tables = {r[0] for r in conn.execute("SELECT name FROM part.sqlite_master")}
        with store.atomic():
            first = audit.stamp(store, moment, events)
            for table in tables:
                if table not in staged_tables:
                    continue
                cols = ", ".join(columns(BY_TABLE[table]))
                conn.execute(
                    f"INSERT INTO main.{table} ({cols}, created_at, updated_at, updated_by) "
                    f"SELECT {cols}, :at, :at, :actor FROM part.{table} ORDER BY rowid",
                    params,
                )
            links = _Links(first.prev, store.store_id, demo_store.DEMO_ACTOR, now,
                           first.vector)
            conn.create_function("careplan_link", 6, links.next, deterministic=False)
            # Rows are read in rowid order (the table's own order: no sorting step), so
            # the links are made one after another along the chain.
            conn.execute(
                "INSERT INTO main.audit_events (id, store_id, store_seq, parent_id, entity, "
                "entity_id, version_before, version_after, before, after, actor, at, hlc, "
                "vector, resolves, hash) "
                "SELECT id, :store_id, :base + rowid, NULL, entity, entity_id, NULL, 1, NULL, "
                "after, :actor, :at, printf('%0*d', :width, :clock + rowid), :vector, NULL, "
                "careplan_link(id, :base + rowid, entity, entity_id, after, "
                "printf('%0*d', :width, :clock + rowid)) "
                "FROM part.audit ORDER BY rowid",
                {**params, "base": first.seq - 1, "clock": first.hlc - 1,
                 "width": HLC_WIDTH, "vector": first.vector},
            )
            copied = conn.execute("SELECT changes()").fetchone()[0]
            if copied != events or links.seq != first.seq - 1 + events:  # pragma: no cover
                raise StoreError(f"demo: staged part {staged} lost audit events")
            if links.prev is not None:
                chain.advance_head(conn, store.store_id, (first.seq - 1, first.prev),
                                   links.seq, links.prev)
    finally:
        conn.execute("DETACH DATABASE part")


def build_demo_file(
    path: Path,
    *,
    persons: int,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    parallel: bool | None = None,
    encrypted: bool = True,
) -> int:
    """Create a new demo store at ``path``; return the number of records written.

    ``encrypted`` (the default): the store is encrypted under a new key, wrapped in its
    keyring (``NAME.keys``) for every demo account under the published password; else it
    is a plain SQLite file (the benchmarks compare the two).

    Raises:
        InputError: ``path`` exists already (or was made while the demo was built: it is
            left as it is), or ``persons`` is too small.
    """
    if path.exists():
        raise InputError(f"demo: {path} exists already; the demo makes a new store file")
    try:
        demo = Demo(persons, seed, today or clock.today())
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if parallel is None:
        parallel = demo_store.worth_processes(demo)
    remove_leftovers(path.parent)
    folder = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{_host()}-{os.getpid()}-",
                                   dir=path.parent))
    try:
        partial = folder / f"{path.name}.partial"
        key = keyring.new_key() if encrypted else None
        written, ring = _build(partial, folder, demo, parallel, progress, key)
        if ring is not None:
            if keyring.exists(path) and not path.exists():  # left by a killed build
                keyring.path_of(path).unlink()
            keyring.save(path, ring, new=True)
        try:
            _publish(partial, path)
        except BaseException:
            if ring is not None:
                keyring.path_of(path).unlink(missing_ok=True)
            raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return written


def _host() -> str:
    """This computer's name as it goes in a work folder's name (letters, digits, dots)."""
    return re.sub(r"[^A-Za-z0-9.]", "", socket.gethostname())[:64] or "host"


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the work folders in ``folder`` of demo builds that were killed: those made
    on this computer by a process that is no longer running. Return what was removed.

    Builds still running, and folders made on other computers (a shared folder), are
    left alone. Where a process cannot be asked whether it runs (not POSIX), nothing is
    removed.
    """
    removed: list[Path] = []
    if os.name != "posix":
        return removed
    host = _host()
    for entry in folder.glob(f"{WORK_PREFIX}*"):
        parts = entry.name.removeprefix(WORK_PREFIX).rsplit("-", 2)
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid() or _running(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, say: it exists
        return True
    return True


def _build(partial: Path, folder: Path, demo: Demo, parallel: bool,
           progress: Callable[[int, int], None] | None, key: bytes | None
           ) -> tuple[int, keyring.Keyring | None]:
    tables = list(BY_TABLE)  # parents before children
    ring = None
    with Store.open(partial, key=key) as store:
        conn = store.conn
        # No journal while building: on failure the whole file is thrown away.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")
        store.set_meta("store_id", demo.store_id)
        head, head_ids = demo_store.prepare_part(demo, 0)
        written = repo.write_prepared(store, head, demo_store.DEMO_ACTOR, head_ids)
        for done, (staged, events) in enumerate(_staged(demo, folder, parallel), start=1):
            _copy_part(store, staged, events, tables)
            os.unlink(staged)
            written += events
            if progress is not None:
                progress(done, demo.chunk_count)
        written += demo_store.write_accounts(store, demo)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        if key is not None:
            ring = keyring.Keyring(store_id=store.store_id, salt=os.urandom(16))
            wrap_for_demo_accounts(store, ring)
    return written, ring


def _publish(partial: Path, path: Path) -> None:
    """Make the finished file durable (its store is closed by now), then give it its
    name in one step that never replaces a file.

    Raises:
        InputError: ``path`` was made while the demo was built.
    """
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    made_meanwhile = InputError(
        f"demo: {path} was made while the demo was being built; it was left as it is "
        "and the demo was not kept (choose a new file name)")
    try:
        os.link(partial, path)  # fails if the name exists, unlike a rename over it
    except FileExistsError:
        raise made_meanwhile from None
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise made_meanwhile from None
        os.rename(partial, path)  # Windows refuses an existing name; elsewhere a moment
    with contextlib.suppress(OSError):  # not every platform can fsync a folder
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
