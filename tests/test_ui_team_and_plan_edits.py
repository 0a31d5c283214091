"""Adding needs and outcomes; care team membership, the lead professional and consent:
driven through the real forms, checked in the store and the audit trail, undone and
redone through the window's Undo and Redo."""

from __future__ import annotations

from datetime import timedelta

import pytest
import ui_world
from PySide6.QtCore import QDate
from ui_helpers import fill_form, settle, switch_user, when_modal

from careplan.models import CareTeamMember, Consent, Need, Outcome, Professional
from careplan.models.enums import ConsentStatus, LegalBasis, NeedDomain
from careplan.store import InputError, NotFoundError, add, find, get, team
from careplan.store.audit import events_for
from careplan.ui.workspace import PersonWorkspace
from careplan.ui.workspace.dialogs import StepDialog
from careplan.ui.workspace.forms import RecordForm

ONE_WEEK = timedelta(days=7)


@pytest.fixture
def setup(signed_in_world):  # type: ignore[no-untyped-def]
    win, world, other, _ = signed_in_world("sam_social")
    return win, world, other




def _team(ws: PersonWorkspace) -> None:
    ws.tabs.setCurrentWidget(ws.team_tab)


def _select_member(ws: PersonWorkspace, professional_id: str) -> None:
    records = ws.team_tab.members.records
    row = next(n for n, m in enumerate(records) if m.professional_id == professional_id)
    ws.team_tab.members_view.selectRow(row)


