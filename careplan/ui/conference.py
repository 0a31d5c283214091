"""Case conference mode: large text for a projector, an agenda from the person's flags,
and quick keyboard capture of attendees, decisions and new actions.

Leaving the mode (F11 again, or End conference) saves one case conference record with
its attendees and decisions; the agreed actions, each with an owner and a due date, land
in the plan in the same transaction. The chair (whoever holds the conference) is always
an attendee. Closing the person (Ctrl+W) while something is captured but not saved asks
whether to save it, discard it or stay.
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Action, CaseConference
from careplan.models.enums import HandoffStatus
from careplan.models.referral_chain import bounce_chain
from careplan.store import casework as cw
from careplan.ui import text
from careplan.ui.datefield import PROBLEM_COLOUR, DateField
from careplan.ui.listmodels import ChoiceListModel
from careplan.ui.settings import CONFERENCE_POINT_SIZE, Settings

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace

#: A new action is due this many days after the conference unless the due date is changed.
DUE_IN_DAYS = 14

def agenda_for(ws: PersonWorkspace) -> list[str]:
    """Agenda items: the person's flags first, then what the record shows is unsettled."""
    pf, today, tr = ws.pf, ws.today, ws.tr
    items: list[str] = []
    if ws.flags:
        items += [f"{why}" for _, _, why in ws.flags.lines]
    if not items:
        d = pf.directory
        for r in pf.referrals:
            chain = bounce_chain(pf.referral_events.get(r.id, []))
            if chain.is_dispute and chain.resolved_on is None:
                items.append(tr("Referral in dispute for %s: %s") % (
                    text.days_text(chain.days_in_dispute(today)), r.summary))
        for h in pf.handoffs:
            if h.status is HandoffStatus.PROPOSED:
                items.append(tr("Handoff to %s waiting since %s") % (
                    d.professional_name(h.to_professional_id), text.fmt_date(h.proposed_at)))
        for s in pf.stays:
            if s.discharged_on is None and s.days_delayed(today):
                items.append(tr("Discharge delayed %s") % text.days_text(s.days_delayed(today)))
    items.append(tr("What matters to %s, in their words") % pf.person.given_name)
    items.append(tr("Actions: who does what by when"))
    return items


