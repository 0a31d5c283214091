"""Long work off the GUI thread: QThreadPool tasks with progress and cancel.

A task is a plain function ``fn(job) -> result``. It runs in a pool thread, opens its
own Store there when it needs one (a sqlite connection cannot cross threads), reports
progress through ``job.report`` and checks ``job.cancelled`` between steps. It never
touches a widget: results come back through queued signals on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a task by :meth:`Job.check` once cancel was asked for."""


class Job(QObject):
    """The GUI side of one task: its signals, and the cancel switch the task reads."""

    progress = Signal(int, int, str)  # done, total (0: unknown), what
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._committed = False
        self.done = False

    def cancel(self) -> None:
        """Ask the task to stop; too late (ignored) once it has passed :meth:`commit`."""
        with self._lock:
            if not self._committed:
                self._cancel.set()

    def commit(self) -> None:
        """Called by the task at its point of no return (e.g. just before a file replaces
        the previous one): a cancel asked for before stops it here; one asked for after
        is too late, and the task's result is reported as finished, as it is.

        Raises:
            Cancelled: cancel was asked for first.
        """
        with self._lock:
            if self._cancel.is_set():
                raise Cancelled
            self._committed = True

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled

    def report(self, done: int, total: int = 0, what: str = "") -> None:
        """Called from the task's thread; delivered to the GUI thread queued."""
        self.check()
        self.progress.emit(done, total, what)


class _Runner(QRunnable):
    def __init__(self, job: Job, fn: Callable[[Job], Any]) -> None:
        super().__init__()
        self.job = job
        self.fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        job = self.job
        try:
            outcome: tuple[str, Any] = ("finished", self.fn(job))
        except Cancelled:
            outcome = ("cancelled", None)
        except Exception as exc:  # a bug in a task: logged, reported, never silent
            log.exception("Background task failed")
            outcome = ("failed", str(exc) or type(exc).__name__)
        if outcome[0] == "finished" and job.is_cancelled:
            outcome = ("cancelled", None)
        try:
            job.done = True
            if outcome[0] == "finished":
                job.finished.emit(outcome[1])
            elif outcome[0] == "failed":
                job.failed.emit(outcome[1])
            else:
                job.cancelled.emit()
        except RuntimeError:
            # The window that asked for this closed meanwhile: nobody is listening.
            log.debug("Background task finished after its job was deleted")


def start(fn: Callable[[Job], Any], parent: QObject | None = None,
          pool: QThreadPool | None = None, *,
          connect: Callable[[Job], Any] | None = None) -> Job:
    """Run ``fn`` in the pool and return its job.

    Connect to the job's signals in ``connect``, which runs before the task starts: a
    quick task can finish before ``start`` returns, and a signal emitted before anyone
    listened is lost. Keep ``parent`` alive (or the job referenced) until it is done.
    """
    job = Job(parent)
    if connect is not None:
        connect(job)
    (pool or QThreadPool.globalInstance()).start(_Runner(job, fn))
    return job


def wait_for_all(*pools: QThreadPool, msecs: int = 30_000) -> bool:
    """Wait for every task of the global pool (and ``pools``) to end: each task's own
    store connection is closed then. False if one is still running after ``msecs``."""
    done = True
    for pool in (QThreadPool.globalInstance(), *pools):
        done = pool.waitForDone(msecs) and done
    return done


def start_in_window(window: QObject | None, owner: QObject, label: str,
                    fn: Callable[[Job], Any], done: Callable[[Any], Any],
                    failed: Callable[[str], Any]) -> None:
    """Run ``fn`` through the main window's ``run_job`` (progress and Cancel in its status
    bar) when there is one, else in the pool on its own; ``done`` gets the result and
    ``failed`` the message."""

    def listen(job: Job) -> None:
        job.finished.connect(done)
        job.failed.connect(failed)

    runner = getattr(window, "run_job", None)
    if runner is not None:
        runner(label, fn, listen)
    else:
        start(fn, owner, connect=listen)
