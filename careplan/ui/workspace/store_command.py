"""An undo command made of two store calls: one that does, one that undoes.

As with plan edits, the first ``do`` runs before the command is pushed (a refusal never
lands on the stack); if an undo or redo is refused (someone changed the record
meanwhile), the command is made obsolete and the workspace says why and reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand


class StoreCommand(QUndoCommand):
    def __init__(self, text: str, do: Callable[[], Any], undo: Callable[[], Any],
                 on_done: Callable[[Exception | None], None],
                 first: Callable[[], Any] | None = None) -> None:
        super().__init__(text)
        self._do = do
        self._undo = undo
        self._first = first or do
        self.on_done = on_done
        self._skip_first = False

    def apply_first(self) -> None:
        """Do it now (through ``first`` if given: the store's checked path); raises if
        the store refuses, and then the command is never pushed."""
        self._first()
        self._skip_first = True

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as exc:  # shown to the user by on_done, then the view reloads
            self.setObsolete(True)
            self.on_done(exc)
            return
        self.on_done(None)

    def redo(self) -> None:
        if self._skip_first:
            self._skip_first = False
            return
        self._run(self._do)

    def undo(self) -> None:
        self._run(self._undo)
