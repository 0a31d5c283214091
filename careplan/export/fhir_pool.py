"""R4 validation of many FHIR resources in worker processes, beside the process that
reads, builds, writes or maps them.

A large export or import spends most of its time in ``fhir.resources`` validating each
resource (tens of microseconds a model, in Python). :class:`Checks` takes the resources
one by one in their order, and either validates each at once, here (few resources: a
worker takes about a second to start), or hands them in batches to worker processes
started with ``spawn`` (never ``fork``: the desktop app has threads). Each resource is
validated once, by the same function as in-process validation (``fhir_export.validate``
for an export, ``fhir_read.validate_resource`` for an import), with equal nested elements
validated once in each worker (``fhir_memo``). A refusal is the first invalid resource in
the order given, with the same message, raised as the same exception type: ``ValueError``
for an export, ``ImportRefused`` for an import.

An export hands over each resource's JSON text (written to the file anyway), which the
worker reads back: the resource as the file has it. An import hands over the parsed
resource with the label its refusal names (``Bundle entry 3 (Patient/p1)``).

At most a few batches a worker are in flight: the process that makes the resources
waits for the oldest when it gets that far ahead, so memory stays bounded and progress
reported there stays near the truth. An import hands over every resource as it reads
them, in larger batches and without waiting (``ahead=None``: they are all in memory
anyway), and maps them while the workers validate, instead of waiting on them. Cancel
(an exception raised by a progress callback) or any other error stops the workers:
batches not yet handed to a worker are dropped, and the ones it holds (the one under way
and the one queued behind it: a few milliseconds each, or up to about 0.8 s for an
import's larger batches) finish unread.
"""

from __future__ import annotations

import atexit
import gc
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from types import TracebackType
from typing import Any, Literal

Kind = Literal["export", "import"]
#: Resources in one batch handed to a worker.
BATCH = 200
#: Resources in one batch of an import, which hands every resource over while it reads
#: them. Submitting every few milliseconds starves the executor's own thread, which
#: moves the work to the workers: with batches of ``BATCH``, the one worker of a
#: 10,000-person import sat idle for 1.3 to 1.5 s, the whole of the reading. A batch
#: of this size is about 0.4 s of validation.
IMPORT_BATCH = 5000
#: Batches a worker may have waiting, at most, before the maker waits for the oldest.
AHEAD = 4
#: Fewer persons than this (about 12 resources each) are validated in-process: a worker
#: takes 0.5 to 1 s of CPU to start, about what validating 1,000 persons takes, so
#: below this the workers would cost more than they save, and always cost more when
#: other work holds the cores.
WORKERS_FROM_PERSONS = 2_500
#: An import file smaller than this is validated in-process (about 2,500 persons).
WORKERS_FROM_BYTES = 35_000_000
#: Workers at most: with more, the one process that makes the resources cannot keep
#: them busy.
MAX_WORKERS = 4
#: A worker runs without automatic garbage collection and collects once in this many
#: batches (what it keeps is a bounded memo; each batch leaves almost nothing behind).
COLLECT_EVERY = 50


def workers_for(persons: int) -> int:
    """How many workers to validate the resources of ``persons``: none (in-process) for
    a few, else one a core up to ``MAX_WORKERS``, none on a machine with one core."""
    cores = os.cpu_count() or 1
    if persons < WORKERS_FROM_PERSONS or cores < 2:
        return 0
    return min(cores, MAX_WORKERS)


def workers_for_file(size: int) -> int:
    """As :func:`workers_for`, for an import file of ``size`` bytes."""
    return workers_for(WORKERS_FROM_PERSONS if size >= WORKERS_FROM_BYTES else 0)


#: Workers at most for an import (``fhir_import``): its own process reads, maps and
#: inserts (about 13 s of CPU at 10,000 persons) while one worker validates (about
#: 10 s), so one worker keeps pace with it on its own core; a second would start
#: another interpreter (about 1 s of CPU) and take turns on the cores with the process
#: that sets the pace (measured: 2 to 2.5 s more CPU in all, and no less wall time).
IMPORT_WORKERS = 1


def workers_for_import(size: int) -> int:
    """How many workers validate while an import file of ``size`` bytes is mapped and
    written: as :func:`workers_for_file`, at most ``IMPORT_WORKERS``."""
    return min(IMPORT_WORKERS, workers_for_file(size))


