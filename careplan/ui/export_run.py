"""Running one export or import off the GUI thread, with a progress dialog.

The task opens its own store in the pool thread (a sqlite connection cannot cross
threads) and calls the same ``careplan.export`` function the command line does. A user's
mistake or a store refusal comes back as :class:`Refused` (one sentence, nothing
written); anything else is a bug: the worker logs it with its traceback and the dialog
says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from careplan.export.outfile import OutRefused
from careplan.store import InputError, Store, StoreError
from careplan.ui import workers

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a job wrote nothing, in one sentence for the user."""

    message: str


def refusals() -> tuple[type[Exception], ...]:
    """Errors that are the user's input or the disk's state, never a bug."""
    from careplan.export.fhir_read import ImportRefused

    return ImportRefused, OutRefused, InputError, StoreError, OSError


def in_store(path: str, fn: Callable[[Store, workers.Job], Any], key: bytes | None = None
             ) -> Callable[[workers.Job], Any]:
    """A task running ``fn`` with this thread's own connection to the store at ``path``
    (with its key, when it is encrypted)."""

    def task(job: workers.Job) -> Any:
        caught = refusals()
        try:
            store = Store.open(path, create=False, key=key)
            try:
                return fn(store, job)
            finally:
                store.close()
        except caught as exc:
            return Refused(_sentence(exc))

    return task


def _sentence(exc: Exception) -> str:
    if isinstance(exc, OutRefused):
        return f"Nothing was written: {exc.reason}."
    if isinstance(exc, OSError) and exc.filename:
        return f"Could not write or read {exc.filename}: {exc.strerror or exc}."
    text = str(exc).strip() or type(exc).__name__
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


class JobDialog(QObject):
    """One job and the modal progress dialog that follows it.

    ``done`` receives the task's result unless it was refused, cancelled or failed;
    those are reported here.
    """

    def __init__(self, parent: QWidget, title: str, label: str,
                 task: Callable[[workers.Job], Any], done: Callable[[Any], None], *,
                 cancellable: bool = False,
                 ended: Callable[[JobDialog], None] | None = None) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.title = title
        self.done = done
        self.ended = ended
        self.outcome = ""
        dialog = self.dialog = QProgressDialog(label, parent.tr("Cancel"), 0, 0, parent)
        dialog.setWindowTitle(title)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(300)  # quick jobs finish before it appears
        if not cancellable:
            dialog.setCancelButton(None)
        dialog.setValue(0)

        def listen(job: workers.Job) -> None:
            job.progress.connect(self._progress)
            job.finished.connect(self._finished)
            job.failed.connect(self._failed)
            job.cancelled.connect(self._cancelled)

        self.job = workers.start(task, self, connect=listen)
        dialog.canceled.connect(self.job.cancel)

    def _progress(self, done: int, total: int, what: str) -> None:
        if total:
            self.dialog.setMaximum(total)
            self.dialog.setValue(min(done, total))
        if what:
            self.dialog.setLabelText(what)

    def _close(self, outcome: str) -> None:
        self.outcome = outcome
        self.dialog.reset()
        self.dialog.close()
        if self.ended is not None:
            self.ended(self)

    def _finished(self, result: Any) -> None:
        self._close("refused" if isinstance(result, Refused) else "finished")
        if isinstance(result, Refused):
            QMessageBox.warning(self.parent_widget, self.title, result.message)
            return
        self.done(result)

    def _failed(self, message: str) -> None:
        self._close("failed")
        QMessageBox.critical(self.parent_widget, self.title, self.parent_widget.tr(
            "This stopped because of an error in CarePlan, not anything you did; nothing "
            "was written. The details were logged (%s).") % message)

    def _cancelled(self) -> None:
        self._close("cancelled")
        status = getattr(self.parent_widget, "statusBar", None)
        if status is not None:
            status().showMessage(self.parent_widget.tr(
                "%s: cancelled; nothing was written.") % self.title, 8000)
