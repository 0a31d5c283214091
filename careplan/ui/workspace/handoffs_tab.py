"""The Handoffs tab: propose, accept or decline; unanswered ones stand out.

Handing something to an agency with no sharing basis for the person (no consent or
legal basis, or consent refused or withdrawn: careplan.models.sharing_basis) asks for
confirmation first: it passes the agency the person's information, and the handoff is
flagged (``sharing-basis-missing``) until a basis is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout

from careplan.models import Action, Handoff
from careplan.models import permissions as rules
from careplan.models.enums import HandoffStatus, HandoffSubject
from careplan.models.facts import Directory
from careplan.models.sharing_basis import sharing_bases
from careplan.store import Store
from careplan.store import casework as cw
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace.dialogs import StepDialog, default_answer_by
from careplan.ui.workspace.tab_base import WorkspaceTab, permit
from careplan.ui.workspace.tables import record_table


class HandoffsTab(WorkspaceTab):
    SHOWS = frozenset({"handoffs", "actions", "professionals", "agencies", "care_team_members"})

    def build(self) -> None:
        ws = self.ws
        tr = self.tr

        def d() -> Directory:
            return ws.pf.directory

        def waiting(h: Handoff) -> bool:
            return h.status is HandoffStatus.PROPOSED

        def late(h: Handoff) -> bool:
            return waiting(h) and h.answer_by < ws.today

        self.model = RecordTableModel[Handoff]([
            Column(tr("What"), self._subject, alert=late),
            Column(tr("From"), lambda h: f"{d().professional_name(h.from_professional_id)} "
                   f"({d().agency_name(h.from_agency_id)})"),
            Column(tr("To"), lambda h: f"{d().professional_name(h.to_professional_id)} "
                   f"({d().agency_name(h.to_agency_id)})"),
            Column(tr("Proposed"), lambda h: text.fmt_date(h.proposed_at)),
            Column(tr("Answer by"), lambda h: text.fmt_date(h.answer_by), alert=late),
            Column(tr("Status"), self._status, alert=late),
            Column(tr("Note"), lambda h: h.reason),
            Column(tr("Answered by"), lambda h: d().professional_name(h.answered_by)),
            Column(tr("Answer"), lambda h: h.answer_reason),
        ], self)
        self.view = record_table(self.model, tr("Handoffs"), stretch=0)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.propose = QPushButton(tr("&Propose handing over coordination…"))
        self.propose.clicked.connect(lambda: self.propose_handoff(None))
        self.accept = QPushButton(tr("&Accept"))
        self.accept.clicked.connect(lambda: self._answer(True))
        self.decline = QPushButton(tr("&Decline…"))
        self.decline.clicked.connect(lambda: self._answer(False))
        self.withdraw = QPushButton(tr("&Withdraw"))
        self.withdraw.clicked.connect(self._withdraw)
        self.waiting = QLabel()
        buttons = QHBoxLayout()
        for b in (self.propose, self.accept, self.decline, self.withdraw):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.waiting)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def _subject(self, h: Handoff) -> str:
        if h.subject is HandoffSubject.COORDINATION:
            return self.tr("Coordinating the person (lead professional)")
        action = next((a for a in self.ws.pf.actions if a.id == h.action_id), None)
        return self.tr("Action: %s") % (action.description if action else h.action_id)

    def _status(self, h: Handoff) -> str:
        if h.status is HandoffStatus.PROPOSED:
            overdue = (self.ws.today - h.answer_by).days
            if overdue > 0:
                return self.tr("unanswered, %s late") % text.days_text(overdue)
            return self.tr("waiting for an answer")
        return h.status.value

    def current(self) -> Handoff | None:
        index = self.view.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def _enable(self) -> None:
        """Accept, decline and withdraw follow the chosen handoff and who may answer or
        withdraw it; a refusal's reason is the button's tooltip."""
        ws = self.ws
        h = self.current()
        waiting = h is not None and h.status is HandoffStatus.PROPOSED
        d = ws.pf.directory
        answer = rules.answer_handoff(ws.who, h, d) if h is not None else rules.ALLOWED
        permit(self.accept, answer, possible=waiting)
        permit(self.decline, answer, possible=waiting)
        permit(self.withdraw, rules.withdraw_handoff(ws.who, h, d) if h is not None
               else rules.ALLOWED, possible=waiting)
        permit(self.propose, rules.propose_coordination(ws.who, ws.care_team(), d))

    # -- acts -----------------------------------------------------------------------------

    def propose_handoff(self, action: Action | None) -> None:
        """Propose handing over ``action`` (None: coordinating the person) to someone."""
        ws = self.ws
        if not ws.require_actor():
            return
        assert ws.actor is not None
        d = ws.pf.directory
        team = ws.care_team()
        allowed = (rules.change_action(ws.who, action, team, d, "hand over this action")
                   if action is not None else rules.propose_coordination(ws.who, team, d))
        if not allowed:
            ws.refused(allowed.reason)
            return
        giver = ws.actor
        if action is not None and action.owner_professional_id in d.professionals:
            giver = d.professionals[str(action.owner_professional_id)]
        elif action is None and team.lead in d.professionals:
            giver = d.professionals[str(team.lead)]  # coordination passes from the lead
        bases = sharing_bases(ws.pf.consents, ws.today)
        no_basis = self.tr(" (no sharing basis)")
        choices = [(f"{p.name} — {p.role.value}, {d.agency_name(p.agency_id)}"
                    + ("" if (b := bases.get(p.agency_id)) is not None and b.allowed
                       else no_basis), p.id)
                   for p in d.professionals.values() if p.id != giver.id]
        what = (self.tr("the action “%s”") % action.description if action
                else self.tr("coordinating %s (lead professional)") % ws.pf.person.name)
        actor = ws.actor_id()

        def build(dialog: StepDialog) -> Handoff:
            receiver = d.professionals.get(str(dialog.chosen()))
            if receiver is None:
                raise ValueError(self.tr("to: choose who takes it over"))
            if not self.confirm_sharing(receiver.agency_id, what):
                raise ValueError(self.tr(
                    "to: %s has no sharing basis for %s; choose another receiver, or "
                    "record consent or a legal basis first") % (
                        d.agency_name(receiver.agency_id), ws.pf.person.name))
            return Handoff(
                person_id=ws.person_id,
                subject=HandoffSubject.ACTION if action else HandoffSubject.COORDINATION,
                action_id=action.id if action else None, from_professional_id=giver.id,
                from_agency_id=giver.agency_id, to_professional_id=receiver.id,
                to_agency_id=receiver.agency_id, proposed_at=ws.now(),
                answer_by=dialog.day() or ws.today, reason=dialog.reason())

        dialog = StepDialog(
            self.tr("Propose a handoff"),
            self.tr("Hand over %s from %s. The receiver accepts or declines; until then "
                    "%s stays responsible.") % (what, giver.name, giver.name),
            self, choice_label=self.tr("&To:"), choices=choices,
            date_label=self.tr("&Answer by:"), default_date=default_answer_by(ws.today),
            text_label=self.tr("&Note:"), build=build, today=ws.today)
        ws.ask(dialog, self.tr("Propose a handoff"),
               lambda handoff: lambda s: cw.propose_handoff(s, handoff, actor),
               done=lambda _: ws.show_tab(self))

    def confirm_sharing(self, agency_id: str, what: str) -> bool:
        """True when the receiving agency has a sharing basis for the person, or the user
        confirms handing over without one."""
        ws = self.ws
        basis = sharing_bases(ws.pf.consents, ws.today).get(agency_id)
        if basis is not None and basis.allowed:
            return True
        agency = ws.pf.directory.agency_name(agency_id)
        reason = basis.reason if basis is not None else self.tr(
            "no consent or legal basis recorded")
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("No sharing basis"), self.tr(
            "%s has no sharing basis for %s (%s). Handing it %s passes it their "
            "information.") % (agency, ws.pf.person.name, reason, what), parent=self)
        box.setInformativeText(self.tr(
            "Record consent or a legal basis in the Care team tab first; or hand it over "
            "anyway, and the handoff is flagged (sharing-basis-missing) until a basis is "
            "recorded."))
        anyway = box.addButton(self.tr("Hand over &anyway"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is anyway

    def _answer(self, accept: bool) -> None:
        h, ws = self.current(), self.ws
        if h is None or not ws.require_actor():
            return
        at, actor = ws.now(), ws.actor_id()
        if accept:
            ws.submit(self.tr("Accept the handoff"),
                      lambda s: cw.answer_handoff(s, h, accept, at, actor, ""))
            return
        dialog = StepDialog(self.tr("Decline the handoff"), self.tr(
            "Say why, so the team can find the right person."), self,
            text_label=self.tr("&Reason:"), text_required=True)

        def write_for(d: StepDialog) -> Callable[[Store], Any]:
            reason = d.reason()  # read here, on the GUI thread
            return lambda s: cw.answer_handoff(s, h, False, at, actor, reason)

        ws.ask(dialog, self.tr("Decline the handoff"), write_for)

    def _withdraw(self) -> None:
        h, ws = self.current(), self.ws
        if h is not None and ws.require_actor():
            actor = ws.actor_id()
            ws.submit(self.tr("Withdraw the handoff"),
                      lambda s: cw.withdraw_handoff(s, h, actor))

    def fill(self) -> None:
        records = self.ws.pf.handoffs
        self.model.set_records(sorted(
            records, key=lambda h: (h.status is not HandoffStatus.PROPOSED, h.answer_by)))
        n = sum(1 for h in records if h.status is HandoffStatus.PROPOSED)
        self.waiting.setText(self.tr("1 handoff is waiting for an answer.") if n == 1 else
                            self.tr("%d handoffs are waiting for an answer.") % n)
        if self.model.rowCount():
            self.view.selectRow(0)
        self._enable()
