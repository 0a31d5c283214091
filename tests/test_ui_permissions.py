"""What the signed-in person may not do is disabled in the workspace, with the reason and
who may in its tooltip; what they may do stays enabled (careplan.models.permissions).

The neighbourhood is tests/ui_world.py: Sam Okafor (children's social care) leads
Jordan's care team with Dr Asha Shah (GP practice); a handoff waits for Nina Clarke
(adult social care); Ryan's referral is held by the mental health team.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_world
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from ui_helpers import file_settings, sign_in, switch_user, when_modal

from careplan.models import Need
from careplan.models.enums import ReferralEventKind
from careplan.store import Store
from careplan.store.casework import save_plan_item
from careplan.ui.mainwindow import MainWindow
from careplan.ui.workspace import PersonWorkspace
from careplan.ui.workspace.forms import RecordForm

ON_TEAM = "an agency on the care team (Children's Social Care or Riverside Surgery)"
ANSWER = ("Only Nina Clarke (to whom it is addressed) or a manager of Adult Social Care may "
          "answer this handoff.")


@pytest.fixture
def setup(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
        ui_world.make_manager(store, world.rosa_manager)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()

    def sign(professional_id: str, person_id: str) -> PersonWorkspace:
        """Sign in through the real sign-in screen as the professional (their account,
        or Rosa's manager account), then open the person."""
        if win.actor is None:
            sign_in(qtbot, win, path, professional_id)
        else:
            switch_user(qtbot, win, professional_id)
        return win.open_person(person_id)

    yield win, world, sign, path


def _refused(widget: QWidget, sentence: str) -> None:
    assert not widget.isEnabled()
    assert widget.toolTip() == sentence


def _handoffs(ws: PersonWorkspace) -> None:
    ws.show_tab(ws.handoffs_tab)
    ws.handoffs_tab.view.selectRow(0)


def test_a_childrens_social_worker_cannot_answer_a_handoff_addressed_to_someone_else(
        qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, sign, _ = setup
    ws = sign(world.sam_social, world.teen)
    _handoffs(ws)
    tab = ws.handoffs_tab
    _refused(tab.accept, ANSWER)
    _refused(tab.decline, ANSWER)
    assert tab.withdraw.isEnabled() and tab.withdraw.toolTip() == ""  # he proposed it
    assert tab.propose.isEnabled()  # the lead professional hands over coordination


def test_the_addressee_answers_and_cannot_withdraw_what_she_did_not_propose(
        qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, sign, _ = setup
    ws = sign(world.nina_nurse, world.teen)
    _handoffs(ws)
    tab = ws.handoffs_tab
    assert tab.accept.isEnabled() and tab.decline.isEnabled()
    _refused(tab.withdraw, "Only Sam Okafor (who is handing it over) or a manager of "
                           "Children's Social Care may withdraw this handoff.")
    _refused(tab.propose, f"Only Sam Okafor (the lead professional) or a manager of {ON_TEAM} "
                          "may propose handing over coordination.")


def test_only_the_holding_team_takes_a_referral_step_and_only_a_manager_escalates(
        qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, sign, _ = setup
    ws = sign(world.sam_social, world.dual)
    ws.show_tab(ws.referrals_tab)
    buttons = ws.referrals_tab.buttons
    for kind, verb in ((ReferralEventKind.ACCEPTED, "accept"),
                       (ReferralEventKind.DECLINED, "decline"),
                       (ReferralEventKind.REDIRECTED, "redirect")):
        _refused(buttons[kind], "Only a member of Community Mental Health Team (which holds "
                                f"it) may {verb} this referral.")
    _refused(buttons[ReferralEventKind.ESCALATED],
             "Only a manager may escalate this referral to a panel.")
    assert not buttons[ReferralEventKind.PANEL_DECISION].isEnabled()  # not escalated yet

    ws = sign(world.carl_cpn, world.dual)  # the mental health nurse
    ws.show_tab(ws.referrals_tab)
    buttons = ws.referrals_tab.buttons
    assert all(buttons[k].isEnabled() for k in (
        ReferralEventKind.ACCEPTED, ReferralEventKind.DECLINED, ReferralEventKind.REDIRECTED))
    assert not buttons[ReferralEventKind.ESCALATED].isEnabled()
    ws = sign(world.rosa_manager, world.dual)  # a manager
    ws.show_tab(ws.referrals_tab)
    assert ws.referrals_tab.buttons[ReferralEventKind.ESCALATED].isEnabled()


def test_only_a_manager_makes_a_lead_professional(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, sign, _ = setup
    ws = sign(world.dr_shah, world.teen)
    ws.show_tab(ws.team_tab)
    tab = ws.team_tab
    tab.members_view.selectRow(next(n for n, m in enumerate(tab.members.records)
                                    if m.professional_id == world.dr_shah))
    _refused(tab.make_lead, f"Only a manager of {ON_TEAM} may make someone the lead "
                            "professional, giving a reason; otherwise the lead changes only "
                            "when a coordination handoff is accepted.")
    assert tab.end_member.isEnabled()  # his own membership
    # Adding someone to the team offers no lead for him to choose.
    fields: list[set[str]] = []

    def look(form: RecordForm) -> None:
        fields.append(set(form.fields))
        form.reject()

    when_modal(look)  # type: ignore[arg-type]
    tab.add_member.click()
    assert fields == [{"professional", "role", "start"}]

    ws = sign(world.rosa_manager, world.teen)
    ws.show_tab(ws.team_tab)
    tab = ws.team_tab
    tab.members_view.selectRow(next(n for n, m in enumerate(tab.members.records)
                                    if m.professional_id == world.dr_shah))
    assert tab.make_lead.isEnabled() and tab.make_lead.toolTip() == ""


def test_a_plan_is_signed_and_changed_only_from_an_agency_on_the_care_team(
        qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, sign, _ = setup
    ws = sign(world.nina_nurse, world.teen)  # Adult Social Care: not on the team
    tab = ws.plan_tab
    _refused(tab.sign_button, f"Only a member of {ON_TEAM} may sign this plan, each for "
                              "their own agency; Adult Social Care is not on the care team.")
    for button in (tab.add_need, tab.add_outcome, tab.add_action):
        _refused(button, f"Only a member of {ON_TEAM} may change this plan.")
    model = tab.action_model
    row = next(n for n, a in enumerate(model.records) if a.id == world.teen_action)
    status = model.index(row, 4)
    assert not model.flags(status) & Qt.ItemFlag.ItemIsEditable
    assert status.data(Qt.ItemDataRole.ToolTipRole) == (
        "Only Sam Okafor (its owner and the lead professional) or a member of Children's "
        "Social Care may change this action's status.")
    need = tab.need_model.index(0, 0)
    assert not tab.need_model.flags(need) & Qt.ItemFlag.ItemIsEditable
    ws.show_tab(ws.conferences_tab)
    _refused(ws.conferences_tab.start, f"Only a member of {ON_TEAM} may record a case "
                                       "conference.")


def test_the_gp_changes_the_plan_but_not_the_social_workers_action_nor_issues_it(
        qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, sign, path = setup
    with Store.open(path) as store:  # a change waits in the draft of version 2
        save_plan_item(store, Need(plan_id=world.teen_plan, description="Somewhere to live",
                                   domain="housing"), world.sam_social)
    ws = sign(world.dr_shah, world.teen)
    tab = ws.plan_tab
    assert tab.sign_button.isEnabled() and tab.add_need.isEnabled()
    _refused(tab.issue_button, f"Only Sam Okafor (the lead professional) or a manager of "
                               f"{ON_TEAM} may issue a new version of this plan for sign-off.")
    model = tab.action_model
    row = next(n for n, a in enumerate(model.records) if a.id == world.teen_action)
    tab.actions_view.selectRow(row)
    _refused(tab.hand_over, "Only Sam Okafor (its owner and the lead professional) or a "
                            "member of Children's Social Care may hand over this action.")
    for column in (0, 1, 3, 4):
        assert not model.flags(model.index(row, column)) & Qt.ItemFlag.ItemIsEditable
    unowned = next(n for n, a in enumerate(model.records) if not a.owner_professional_id)
    assert model.flags(model.index(unowned, 4)) & Qt.ItemFlag.ItemIsEditable

    ws = sign(world.sam_social, world.teen)  # the lead issues it, and owns the action
    assert ws.plan_tab.issue_button.isEnabled()
    model = ws.plan_tab.action_model
    row = next(n for n, a in enumerate(model.records) if a.id == world.teen_action)
    assert model.flags(model.index(row, 4)) & Qt.ItemFlag.ItemIsEditable
