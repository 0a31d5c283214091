"""The Care team tab: members, roles, dates, the lead professional; consent per agency."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from careplan.models import CareTeamMember, Consent
from careplan.models import permissions as rules
from careplan.models.facts import Directory
from careplan.models.sharing_basis import sharing_bases
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace import edits
from careplan.ui.workspace.tab_base import WorkspaceTab, permit
from careplan.ui.workspace.tables import record_table


class TeamTab(WorkspaceTab):
    SHOWS = frozenset({"agencies", "care_team_members", "consents", "persons", "professionals"})

    def build(self) -> None:
        ws = self.ws
        tr = self.tr

        def d() -> Directory:
            return ws.pf.directory
        self.members = RecordTableModel[CareTeamMember]([
            Column(tr("Professional"), lambda m: d().professional_name(m.professional_id)),
            Column(tr("Role"), lambda m: m.role.value),
            Column(tr("Agency"), lambda m: d().agency_name(
                getattr(d().professionals.get(m.professional_id), "agency_id", None))),
            Column(tr("From"), lambda m: text.fmt_date(m.start_date)),
            Column(tr("To"), lambda m: text.fmt_date(m.end_date)),
            Column(tr("Lead professional"), lambda m: tr("lead") if m.is_lead else "",
                   tooltip=lambda m: tr("Made lead: %s") % m.lead_reason
                   if m.lead_reason else ""),
        ], self)
        self.consents = RecordTableModel[Consent]([
            Column(tr("Agency"), lambda c: d().agency_name(c.agency_id)),
            Column(tr("Consent"), lambda c: c.status.value,
                   alert=lambda c: c.status.value in ("refused", "withdrawn")),
            Column(tr("Legal basis"), lambda c: c.basis_text,
                   tooltip=lambda c: c.basis.source if c.basis is not None else ""),
            Column(tr("Recorded"), lambda c: text.fmt_date(c.recorded_on)),
            Column(tr("By"), lambda c: d().professional_name(c.recorded_by)),
        ], self)
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.members_view = record_table(self.members, tr("Care team"))
        self.members_view.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.add_member = QPushButton(tr("&Add to the team…"))
        self.add_member.clicked.connect(lambda: edits.add_member(ws))
        self.end_member = QPushButton(tr("&End membership…"))
        self.end_member.clicked.connect(lambda: edits.end_membership(ws, self.current()))
        self.make_lead = QPushButton(tr("Make &lead professional"))
        self.make_lead.clicked.connect(lambda: edits.make_lead(ws, self.current()))
        self.record_consent = QPushButton(tr("&Record consent…"))
        self.record_consent.clicked.connect(lambda: edits.record_consent(ws))
        members = QHBoxLayout()
        for button in (self.add_member, self.end_member, self.make_lead):
            members.addWidget(button)
        members.addStretch(1)
        consents = QHBoxLayout()
        consents.addWidget(self.record_consent)
        consents.addWidget(self.missing, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{tr('Care team')}</b>"))
        layout.addWidget(self.members_view, 2)
        layout.addLayout(members)
        layout.addWidget(QLabel(f"<b>{tr('Consent to share, per agency')}</b>"))
        layout.addWidget(record_table(self.consents, tr("Consent")), 1)
        layout.addLayout(consents)

    def current(self) -> CareTeamMember | None:
        index = self.members_view.currentIndex()
        return self.members.record(index.row()) if index.isValid() else None

    def _enable(self) -> None:
        """The buttons follow the chosen member and who may act (its tooltip says why
        not)."""
        ws = self.ws
        member = self.current()
        current = member is not None and member.end_date is None
        team, d = ws.care_team(), ws.pf.directory
        ending = rules.ALLOWED
        if member is not None:
            pro = d.professionals.get(member.professional_id)
            ending = rules.end_membership(ws.who, member, pro.agency_id if pro else None,
                                          team, d)
        permit(self.end_member, ending, possible=current)
        permit(self.make_lead, rules.set_lead(ws.who, team, d),
               possible=current and member is not None and not member.is_lead)
        permit(self.add_member, rules.add_member(ws.who, team, d))
        permit(self.record_consent, rules.record_consent(ws.who, team, d))

    def fill(self) -> None:
        pf = self.ws.pf
        no_record = self.tr("no consent or legal basis recorded")
        self.members.set_records(sorted(pf.team, key=lambda m: (not m.is_lead, m.start_date)))
        self.consents.set_records(pf.consents)
        if self.members.rowCount():
            self.members_view.selectRow(0)
        self._enable()
        team_agencies = {pf.directory.professionals[m.professional_id].agency_id
                         for m in pf.team if m.professional_id in pf.directory.professionals}
        bases = sharing_bases(pf.consents, self.ws.today)
        missing = sorted(
            f"{pf.directory.agency_name(a)} ({b.reason if b is not None else no_record})"
            for a in team_agencies
            if (b := bases.get(a)) is None or not b.allowed)
        self.missing.setText(
            self.tr("<span style='color:#b3261e'>No sharing basis (they see nothing of "
                    "this person) for: %s</span>") % html.escape("; ".join(missing))
            if missing else "")
