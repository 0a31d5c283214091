"""The Carers & safeguarding tab: the person's unpaid carers and the carer's assessment
each was offered (Care Act 2014 s.10), an EHC plan or care leaver status (support up to
25), and safeguarding concerns with the decision on a Care Act s.42 enquiry.

Every change is asked in a :class:`RecordForm` and saved through the workspace's writer
(``ws.ask``) by a function of ``careplan.store.social``: one transaction, audited,
undoable from the window's Undo.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout

from careplan.models import Carer, SafeguardingConcern, YoungPersonStatus
from careplan.models.enums import AssessmentStatus
from careplan.models.facts import Directory
from careplan.models.rules.common import Context
from careplan.models.rules.safeguarding import decision_due
from careplan.models.social import (
    CarerRelationship,
    SafeguardingDecision,
    YoungPersonStatusKind,
)
from careplan.models.thresholds import Thresholds
from careplan.store import InputError
from careplan.store import social as so
from careplan.store.overrides import default_thresholds, thresholds_in_force
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace.forms import RecordForm
from careplan.ui.workspace.tab_base import WorkspaceTab
from careplan.ui.workspace.tables import record_table


def _working_days(n: int) -> str:
    return "1 working day" if n == 1 else f"{n} working days"


class SocialTab(WorkspaceTab):
    SHOWS = frozenset({"agencies", "assessments", "carers", "persons", "rule_overrides",
                       "safeguarding_concerns", "young_person_statuses"})

    def build(self) -> None:
        ws, tr = self.ws, self.tr

        def d() -> Directory:
            return ws.pf.directory

        self.thresholds: Thresholds = default_thresholds()
        self.carers = RecordTableModel[Carer]([
            Column(tr("Carer"), lambda k: k.name),
            Column(tr("Relationship"), lambda k: k.relationship.value),
            Column(tr("Recorded"), lambda k: text.fmt_date(k.recorded_on)),
            Column(tr("Stopped caring"), lambda k: text.fmt_date(k.end_date)),
            Column(tr("Carer's assessment"), self._offer_text, alert=self._not_offered),
        ], self)
        self.statuses = RecordTableModel[YoungPersonStatus]([
            Column(tr("Status"), lambda s: s.kind.value),
            Column(tr("From"), lambda s: text.fmt_date(s.start_date)),
            Column(tr("Until"), lambda s: text.fmt_date(s.end_date)),
            Column(tr("Local authority"), lambda s: d().agency_name(s.agency_id)),
        ], self)
        self.concerns = RecordTableModel[SafeguardingConcern]([
            Column(tr("Received"), lambda g: text.fmt_date(g.received_on)),
            Column(tr("Raised by"), lambda g: d().agency_name(g.agency_id)),
            Column(tr("Concern"), lambda g: g.summary),
            Column(tr("Decision"), self._decision_text, alert=self._overdue),
            Column(tr("Why"), lambda g: g.reason),
        ], self)
        self.carers_view = record_table(self.carers, tr("Carers"))
        self.statuses_view = record_table(self.statuses, tr("EHC plan and care leaver status"))
        self.concerns_view = record_table(self.concerns, tr("Safeguarding concerns"), stretch=2)
        for view in (self.carers_view, self.statuses_view, self.concerns_view):
            view.selectionModel().currentRowChanged.connect(lambda *_: self._enable())

        self.add_carer = QPushButton(tr("Add a &carer…"))
        self.add_carer.clicked.connect(self._add_carer)
        self.offer = QPushButton(tr("&Offer a carer's assessment…"))
        self.offer.clicked.connect(self._offer)
        self.outcome = QPushButton(tr("Assessment o&utcome…"))
        self.outcome.clicked.connect(self._outcome)
        self.stopped = QPushButton(tr("Stopped c&aring…"))
        self.stopped.clicked.connect(self._stopped)
        self.add_status = QPushButton(tr("Add an &EHC plan or care leaver status…"))
        self.add_status.clicked.connect(self._add_status)
        self.end_status = QPushButton(tr("E&nded…"))
        self.end_status.clicked.connect(self._end_status)
        self.raise_concern = QPushButton(tr("Record a &safeguarding concern…"))
        self.raise_concern.clicked.connect(self._raise)
        self.decide = QPushButton(tr("Record the s.42 &decision…"))
        self.decide.clicked.connect(self._decide)

        layout = QVBoxLayout(self)
        for title, view, buttons in (
                (tr("Carers (Care Act 2014 s.10: each is owed a carer's assessment)"),
                 self.carers_view, (self.add_carer, self.offer, self.outcome, self.stopped)),
                (tr("EHC plan and care leaver status (support up to 25)"),
                 self.statuses_view, (self.add_status, self.end_status)),
                (tr("Safeguarding concerns (Care Act 2014 s.42)"),
                 self.concerns_view, (self.raise_concern, self.decide))):
            layout.addWidget(QLabel(f"<b>{title}</b>"))
            layout.addWidget(view, 1)
            row = QHBoxLayout()
            for button in buttons:
                row.addWidget(button)
            row.addStretch(1)
            layout.addLayout(row)

    # -- what the tables show -----------------------------------------------------------------

    def _offer_text(self, carer: Carer) -> str:
        assessment = self.ws.pf.social.assessment_of(carer)
        if assessment is None:
            return self.tr("not offered")
        if assessment.status is AssessmentStatus.COMPLETED:
            return self.tr("completed %s") % text.fmt_date(assessment.completed_on)
        if assessment.status is AssessmentStatus.DECLINED:
            return self.tr("offered %s, declined") % text.fmt_date(assessment.requested_on)
        return self.tr("offered %s, %s") % (text.fmt_date(assessment.requested_on),
                                           assessment.status.value)

    def _not_offered(self, carer: Carer) -> bool:
        return (self.ws.pf.social.assessment_of(carer) is None
                and carer.caring_on(self.ws.today))

    def _due(self, concern: SafeguardingConcern) -> date:
        return decision_due(concern.received_on, Context(self.ws.today, self.thresholds))

    def _decision_text(self, concern: SafeguardingConcern) -> str:
        if concern.decision is not None:
            return f"{concern.decision.value}, {text.fmt_date(concern.decided_on)}"
        return self.tr("none yet, due by %s") % text.fmt_date(self._due(concern))

    def _overdue(self, concern: SafeguardingConcern) -> bool:
        return concern.decision is None and self.ws.today > self._due(concern)

    @staticmethod
    def _chosen(view: QTableView, model: RecordTableModel[Any]) -> Any:
        index = view.currentIndex()
        return model.record(index.row()) if index.isValid() else None

    def current_carer(self) -> Carer | None:
        found: Carer | None = self._chosen(self.carers_view, self.carers)
        return found

    def current_status(self) -> YoungPersonStatus | None:
        found: YoungPersonStatus | None = self._chosen(self.statuses_view, self.statuses)
        return found

    def current_concern(self) -> SafeguardingConcern | None:
        found: SafeguardingConcern | None = self._chosen(self.concerns_view, self.concerns)
        return found

    def _enable(self) -> None:
        carer = self.current_carer()
        caring = carer is not None and carer.end_date is None
        offered = carer is not None and carer.assessment_id is not None
        self.offer.setEnabled(caring)
        self.outcome.setEnabled(offered)
        self.stopped.setEnabled(caring)
        status = self.current_status()
        self.end_status.setEnabled(status is not None and status.end_date is None)
        concern = self.current_concern()
        self.decide.setEnabled(concern is not None and concern.decision is None)

    def fill(self) -> None:
        try:
            self.thresholds = thresholds_in_force(self.ws.store)
        except InputError:  # an override that no longer fits: the defaults still show
            self.thresholds = default_thresholds()
        social = self.ws.pf.social
        self.carers.set_records(sorted(social.carers, key=lambda k: (
            k.end_date is not None, k.recorded_on, k.name)))
        self.statuses.set_records(social.statuses)
        self.concerns.set_records(sorted(social.concerns, key=lambda g: (
            g.decision is not None, g.received_on)))
        for view, model in ((self.carers_view, self.carers),
                            (self.statuses_view, self.statuses),
                            (self.concerns_view, self.concerns)):
            if model.rowCount():
                view.selectRow(0)
        self._enable()

    # -- the edits ------------------------------------------------------------------------------

    def _agencies(self, none: str) -> list[tuple[str, str | None]]:
        d = self.ws.pf.directory
        return [(none, None)] + [(a.name, a.id) for a in
                                 sorted(d.agencies.values(), key=lambda a: a.name)]

    def _add_carer(self) -> bool:
        ws, tr = self.ws, self.tr
        if not ws.require_actor():
            return False

        def build(f: RecordForm) -> Carer:
            return Carer(person_id=ws.person_id, name=f.text("name"),
                         relationship=f.choice("relationship"), recorded_on=f.day("recorded"))

        form = RecordForm(tr("Add a carer"), tr(
            "Someone who looks after %s without being paid for it (not a care worker or a "
            "volunteer). The local authority must offer them a carer's assessment "
            "(Care Act 2014 s.10).") % ws.pf.person.name, build, ws)
        form.add_text("name", tr("&Name:"), hint=tr("e.g. Maureen Doyle"))
        form.add_choice("relationship", tr("&Relationship:"),
                        [(r.value, r) for r in CarerRelationship])
        form.add_date("recorded", tr("&Recorded on:"), ws.today)
        actor = ws.actor_id()
        return ws.ask(form, tr("Add a carer"),
                      lambda carer: lambda s: so.add_carer(s, carer, actor))

    def _offer(self) -> bool:
        ws, tr, carer = self.ws, self.tr, self.current_carer()
        if carer is None:
            ws.refused(tr("carer: choose the carer the assessment is offered to first"))
            return False
        if not ws.require_actor():
            return False
        assert ws.actor is not None
        form = RecordForm(tr("Offer a carer's assessment"), tr(
            "%s was offered an assessment of their own needs for support. If they decline "
            "it, record that as its outcome: the offer stands.") % carer.name,
            lambda f: (f.day("offered"), f.choice("agency")), ws)
        form.add_date("offered", tr("&Offered on:"), ws.today)
        form.add_choice("agency", tr("&By:"), self._agencies(tr("— not recorded —")),
                        ws.actor.agency_id)
        actor = ws.actor_id()
        return ws.ask(form, tr("Offer %s a carer's assessment") % carer.name,
                      lambda got: lambda s: so.offer_carer_assessment(
                          s, carer, got[0], actor, got[1]))

    def _outcome(self) -> bool:
        ws, tr, carer = self.ws, self.tr, self.current_carer()
        if carer is None or carer.assessment_id is None:
            ws.refused(tr("carer's assessment: choose a carer who was offered one first"))
            return False
        if not ws.require_actor():
            return False
        form = RecordForm(tr("Carer's assessment outcome"), tr(
            "What became of the carer's assessment offered to %s.") % carer.name,
            lambda f: (f.choice("status"), f.day("on")), ws)
        form.add_choice("status", tr("&Outcome:"), [
            (tr("under way"), AssessmentStatus.IN_PROGRESS),
            (tr("completed"), AssessmentStatus.COMPLETED),
            (tr("declined by the carer (Care Act 2014 s.11)"), AssessmentStatus.DECLINED)])
        form.add_date("on", tr("&On:"), ws.today)
        actor = ws.actor_id()
        return ws.ask(form, tr("Record the outcome of %s's assessment") % carer.name,
                      lambda got: lambda s: so.record_carer_assessment(
                          s, carer, got[0], got[1], actor))

    def _stopped(self) -> bool:
        ws, tr, carer = self.ws, self.tr, self.current_carer()
        if carer is None:
            ws.refused(tr("carer: choose who stopped caring first"))
            return False
        if not ws.require_actor():
            return False
        form = RecordForm(tr("Stopped caring"), tr(
            "%s no longer cares for %s. Their record is kept.") % (carer.name,
                                                                 ws.pf.person.name),
            lambda f: carer.evolve(end_date=f.day("end")), ws)
        form.add_date("end", tr("&Last day:"), ws.today)
        actor = ws.actor_id()
        return ws.ask(form, tr("%s stopped caring") % carer.name,
                      lambda ended: lambda s: so.end_carer(s, carer, ended.end_date, actor))

    def _add_status(self) -> bool:
        ws, tr = self.ws, self.tr
        if not ws.require_actor():
            return False

        def build(f: RecordForm) -> YoungPersonStatus:
            return YoungPersonStatus(person_id=ws.person_id, kind=f.choice("kind"),
                                     start_date=f.day("start"), agency_id=f.choice("agency"))

        form = RecordForm(tr("Add an EHC plan or care leaver status"), tr(
            "Either gives %s support up to 25; from 18, the team needs an adult-services "
            "plan in place (NICE NG43).") % ws.pf.person.name, build, ws)
        form.add_choice("kind", tr("&Status:"), [(k.value, k) for k in YoungPersonStatusKind])
        form.add_date("start", tr("&From:"), ws.today)
        form.add_choice("agency", tr("&Local authority:"), self._agencies(tr("— not recorded —")))
        actor = ws.actor_id()
        return ws.ask(form, tr("Add an EHC plan or care leaver status"),
                      lambda status: lambda s: so.add_status(s, status, actor))

    def _end_status(self) -> bool:
        ws, tr, status = self.ws, self.tr, self.current_status()
        if status is None:
            ws.refused(tr("status: choose the EHC plan or care leaver status that ended first"))
            return False
        if not ws.require_actor():
            return False
        form = RecordForm(tr("Ended"), tr("The %s ended (the plan ceased, or the support "
                                          "ended).") % status.kind.value,
                          lambda f: status.evolve(end_date=f.day("end")), ws)
        form.add_date("end", tr("&Last day:"), ws.today)
        actor = ws.actor_id()
        return ws.ask(form, tr("End the %s") % status.kind.value,
                      lambda ended: lambda s: so.end_status(s, status, ended.end_date, actor))

    def _raise(self) -> bool:
        ws, tr = self.ws, self.tr
        if not ws.require_actor():
            return False

        def build(f: RecordForm) -> SafeguardingConcern:
            return SafeguardingConcern(person_id=ws.person_id, received_on=f.day("received"),
                                       agency_id=f.choice("agency"), summary=f.text("summary"))

        form = RecordForm(tr("Record a safeguarding concern"), tr(
            "A concern that %s is experiencing, or at risk of, abuse or neglect, as the local "
            "authority received it. Whether it needs a Care Act s.42 enquiry is decided within "
            "%s.") % (ws.pf.person.name, _working_days(
                self.thresholds.safeguarding_decision_working_days)), build, ws)
        form.add_date("received", tr("&Received on:"), ws.today)
        form.add_choice("agency", tr("Raised &by:"), self._agencies(tr("— not an agency —")))
        form.add_text("summary", tr("&Concern:"), hint=tr("what was seen or said, briefly"))
        actor = ws.actor_id()
        return ws.ask(form, tr("Record a safeguarding concern"),
                      lambda concern: lambda s: so.record_concern(s, concern, actor))

    def _decide(self) -> bool:
        ws, tr, concern = self.ws, self.tr, self.current_concern()
        if concern is None or concern.decision is not None:
            ws.refused(tr("decision: choose a concern still waiting for one first"))
            return False
        if not ws.require_actor():
            return False

        def build(f: RecordForm) -> SafeguardingConcern:
            return concern.evolve(decision=f.choice("decision"), decided_on=f.day("on"),
                                  reason=f.text("reason"))

        form = RecordForm(tr("Record the s.42 decision"), tr(
            "Whether the concern received on %s needs an enquiry under Care Act 2014 s.42.")
            % text.fmt_date(concern.received_on), build, ws)
        form.add_choice("decision", tr("&Decision:"),
                        [(k.value, k) for k in SafeguardingDecision])
        form.add_date("on", tr("Decided &on:"), ws.today)
        form.add_text("reason", tr("&Why:"),
                      hint=tr("needed for “no safeguarding enquiry”"))
        actor = ws.actor_id()
        return ws.ask(form, tr("Record the s.42 decision"),
                      lambda got: lambda s: so.decide_concern(
                          s, concern, got.decision, got.decided_on, got.reason, actor))
