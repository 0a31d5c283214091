"""The Referrals tab: each referral's steps and its bounce chain, and the next step."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Referral, ReferralEvent
from careplan.models import permissions as rules
from careplan.models.enums import NeedDomain, ReferralEventKind, ReferralStatus
from careplan.models.facts import Directory
from careplan.models.referral_chain import PANEL, BounceChain, bounce_chain
from careplan.store import casework as cw
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace.chain_view import BounceChainView
from careplan.ui.workspace.dialogs import StepDialog
from careplan.ui.workspace.tab_base import WorkspaceTab, permit
from careplan.ui.workspace.tables import record_table

_OPEN = (ReferralStatus.SENT, ReferralStatus.DECLINED, ReferralStatus.REDIRECTED,
         ReferralStatus.ESCALATED)


class ReferralsTab(WorkspaceTab):
    SHOWS = frozenset({"agencies", "professionals", "referral_events", "referrals"})

    def build(self) -> None:
        ws = self.ws
        tr = self.tr

        def d() -> Directory:
            return ws.pf.directory

        def chain_of(r: Referral) -> BounceChain:
            return bounce_chain(ws.pf.referral_events.get(r.id, []))

        self.referrals = RecordTableModel[Referral]([
            Column(tr("Referral"), lambda r: r.summary),
            Column(tr("Need"), lambda r: r.domain.value),
            Column(tr("From"), lambda r: d().agency_name(r.from_agency_id)),
            Column(tr("Sent"), lambda r: text.fmt_date(r.sent_on)),
            Column(tr("Status"), lambda r: r.status.value),
            Column(tr("Days in dispute"), lambda r: str(chain_of(r).days_in_dispute(ws.today))
                   if chain_of(r).is_dispute else "",
                   alert=lambda r: chain_of(r).is_dispute and r.status in _OPEN),
        ], self)
        self.events = RecordTableModel[ReferralEvent]([
            Column(tr("Date"), lambda e: text.fmt_date(e.occurred_on)),
            Column(tr("Step"), lambda e: e.kind.value,
                   alert=lambda e: e.kind is ReferralEventKind.DECLINED),
            Column(tr("Team"), lambda e: d().agency_name(e.team_id)),
            Column(tr("To team"), lambda e: d().agency_name(e.to_team_id)),
            Column(tr("Reason"), lambda e: e.reason),
        ], self)
        self.list_view = record_table(self.referrals, tr("Referrals"))
        self.events_view = record_table(self.events, tr("Referral steps"), stretch=4)
        self.chain = BounceChainView(lambda team_id: ws.pf.directory.agency_name(team_id))
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.list_view.selectionModel().currentRowChanged.connect(lambda *_: self._show_current())

        self.buttons: dict[ReferralEventKind, QPushButton] = {}
        row = QHBoxLayout()
        self.send_button = send = QPushButton(tr("Se&nd referral…"))
        send.clicked.connect(self.send)
        row.addWidget(send)
        for kind, label in ((ReferralEventKind.ACCEPTED, tr("&Accept")),
                            (ReferralEventKind.DECLINED, tr("&Decline…")),
                            (ReferralEventKind.REDIRECTED, tr("&Redirect…")),
                            (ReferralEventKind.ESCALATED, tr("&Escalate to panel…")),
                            (ReferralEventKind.PANEL_DECISION, tr("Record panel de&cision…"))):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, k=kind: self._step(k))
            self.buttons[kind] = button
            row.addWidget(button)
        row.addStretch(1)

        chain_box = QWidget()
        chain_layout = QVBoxLayout(chain_box)
        chain_layout.setContentsMargins(0, 0, 0, 0)
        chain_layout.addWidget(QLabel(f"<b>{tr('Who held the referral when')}</b>"))
        chain_layout.addWidget(self.caption)
        chain_layout.addWidget(self.chain)
        chain_layout.addWidget(self.events_view, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list_view)
        split.addWidget(chain_box)
        split.setStretchFactor(1, 3)
        line = self.fontMetrics().height() + 10
        split.setSizes([5 * line, 3000])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(row)

    def current(self) -> Referral | None:
        index = self.list_view.currentIndex()
        return self.referrals.record(index.row()) if index.isValid() else None

    # -- acts -----------------------------------------------------------------------------

    def _teams(self, exclude: str | None = None) -> list[tuple[str, str]]:
        return [(a.name, a.id) for a in self.ws.pf.directory.agencies.values()
                if a.id != exclude]

    def send(self) -> None:
        """Send a referral from the actor's agency to another team."""
        ws, tr = self.ws, self.tr
        if not ws.require_actor():
            return
        assert ws.actor is not None
        actor = ws.actor

        def build(dialog: StepDialog) -> tuple[Referral, str]:
            to_team = dialog.chosen()
            if not to_team:
                raise ValueError(tr("to team: choose the team to refer to"))
            return Referral(person_id=ws.person_id,
                            domain=dialog.need_domain() or NeedDomain.OTHER,
                            summary=dialog.reason(), from_agency_id=actor.agency_id,
                            sent_on=ws.today), str(to_team)

        dialog = StepDialog(
            tr("Send a referral"), tr("Ask another team to take on a need."), self,
            choice_label=tr("&To team:"), choices=self._teams(actor.agency_id),
            domain=True, text_label=tr("&Summary:"), text_required=True, build=build)
        ws.ask(dialog, tr("Send a referral"),
               lambda built: lambda s: cw.send_referral(s, built[0], built[1], actor.id))

    def _step(self, kind: ReferralEventKind) -> None:
        """Take one step of the current referral, asking what the step needs (the dialog
        stays open, with what was typed, until the store has taken the step)."""
        referral, ws = self.current(), self.ws
        if referral is None or not ws.require_actor():
            return
        dialog = self._ask_step(referral, kind)
        if dialog is None:
            return
        actor = ws.actor_id()
        ws.ask(dialog, self.tr("Referral: %s") % kind.value,
               lambda step: lambda s: cw.referral_step(s, referral, step, actor))

    def _ask_step(self, referral: Referral, kind: ReferralEventKind) -> StepDialog | None:
        """The dialog asking what a step needs; what it builds is the step."""
        ws, tr = self.ws, self.tr
        chain = bounce_chain(ws.pf.referral_events.get(referral.id, []))
        holder = chain.holdings[-1].holder if chain.holdings else None
        team = holder if holder and holder != PANEL else None
        holder_name = ws.pf.directory.agency_name(team) or tr("the panel")
        if kind is ReferralEventKind.ACCEPTED:
            return StepDialog(tr("Accept the referral"), tr(
                "How does %s take this referral on? Only an acceptance as the lead team "
                "settles a dispute between teams; accepting to assess first leaves the "
                "referral open until a team leads (NICE QS188).") % holder_name, self,
                choice_label=tr("&Accept:"), choices=[
                    (tr("as the lead team"), True), (tr("to assess first"), False)],
                build=lambda d: cw.ReferralStep(kind, ws.today, team_id=team,
                                                as_lead=bool(d.chosen())))
        if kind is ReferralEventKind.DECLINED:
            return StepDialog(tr("Decline the referral"), tr(
                "%s declines this referral. Say why: declines are counted, and a referral "
                "declined by two teams becomes a dispute.") % holder_name, self,
                reason_codes=True, text_label=tr("&Reason:"), text_required=True,
                build=lambda d: cw.ReferralStep(kind, ws.today, team_id=team,
                                                reason=d.reason(),
                                                reason_code=d.reason_code()))
        if kind is ReferralEventKind.REDIRECTED:
            return StepDialog(tr("Redirect the referral"), tr(
                "Send the referral from %s to another team.") % holder_name, self,
                choice_label=tr("&To team:"), choices=self._teams(team),
                text_label=tr("&Why:"),
                build=lambda d: cw.ReferralStep(kind, ws.today, team_id=team,
                                                to_team_id=str(d.chosen()),
                                                reason=d.reason()))
        if kind is ReferralEventKind.ESCALATED:
            return StepDialog(tr("Escalate to a panel"), tr(
                "Ask the panel to decide which team leads."), self,
                text_label=tr("&Why:"), text_required=True,
                build=lambda d: cw.ReferralStep(kind, ws.today, team_id=team,
                                                reason=d.reason()))
        if kind is ReferralEventKind.PANEL_DECISION:
            return StepDialog(tr("Record the panel's decision"), tr(
                "Which team leads, as the panel decided."), self,
                choice_label=tr("&Lead team:"), choices=self._teams(),
                text_label=tr("&Decision:"), text_required=True,
                build=lambda d: cw.ReferralStep(kind, ws.today, team_id=str(d.chosen()),
                                                reason=d.reason()))
        return None

    def _show_current(self) -> None:
        referral = self.current()
        events = self.ws.pf.referral_events.get(referral.id, []) if referral is not None else []
        self.events.set_records(events)
        chain = bounce_chain(events) if referral else None
        self.chain.set_chain(chain, self.ws.today)
        if chain is not None and chain.is_dispute:
            teams = len(chain.teams)
            self.caption.setText(self.tr(
                "<span style='color:#b3261e'><b>In dispute for %s</b></span>: declined %s, "
                "passed between %s.") % (
                text.days_text(chain.days_in_dispute(self.ws.today)),
                self.tr("once") if chain.declines == 1 else self.tr("%d times") % chain.declines,
                self.tr("%d teams") % teams))
        elif chain is not None:
            self.caption.setText(self.tr("Not disputed."))
        else:
            self.caption.setText("")
        is_open = referral is not None and referral.status in _OPEN
        holder = chain.holdings[-1].holder if chain is not None and chain.holdings else None
        ws, d = self.ws, self.ws.pf.directory
        for kind, button in self.buttons.items():
            possible = is_open
            if kind is ReferralEventKind.PANEL_DECISION:
                possible = referral is not None and referral.status is ReferralStatus.ESCALATED
            permit(button, rules.referral_step(ws.who, kind, holder, d), possible=possible)
        permit(self.send_button, rules.send_referral(ws.who, ws.actor.agency_id, d)
               if ws.actor is not None else rules.ALLOWED)

    def fill(self) -> None:
        current = self.current()
        keep = current.id if current is not None else None
        self.referrals.set_records(self.ws.pf.referrals)
        row = next((n for n, r in enumerate(self.referrals.records) if r.id == keep), 0)
        if self.referrals.rowCount():
            self.list_view.selectRow(row)
        self._show_current()
