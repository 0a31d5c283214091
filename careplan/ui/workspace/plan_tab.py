"""The Plan tab: what matters to the person, needs, outcomes and actions, sign-offs.

The tables show the plan as its records are now. Above them: the version in force (the
last issued) and who has signed it; the draft of the next version, if the plan's signed
content has changed since (careplan.models.plan_versions), with its changes listed; and
what the version in force changed from the one before. Progress (an action's status, an
outcome's achievement) is saved as it is, touching neither version nor signatures.
"Issue version N+1 for sign-off…" issues the draft once its changes are confirmed.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Action, ActionNeed, Need, Outcome
from careplan.models import permissions as rules
from careplan.models.enums import ActionStatus, OutcomeStatus
from careplan.models.plan import needs_by_action, needs_met
from careplan.models.plan_versions import (
    NEED,
    Namer,
    PlanChange,
    VersionState,
    being_written,
    describe,
    make_namer,
    signed_content,
    version_state,
)
from careplan.store import casework as cw
from careplan.store.casework import PlanItem, save_plan_item
from careplan.store.plan_versions import issue_version
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace import edits
from careplan.ui.workspace.forms import RecordForm
from careplan.ui.workspace.tab_base import WorkspaceTab, permit
from careplan.ui.workspace.tables import record_table


class PlanTab(WorkspaceTab):
    SHOWS = frozenset({"persons", "care_plans", "needs", "outcomes", "actions", "action_needs",
                       "plan_signoffs", "plan_versions", "care_team_members",
                       "professionals", "agencies"})
    #: Changes listed on the tab before "and N more" (the issue dialog lists them all).
    LISTED = 8

    def build(self) -> None:
        ws = self.ws
        tr = self.tr
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAccessibleName(tr("Plan version, status and sign-offs"))
        self.sign_button = QPushButton(tr("&Sign this version"))
        self.sign_button.clicked.connect(self.sign)
        self.issue_button = QPushButton(tr("&Issue the draft for sign-off…"))
        self.issue_button.clicked.connect(self.issue)
        self.versions = QLabel()
        self.versions.setWordWrap(True)
        self.versions.setTextFormat(Qt.TextFormat.RichText)
        self.versions.setAccessibleName(tr("Changes not yet issued, and what the version "
                                           "in force changed"))
        self.state: VersionState | None = None
        #: The further needs each action meets, by action id (read at each fill).
        self._links: dict[str, list[ActionNeed]] = {}
        #: The form of the last "Needs it meets…" (tests fill it).
        self.needs_form: RecordForm | None = None
        #: The care team today, as the permission rules see it (read at each fill).
        self.team = rules.CareTeam()
        self.matters = QLabel()
        self.matters.setWordWrap(True)
        self.matters.setAccessibleName(tr("What matters to me"))

        plan_locked = self._plan_locked
        action_locked = self._action_locked
        self.need_model = RecordTableModel[Need]([
            Column(tr("Need"), lambda n: n.description,
                   edit=lambda n, v: n.evolve(description=str(v)), tooltip=self._draft_note,
                   locked=plan_locked),
            Column(tr("Domain"), lambda n: n.domain.value),
            Column(tr("Actions that meet it"), self._actions_of_text,
                   tooltip=self._actions_of_tip, alert=lambda n: not self._actions_of(n)),
        ], self)
        self.outcome_model = RecordTableModel[Outcome]([
            Column(tr("Outcome, in the person's words"), lambda o: o.description,
                   edit=lambda o, v: o.evolve(description=str(v)), tooltip=self._draft_note,
                   locked=plan_locked),
            Column(tr("Target date"), lambda o: text.fmt_date(o.target_date),
                   raw=lambda o: text.fmt_date(o.target_date),
                   edit=lambda o, v: o.evolve(
                       target_date=text.parse_date(str(v), "target date")),
                   locked=plan_locked),
            Column(tr("Achieved?"), lambda o: o.achievement.value,
                   raw=lambda o: o.achievement.value,
                   choices=lambda o: [(s.value, s.value) for s in OutcomeStatus],
                   edit=lambda o, v: o.evolve(achievement=v), locked=plan_locked),
        ], self)
        self.action_model = RecordTableModel[Action]([
            Column(tr("Action"), lambda a: a.description,
                   edit=lambda a, v: a.evolve(description=str(v)), tooltip=self._draft_note,
                   locked=action_locked),
            Column(tr("Owner"), self._owner_text, raw=lambda a: a.owner_professional_id,
                   choices=lambda a: self.ws.team_choices(), edit=self._set_owner,
                   alert=lambda a: a.is_open and not a.owner_professional_id,
                   tooltip=lambda a: "" if a.owner_professional_id
                   else self.tr("Nobody owns this action"), locked=action_locked),
            Column(tr("Agency"), lambda a: self.ws.pf.directory.agency_name(a.owner_agency_id)),
            Column(tr("Due"), lambda a: text.fmt_date(a.due_date),
                   raw=lambda a: text.fmt_date(a.due_date),
                   edit=lambda a, v: a.evolve(due_date=text.parse_date(str(v), "due date")),
                   alert=lambda a: bool(a.is_open and a.due_date and a.due_date < ws.today),
                   locked=action_locked),
            Column(tr("Status"), lambda a: a.status.value, raw=lambda a: a.status.value,
                   choices=lambda a: [(s.value, s.value) for s in ActionStatus],
                   edit=lambda a, v: a.evolve(status=v), locked=self._status_locked),
            # Last, so that the columns before it keep their places.
            Column(tr("Meets needs"), self._needs_text, tooltip=self._needs_text),
        ], self)
        for model in (self.need_model, self.outcome_model, self.action_model):
            model.on_edit = self._edited
            model.on_error = ws.refused
        self.needs_view = record_table(self.need_model, tr("Needs"))
        self.outcomes_view = record_table(self.outcome_model, tr("Outcomes"))
        self.actions_view = record_table(self.action_model, tr("Actions"))
        self.actions_view.selectionModel().currentRowChanged.connect(
            lambda *_: self._enable_hand_over())

        self.add_action = QPushButton(tr("&Add action"))
        self.add_action.clicked.connect(self.new_action)
        self.hand_over = QPushButton(tr("&Hand over action…"))
        self.hand_over.clicked.connect(self._hand_over)
        self.choose_needs = QPushButton(tr("Needs it &meets…"))
        self.choose_needs.clicked.connect(lambda: self.set_needs(self.current_action()))
        QShortcut(QKeySequence("Ins"), self.actions_view, self.new_action)

        top = QHBoxLayout()
        texts = QVBoxLayout()
        texts.addWidget(self.summary)
        texts.addWidget(self.versions)
        top.addLayout(texts, 1)
        acts = QVBoxLayout()
        acts.addWidget(self.sign_button)
        acts.addWidget(self.issue_button)
        acts.addStretch(1)
        top.addLayout(acts, 0)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_action)
        buttons.addWidget(self.choose_needs)
        buttons.addWidget(self.hand_over)
        buttons.addStretch(1)
        hint = QLabel(tr("Double-click or press F2 to change a cell; Ctrl+Z undoes."))
        hint.setEnabled(False)
        buttons.addWidget(hint)

        self.add_need = QPushButton(tr("Add &need…"))
        self.add_need.clicked.connect(lambda: edits.add_need(ws))
        self.add_outcome = QPushButton(tr("Add ou&tcome…"))
        self.add_outcome.clicked.connect(lambda: edits.add_outcome(ws))

        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(_titled(tr("Needs"), self.needs_view, _row(self.add_need)))
        split.addWidget(_titled(tr("Outcomes — what matters to me"), self.outcomes_view,
                                _row(self.add_outcome)))
        split.addWidget(_titled(tr("Actions"), self.actions_view, buttons))
        split.setStretchFactor(2, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.matters)
        layout.addWidget(split, 1)

    # -- who may change what (careplan.models.permissions) -----------------------------------

    # The cells ask these each time they are drawn: the care team is read once a fill.

    def _plan_locked(self, _item: Need | Outcome) -> str:
        return rules.change_plan(self.ws.who, self.team, self.ws.pf.directory).reason

    def _action_locked(self, action: Action) -> str:
        return rules.change_action(self.ws.who, action, self.team,
                                   self.ws.pf.directory).reason

    def _status_locked(self, action: Action) -> str:
        return rules.change_action_status(self.ws.who, action, self.team,
                                          self.ws.pf.directory).reason

    def _enable_hand_over(self) -> None:
        action = self.current_action()
        permit(self.hand_over, rules.change_action(
            self.ws.who, action, self.team, self.ws.pf.directory, "hand over this action")
            if action is not None else rules.ALLOWED)
        permit(self.choose_needs, rules.change_action(
            self.ws.who, action, self.team, self.ws.pf.directory)
            if action is not None else rules.ALLOWED,
            possible=action is not None and bool(self.ws.pf.needs))

    # -- which needs each action meets (careplan.models.plan.needs_met) --------------------

    def needs_of(self, action: Action) -> list[Need]:
        """The plan's needs ``action`` meets, in the plan's order."""
        pf = self.ws.pf
        met = needs_met(action, self._links.get(action.id, ()))
        return [n for n in pf.needs if n.id in met]

    def _needs_text(self, action: Action) -> str:
        return "; ".join(n.description for n in self.needs_of(action)) or self.tr("—")

    def _actions_of(self, need: Need) -> list[Action]:
        return [a for a in self.ws.pf.actions
                if need.id in needs_met(a, self._links.get(a.id, ()))]

    def _actions_of_text(self, need: Need) -> str:
        found = self._actions_of(need)
        if not found:
            return self.tr("No actions yet")
        return "; ".join(a.description for a in found)

    def _actions_of_tip(self, need: Need) -> str:
        found = self._actions_of(need)
        if not found:
            return self.tr("No action meets this need yet: choose an action and “Needs it "
                           "meets…”.")
        return "\n".join(f"• {a.description}" for a in found)

    def set_needs(self, action: Action | None) -> bool:
        """Ask which of the plan's needs ``action`` meets, and save them (undoable)."""
        ws = self.ws
        if action is None:
            ws.refused(self.tr("action: choose the action first"))
            return False
        if not ws.require_actor():
            return False
        allowed = rules.change_action(ws.who, action, self.team, ws.pf.directory)
        if not allowed:
            ws.refused(allowed.reason)
            return False
        if not ws.pf.needs:
            ws.refused(self.tr("needs: this plan has no needs yet; add one first"))
            return False
        chosen = {n.id for n in self.needs_of(action)}

        def build(f: RecordForm) -> frozenset[str]:
            return frozenset(str(i) for i in f.checked("needs"))

        form = RecordForm(self.tr("Needs this action meets"), self.tr(
            "“%s” meets the needs ticked. An action can meet several needs; the plan and "
            "the joint plan list it under each.") % action.description, build, ws)
        listed = form.add_checklist(
            "needs", self.tr("&Needs:"),
            [(f"{need.description} ({need.domain.value})", need.id) for need in ws.pf.needs],
            checked=chosen)
        listed.setAccessibleName(self.tr("Needs this action meets"))
        form.finish()
        self.needs_form = form
        actor = ws.actor_id()
        return ws.ask(form, self.tr("Change the needs an action meets"),
                      lambda ids: lambda s: cw.set_action_needs(s, action, ids, actor))

    def _owner_text(self, action: Action) -> str:
        return self.ws.pf.directory.professional_name(action.owner_professional_id) \
            or self.tr("— unowned —")

    def _set_owner(self, action: Action, professional_id: Any) -> Action:
        pro = self.ws.pf.directory.professionals.get(str(professional_id or ""))
        return action.evolve(owner_professional_id=pro.id if pro else None,
                             owner_agency_id=pro.agency_id if pro else None)

    def _hand_over(self) -> None:
        index = self.actions_view.currentIndex()
        if not index.isValid():
            self.ws.refused(self.tr("action: choose the action to hand over first"))
            return
        self.ws.handoffs_tab.propose_handoff(self.action_model.record(index.row()))

    # -- edits ---------------------------------------------------------------------------

    def _edited(self, old: PlanItem, new: PlanItem, what: str) -> bool:
        """A cell changed in one of the tables: save the record (undoable)."""
        if not self.ws.require_actor():
            return False
        actor = self.ws.actor_id()
        self.ws.submit(self.tr("Change %s of %s") % (what.lower(), old.NOUN),
                       lambda s: save_plan_item(s, new, actor))
        return True

    def new_action(self) -> None:
        """Add an action owned by whoever adds it (when in the team), due in 14 days, and
        open its description for typing once it is saved."""
        ws = self.ws
        if not ws.require_actor():
            return
        plan = ws.pf.plan
        if plan is None:
            ws.refused(self.tr("action: this person has no care plan yet"))
            return
        allowed = rules.change_plan(ws.who, self.team, ws.pf.directory)
        if not allowed:
            ws.refused(allowed.reason)
            return
        assert ws.actor is not None
        in_team = any(pid == ws.actor.id for _, pid in ws.team_choices())
        action = Action(plan_id=plan.id, description=self.tr("New action — describe it"),
                        owner_professional_id=ws.actor.id if in_team else None,
                        owner_agency_id=ws.actor.agency_id if in_team else None,
                        due_date=ws.today + timedelta(days=14))
        actor = ws.actor_id()
        ws.submit(self.tr("Add action"), lambda s: save_plan_item(s, action, actor),
                  done=lambda _: self._start_typing(action.id))

    def _start_typing(self, action_id: str) -> None:
        self.ws.show_tab(self)
        view, model = self.actions_view, self.action_model
        for row, record in enumerate(model.records):
            if record.id == action_id:
                view.setCurrentIndex(model.index(row, 0))
                view.edit(model.index(row, 0))

    def sign(self) -> None:
        """Sign the plan's current version for the signer's agency, once confirmed."""
        ws = self.ws
        plan = ws.pf.plan
        if plan is None or not ws.require_actor():
            return
        assert ws.actor is not None
        agency = ws.pf.directory.agency_name(ws.actor.agency_id)
        question = self.tr("Sign version %d of %s's plan for %s?") % (
            plan.plan_version, ws.pf.person.name, agency)
        if self.state is not None and self.state.draft:
            question += "\n\n" + self.tr(
                "The plan has changes not yet issued (the draft of version %d); they are "
                "not part of what you sign.") % self.state.draft_number
        answer = QMessageBox.question(self, self.tr("Sign the plan"), question)
        if answer != QMessageBox.StandardButton.Yes:
            return
        actor, at = ws.actor, ws.now()
        ws.submit(self.tr("Sign version %d of the plan") % plan.plan_version,
                  lambda s: cw.sign_plan(s, plan, actor, at))

    def issue(self) -> None:
        """Issue the draft as the next version, once its changes are confirmed."""
        ws = self.ws
        plan, state = ws.pf.plan, self.state
        if plan is None or state is None or not ws.require_actor():
            return
        if not state.draft:
            ws.refused(self.tr("plan: nothing the agencies sign has changed since version "
                               "%d, so there is no new version to issue") % state.number)
            return
        changes = [describe(c, self._namer(state)) for c in state.draft]
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Issue a new version"),
                          self.tr("Issue version %d of %s's plan for sign-off?") % (
                              state.draft_number, ws.pf.person.name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self)
        shown = changes[:15]
        more = len(changes) - len(shown)
        box.setInformativeText(
            self.tr("It replaces version %d, and each agency in the care team is asked to "
                    "sign it. Signatures on version %d are kept.") % (
                        state.number, state.number)
            + "\n\n" + self.tr("Changes from version %d:") % state.number + "\n"
            + "\n".join(f"• {c}" for c in shown)
            + ("\n" + self.tr("… and %d more (Show Details)") % more if more else ""))
        box.setDetailedText("\n".join(changes))
        box.setDefaultButton(QMessageBox.StandardButton.No)
        if box.exec() != QMessageBox.StandardButton.Yes:
            return
        actor, at, expected = ws.actor_id(), ws.now(), state.draft
        ws.submit(self.tr("Issue version %d of the plan") % state.draft_number,
                  lambda s: issue_version(s, plan, actor, at, expected))

    def _namer(self, state: VersionState) -> Namer:
        pf = self.ws.pf
        needs = {i.id: i.label for i in state.in_force if i.kind == NEED}
        needs.update({n.id: n.description for n in pf.needs})
        return make_namer(pf.directory.professional_name, pf.directory.agency_name,
                          lambda need_id: needs.get(need_id, ""), text.fmt_date)

    def _draft_note(self, record: PlanItem) -> str:
        state = self.state
        if state is None:
            return ""
        change = next((c for c in state.draft if c.id == record.id), None)
        if change is None:
            return ""
        return self.tr("Not yet issued: %s (draft of version %d)") % (
            describe(change, self._namer(state)), state.draft_number)

    def _versions_text(self, state: VersionState, writing: bool) -> str:
        tr = self.tr
        name = self._namer(state)
        if writing:
            return tr("Version %d is still being written: changes are part of it until an "
                      "agency signs it.") % state.number

        def listed(changes: tuple[PlanChange, ...]) -> str:
            items = "".join(f"<li>{html.escape(describe(c, name))}</li>"
                            for c in changes[:self.LISTED])
            more = len(changes) - self.LISTED
            return f"<ul style='margin:0'>{items}</ul>" + (
                tr("… and %d more") % more if more > 0 else "")

        if state.draft:
            out = (tr("<b>Draft of version %d</b>: %s not yet issued for sign-off; version "
                      "%d stays in force until it is.") % (
                state.draft_number, _count(len(state.draft)), state.number) + listed(state.draft))
        else:
            out = tr("No changes since version %d was issued.") % state.number
        if state.since_previous:
            out += (tr("<b>What version %d changed</b> from version %d:") % (
                state.number, state.number - 1) + listed(state.since_previous))
        return out

    def _size_sections(self) -> None:
        """Needs and outcomes get the height of their rows; actions get the rest."""
        line = self.fontMetrics().height() + 10
        button = self.add_need.sizeHint().height() + 6
        needs = (min(self.need_model.rowCount(), 6) + 2) * line + button
        outcomes = (min(self.outcome_model.rowCount(), 6) + 2) * line + button
        self.split.setSizes([needs, outcomes, max(4 * line, 3000)])

    def current_action(self) -> Action | None:
        index = self.actions_view.currentIndex()
        return self.action_model.record(index.row()) if index.isValid() else None

    def fill(self) -> None:
        pf, tr = self.ws.pf, self.tr
        plan = pf.plan
        self.team = self.ws.care_team()
        # First: the tables' tooltips say which records the draft changes.
        state = self.state = None if plan is None else version_state(
            plan, pf.versions, signed_content(pf.person.what_matters, pf.needs,
                                              pf.outcomes, pf.actions, pf.action_needs))
        matters = html.escape(pf.person.what_matters) or tr("not recorded yet")
        self.matters.setText(tr("<b>What matters to me:</b> %s") % matters)
        self._links = needs_by_action(pf.action_needs)
        self.need_model.set_records(pf.needs)
        self.outcome_model.set_records(pf.outcomes)
        self.action_model.set_records(sorted(
            pf.actions, key=lambda a: (not a.is_open, a.due_date is None, a.due_date or 0)))
        self._size_sections()
        ws = self.ws
        team, d = self.team, pf.directory
        for button in (self.add_need, self.add_outcome, self.add_action):
            permit(button, rules.change_plan(ws.who, team, d), possible=plan is not None)
        self._enable_hand_over()
        if plan is None or state is None:
            self.summary.setText(tr("No care plan yet."))
            self.versions.setText("")
            self.sign_button.setEnabled(False)
            self.issue_button.setEnabled(False)
            return
        signed = [s for s in pf.signoffs if s.plan_version == plan.plan_version]
        signed_agencies = {s.agency_id for s in signed}
        team_agencies = {pf.directory.professionals[m.professional_id].agency_id
                         for m in pf.team if m.active_on(self.ws.today)
                         and m.professional_id in pf.directory.professionals}
        unsigned = sorted(pf.directory.agency_name(a) for a in team_agencies - signed_agencies)
        signed_text = ", ".join(
            f"{pf.directory.agency_name(s.agency_id)} "
            f"({pf.directory.professional_name(s.signed_by)}, {text.fmt_date(s.signed_at)})"
            for s in signed) or tr("nobody yet")
        review = plan.review_date
        review_text = text.fmt_date(review) or tr("not set")
        if review and review < self.ws.today:
            review_text = f"<span style='color:#b3261e'><b>{review_text}</b></span>"
        started = plan.current_version_start
        since = tr("in force since %s") % text.fmt_date(started) if started \
            else tr("not in force yet")
        self.summary.setText(
            tr("<b>Plan version %d</b> %s · %s · review due %s<br>Signed for version %d: %s")
            % (plan.plan_version, since, plan.status.value, review_text, plan.plan_version,
               signed_text)
            + ("<br>" + tr("Not yet signed by: %s") % ", ".join(unsigned) if unsigned else ""))
        writing = not state.recorded and being_written(plan, pf.signoffs)
        self.versions.setText(self._versions_text(state, writing))
        actor = self.ws.actor
        mine = actor is not None and actor.agency_id in signed_agencies
        permit(self.sign_button, rules.sign_plan(ws.who, actor.agency_id, team, d)
               if actor is not None else rules.ALLOWED, possible=actor is not None and not mine)
        self.sign_button.setText(
            tr("Signed for your agency") if mine else tr("&Sign version %d") % plan.plan_version)
        permit(self.issue_button, rules.issue_version(ws.who, team, d),
               possible=actor is not None and plan.is_open and bool(state.draft))
        self.issue_button.setText(tr("&Issue version %d for sign-off…") % state.draft_number)


def _count(n: int) -> str:
    return "1 change" if n == 1 else f"{n} changes"


def _row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def _titled(title: str, widget: QWidget, below: QHBoxLayout | None = None) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 4, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    label.setBuddy(widget)
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    if below is not None:
        layout.addLayout(below)
    return box
