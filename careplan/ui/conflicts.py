"""Deciding a sync conflict: the ``sync-conflict`` flag's detail in the person's header.

Clicking the flag lists the person's open conflicts (one line per record and field,
each naming every value with who wrote it and when); choosing one offers a button per
side ("Keep …"). The choice goes to the window's writer as an operation
(careplan.store.replication.resolve), never written from the GUI thread; it is not put
on the Undo stack: a decision is changed by another edit, which every store receives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from careplan.models.flags import FlagCode
from careplan.models.rules.sync import describe, groups, shown, when, who
from careplan.models.sync import DELETED, SyncConflict
from careplan.store.replication import open_conflicts, resolve
from careplan.ui.listmodels import ChoiceList

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace
    from careplan.ui.workspace.header import PersonHeader


def offer(ws: PersonWorkspace, code: str) -> ConflictDialog | None:
    """For the ``sync-conflict`` flag, show the person's conflicts to decide."""
    if code != FlagCode.SYNC_CONFLICT.value:
        return None
    dialog = ConflictDialog(ws)
    dialog.open()
    return dialog


def choices(group: list[SyncConflict], directory: Any) -> list[tuple[str, str, str]]:
    """Each side of one record's conflict: (button text, conflict id, event to keep)."""
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for c in group:
        for event, value, actor, at in ((c.event_a, c.value_a, c.actor_a, c.at_a),
                                        (c.event_b, c.value_b, c.actor_b, c.at_b)):
            if event in seen:
                continue
            seen.add(event)
            by = f"{who(actor, directory)}, {when(at)}"
            if c.field != DELETED:
                text = f"Keep {shown(c.field, value, directory)} ({by})"
            elif isinstance(value, dict) and value.get(DELETED):
                text = f"Remove it ({by})"
            elif c.kind == "referenced":
                text = f"Keep it ({by} added a record that refers to it)"
            else:
                text = f"Keep it, with the change ({by})"
            out.append((text, c.id, event))
    return out


class ConflictDialog(QDialog):
    """The person's open conflicts, and a button per side of the one chosen."""

    def __init__(self, ws: PersonWorkspace) -> None:
        super().__init__(ws)
        self.ws = ws
        self.setWindowTitle(self.tr("Changed on two computers at once"))
        self.setAccessibleName(self.tr("Sync conflicts"))
        self.list = ChoiceList()
        self.list.setAccessibleName(self.tr("Conflicts to decide"))
        self.list.setWordWrap(True)
        self.list.current_row_changed.connect(self._show_choices)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.buttons_row = QHBoxLayout()
        self.keep_buttons: list[QPushButton] = []
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addLayout(self.buttons_row)
        layout.addWidget(close)
        self.resize(720, 360)
        self.groups: list[list[SyncConflict]] = []
        self.reload()

    def reload(self) -> None:
        """Read the person's open conflicts again (after a decision, or changes)."""
        self.groups = groups(open_conflicts(self.ws.store, [self.ws.person_id]))
        directory = self.ws.pf.directory
        self.list.set_rows([(describe(group, directory), group[0].id)
                            for group in self.groups])
        if self.groups:
            self.list.set_current_row(0)
        else:
            self._show_choices(-1)
            self.note.setText(self.tr("Nothing is waiting for a decision."))

    def _show_choices(self, row: int) -> None:
        for b in self.keep_buttons:
            self.buttons_row.removeWidget(b)
            b.deleteLater()
        self.keep_buttons = []
        if not 0 <= row < len(self.groups):
            return
        writable = self.ws.edits is not None and self.ws.edits.runner is not None
        self.note.setText(self.tr("Choose what to keep; every computer that receives this "
                                  "decision keeps the same.") if writable else
                          self.tr("This store is open only to read."))
        for text, conflict, keep in choices(self.groups[row], self.ws.pf.directory):
            button = QPushButton(text)
            button.setEnabled(writable)
            button.clicked.connect(lambda _=False, c=conflict, k=keep: self.decide(c, k))
            self.keep_buttons.append(button)
            self.buttons_row.addWidget(button)

    def decide(self, conflict: str, keep: str) -> None:
        """Hand the decision to the window's writer; show the list again once saved."""
        ws = self.ws
        if ws.edits is None or ws.edits.runner is None or not ws.require_actor():
            return
        actor = ws.actor_id()
        for b in self.keep_buttons:
            b.setEnabled(False)

        def refused(exc: Exception) -> None:
            QMessageBox.warning(self, self.tr("Not decided"), str(exc))
            self.reload()

        ws.edits.runner.submit(self.tr("Decide a sync conflict"),
                               lambda s: resolve(s, conflict, keep, actor),
                               done=lambda _: self.reload(), failed=refused, owner=self)


def hook(header: PersonHeader, ws: PersonWorkspace) -> None:
    """Connect the header's flags to :func:`offer` (the workspace's one hook)."""
    header.flag_opened.connect(lambda code: offer(ws, code))


__all__ = ["ConflictDialog", "choices", "hook", "offer"]
