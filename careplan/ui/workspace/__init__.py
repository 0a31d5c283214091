"""One person's workspace: header with flags, and the Plan … History tabs.

Every change goes through a store function in one transaction with its audit event.
Plan edits are undoable commands; handoffs, referral steps and sign-offs are deliberate
acts confirmed in a dialog. A refused edit says why in one sentence and writes nothing;
an edit of a record someone changed meanwhile says so and reloads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from careplan.models import Action, AuditEvent, Entity, Handoff, Professional, Referral
from careplan.models.enums import HandoffSubject, NeedDomain, ReferralEventKind
from careplan.models.facts import Directory
from careplan.models.referral_chain import PANEL, bounce_chain
from careplan.store import InputError, NotFoundError, StaleWriteError, Store, StoreError
from careplan.store import casework as cw
from careplan.store.person_file import (
    PersonFile,
    load_directory,
    load_person_file,
    person_history,
)
from careplan.ui.flagview import FlagSummary
from careplan.ui.workspace.commands import AddAction, EditPlanItem
from careplan.ui.workspace.conferences_tab import ConferencesTab
from careplan.ui.workspace.dialogs import StepDialog, default_answer_by
from careplan.ui.workspace.funding_tab import FundingTab
from careplan.ui.workspace.handoffs_tab import HandoffsTab
from careplan.ui.workspace.header import PersonHeader
from careplan.ui.workspace.history_tab import HistoryTab
from careplan.ui.workspace.plan_tab import PlanTab
from careplan.ui.workspace.referrals_tab import ReferralsTab
from careplan.ui.workspace.team_tab import TeamTab
from careplan.ui.workspace.transitions_tab import TransitionsTab

log = logging.getLogger(__name__)


class PersonWorkspace(QWidget):
    """Shows one person; ``changed`` fires after every write that succeeded."""

    changed = Signal()
    #: The user asked for the minutes of this case conference (its id) as a PDF.
    minutes_requested = Signal(str)

    def __init__(self, store: Store, person_id: str, today: date,
                 actor: Professional | None, directory: Directory | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.person_id = person_id
        self.today = today
        self.actor = actor
        self.flags: FlagSummary | None = None
        self._directory = directory
        self.pf: PersonFile = load_person_file(store, person_id, self._dir())
        self.undo_stack = QUndoStack(self)
        self.conference: Any = None

        self.header = PersonHeader()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Person workspace"))
        self.plan_tab = PlanTab(self)
        self.team_tab = TeamTab(self)
        self.handoffs_tab = HandoffsTab(self)
        self.referrals_tab = ReferralsTab(self)
        self.transitions_tab = TransitionsTab(self)
        self.conferences_tab = ConferencesTab(self)
        self.history_tab = HistoryTab(self)
        self.funding_tab = FundingTab(self)
        for tab, label in ((self.plan_tab, self.tr("&Plan")),
                           (self.team_tab, self.tr("Care &team")),
                           (self.handoffs_tab, self.tr("Hand&offs")),
                           (self.referrals_tab, self.tr("&Referrals")),
                           (self.transitions_tab, self.tr("Transitions && hospital &stays")),
                           (self.conferences_tab, self.tr("Case con&ferences")),
                           (self.funding_tab, self.tr("F&unding")),
                           (self.history_tab, self.tr("Histor&y"))):
            self.tabs.addTab(tab, label)
        self._stale_tabs: set[QWidget] = set()
        self.tabs.currentChanged.connect(self._tab_shown)
        self.normal = QWidget()
        normal_layout = QVBoxLayout(self.normal)
        normal_layout.setContentsMargins(0, 0, 0, 0)
        normal_layout.addWidget(self.header)
        normal_layout.addWidget(self.tabs, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.normal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._show_file()

    # -- reading -------------------------------------------------------------------------

    def _dir(self) -> Directory:
        if self._directory is None:
            self._directory = load_directory(self.store)
        return self._directory

    def title(self) -> str:
        return self.pf.person.name

    def reload(self) -> None:
        """Read the person again (after a write, or when told the store changed)."""
        try:
            self.pf = load_person_file(self.store, self.person_id, self._dir())
        except NotFoundError:
            QMessageBox.warning(self, self.tr("Person not found"),
                                self.tr("This person is no longer in the store."))
            return
        self._show_file()

    def _show_file(self) -> None:
        self.header.show_person(self.pf, self.today, self.flags)
        # Only the visible tab is filled now; the others when first shown (fast open).
        self._stale_tabs = {w for i in range(self.tabs.count())
                            if (w := self.tabs.widget(i)) is not None}
        self._tab_shown(self.tabs.currentIndex())
        if self.conference is not None:
            self.conference.show_file()

    def _tab_shown(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if tab in self._stale_tabs:
            self._stale_tabs.discard(tab)
            tab.show_file()  # type: ignore[attr-defined]

    def chosen_conference_id(self) -> str | None:
        """The case conference chosen in its tab, or the latest one if it was never shown."""
        tab = self.conferences_tab
        if tab.built:
            return tab.current_id()
        return self.pf.conferences[0].id if self.pf.conferences else None

    def history(self) -> list[AuditEvent]:
        return person_history(self.store, self.pf)

    def set_actor(self, actor: Professional | None) -> None:
        self.actor = actor
        self._show_file()

    def set_flags(self, flags: FlagSummary | None) -> None:
        self.flags = flags
        self.header.show_flags(flags)
        if self.conference is not None:
            self.conference.show_file()

    def team_choices(self) -> list[tuple[str, str | None]]:
        d = self.pf.directory
        out: list[tuple[str, str | None]] = [(self.tr("— unowned —"), None)]
        for m in self.pf.team:
            if m.active_on(self.today) and m.professional_id in d.professionals:
                pro = d.professionals[m.professional_id]
                out.append((f"{pro.name} ({d.agency_name(pro.agency_id)})", pro.id))
        return out

    # -- writing -------------------------------------------------------------------------

    def actor_id(self) -> str:
        return self.actor.id if self.actor else "unknown"

    def refused(self, message: str) -> None:
        QMessageBox.warning(self, self.tr("Not saved"), message[:1].upper() + message[1:])

    def _need_actor(self) -> bool:
        if self.actor is None:
            self.refused(self.tr("Choose who you are first (File ▸ Who am I…); every change "
                                 "is recorded under a professional's name."))
            return False
        return True

    def _after_write(self, error: Exception | None) -> None:
        if error is None:
            self.reload()
            self.changed.emit()
        elif isinstance(error, StaleWriteError | NotFoundError):
            QMessageBox.warning(self, self.tr("Changed by someone else"), str(error))
            self.reload()
        elif isinstance(error, ValueError | StoreError):
            self.refused(str(error))
            self.reload()
        else:
            log.error("Unexpected error while saving", exc_info=error)
            self.refused(self.tr("An unexpected error stopped the save; it was logged."))
            self.reload()

    def act(self, fn: Callable[[], Any]) -> bool:
        """Run one store write; report refusals plainly; reload either way."""
        try:
            fn()
        except (ValueError, InputError, StoreError) as exc:
            self._after_write(exc)
            return False
        except Exception as exc:
            self._after_write(exc)
            return False
        self._after_write(None)
        return True

    def edit_plan_item(self, old: Entity, new: Entity, what: str) -> None:
        """Called from a model's setData: write now, but reload (which resets the
        models) and report only once the view has closed its editor."""
        if not self._need_actor():
            return
        cmd: EditPlanItem[Any] = EditPlanItem(
            self.store, self.actor_id, old, new,
            self.tr("Change %s of %s") % (what.lower(), old.NOUN), self._after_write)
        try:
            cmd.apply_first()
        except Exception as exc:
            QTimer.singleShot(0, self, lambda e=exc: self._after_write(e))
            return
        self.undo_stack.push(cmd)
        QTimer.singleShot(0, self, lambda: self._after_write(None))

    def add_action(self) -> None:
        if not self._need_actor():
            return
        plan = self.pf.plan
        if plan is None:
            self.refused(self.tr("action: this person has no care plan yet"))
            return
        assert self.actor is not None
        in_team = any(pid == self.actor.id for _, pid in self.team_choices())
        action = Action(plan_id=plan.id, description=self.tr("New action — describe it"),
                        owner_professional_id=self.actor.id if in_team else None,
                        owner_agency_id=self.actor.agency_id if in_team else None,
                        due_date=self.today + timedelta(days=14))
        cmd = AddAction(self.store, self.actor_id, action, self.tr("Add action"),
                        self._after_write)
        try:
            cmd.apply_first()
        except Exception as exc:
            self._after_write(exc)
            return
        self.undo_stack.push(cmd)
        self._after_write(None)
        self.tabs.setCurrentWidget(self.plan_tab)
        view, model = self.plan_tab.actions_view, self.plan_tab.action_model
        for row, record in enumerate(model.records):
            if record.id == action.id:
                view.setCurrentIndex(model.index(row, 0))
                view.edit(model.index(row, 0))

    def sign_plan(self) -> None:
        plan = self.pf.plan
        if plan is None or not self._need_actor():
            return
        assert self.actor is not None
        agency = self.pf.directory.agency_name(self.actor.agency_id)
        answer = QMessageBox.question(
            self, self.tr("Sign the plan"),
            self.tr("Sign version %d of %s's plan for %s?") % (
                plan.plan_version, self.pf.person.name, agency))
        if answer != QMessageBox.StandardButton.Yes:
            return
        actor = self.actor
        self.act(lambda: cw.sign_plan(self.store, plan, actor, self.now()))

    def now(self) -> datetime:
        """The time of day now, on the workspace's "today" (injectable for tests)."""
        return datetime.combine(self.today, datetime.now().time().replace(microsecond=0))

    def propose_handoff(self, action: Action | None) -> None:
        if not self._need_actor():
            return
        assert self.actor is not None
        d = self.pf.directory
        giver = self.actor
        if action is not None and action.owner_professional_id in d.professionals:
            giver = d.professionals[str(action.owner_professional_id)]
        choices = [(f"{p.name} — {p.role.value}, {d.agency_name(p.agency_id)}", p.id)
                   for p in d.professionals.values() if p.id != giver.id]
        what = (self.tr("the action “%s”") % action.description if action
                else self.tr("coordinating %s (lead professional)") % self.pf.person.name)
        dialog = StepDialog(
            self.tr("Propose a handoff"),
            self.tr("Hand over %s from %s. The receiver accepts or declines; until then "
                    "%s stays responsible.") % (what, giver.name, giver.name),
            self, choice_label=self.tr("&To:"), choices=choices,
            date_label=self.tr("&Answer by:"), default_date=default_answer_by(self.today),
            text_label=self.tr("&Note:"))
        if not dialog.exec():
            return
        receiver = d.professionals.get(str(dialog.chosen()))
        if receiver is None:
            return
        day = dialog.day() or self.today

        def write() -> None:
            handoff = Handoff(
                person_id=self.person_id,
                subject=HandoffSubject.ACTION if action else HandoffSubject.COORDINATION,
                action_id=action.id if action else None, from_professional_id=giver.id,
                from_agency_id=giver.agency_id, to_professional_id=receiver.id,
                to_agency_id=receiver.agency_id, proposed_at=self.now(), answer_by=day,
                reason=dialog.reason())
            cw.propose_handoff(self.store, handoff, self.actor_id())

        if self.act(write):
            self.tabs.setCurrentWidget(self.handoffs_tab)

    def answer_handoff(self, handoff: Handoff, accept: bool) -> None:
        if not self._need_actor():
            return
        reason = ""
        if not accept:
            dialog = StepDialog(self.tr("Decline the handoff"), self.tr(
                "Say why, so the team can find the right person."), self,
                text_label=self.tr("&Reason:"), text_required=True)
            if not dialog.exec():
                return
            reason = dialog.reason()
        self.act(lambda: cw.answer_handoff(self.store, handoff, accept, self.now(),
                                           self.actor_id(), reason))

    def withdraw_handoff(self, handoff: Handoff) -> None:
        if self._need_actor():
            self.act(lambda: cw.withdraw_handoff(self.store, handoff, self.actor_id()))

    def _teams(self, exclude: str | None = None) -> list[tuple[str, str]]:
        return [(a.name, a.id) for a in self.pf.directory.agencies.values() if a.id != exclude]

    def send_referral(self) -> None:
        if not self._need_actor():
            return
        assert self.actor is not None
        dialog = StepDialog(
            self.tr("Send a referral"), self.tr("Ask another team to take on a need."), self,
            choice_label=self.tr("&To team:"), choices=self._teams(self.actor.agency_id),
            domain=True, text_label=self.tr("&Summary:"), text_required=True)
        if not dialog.exec():
            return
        actor = self.actor
        domain = dialog.need_domain() or NeedDomain.OTHER
        referral = Referral(person_id=self.person_id, domain=domain, summary=dialog.reason(),
                            from_agency_id=actor.agency_id, sent_on=self.today)
        self.act(lambda: cw.send_referral(self.store, referral, str(dialog.chosen()),
                                          actor.id))

    def referral_step(self, referral: Referral, kind: ReferralEventKind) -> None:
        if not self._need_actor():
            return
        chain = bounce_chain(self.pf.referral_events.get(referral.id, []))
        holder = chain.holdings[-1].holder if chain.holdings else None
        team = holder if holder and holder != PANEL else None
        holder_name = self.pf.directory.agency_name(team) or self.tr("the panel")
        tr = self.tr
        step: cw.ReferralStep | None = None
        if kind is ReferralEventKind.ACCEPTED:
            step = cw.ReferralStep(kind, self.today, team_id=team)
        elif kind is ReferralEventKind.DECLINED:
            dialog = StepDialog(tr("Decline the referral"), tr(
                "%s declines this referral. Say why: declines are counted, and a referral "
                "declined by two teams becomes a dispute.") % holder_name, self,
                reason_codes=True, text_label=tr("&Reason:"), text_required=True)
            if dialog.exec():
                step = cw.ReferralStep(kind, self.today, team_id=team, reason=dialog.reason(),
                                       reason_code=dialog.reason_code())
        elif kind is ReferralEventKind.REDIRECTED:
            dialog = StepDialog(tr("Redirect the referral"), tr(
                "Send the referral from %s to another team.") % holder_name, self,
                choice_label=tr("&To team:"), choices=self._teams(team),
                text_label=tr("&Why:"))
            if dialog.exec():
                step = cw.ReferralStep(kind, self.today, team_id=team,
                                       to_team_id=str(dialog.chosen()), reason=dialog.reason())
        elif kind is ReferralEventKind.ESCALATED:
            dialog = StepDialog(tr("Escalate to a panel"), tr(
                "Ask the panel to decide which team leads."), self,
                text_label=tr("&Why:"), text_required=True)
            if dialog.exec():
                step = cw.ReferralStep(kind, self.today, team_id=team, reason=dialog.reason())
        elif kind is ReferralEventKind.PANEL_DECISION:
            dialog = StepDialog(tr("Record the panel's decision"), tr(
                "Which team leads, as the panel decided."), self,
                choice_label=tr("&Lead team:"), choices=self._teams(),
                text_label=tr("&Decision:"), text_required=True)
            if dialog.exec():
                step = cw.ReferralStep(kind, self.today, team_id=str(dialog.chosen()),
                                       reason=dialog.reason())
        if step is not None:
            chosen = step
            self.act(lambda: cw.referral_step(self.store, referral, chosen, self.actor_id()))

    # -- case conference mode ----------------------------------------------------------------

    def toggle_conference(self) -> None:
        from careplan.ui.conference import ConferenceMode

        if self.conference is None:
            if not self._need_actor():
                return
            self.conference = ConferenceMode(self)
            self.conference.finished.connect(self._conference_closed)
            self.stack.addWidget(self.conference)
            self.stack.setCurrentWidget(self.conference)
            self.conference.start()
        else:
            self.conference.finish()

    def _conference_closed(self) -> None:
        if self.conference is not None:
            self.stack.removeWidget(self.conference)
            self.conference.deleteLater()
            self.conference = None
        self.stack.setCurrentWidget(self.normal)
        self.tabs.setCurrentWidget(self.conferences_tab)
        self.reload()

    def confirm_close(self) -> bool:
        """Leaving with a conference in progress saves it first (nothing is lost)."""
        if self.conference is not None:
            return bool(self.conference.finish())
        return True