def test_add_need_and_outcome_naming_the_field_then_undo(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    errors: list[str] = []
    fill_form([("ok", None), ("description", "Help to manage money"),
           ("domain", NeedDomain.SOCIAL_CARE), ("ok", None)], errors)
    ws.plan_tab.add_need.click()
    assert errors == ["Description: is required"]
    need = next(n for n in find(other, Need, plan_id=world.teen_plan)
                if n.description == "Help to manage money")
    assert events_for(other, "needs", need.id)[-1].actor == world.sam_social
    assert "Help to manage money" in [n.description for n in ws.plan_tab.need_model.records]

    errors = []
    fill_form([("description", "I want to pay my own rent"), ("need", need.id),
           ("target", "31 Feb 2026"), ("ok", None), ("target", "1 Sep 2025"), ("ok", None)],
          errors)
    ws.plan_tab.add_outcome.click()
    assert errors[0].startswith("Target date: '31 Feb 2026' is not a date")
    outcome = next(o for o in find(other, Outcome, plan_id=world.teen_plan)
                   if o.description == "I want to pay my own rent")
    assert outcome.need_id == need.id and outcome.target_date.isoformat() == "2025-09-01"

    win.act_undo.trigger()  # the outcome goes, then the need
    win.act_undo.trigger()
    settle(win)
    with pytest.raises(NotFoundError):
        get(other, Outcome, outcome.id)
    with pytest.raises(NotFoundError):
        get(other, Need, need.id)
    assert events_for(other, "needs", need.id)[-1].after == {
        "id": need.id, "version": 2, "deleted": True}
    win.act_redo.trigger()
    settle(win)
    assert get(other, Need, need.id).description == "Help to manage money"


def _as_manager(qtbot, win, world, other) -> None:  # type: ignore[no-untyped-def]
    """Sign in as Rosa Martin, with a manager's account for children's social care (on
    the team): only a manager makes someone the lead professional directly."""
    ui_world.make_manager(other, world.rosa_manager)
    switch_user(qtbot, win, world.rosa_manager)


def _give_reason(reason: str) -> None:
    """Answer the next "why" dialog with ``reason``."""

    def fill(dialog: StepDialog) -> None:
        assert isinstance(dialog, StepDialog) and dialog.text is not None
        dialog.text.setPlainText(reason)
        dialog._check()

    when_modal(fill)  # type: ignore[arg-type]


def test_add_member_as_lead_then_undo_gives_the_lead_back(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    _as_manager(qtbot, win, world, other)
    ws = win.open_person(world.teen)
    _team(ws)
    errors: list[str] = []
    fill_form([("professional", world.nina_nurse), ("lead", True), ("ok", None),
           ("reason", "Adult services take over at 18"), ("ok", None)], errors)
    ws.team_tab.add_member.click()
    assert errors[0].startswith("Reason: say why Nina Clarke becomes the lead")
    team = {m.professional_id: m for m in find(other, CareTeamMember, person_id=world.teen)}
    assert team[world.nina_nurse].is_lead and not team[world.sam_social].is_lead
    assert team[world.nina_nurse].lead_reason == "Adult services take over at 18"
    assert "Nina Clarke" in ws.header.facts.text()  # the header names the new lead
    win.act_undo.trigger()
    settle(win)
    team = {m.professional_id: m for m in find(other, CareTeamMember, person_id=world.teen)}
    assert world.nina_nurse not in team and team[world.sam_social].is_lead


def test_someone_already_in_the_team_is_not_added_twice(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    _team(ws)
    offered: list[list[object]] = []

    def look(form: RecordForm) -> None:
        combo = form.fields["professional"]
        offered.append([combo.itemData(i) for i in range(combo.count())])  # type: ignore[attr-defined]
        form.reject()

    when_modal(look)  # type: ignore[arg-type]
    ws.team_tab.add_member.click()
    assert world.nina_nurse in offered[0]
    assert world.sam_social not in offered[0] and world.dr_shah not in offered[0]
    # The store refuses it too, naming the field, whatever the form offered.
    shah = get(other, Professional, world.dr_shah)
    with pytest.raises(InputError, match="^professional: Dr Asha Shah is already"):
        team.add_member(other, CareTeamMember(
            person_id=world.teen, professional_id=shah.id, role=shah.role,
            start_date=ui_world.TODAY), world.sam_social)


def test_end_membership_and_the_lead_cannot_simply_leave(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.teen)
    _team(ws)
    _select_member(ws, world.sam_social)  # the lead
    refused: list[str] = []
    fill_form([("ok", None)], refused)  # the store refuses: said in the form, which stays open
    ws.team_tab.end_member.click()
    assert refused[0].startswith("End date: Sam Okafor is the lead professional")

    _team(ws)
    _select_member(ws, world.dr_shah)
    errors: list[str] = []
    fill_form([("end", QDate(2024, 1, 1)), ("ok", None), ("end", QDate(2025, 3, 31)),
           ("ok", None)], errors)
    ws.team_tab.end_member.click()
    assert errors[0].startswith("End date:")
    shah = next(m for m in find(other, CareTeamMember, person_id=world.teen)
                if m.professional_id == world.dr_shah)
    assert shah.end_date is not None and shah.end_date.isoformat() == "2025-03-31"
    win.act_undo.trigger()
    settle(win)
    assert get(other, CareTeamMember, shah.id).end_date is None
    win.act_redo.trigger()
    settle(win)
    assert get(other, CareTeamMember, shah.id).end_date is not None


def test_make_lead_professional_with_a_reason_and_undo(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    _as_manager(qtbot, win, world, other)
    ws = win.open_person(world.teen)
    _team(ws)
    _select_member(ws, world.dr_shah)
    _give_reason("Health needs lead while Sam is away")
    ws.team_tab.make_lead.click()
    settle(win)
    (lead,) = [m for m in find(other, CareTeamMember, person_id=world.teen) if m.is_lead]
    assert (lead.professional_id, lead.lead_reason) == (
        world.dr_shah, "Health needs lead while Sam is away")
    # Who made the change, and why, are both recorded.
    assert events_for(other, "care_team_members", lead.id)[-1].actor == world.rosa_manager
    win.act_undo.trigger()
    settle(win)
    leads = [m.professional_id for m in find(other, CareTeamMember, person_id=world.teen)
             if m.is_lead]
    assert leads == [world.sam_social]


def test_record_consent_per_agency_naming_the_field(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    # The neighbourhood shares everyone with every agency; the practice's consent for
    # Jordan was withdrawn since.
    add(other, Consent(person_id=world.teen, agency_id=world.gp,
                       status=ConsentStatus.WITHDRAWN, recorded_on=ui_world.TODAY - ONE_WEEK,
                       recorded_by=world.dr_shah), "test")
    ws = win.open_person(world.teen)
    _team(ws)
    assert "Riverside Surgery" in ws.team_tab.missing.text()
    errors: list[str] = []
    fill_form([("agency", world.gp), ("status", ConsentStatus.LEGAL_BASIS), ("ok", None),
           ("kind", LegalBasis.SAFEGUARDING),
           ("basis", "Care Act 2014 s.42 safeguarding enquiry"), ("ok", None)], errors)
    ws.team_tab.record_consent.click()
    # A legal basis names its kind (and its source), the particulars are optional.
    assert errors == ["Legal basis: choose which: direct care, safeguarding or a court order"]
    consents = find(other, Consent, person_id=world.teen, agency_id=world.gp)
    history = [ConsentStatus.GIVEN, ConsentStatus.WITHDRAWN, ConsentStatus.LEGAL_BASIS]
    assert [c.status for c in consents] == history
    assert consents[-1].recorded_by == world.sam_social
    assert "Riverside Surgery" not in ws.team_tab.missing.text()

    fill_form([("agency", world.gp), ("status", ConsentStatus.WITHDRAWN), ("ok", None)])
    ws.team_tab.record_consent.click()
    statuses = [c.status for c in find(other, Consent, person_id=world.teen,
                                       agency_id=world.gp)]
    assert statuses == [*history, ConsentStatus.WITHDRAWN]  # a history
    win.act_undo.trigger()
    settle(win)
    assert [c.status for c in find(other, Consent, person_id=world.teen,
                                   agency_id=world.gp)] == history


def test_models_after_edits_pass_qtmodeltester(qtmodeltester, qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    _as_manager(qtbot, win, world, other)
    ws = win.open_person(world.teen)
    _team(ws)
    _select_member(ws, world.dr_shah)
    _give_reason("Health needs lead for now")
    ws.team_tab.make_lead.click()
    settle(win)
    fill_form([("description", "Somewhere to live"), ("domain", NeedDomain.HOUSING), ("ok", None)])
    ws.plan_tab.add_need.click()
    for model in (ws.team_tab.members, ws.team_tab.consents, ws.plan_tab.need_model,
                  ws.plan_tab.outcome_model):
        qtmodeltester.check(model)
