"""The History tab: this person's audit trail — who changed what, when — and who looked:
who opened, printed or exported their record (careplan.store.reads), from any store."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout

from careplan.models import BY_TABLE, AuditEvent
from careplan.models.base import label
from careplan.models.reads import Read
from careplan.store import reads
from careplan.store.repo import actor_name
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


def read_text(read: Read) -> str:
    """"Printed: joint care plan (PDF)"."""
    return f"{read.kind.value.capitalize()}: {read.description}"


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
        self.looked = RecordTableModel[Read]([
            Column(tr("When"), lambda r: text.fmt_datetime(r.at)),
            Column(tr("Who"), self._reader),
            Column(tr("What"), read_text, tooltip=read_text),
        ], self)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Every change to this person's records, newest first.")))
        layout.addWidget(record_table(self.model, tr("Audit trail"), stretch=3), 3)
        layout.addWidget(QLabel(tr("Who looked: who opened, printed or exported this "
                                   "person's record, newest first (exports of the whole "
                                   "caseload are on the handoff audit).")))
        layout.addWidget(record_table(self.looked, tr("Who looked"), stretch=2), 1)

    def _reader(self, read: Read) -> str:
        """The professional's name; an account's user name; else the actor as recorded."""
        ws = self.ws
        pro = ws.pf.directory.professionals.get(read.reader_id)
        return pro.name if pro is not None else actor_name(ws.store, read.reader_id)

    def fill(self) -> None:
        self.model.set_records(self.ws.history())
        self.looked.set_records(reads.of_person(self.ws.store, self.ws.person_id))