class AttendeesModel(ChoiceListModel):
    """The care team as a list to tick: who is at the case conference."""

    def __init__(self, rows: list[tuple[str, str]], present: set[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(rows, present, checkable=True, parent=parent)  # (label, id)

    def set_present(self, row: int, present: bool) -> None:
        self.set_checked(row, present)

    def present_ids(self) -> list[str]:
        """Ticked professionals, in the team's order."""
        return [str(pid) for pid in self.checked_values()]


class ConferenceMode(QWidget):
    finished = Signal()

    def __init__(self, ws: PersonWorkspace) -> None:
        super().__init__(ws)
        self.ws = ws
        self.started_at = ws.now()
        self.decisions: list[str] = []
        self.new_actions: list[Action] = []
        self.setAccessibleName(self.tr("Case conference mode"))
        size = Settings().get(CONFERENCE_POINT_SIZE)
        font = self.font()
        font.setPointSize(size)
        self.setFont(font)
        tr = self.tr

        self.title = QLabel()
        self.title.setWordWrap(True)
        self.agenda = QTextBrowser()
        self.agenda.setAccessibleName(tr("Agenda"))
        self.plan = QTextBrowser()
        self.plan.setAccessibleName(tr("The plan's open actions"))
        self.attendee_model = AttendeesModel([], set(), self)
        self.attendees = QListView()
        self.attendees.setModel(self.attendee_model)
        self.attendees.setAccessibleName(tr("Who is here (Space ticks)"))
        self.others = QLineEdit()
        self.others.setPlaceholderText(tr("Others here, e.g. Mother, Advocate"))
        self.others.setAccessibleName(tr("Others present"))
        self.decision = QLineEdit()
        self.decision.setPlaceholderText(tr("Type a decision and press Enter"))
        self.decision.setAccessibleName(tr("Decision"))
        self.decision.returnPressed.connect(self._add_decision)
        self.action_text = QLineEdit()
        self.action_text.setPlaceholderText(tr("New action for the owner on the right"))
        self.action_text.setAccessibleName(tr("New action"))
        self.action_text.returnPressed.connect(self._add_action)
        self.owner = QComboBox()
        self.owner.setAccessibleName(tr("Owner of the new action"))
        # Names only (agency in the tooltip), and never cut short at projector sizes.
        self.owner.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        due = ws.today + timedelta(days=DUE_IN_DAYS)
        self.due = DateField(tr("due date"), due, today=ws.today)
        self.due.edit.setAccessibleName(tr("Due date of the new action"))
        self.due.edit.setToolTip(tr("When the new action is due (two weeks from today unless "
                                    "changed), e.g. 15/11/2026"))
        self.due.edit.returnPressed.connect(self._add_action)
        # Why the due date is not one, below the line, as every date field says it.
        self.due_problem = QLabel()
        self.due_problem.setWordWrap(True)
        self.due_problem.setStyleSheet(f"color: {PROBLEM_COLOUR};")
        self.due_problem.setAccessibleName(tr("Problem with the due date"))
        self.due_problem.hide()
        self.due.problem.connect(self._say_due_problem)
        self.captured_model = QStringListModel(self)
        self.captured = QListView()
        self.captured.setModel(self.captured_model)
        self.captured.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.captured.setAccessibleName(tr("Decisions and actions agreed so far"))
        for lst in (self.attendees, self.captured):
            lst.setWordWrap(True)
            lst.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        end = QPushButton(tr("End conference and save (F11)"))
        end.clicked.connect(self.finish)

        grid = QGridLayout()
        grid.addWidget(self._label(tr("Agenda")), 0, 0)
        grid.addWidget(self._label(tr("Plan: open actions")), 0, 1)
        grid.addWidget(self.agenda, 1, 0)
        grid.addWidget(self.plan, 1, 1)
        grid.addWidget(self._label(tr("Decided and agreed today")), 2, 0)
        grid.addWidget(self._label(tr("Who is here")), 2, 1)
        grid.addWidget(self.captured, 3, 0)
        right = QVBoxLayout()
        right.addWidget(self.attendees, 1)
        right.addWidget(self.others)
        grid.addLayout(right, 3, 1)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(3, 2)
        capture = QHBoxLayout()
        capture.addWidget(self.decision, 3)
        capture.addWidget(self.action_text, 3)
        capture.addWidget(self.owner)
        capture.addWidget(QLabel(tr("due")))
        capture.addWidget(self.due)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(end, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addLayout(capture)
        layout.addWidget(self.due_problem)

    def _label(self, words: str) -> QLabel:
        label = QLabel(f"<b>{html.escape(words)}</b>")
        return label

    def start(self) -> None:
        team = [(label, str(pid)) for label, pid in self.ws.team_choices()[1:]]
        me = {self.ws.actor.id} if self.ws.actor is not None else set()
        chair = self.chair_id()
        if chair is not None and chair not in {pid for _, pid in team}:
            # The chair is there even when not on the person's care team.
            d = self.ws.pf.directory
            pro = d.professionals.get(chair)
            name = pro.name if pro else chair
            agency = d.agency_name(pro.agency_id) if pro else ""
            team.insert(0, (f"{name} ({agency})" if agency else name, chair))
        self.attendee_model = AttendeesModel(team, me, self)
        self.attendees.setModel(self.attendee_model)
        d = self.ws.pf.directory
        for label, pid in self.ws.team_choices():
            pro = d.professionals.get(pid or "")
            self.owner.addItem(pro.name if pro else label, pid)
            self.owner.setItemData(self.owner.count() - 1, label,
                                   Qt.ItemDataRole.ToolTipRole)
        self.show_file()
        self.decision.setFocus()

    def show_file(self) -> None:
        ws, tr = self.ws, self.tr
        p = ws.pf.person
        self.title.setText(
            f"<span style='font-size:150%'><b>{html.escape(p.name)}</b></span> — "
            + tr("case conference, %s") % text.fmt_datetime(self.started_at)
            + f"<br>{tr('What matters to me')}: <i>{html.escape(p.what_matters or '—')}</i>")
        self.agenda.setHtml("<ol>" + "".join(
            f"<li>{html.escape(item)}</li>" for item in agenda_for(ws)) + "</ol>")
        d = ws.pf.directory
        rows = []
        for a in sorted((a for a in ws.pf.actions if a.is_open),
                        key=lambda a: (a.due_date is None, a.due_date or ws.today)):
            owner = d.professional_name(a.owner_professional_id)
            who = html.escape(owner) if owner else \
                f"<span style='color:#b3261e'><b>{tr('nobody')}</b></span>"
            late = a.due_date is not None and a.due_date < ws.today
            due = text.fmt_date(a.due_date) or "—"
            due = f"<span style='color:#b3261e'><b>{due}</b></span>" if late else due
            rows.append(f"<li>{html.escape(a.description)} — {who}, {tr('due')} {due}</li>")
        self.plan.setHtml("<ul>" + "".join(rows) + "</ul>" if rows else tr("No open actions."))

    def _add_decision(self) -> None:
        words = self.decision.text().strip()
        if words:
            self.decisions.append(words)
            self._capture(self.tr("Decision: %s") % words)
            self.decision.clear()

    def due_date(self) -> date:
        """The due date typed for the new action.

        Raises:
            ValueError: naming the field, when it is not a date or is before today.
        """
        day = self.due.value()
        assert day is not None  # the field is not optional
        if day < self.ws.today:
            raise ValueError(f"{self.due.name}: {text.fmt_date(day)} is before today")
        return day

    def _add_action(self) -> None:
        words = self.action_text.text().strip()
        plan = self.ws.pf.plan
        if not words:
            return
        if plan is None:
            self.ws.refused(self.tr("action: this person has no care plan to add it to"))
            return
        try:
            due = self.due_date()
        except ValueError as exc:
            self._say_due_problem(str(exc))  # the action stays typed, to retry
            self.due.setFocus()
            return
        self._say_due_problem("")
        pid = self.owner.currentData()
        pro = self.ws.pf.directory.professionals.get(str(pid or ""))
        self.new_actions.append(Action(
            plan_id=plan.id, description=words, owner_professional_id=pro.id if pro else None,
            owner_agency_id=pro.agency_id if pro else None, due_date=due))
        self._capture(self.tr("Action: %s — %s, due %s") % (
            words, pro.name if pro else self.tr("unowned"), text.fmt_date(due)))
        self.action_text.clear()

    def _say_due_problem(self, problem: str) -> None:
        self.due_problem.setText(problem[:1].upper() + problem[1:])
        self.due_problem.setVisible(bool(problem))

    def _capture(self, line: str) -> None:
        self.captured_model.setStringList([*self.captured_model.stringList(), line])

    def chair_id(self) -> str | None:
        return self.ws.actor.id if self.ws.actor is not None else None

    def attendee_ids(self) -> list[str]:
        """Who was there: the chair first, always, then those ticked."""
        chair = self.chair_id()
        ticked = [pid for pid in self.attendee_model.present_ids() if pid != chair]
        return ([chair] if chair is not None else []) + ticked

    def unsaved(self) -> bool:
        """Whether anything captured (or typed and not yet entered) would be lost."""
        return bool(self.decisions or self.new_actions or self.decision.text().strip()
                    or self.action_text.text().strip())

    def confirm_leave(self) -> bool:
        """Closing the person (Ctrl+W) or the window: nothing captured closes the mode
        at once; otherwise ask — save the record, discard it, or stay. True once the
        mode is left (or its record is on its way to be saved)."""
        if not self.unsaved():
            self.finished.emit()
            return True
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Case conference not saved"),
                          self.tr("The case conference for %s is not saved yet. Save its "
                                  "record before closing?") % self.ws.pf.person.name,
                          buttons.Save | buttons.Discard | buttons.Cancel, self)
        box.setDefaultButton(buttons.Save)
        box.setInformativeText(self._unsaved_words())
        answer = box.exec()
        if answer == buttons.Save:
            return self.finish()
        if answer == buttons.Discard:
            self.finished.emit()
            return True
        return False

    def _unsaved_words(self) -> str:
        typed = self.decision.text().strip() or self.action_text.text().strip()
        words = self.tr("Captured so far: %s and %s.") % (
            self.tr("%n decision(s)", "", len(self.decisions)),
            self.tr("%n action(s)", "", len(self.new_actions)))
        return words + (self.tr(" Some typed text is not entered yet.") if typed else "")

    def finish(self) -> bool:
        """Save the record and leave the mode once it is saved; False if the user chose
        to stay."""
        self._add_decision()
        self._add_action()
        others = tuple(x.strip() for x in self.others.text().split(",") if x.strip())
        if not (self.decisions or self.new_actions):
            answer = QMessageBox.question(
                self, self.tr("Leave case conference mode"),
                self.tr("Nothing was decided. Leave without saving a case conference record?"))
            if answer != QMessageBox.StandardButton.Yes:
                return False
            self.finished.emit()
            return True
        ws = self.ws
        conference = CaseConference(
            person_id=ws.person_id, held_at=self.started_at,
            chair_id=self.chair_id(), attendee_ids=tuple(self.attendee_ids()),
            other_attendees=others, agenda=tuple(agenda_for(ws)),
            decisions=tuple(self.decisions), ended_at=max(ws.now(), self.started_at))
        plan, actions, actor = ws.pf.plan, list(self.new_actions), ws.actor_id()
        # The mode closes once the record is saved; if it is refused, it stays open with
        # everything captured, and says why.
        ws.submit(self.tr("Record the case conference"),
                  lambda s: cw.save_conference(s, conference, plan, actions, actor),
                  done=lambda _: self.finished.emit())
        return True
