"""Every edit in the app runs here: on one writer thread, as an operation, undoable.

The GUI thread never writes. :meth:`OperationRunner.submit` hands a store write
function to the writer thread (its own connection: one writer for the whole app),
which runs it as an operation (careplan.store.operations) and sends back what it
changed. Each success is broadcast as :attr:`OperationRunner.changed`, the one path by
which changes reach views; changes made elsewhere (an import, another laptop's changes)
are broadcast through it too.

Undo is one command class for every edit: :class:`OperationCommand` holds the Changes
of the edit, and undoing or redoing it reverts them on the writer thread. The undo
stack's index moves only once that write has succeeded; a refused undo (someone
changed the record meanwhile) leaves the store as it is and drops the step.

A quiet write (``submit(..., quiet=True)``: the record that someone read a record,
careplan.ui.reads) runs the same way but is no edit: no undo step, no "Saving…", and its
Changes are not broadcast (no view shows a read as a change of what it shows).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from careplan.store import Store, operations
from careplan.store.changes import Changes, Done
from careplan.store.health import Health

log = logging.getLogger(__name__)

Write = Callable[[Store], Any]


class OperationCommand(QUndoCommand):
    """One edit on an undo stack: the Changes it made, and those its undo made.

    Undo and redo write nothing themselves: the runner reverts on the writer thread,
    then moves the stack. Calling ``QUndoStack.undo`` directly is a bug.
    """

    def __init__(self, text: str, changes: Changes) -> None:
        super().__init__(text)
        self.forward = changes
        self.back: Changes | None = None
        self.moving = True  # the push calls redo(): the edit is already written

    def redo(self) -> None:
        self._moved("redo")

    def undo(self) -> None:
        self._moved("undo")

    def _moved(self, what: str) -> None:
        if not self.moving:
            raise RuntimeError(f"{what} of an edit must go through OperationRunner.{what}")
        self.moving = False


@dataclass(slots=True)
class _Task:
    number: int
    run: Callable[[Store], Done[Any]]


class OperationRunner(QObject):
    """The app's one writer: operations in order, on a thread of its own."""

    #: Changes, after every operation that succeeded (and changes made elsewhere).
    changed = Signal(object)
    #: Whether an operation is waiting or running (the status bar shows "Saving…").
    busy_changed = Signal(bool)
    #: A refusal whose asker is gone (its tab was closed): label, the reason.
    orphan_failure = Signal(str, str)
    _finished = Signal(int, object, object)  # task number, Done or None, error or None

    def __init__(self, path: str, actor: Callable[[], str], health: Health | None = None,
                 parent: QObject | None = None, *, key: bytes | None = None) -> None:
        super().__init__(parent)
        self.path = path
        #: The store's key, when it is encrypted: the writer's connection is opened with it.
        self.key = key
        self.actor = actor
        self.health = health
        self._tasks: queue.Queue[_Task | None] = queue.Queue()
        self._callbacks: dict[int, tuple[Callable[[Done[Any]], Any],
                                         Callable[[Exception], Any]]] = {}
        self._numbers = 0
        #: The tasks waiting or running that are edits (not quiet): the status bar says
        #: "Saving…" while there are any.
        self._loud: set[int] = set()
        #: Undo and redo requests wait their turn: each needs the stack as the last left it.
        self._moves: deque[tuple[QUndoStack, bool, Callable[[Exception], Any] | None]] = deque()
        self._moving = False
        self._finished.connect(self._deliver)
        self._thread = threading.Thread(target=self._work, name="careplan-writer",
                                        daemon=True)
        self._thread.start()

    # -- the GUI side ------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def submit(self, label: str, write: Write, *, stack: QUndoStack | None = None,
               done: Callable[[Done[Any]], Any] | None = None,
               failed: Callable[[Exception], Any] | None = None,
               owner: QObject | None = None, quiet: bool = False) -> None:
        """Run ``write(store)`` as an operation on the writer thread.

        On success its Changes are broadcast, the edit is pushed on ``stack`` as
        ``label`` (when given, and when it changed anything), then ``done`` gets the
        result. On failure ``failed`` gets the exception (nothing was written). When
        ``owner`` (the widget that asked) is gone by then, neither is called; a refusal
        is then announced by :attr:`orphan_failure` so it is never lost. ``quiet``: not
        an edit (see the module): nothing is broadcast and the status bar says nothing.
        """

        def alive() -> bool:
            return owner is None or shiboken6.isValid(owner)

        def ok(result: Done[Any]) -> None:
            if not alive():
                return
            if stack is not None and not result.changes.empty and shiboken6.isValid(stack):
                stack.push(OperationCommand(label, result.changes))
            if done is not None:
                done(result)

        def refused(exc: Exception) -> None:
            if alive() and failed is not None:
                failed(exc)
            else:
                self.orphan_failure.emit(label, str(exc))

        self._enqueue(lambda store: operations.run(store, write), ok, refused, quiet=quiet)

    def undo(self, stack: QUndoStack, failed: Callable[[Exception], Any] | None = None
             ) -> None:
        """Undo the stack's last edit (on the writer thread; the stack follows)."""
        self._move(stack, undo=True, failed=failed)

    def redo(self, stack: QUndoStack, failed: Callable[[Exception], Any] | None = None
             ) -> None:
        self._move(stack, undo=False, failed=failed)

    def broadcast(self, changes: Changes) -> None:
        """Changes written elsewhere (an import, another store's events) reach every
        view the same way as the app's own edits."""
        self.changed.emit(changes)

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait for every submitted operation, and deliver its outcome now (closing a
        tab or the store must not lose a save still on its way; tests). Outcomes may
        submit more (a queued undo): those are waited for too. Blocks the GUI thread:
        only for moments when the user has asked to leave. False on timeout."""
        deadline = time.monotonic() + timeout
        while self._callbacks:
            marker = threading.Event()
            self._tasks.put(_Task(-1, _setter(marker)))
            if not marker.wait(max(0.0, deadline - time.monotonic())):
                return False
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return True

    def close(self) -> None:
        """Finish what was submitted, then stop the writer and close its connection."""
        self.flush()
        self._tasks.put(None)
        self._thread.join(60)

    # -- moving along an undo stack ------------------------------------------------------

    def _move(self, stack: QUndoStack, *, undo: bool,
              failed: Callable[[Exception], Any] | None) -> None:
        self._moves.append((stack, undo, failed))
        if not self._moving:
            self._next_move()

    def _next_move(self) -> None:
        while self._moves:
            stack, undo, failed = self._moves.popleft()
            if shiboken6.isValid(stack) and self._start_move(stack, undo, failed):
                self._moving = True
                return
        self._moving = False

    def _start_move(self, stack: QUndoStack, undo: bool,
                    failed: Callable[[Exception], Any] | None) -> bool:
        """Revert the step next to the stack's index; False if there is none."""
        index = stack.index()
        if undo and index == 0 or not undo and index == stack.count():
            return False
        command = stack.command(index - 1 if undo else index)
        if not isinstance(command, OperationCommand):
            return False
        reverting = command.forward if undo else command.back
        if reverting is None:
            return False
        actor = self.actor()

        def step() -> None:
            command.moving = True
            if undo:
                stack.undo()
            else:
                stack.redo()

        def ok(result: Done[Any]) -> None:
            if shiboken6.isValid(stack) and stack.index() == index:
                if undo:
                    command.back = result.changes
                else:
                    command.forward = result.changes
                step()
            self._next_move()

        def refused(exc: Exception) -> None:
            if shiboken6.isValid(stack) and stack.index() == index:
                command.setObsolete(True)  # the step cannot be taken any more: drop it
                step()
            self._moves.clear()  # the steps after it were meant to follow it
            self._next_move()
            (failed or self._report)(exc)

        self._enqueue(lambda store: operations.revert(store, reverting, actor), ok, refused)
        return True

    # -- the writer thread ---------------------------------------------------------------

    def _enqueue(self, run: Callable[[Store], Done[Any]],
                 ok: Callable[[Done[Any]], Any],
                 failed: Callable[[Exception], Any] | None, *, quiet: bool = False) -> None:
        self._numbers += 1
        was_saving = bool(self._loud)
        self._callbacks[self._numbers] = (ok, failed or self._report)
        if not quiet:
            self._loud.add(self._numbers)
        self._tasks.put(_Task(self._numbers, run))
        if not was_saving and not quiet:
            self.busy_changed.emit(True)

    def _work(self) -> None:
        store: Store | None = None
        try:
            while (task := self._tasks.get()) is not None:
                if task.number < 0:
                    task.run(store)  # type: ignore[arg-type]
                    continue
                try:
                    if store is None:
                        store = Store.open(self.path, create=False, key=self.key)
                        store.health = self.health
                    result: Done[Any] | None = task.run(store)
                    error: Exception | None = None
                except Exception as exc:  # handed to the GUI thread, which says why
                    result, error = None, exc
                self._finished.emit(task.number, result, error)
        finally:
            if store is not None:
                store.close()

    def _deliver(self, number: int, result: Done[Any] | None,
                 error: Exception | None) -> None:
        ok, failed = self._callbacks.pop(number)
        loud = number in self._loud
        self._loud.discard(number)
        try:
            if error is None and result is not None:
                if not result.changes.empty and loud:
                    self.changed.emit(result.changes)
                ok(result)
            else:
                failed(error or RuntimeError("the operation gave no result"))
        finally:
            if loud and not self._loud:
                self.busy_changed.emit(False)

    def _report(self, exc: Exception) -> None:
        log.error("An edit failed and nobody was told", exc_info=exc)


def _setter(event: threading.Event) -> Callable[[Store], Done[None]]:
    """A task that only says the writer got this far (see ``flush``)."""

    def mark(_store: Store) -> Done[None]:
        event.set()
        return Done(None, Changes())

    return mark


__all__ = ["OperationCommand", "OperationRunner"]