# -- in a worker ---------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start() -> None:
    """A worker's start: the models imported once, nested elements shared for good, and
    what exists now kept out of the garbage collector's walks."""
    from careplan.export import fhir_memo
    from careplan.export.fhir_export import validate
    from careplan.export.fhir_read import ImportRefused, validate_resource

    stack = ExitStack()
    stack.enter_context(fhir_memo.shared_elements())
    atexit.register(stack.close)  # (before the interpreter takes the module apart)
    _worker.update(stack=stack, validate=validate, validate_resource=validate_resource,
                   refused=ImportRefused, batches=0)
    gc.freeze()
    gc.disable()  # unpickling a batch made a collection every few hundred resources


def _collect() -> None:
    """A worker's garbage collection, by hand: one in ``COLLECT_EVERY`` batches."""
    _worker["batches"] += 1
    if _worker["batches"] % COLLECT_EVERY == 0:
        gc.collect()


def _warm() -> None:
    """Import the models of the resources CarePlan exports and imports, and return."""
    from fhir.resources.R4B import get_fhir_model_class

    from careplan.export.fhir_read import MAPPED

    for rtype in (*MAPPED, "Bundle", "List"):
        get_fhir_model_class(rtype)


def _check_texts(texts: list[str]) -> str | None:
    """Validate each resource's JSON text as an export does; the first refusal, or None."""
    _collect()
    validate, loads = _worker["validate"], json.loads
    for text in texts:
        try:
            validate(loads(text))
        except ValueError as exc:
            return str(exc)
    return None


def _check_labelled(items: list[tuple[str, dict[str, Any]]]) -> str | None:
    """Validate each (label, resource) as an import does; the first refusal, or None."""
    _collect()
    validate, refused = _worker["validate_resource"], _worker["refused"]
    for label, resource in items:
        try:
            validate(resource, label)
        except refused as exc:
            return str(exc)
    return None


# -- in the process that makes the resources ---------------------------------------------

class Checks:
    """Validate resources in the order given, here or in ``workers`` processes.

    Use as a context manager; :meth:`add` each resource, then :meth:`finish` before
    anything depends on their being valid (a refusal may surface only there)."""

    def __init__(self, kind: Kind, workers: int = 0, ahead: int | None = AHEAD) -> None:
        self.kind = kind
        self.workers = workers
        #: Batches a worker may have waiting before ``add`` waits for the oldest; None:
        #: no limit (an import, whose resources are all in memory already: the batches
        #: waiting hold only references to them, pickled as a worker takes each), and
        #: batches of ``IMPORT_BATCH``.
        self.ahead = ahead
        self.batch = BATCH if ahead is not None else IMPORT_BATCH
        self._pool: ProcessPoolExecutor | None = None
        self._batch: list[Any] = []
        self._pending: deque[Future[str | None]] = deque()
        self._here = ExitStack()
        self._check: Callable[[Any, Any], None] | None = None
        self.validated = 0

    def __enter__(self) -> Checks:
        from careplan.export import fhir_memo

        if self.workers > 0:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start)
            for _ in range(self.workers):  # start them now, while the maker reads
                self._pending.append(self._pool.submit(_warm))
        else:
            self._here.enter_context(fhir_memo.shared_elements())
            if self.kind == "export":
                from careplan.export.fhir_export import validate

                self._check = lambda resource, _text: validate(resource)
            else:
                from careplan.export.fhir_read import validate_resource

                self._check = validate_resource
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._here.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._pending.clear()

    def add(self, resource: dict[str, Any], given: str) -> None:
        """Validate ``resource``; ``given`` is its JSON text (an export) or the label its
        refusal names (an import)."""
        self.validated += 1
        if self._check is not None:
            self._check(resource, given)
            return
        self._batch.append(given if self.kind == "export" else (given, resource))
        if len(self._batch) >= self.batch:
            self._submit()

    def _submit(self) -> None:
        assert self._pool is not None
        work = _check_texts if self.kind == "export" else _check_labelled
        self._pending.append(self._pool.submit(work, self._batch))
        self._batch = []
        if self.ahead is None:
            return
        while len(self._pending) > self.workers * self.ahead:
            self._settle(self._pending.popleft())

    def _settle(self, future: Future[str | None]) -> None:
        refusal = future.result()
        if refusal is not None:
            self.stop()
            if self.kind == "export":
                raise ValueError(refusal)
            from careplan.export.fhir_read import ImportRefused

            raise ImportRefused(refusal)

    def finish(self) -> None:
        """Wait for every resource added so far; raise the first refusal, if any."""
        if self._pool is None:
            return
        self.flush()
        while self._pending:
            self._settle(self._pending.popleft())

    def flush(self) -> None:
        """Hand the batch being filled to a worker now (the reading is done)."""
        if self._pool is not None and self._batch:
            self._submit()

    def stop(self) -> None:
        """Drop the batches not yet handed to a worker (after a refusal or an error)."""
        for future in self._pending:
            future.cancel()
