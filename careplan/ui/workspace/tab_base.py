"""The base of the workspace tabs: widgets are built the first time a tab is shown.

A person opens on the Plan tab; building the seven others (a dozen tables, a chart
of the bounce chain, the age line) up front would cost more than the open is allowed
to take, and most are never looked at in a given visit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QTableView, QWidget

from careplan.models.permissions import Decision
from careplan.ui.tablemodel import RECORD_ROLE

if TYPE_CHECKING:
    from careplan.store.changes import Changes
    from careplan.ui.workspace import PersonWorkspace


class WorkspaceTab(QWidget):
    """Subclasses build their widgets in :meth:`build` and show the file in :meth:`fill`."""

    def __init__(self, ws: PersonWorkspace) -> None:
        super().__init__(ws)
        self.ws = ws
        self.built = False

    def ensure_built(self) -> None:
        if not self.built:
            self.built = True
            self.build()

    #: The tables whose records this tab shows (None: every table, e.g. History).
    SHOWS: frozenset[str] | None = None

    def shows(self, changes: Changes) -> bool:
        """Whether an edit's ``changes`` alter what this tab shows."""
        return changes.everyone or self.SHOWS is None or bool(self.SHOWS & changes.entities)

    def show_file(self) -> None:
        """Show the workspace's current person file (building the tab first if need be);
        the record selected in each table stays selected, if it is still there."""
        self.ensure_built()
        views = self.findChildren(QTableView)
        chosen = [_selected_id(v) for v in views]
        self.fill()
        for view, record_id in zip(views, chosen, strict=True):
            if record_id is not None:
                _select_id(view, record_id)

    def build(self) -> None:
        raise NotImplementedError

    def fill(self) -> None:
        raise NotImplementedError


def _selected_id(view: QTableView) -> Any:
    index = view.currentIndex()
    if not index.isValid() or not view.selectionModel().isSelected(index):
        return None
    return getattr(index.siblingAtColumn(0).data(RECORD_ROLE), "id", None)


def _select_id(view: QTableView, record_id: Any) -> None:
    model = view.model()
    for row in range(model.rowCount()):
        if getattr(model.index(row, 0).data(RECORD_ROLE), "id", None) == record_id:
            view.selectRow(row)
            return


def permit(widget: QWidget, decision: Decision, *, possible: bool = True,
           tip: str = "") -> None:
    """Enable ``widget`` when its act is possible now and the permission rule allows it;
    when the rule alone stands in the way, its tooltip says why and who may."""
    widget.setEnabled(possible and decision.allowed)
    widget.setToolTip(decision.reason if possible and not decision.allowed else tip)
