"""A FHIR Bulk Data style export: one NDJSON file per resource type, and a manifest.

The output of the FHIR Bulk Data Access ``$export`` operation (Bulk Data IG 2.0):
``Patient.ndjson``, ``CarePlan.ndjson``, ... each one resource a line, in the order the
Bundle export writes them, each validated once as the Bundle export validates it
(``fhir_stream.resources``); and ``manifest.json``, shaped as the spec's complete status
response (``transactionTime``, ``request``, ``requiresAccessToken``, ``output`` with each
file's ``type``, ``url`` and ``count``, ``error``). The ``url`` of a file is its name,
relative to the manifest: the files are on a disk, not behind a server.

The folder is written whole or not at all: made aside under a hidden name in the same
parent folder and renamed into place only when every file is written and flushed. It
never replaces a folder that has anything in it, nor a file, a symbolic link or the
store's own files and backups (``outfile``'s rules for a file, as a folder).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from careplan.export import fhir_export as fx
from careplan.export import fhir_pool, fhir_stream, outfile
from careplan.export.audience import Audience, Shared
from careplan.export.fhir_memo import set_aside
from careplan.export.fhir_pool import Checks
from careplan.store import Store
from careplan.store.visibility import Viewer

MANIFEST = "manifest.json"
#: What the manifest's ``request`` says asked for the export.
REQUEST = "careplan export fhir-ndjson"


@dataclass(frozen=True)
class NdjsonResult:
    path: Path
    resources: int
    persons: int
    #: Resource type -> how many lines its file has, in the order the files were begun.
    files: dict[str, int] = field(default_factory=dict)
    #: Persons left out (not shared with the audience) and records withheld.
    persons_left_out: int = 0
    records_withheld: int = 0


def folder_refusal(out: str | Path, store_path: str | Path | None) -> str | None:
    """Why the folder ``out`` must not be written (a sentence without its full stop), or
    None: it may be new, or an empty folder (replaced), nothing else."""
    path = Path(out)
    try:
        link = os.stat(path, follow_symlinks=False)
    except (OSError, ValueError):
        link = None
    if link is not None and stat.S_ISDIR(link.st_mode):
        try:
            empty = not any(path.iterdir())
        except OSError as exc:
            return f"{out} cannot be read ({exc.strerror})"
        if not empty:
            return f"{out} is a folder with files in it, which is never replaced; name a " \
                   "new or empty folder"
        probe = path / MANIFEST  # the rules for a file in it: store files, backups
        reason = outfile.refusal(probe, store_path)
        return None if reason is None else reason.replace(str(probe), str(out))
    reason = outfile.refusal(path, store_path)
    if reason is not None:
        return reason
    if link is not None:
        return f"{out} is a file; name a folder to make"
    return None


def check(out: str | Path, store_path: str | Path | None) -> Path:
    """``out`` as a Path if the export may make that folder; else raise OutRefused."""
    reason = folder_refusal(out, store_path)
    if reason is not None:
        raise outfile.OutRefused(reason)
    return Path(out)


def _manifest(moment: datetime, files: dict[str, int]) -> dict[str, Any]:
    return {
        "transactionTime": fx.fhir_datetime(moment),
        "request": REQUEST,
        "requiresAccessToken": False,
        "output": [{"type": rtype, "url": f"{rtype}.ndjson", "count": n}
                   for rtype, n in files.items()],
        "error": [],
    }


def _flush(folder: Path) -> None:
    for item in [*folder.iterdir(), folder]:  # (a file read-only is not enough everywhere)
        fd = os.open(item, os.O_RDONLY if item == folder else os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_files(folder: Path, items: Iterable[dict[str, Any]],
                checks: Checks | None = None) -> dict[str, int]:
    """One ``<type>.ndjson`` in ``folder`` per resource type of ``items``; the counts.
    With ``checks``, each resource's JSON text is handed to them as it is written (the
    caller finishes them before keeping the files)."""
    handles: dict[str, IO[str]] = {}
    counts: dict[str, int] = {}
    dumps = json.dumps
    try:
        for res in items:
            rtype = res["resourceType"]
            fh = handles.get(rtype)
            if fh is None:
                fh = handles[rtype] = (folder / f"{rtype}.ndjson").open(
                    "w", encoding="utf-8", buffering=1 << 20)
                counts[rtype] = 0
            text = dumps(res, ensure_ascii=False)
            if checks is not None:
                checks.add(res, text)
            fh.write(text + "\n")
            counts[rtype] += 1
    finally:
        for fh in handles.values():
            fh.close()
    return counts


def _into_place(tmp: Path, path: Path) -> None:
    """Rename the finished folder ``tmp`` to ``path`` (absent, or an empty folder)."""
    try:
        os.rename(tmp, path)  # replaces an empty folder; fails on anything else
    except OSError as exc:
        reason = folder_refusal(path, None) or f"{path} changed while it was written"
        raise outfile.OutRefused(f"{reason}; nothing was written") from exc


def export_ndjson(store: Store, out: str | Path, person_ids: Iterable[str] | None = None,
                  progress: Callable[[int, int], None] | None = None, *,
                  audience: Audience, reader: Viewer, today: date,
                  workers: int | None = None) -> NdjsonResult:
    """Write the NDJSON files and manifest for ``person_ids`` (the whole store when None)
    into the new folder ``out``, whole or not at all, made for ``audience`` by ``reader``
    on ``today``: what was withheld from it is said in ``List.ndjson``, as in a Bundle.

    Each resource is validated once, in ``workers`` processes (``fhir_pool``; by default
    as many as it takes for this many persons, none for a few: then here).

    Raises:
        NotSharedError: one person named whom the reader's agency may not see.
        NothingShared: the audience may receive nothing of it (no folder is made).
        ValueError: a resource is not valid R4 (no folder is made).
    """
    path = check(out, store.path)
    moment = datetime.now(fx.LONDON)
    ids = None if person_ids is None else list(person_ids)
    if workers is None:
        workers = fhir_pool.workers_for(fx.persons_in(store, ids))
    with fhir_pool.Checks("export", workers) as checks:  # (workers start while it reads)
        shared = fx.shared_for(store, ids, audience=audience, reader=reader, today=today)
        return _write(path, moment, shared, ids is not None, progress, checks)


def _write(path: Path, moment: datetime, shared: Shared, only_referenced: bool,
           progress: Callable[[int, int], None] | None, checks: Checks) -> NdjsonResult:
    rec = shared.records
    tmp = path.with_name(f".{path.name[:160]}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        tmp.mkdir()
        with set_aside():
            files = write_files(tmp, fhir_stream.made(
                rec, only_referenced=only_referenced, progress=progress, shared=shared),
                checks)
            checks.finish()
        (tmp / MANIFEST).write_text(
            json.dumps(_manifest(moment, files), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
        _flush(tmp)
        _into_place(tmp, path)
    except OSError as exc:
        if exc.filename is not None and str(tmp) in str(exc.filename):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return NdjsonResult(path, sum(files.values()), len(rec.persons), files,
                        shared.persons_left_out, len(shared.withheld_ids))
