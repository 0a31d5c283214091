"""Next step from a flag: under the "why" of the flag clicked in the person's header, a
button for each of its next steps (careplan.models.next_steps).

A step opens its tab of the workspace and starts its act there with the tab's own
control (the same button a user would press, so the same permission checks and the
same dialog): nothing here writes. Where the tab has no control for the act, or the
control needs a record chosen first, the tab opens and the bar says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from careplan.models.next_steps import Act, NextStep, Tab, next_steps

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace
    from careplan.ui.workspace.header import PersonHeader

#: The workspace attribute of each tab.
TAB_ATTR: dict[Tab, str] = {
    Tab.PLAN: "plan_tab",
    Tab.TEAM: "team_tab",
    Tab.HANDOFFS: "handoffs_tab",
    Tab.REFERRALS: "referrals_tab",
    Tab.TRANSITIONS: "transitions_tab",
    Tab.HEALTH: "health_tab",
    Tab.CONFERENCES: "conferences_tab",
    Tab.SOCIAL: "social_tab",
    Tab.FUNDING: "funding_tab",
    Tab.HISTORY: "history_tab",
}


def _referral_button(kind: str) -> Callable[[Any], QAbstractButton | None]:
    def find(tab: Any) -> QAbstractButton | None:
        return next((b for k, b in getattr(tab, "buttons", {}).items()
                     if getattr(k, "value", k) == kind), None)
    return find


def _open_stay_button(name: str) -> Callable[[Any], QAbstractButton | None]:
    """The stays tab's button ``name``, with the person's stay still in hospital chosen
    (the delayed one), so that its dialog opens on that stay."""
    def find(tab: Any) -> QAbstractButton | None:
        stays, view = getattr(tab, "stays", None), getattr(tab, "stays_view", None)
        if stays is not None and view is not None and not view.currentIndex().isValid():
            for row in range(stays.rowCount()):
                if stays.record(row).discharged_on is None:
                    view.setCurrentIndex(stays.index(row, 0))
                    break
        button = getattr(tab, name, None)
        return button if isinstance(button, QAbstractButton) else None
    return find


#: The tab's control that starts each act (a button attribute of the tab, or a finder).
CONTROL: dict[Act, str | Callable[[Any], QAbstractButton | None]] = {
    Act.ADD_TEAM_MEMBER: "add_member",
    Act.MAKE_LEAD: "make_lead",
    Act.RECORD_CONSENT: "record_consent",
    Act.WITHDRAW_HANDOFF: "withdraw",
    Act.ESCALATE_REFERRAL: _referral_button("escalated"),
    Act.SIGN_PLAN: "sign_button",
    Act.CHANGE_STAY: "edit_stay",
    Act.ADD_DELAY_REASON: _open_stay_button("reason_button"),
    Act.OFFER_CARER_ASSESSMENT: "offer",
    Act.DECIDE_SAFEGUARDING: "decide",
    Act.RECORD_CHC_DECISION: "decide",
    Act.RECORD_AFTERCARE: "add_aftercare",
}

#: What the bar says when a step's tab has no control for its act (and the step no note).
NO_CONTROL: dict[Act, str] = {
    Act.REMIND_HANDOFF: "CarePlan sends no messages: call or email the professional the "
                        "handoff is addressed to; its row names them and the day to answer "
                        "by.",
    Act.GIVE_ACTION_OWNER: "Double-click the Owner cell of the action that has none and "
                           "choose a member of the care team.",
}


def take(ws: PersonWorkspace, step: NextStep) -> str:
    """Open ``step``'s tab and start its act; returns what to tell the user ("" when the
    act's own dialog or control says it all)."""
    tab = getattr(ws, TAB_ATTR[step.tab])
    ws.show_tab(tab)
    if step.act is Act.HOLD_CONFERENCE:
        ws.toggle_conference()
        return step.note
    if step.act is Act.REVIEW_EMERGENCY_ACCESS:
        from careplan.ui import emergency

        emergency.offer_review(ws, "break-glass")
        return step.note
    if step.act is Act.DECIDE_CONFLICT:
        from careplan.ui import conflicts

        conflicts.offer(ws, "sync-conflict")
        return step.note
    found = CONTROL.get(step.act)
    control = found(tab) if callable(found) else getattr(tab, found, None) if found else None
    if isinstance(control, QAbstractButton):
        if control.isEnabled():
            control.click()
            return step.note
        why = control.toolTip() or "Choose the record in this tab first."
        name = control.text().replace("&", "")
        return f"“{name}” is not available now. {why}"
    return step.note or NO_CONTROL.get(step.act, "")


class NextStepBar(QWidget):
    """The buttons of one flag's next steps, and what the last step taken said."""

    def __init__(self, ws: PersonWorkspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.code = ""
        self.buttons: list[QPushButton] = []
        self.said = QLabel()
        self.said.setWordWrap(True)
        self.said.setAccessibleName(self.tr("About the next step"))
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.hide()

    def show_code(self, code: str) -> None:
        """Offer the next steps of the flag ``code`` (hidden when it has none)."""
        for b in self.buttons:
            b.deleteLater()
        self.buttons = []
        while self.row.count():
            self.row.takeAt(0)
        self.code = code
        self.said.clear()
        steps = next_steps(code)
        if steps:
            self.row.addWidget(QLabel(self.tr("Next step:")))
        for step in steps:
            button = QPushButton(step.label)
            button.setAccessibleName(self.tr("Next step: %s") % step.label)
            button.setToolTip(self.tr("Opens %s") % step.tab.value)
            button.clicked.connect(lambda _=False, s=step: self.take(s))
            self.buttons.append(button)
            self.row.addWidget(button)
        self.row.addWidget(self.said, 1)
        self.setVisible(bool(steps))

    def take(self, step: NextStep) -> str:
        said = take(self.ws, step)
        self.said.setText(said)
        return said


def hook(header: PersonHeader, ws: PersonWorkspace) -> NextStepBar:
    """Put the bar under the header's "why" and show the steps of each flag clicked."""
    bar = NextStepBar(ws, header)
    layout = header.layout()
    assert isinstance(layout, QBoxLayout)
    layout.insertWidget(layout.indexOf(header.why) + 1, bar)
    header.flag_opened.connect(bar.show_code)
    return bar


__all__ = ["CONTROL", "NO_CONTROL", "TAB_ATTR", "NextStepBar", "hook", "take"]
