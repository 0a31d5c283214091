"""The Continuing healthcare and aftercare tab: NHS CHC checklists awaiting the integrated
care board's decision (28 days, National Framework) and section 117 aftercare plans, with
the NHS body and the local authority each names (Mental Health Act 1983 s.117)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from careplan.models import HospitalStay
from careplan.models.facts import Directory
from careplan.models.health import AftercarePlan, ChcAssessment, ChecklistOutcome
from careplan.store.health_records import HealthFile, load_health
from careplan.store.overrides import thresholds_in_force
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace import health_edits
from careplan.ui.workspace.tab_base import WorkspaceTab
from careplan.ui.workspace.tables import record_table


class HealthTab(WorkspaceTab):
    SHOWS = frozenset({"agencies", "aftercare_plans", "chc_assessments", "hospital_stays",
                       "persons", "rule_overrides"})

    def build(self) -> None:
        ws = self.ws
        tr = self.tr
        self.file = HealthFile()
        self.decision_days = 28

        def d() -> Directory:
            return ws.pf.directory

        def waiting(c: ChcAssessment) -> int | None:
            if c.outcome is not ChecklistOutcome.POSITIVE or c.decided_by(ws.today):
                return None
            return (ws.today - c.clock_starts).days

        self.chc = RecordTableModel[ChcAssessment]([
            Column(tr("Checklist"), lambda c: text.fmt_date(c.checklist_on)),
            Column(tr("Outcome"), lambda c: c.outcome.value),
            Column(tr("Integrated care board"),
                   lambda c: d().agency_name(c.agency_id) if c.agency_id else ""),
            Column(tr("Received"), lambda c: text.fmt_date(c.received_on)),
            Column(tr("Decision"), lambda c: c.decision.value if c.decision else ""),
            Column(tr("Decided"), lambda c: text.fmt_date(c.decided_on)),
            Column(tr("Days waiting"),
                   lambda c: "" if (n := waiting(c)) is None else str(n),
                   alert=lambda c: (n := waiting(c)) is not None and n > self.decision_days),
            Column(tr("Note"), lambda c: c.note),
        ], self)

        def stay(p: AftercarePlan) -> HospitalStay | None:
            return next((s for s in ws.pf.stays if s.id == p.stay_id), None)

        self.aftercare = RecordTableModel[AftercarePlan]([
            Column(tr("After the stay"), lambda p: health_edits.stay_label(ws, s)
                   if (s := stay(p)) else ""),
            Column(tr("Agreed"), lambda p: text.fmt_date(p.agreed_on)),
            Column(tr("NHS body"), lambda p: d().agency_name(p.nhs_agency_id)
                   if p.nhs_agency_id else tr("not named"), alert=lambda p: not p.nhs_agency_id),
            Column(tr("Local authority"), lambda p: d().agency_name(p.council_agency_id)
                   if p.council_agency_id else tr("not named"),
                   alert=lambda p: not p.council_agency_id),
            Column(tr("Aftercare"), lambda p: p.summary),
            Column(tr("Ended"), lambda p: text.fmt_date(p.ended_on)),
        ], self)
        self.chc_view = record_table(self.chc, tr("Continuing healthcare checklists"))
        self.chc_view.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.aftercare_view = record_table(self.aftercare, tr("Section 117 aftercare plans"))
        self.aftercare_view.selectionModel().currentRowChanged.connect(
            lambda *_: self._enable())
        self.add_checklist = QPushButton(tr("Record a &checklist…"))
        self.add_checklist.clicked.connect(lambda: health_edits.record_checklist(ws))
        self.decide = QPushButton(tr("Record the &decision…"))
        self.decide.clicked.connect(lambda: health_edits.record_decision(ws, self.current_chc()))
        self.add_aftercare = QPushButton(tr("Record an &aftercare plan…"))
        self.add_aftercare.clicked.connect(lambda: health_edits.record_aftercare(ws))
        self.edit_aftercare = QPushButton(tr("Change the aftercare pla&n…"))
        self.edit_aftercare.clicked.connect(self._change_aftercare)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        chc_buttons = QHBoxLayout()
        for button in (self.add_checklist, self.decide):
            chc_buttons.addWidget(button)
        chc_buttons.addStretch(1)
        aftercare_buttons = QHBoxLayout()
        for button in (self.add_aftercare, self.edit_aftercare):
            aftercare_buttons.addWidget(button)
        aftercare_buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{tr('NHS Continuing Healthcare')}</b>"))
        layout.addWidget(self.summary)
        layout.addWidget(self.chc_view, 1)
        layout.addLayout(chc_buttons)
        layout.addWidget(QLabel(f"<b>{tr('Section 117 aftercare (Mental Health Act 1983)')}</b>"))
        layout.addWidget(self.aftercare_view, 1)
        layout.addLayout(aftercare_buttons)

    def current_chc(self) -> ChcAssessment | None:
        index = self.chc_view.currentIndex()
        return self.chc.record(index.row()) if index.isValid() else None

    def current_aftercare(self) -> AftercarePlan | None:
        index = self.aftercare_view.currentIndex()
        return self.aftercare.record(index.row()) if index.isValid() else None

    def _change_aftercare(self) -> None:
        plan = self.current_aftercare()
        if plan is None:
            self.ws.refused(self.tr("aftercare plan: choose the plan to change first"))
            return
        health_edits.record_aftercare(self.ws, plan)

    def _enable(self) -> None:
        chc = self.current_chc()
        self.decide.setEnabled(chc is not None and chc.outcome is ChecklistOutcome.POSITIVE
                               and chc.decision is None)
        self.edit_aftercare.setEnabled(self.current_aftercare() is not None)

    def fill(self) -> None:
        ws = self.ws
        self.file = load_health(ws.store, ws.person_id)
        self.decision_days = thresholds_in_force(ws.store).chc_decision_days
        self.chc.set_records(self.file.chc)
        self.aftercare.set_records(self.file.aftercare)
        for view, model in ((self.chc_view, self.chc), (self.aftercare_view, self.aftercare)):
            if model.rowCount():
                view.selectRow(0)
        self._enable()
        owed = [s for s in ws.pf.stays if s.mha_section and s.mha_section.brings_aftercare]
        self.summary.setText(self.tr(
            "After a positive checklist the integrated care board decides eligibility within "
            "%d days of receiving it (National Framework for NHS Continuing Healthcare). "
            "%s") % (self.decision_days, self.tr(
                "%d stay(s) after detention bring section 117 aftercare.") % len(owed)
            if owed else ""))
