"""The person workspace driven through real widgets; the store and audit trail checked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QDialog, QLineEdit, QMessageBox
from ui_helpers import settle, switch_user, when_modal

from careplan.models import Action, CarePlan, Handoff, PlanSignOff, Referral, ReferralEvent
from careplan.models.enums import (
    ActionStatus,
    HandoffStatus,
    ReferralEventKind,
    ReferralStatus,
)
from careplan.models.referral_chain import bounce_chain
from careplan.store import find, get, update
from careplan.store.audit import events_for
from careplan.ui.workspace import PersonWorkspace
from careplan.ui.workspace.dialogs import StepDialog


@pytest.fixture
def setup(signed_in_world):  # type: ignore[no-untyped-def]
    win, world, other, _ = signed_in_world("sam_social")
    return win, world, other


def _action_row(ws: PersonWorkspace, action_id: str) -> int:
    records = ws.plan_tab.action_model.records
    return next(n for n, a in enumerate(records) if a.id == action_id)


def test_edit_action_status_inline_then_undo_and_redo(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    model, view = ws.plan_tab.action_model, ws.plan_tab.actions_view
    index = model.index(_action_row(ws, world.teen_action), 4)
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.indexWidget(index) or view.focusWidget()
    editor.setCurrentIndex(editor.findData("in progress"))
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    assert model.record(_action_row(ws, world.teen_action)).status is \
        ActionStatus.IN_PROGRESS  # shown at once, while the writer saves it
    settle(win)
    assert get(other, Action, world.teen_action).status is ActionStatus.IN_PROGRESS
    assert events_for(other, "actions", world.teen_action)[-1].actor == world.sam_social
    win.act_undo.trigger()
    settle(win)
    assert get(other, Action, world.teen_action).status is ActionStatus.NOT_STARTED
    win.act_redo.trigger()
    settle(win)
    assert get(other, Action, world.teen_action).status is ActionStatus.IN_PROGRESS
    assert len(events_for(other, "actions", world.teen_action)) == 4  # created + 3 writes


def test_bad_date_is_refused_naming_the_field(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))
    index = ws.plan_tab.action_model.index(_action_row(ws, world.teen_action), 3)
    assert not ws.plan_tab.action_model.setData(index, "31 Feb 2025")
    qtbot.waitUntil(lambda: bool(seen))
    assert seen[0].startswith("Due date:")
    assert len(events_for(other, "actions", world.teen_action)) == 1


def test_stale_write_is_reported_and_reloaded(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    action = get(other, Action, world.teen_action)
    update(other, action.evolve(description="Changed in another window"), world.dr_shah)
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))
    index = ws.plan_tab.action_model.index(_action_row(ws, world.teen_action), 0)
    ws.plan_tab.action_model.setData(index, "My edit")
    settle(win)
    qtbot.waitUntil(lambda: bool(seen))
    assert "changed by Dr Asha Shah" in seen[0]
    assert get(other, Action, world.teen_action).description == "Changed in another window"
    qtbot.waitUntil(lambda: ws.plan_tab.action_model.record(
        _action_row(ws, world.teen_action)).description == "Changed in another window")
    row = _action_row(ws, world.teen_action)
    assert ws.plan_tab.action_model.record(row).description == "Changed in another window"
    assert win.undo_group.activeStack().count() == 0


def test_sign_version_then_edit_makes_a_draft_of_the_next(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    when_modal(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    qtbot.mouseClick(ws.plan_tab.sign_button, Qt.MouseButton.LeftButton)
    settle(win)
    signed = find(other, PlanSignOff, plan_id=world.teen_plan)
    assert [(s.agency_id, s.plan_version) for s in signed] == [(world.children, 1)]
    assert not ws.plan_tab.sign_button.isEnabled()
    index = ws.plan_tab.action_model.index(_action_row(ws, world.teen_action), 0)
    ws.plan_tab.action_model.setData(index, "Care Act assessment by May")
    settle(win)
    # Version 1 stays in force with its signature; the change waits in the draft.
    assert get(other, CarePlan, world.teen_plan).plan_version == 1
    assert len(find(other, PlanSignOff, plan_id=world.teen_plan)) == 1
    qtbot.waitUntil(ws.plan_tab.issue_button.isEnabled)
    assert ws.plan_tab.issue_button.text() == "&Issue version 2 for sign-off…"
    assert ws.plan_tab.sign_button.text() == "Signed for your agency"


def test_add_action_then_undo_removes_it(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """Undoing an addition removes the record, as for every kind of record; the audit
    trail keeps its creation and its removal."""
    win, world, other = setup
    ws = win.open_person(world.teen)
    qtbot.mouseClick(ws.plan_tab.add_action, Qt.MouseButton.LeftButton)
    settle(win)  # saved, then its description opens for typing
    editors = ws.plan_tab.actions_view.findChildren(QLineEdit)
    assert len(editors) == 1
    editor = editors[0]
    editor.setText("Book the transition review")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next loop turn

    def descriptions() -> dict[str, Action]:
        return {a.description: a for a in find(other, Action, plan_id=world.teen_plan)}

    qtbot.waitUntil(lambda: ws.undo_stack.count() == 2)
    settle(win)
    actions = descriptions()
    added = actions["Book the transition review"]
    assert added.owner_professional_id == world.sam_social
    win.act_undo.trigger()  # the description change
    win.act_undo.trigger()  # the addition
    settle(win)
    assert added.id not in {a.id for a in find(other, Action, plan_id=world.teen_plan)}
    assert [bool(e.after.get("deleted")) for e in events_for(other, "actions", added.id)] \
        == [False, False, False, True]


def _fill_step(choice: object = None, reason: str = "") -> None:
    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, StepDialog)
        if choice is not None and dialog.choice is not None:
            dialog.choice.setCurrentIndex(dialog.choice.findData(choice))
        if dialog.text is not None:
            dialog.text.setPlainText(reason)
        dialog._check()

    when_modal(fill)


def test_propose_and_accept_a_handoff(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    # One handoff of this action is already waiting: answer it first (decline), then
    # propose it again to the GP and have it accepted. Each answers as themselves.
    switch_user(qtbot, win, world.nina_nurse)
    ws = win.open_person(world.teen)
    ws.plan_tab.actions_view.selectRow(_action_row(ws, world.teen_action))
    ws.tabs.setCurrentWidget(ws.handoffs_tab)
    assert "1 handoff is waiting" in ws.handoffs_tab.waiting.text()
    _fill_step(reason="Not adult social care until the assessment is done")
    qtbot.mouseClick(ws.handoffs_tab.decline, Qt.MouseButton.LeftButton)
    settle(win)
    assert get(other, Handoff, world.handoff).status is HandoffStatus.DECLINED

    switch_user(qtbot, win, world.sam_social)
    ws = win.open_person(world.teen)
    ws.tabs.setCurrentWidget(ws.plan_tab)
    ws.plan_tab.actions_view.selectRow(_action_row(ws, world.teen_action))
    _fill_step(choice=world.dr_shah, reason="GP to lead the health check")
    qtbot.mouseClick(ws.plan_tab.hand_over, Qt.MouseButton.LeftButton)
    settle(win)
    proposed = [h for h in find(other, Handoff, person_id=world.teen)
                if h.status is HandoffStatus.PROPOSED]
    assert len(proposed) == 1 and proposed[0].to_professional_id == world.dr_shah
    assert ws.tabs.currentWidget() is ws.handoffs_tab

    switch_user(qtbot, win, world.dr_shah)
    ws = win.open_person(world.teen)
    ws.tabs.setCurrentWidget(ws.handoffs_tab)
    ws.handoffs_tab.view.selectRow(0)
    qtbot.mouseClick(ws.handoffs_tab.accept, Qt.MouseButton.LeftButton)
    settle(win)
    assert get(other, Handoff, proposed[0].id).status is HandoffStatus.ACCEPTED
    action = get(other, Action, world.teen_action)
    assert (action.owner_professional_id, action.owner_agency_id) == (world.dr_shah, world.gp)
    assert events_for(other, "handoffs", proposed[0].id)[-1].actor == world.dr_shah


def test_decline_and_redirect_a_referral_until_it_is_a_dispute(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    switch_user(qtbot, win, world.carl_cpn)
    ws = win.open_person(world.dual)
    tab = ws.referrals_tab
    ws.tabs.setCurrentWidget(tab)
    assert tab.current().id == world.dual_referral
    assert "In dispute for 52 days" in tab.caption.text()
    _fill_step(reason="The learning disability is the primary need")
    qtbot.mouseClick(tab.buttons[ReferralEventKind.DECLINED], Qt.MouseButton.LeftButton)
    settle(win)
    _fill_step(choice=world.ld_team, reason="Back to the LD team")
    qtbot.mouseClick(tab.buttons[ReferralEventKind.REDIRECTED], Qt.MouseButton.LeftButton)
    settle(win)
    referral = get(other, Referral, world.dual_referral)
    assert referral.status is ReferralStatus.REDIRECTED
    chain = bounce_chain(find(other, ReferralEvent, referral_id=world.dual_referral))
    assert chain.declines == 3 and chain.is_dispute
    assert [h.holder for h in chain.holdings][-2:] == [world.mh_team, world.ld_team]
    assert tab.chain.chain == chain
    assert "declined 3 times" in tab.caption.text()


def test_every_tab_fills_and_history_shows_the_audit_trail(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.older)
    for i in range(ws.tabs.count()):
        ws.tabs.setCurrentIndex(i)
    assert ws.transitions_tab.stays.index(0, 5).data() == "9"
    assert ws.transitions_tab.reasons.rowCount() == 1
    assert ws.history_tab.model.rowCount() >= 4
    assert "Added" in [ws.history_tab.model.index(r, 3).data()
                         for r in range(ws.history_tab.model.rowCount())]


def test_item_models_pass_qtmodeltester(qtmodeltester, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = setup
    for person in (world.teen, world.older, world.dual):
        ws = win.open_person(person)
        for i in range(ws.tabs.count()):
            ws.tabs.setCurrentIndex(i)
        for model in (ws.plan_tab.need_model, ws.plan_tab.outcome_model,
                      ws.plan_tab.action_model, ws.team_tab.members, ws.team_tab.consents,
                      ws.handoffs_tab.model, ws.referrals_tab.referrals,
                      ws.referrals_tab.events, ws.transitions_tab.stays,
                      ws.transitions_tab.reasons, ws.conferences_tab.model,
                      ws.history_tab.model):
            qtmodeltester.check(model)
