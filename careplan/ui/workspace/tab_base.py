"""The base of the workspace tabs: widgets are built the first time a tab is shown.

A person opens on the Plan tab; building the seven others (a dozen tables, a chart
of the bounce chain, the age line) up front would cost more than the open is allowed
to take, and most are never looked at in a given visit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
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

    def show_file(self) -> None:
        """Show the workspace's current person file (building the tab first if need be)."""
        self.ensure_built()
        self.fill()

    def build(self) -> None:
        raise NotImplementedError

    def fill(self) -> None:
        raise NotImplementedError
