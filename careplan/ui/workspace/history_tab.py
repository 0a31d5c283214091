"""The History tab: this person's audit trail — who changed what, when."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout

from careplan.models import BY_TABLE, AuditEvent
from careplan.models.base import label
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace.tab_base import WorkspaceTab
from careplan.ui.workspace.tables import record_table

_HIDDEN = {"version", "id"}


def _noun(event: AuditEvent) -> str:
    cls = BY_TABLE.get(event.entity)
    return cls.NOUN if cls else event.entity


def change_text(event: AuditEvent) -> str:
    """"status: proposed → accepted; reason: … → …" or "created"."""
    if event.before is None:
        return "created"
    parts = []
    for name in event.changed_fields:
        if name in _HIDDEN:
            continue
        before, after = event.before.get(name), event.after.get(name)
        parts.append(f"{label(name)}: {before if before not in (None, '') else '—'} → "
                     f"{after if after not in (None, '') else '—'}")
    return "; ".join(parts)


class HistoryTab(WorkspaceTab):
    def build(self) -> None:
        ws = self.ws
        tr = self.tr
        self.model = RecordTableModel[AuditEvent]([
            Column(tr("When"), lambda e: text.fmt_datetime(e.at)),
            Column(tr("Who"), lambda e: ws.pf.directory.professional_name(e.actor) or e.actor),
            Column(tr("What"), _noun),
            Column(tr("Change"), change_text, tooltip=change_text),
        ], self)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Every change to this person's records, newest first.")))
        layout.addWidget(record_table(self.model, tr("Audit trail"), stretch=3), 1)

    def fill(self) -> None:
        self.model.set_records(self.ws.history())
