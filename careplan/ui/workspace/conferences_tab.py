"""The Case conferences tab: attendees, decisions and the actions each one agreed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTextBrowser, QVBoxLayout

from careplan.models import CaseConference
from careplan.models import permissions as rules
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace.tab_base import WorkspaceTab, permit
from careplan.ui.workspace.tables import record_table


class ConferencesTab(WorkspaceTab):
    SHOWS = frozenset({"actions", "case_conferences", "professionals", "care_team_members"})

    def build(self) -> None:
        ws = self.ws
        tr = self.tr
        self.model = RecordTableModel[CaseConference]([
            Column(tr("Held"), lambda c: text.fmt_datetime(c.held_at)),
            Column(tr("Chair"), lambda c: ws.pf.directory.professional_name(c.chair_id)),
            Column(tr("Attendees"), lambda c: str(len(c.attendee_ids) + len(c.other_attendees))),
            Column(tr("Decisions"), lambda c: "; ".join(c.decisions)),
        ], self)
        self.view = record_table(self.model, tr("Case conferences"), stretch=3)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._details())
        self.details = QTextBrowser()
        self.details.setAccessibleName(tr("Case conference record"))
        self.start = start = QPushButton(tr("Hold a case conference now (F11)"))
        start.clicked.connect(ws.toggle_conference)
        self.print_minutes = QPushButton(tr("&Print minutes…"))
        self.print_minutes.setToolTip(tr("The chosen case conference's minutes as a PDF"))
        self.print_minutes.clicked.connect(self._print)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Meetings of the team and the person, newest first.")))
        layout.addWidget(split, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(start)
        buttons.addWidget(self.print_minutes)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def current_id(self) -> str | None:
        index = self.view.currentIndex()
        return self.model.record(index.row()).id if index.isValid() else None

    def _print(self) -> None:
        chosen = self.current_id()
        if chosen is not None:
            self.ws.minutes_requested.emit(chosen)

    def _details(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            self.details.clear()
            return
        c = self.model.record(index.row())
        d = self.ws.pf.directory
        people = [d.professional_name(p) for p in c.attendee_ids] + list(c.other_attendees)
        agreed = [a for a in self.ws.pf.actions if a.conference_id == c.id]
        tr = self.tr
        html = [f"<h3>{tr('Case conference')} {text.fmt_datetime(c.held_at)}</h3>",
                f"<p><b>{tr('Attended')}:</b> {', '.join(people) or '—'}</p>"]
        if c.agenda:
            html.append(f"<p><b>{tr('Agenda')}</b></p><ul>"
                        + "".join(f"<li>{x}</li>" for x in c.agenda) + "</ul>")
        html.append(f"<p><b>{tr('Decisions')}</b></p><ul>"
                    + "".join(f"<li>{x}</li>" for x in c.decisions) + "</ul>")
        if agreed:
            html.append(f"<p><b>{tr('Actions agreed')}</b></p><ul>" + "".join(
                f"<li>{a.description} — {d.professional_name(a.owner_professional_id) or '?'}"
                f", {tr('due')} {text.fmt_date(a.due_date) or '—'}</li>" for a in agreed)
                + "</ul>")
        self.details.setHtml("".join(html))

    def fill(self) -> None:
        self.model.set_records(self.ws.pf.conferences)
        if self.model.rowCount():
            self.view.selectRow(0)
        self.print_minutes.setEnabled(self.model.rowCount() > 0)
        ws = self.ws
        permit(self.start, rules.record_conference(ws.who, ws.care_team(), ws.pf.directory))
        self._details()
