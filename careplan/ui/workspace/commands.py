"""Undoable plan edits. Commands write through store functions, never into widgets.

The first write happens before the command is pushed (so a refused edit never lands
on the stack); undo writes the record's earlier values as a new, audited version, and
redo writes the later ones again. If someone else changed the record meanwhile, the
store refuses (stale write) and the workspace says so and reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtGui import QUndoCommand

from careplan.models import Action, Need, Outcome
from careplan.models.enums import ActionStatus
from careplan.store import Store
from careplan.store.casework import rewrite_plan_item, save_plan_item

Item = TypeVar("Item", Need, Outcome, Action)


class EditPlanItem(QUndoCommand, Generic[Item]):
    """Change one need, outcome or action from ``before`` to ``after``."""

    def __init__(self, store: Store, actor: Callable[[], str], before: Item, after: Item,
                 text: str, on_done: Callable[[Exception | None], None]) -> None:
        super().__init__(text)
        self.store = store
        self.actor = actor
        self.before: Item = before
        self.after: Item = after
        self.on_done = on_done
        self._skip_first = False

    def apply_first(self) -> None:
        """Write the change now; raises if the store refuses it (then never pushed)."""
        saved = save_plan_item(self.store, self.after, self.actor())
        self.after = saved
        self._skip_first = True

    def _write(self, values: Item, expected: Item) -> None:
        rewrite_plan_item(self.store, values, expected, self.actor())

    def _run(self, values: Item, expected: Item) -> None:
        try:
            self._write(values, expected)
        except Exception as exc:  # shown to the user by on_done, then the view reloads
            self.setObsolete(True)
            self.on_done(exc)
            return
        self.on_done(None)

    def redo(self) -> None:
        if self._skip_first:
            self._skip_first = False
            return
        self._run(self.after, self.before)

    def undo(self) -> None:
        self._run(self.before, self.after)


class AddAction(EditPlanItem[Action]):
    """A new action; undo cancels it (care records are never deleted)."""

    def __init__(self, store: Store, actor: Callable[[], str], action: Action, text: str,
                 on_done: Callable[[Exception | None], None]) -> None:
        super().__init__(store, actor, action.evolve(status=ActionStatus.CANCELLED), action,
                         text, on_done)

    def apply_first(self) -> None:
        self.after = save_plan_item(self.store, self.after.evolve(version=0), self.actor())
        self.before = self.before.evolve(version=self.after.version)
        self._skip_first = True
