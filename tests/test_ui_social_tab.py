"""The Carers & safeguarding tab: a carer added and offered a carer's assessment, an EHC
plan recorded, a safeguarding concern recorded and decided, through the real forms; each
saved by the window's writer (never the GUI thread), audited, shown, and undone."""

from __future__ import annotations

import pytest
import ui_world
from PySide6.QtCore import QDate
from ui_helpers import fill_form, settle

from careplan.models import Assessment, Carer, SafeguardingConcern, YoungPersonStatus
from careplan.models.enums import AssessmentStatus
from careplan.models.social import (
    CarerRelationship,
    SafeguardingDecision,
    YoungPersonStatusKind,
)
from careplan.store import find, get
from careplan.store.audit import events_for
from careplan.ui.workspace import PersonWorkspace


@pytest.fixture
def setup(signed_in_world):  # type: ignore[no-untyped-def]
    win, world, other, _ = signed_in_world("sam_social")
    return win, world, other




def _open(win, person: str) -> PersonWorkspace:  # type: ignore[no-untyped-def]
    ws = win.open_person(person)
    ws.tabs.setCurrentWidget(ws.social_tab)
    return ws


def test_a_carer_added_then_offered_an_assessment_then_declining_it(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = _open(win, world.older)
    tab = ws.social_tab
    errors: list[str] = []
    fill_form([("ok", None), ("name", "Joan Wood"),
           ("relationship", CarerRelationship.SON_OR_DAUGHTER), ("ok", None)], errors)
    tab.add_carer.click()
    assert errors == ["Name: is required"]
    carer, = find(other, Carer, person_id=world.older)
    assert (carer.name, carer.recorded_on, carer.assessment_id) == (
        "Joan Wood", ui_world.TODAY, None)
    assert events_for(other, "carers", carer.id)[-1].actor == world.sam_social
    assert [tab.carers.columns[4].text(k) for k in tab.carers.records] == ["not offered"]
    assert tab.carers.columns[4].alert(tab.carers.records[0])  # type: ignore[misc]

    tab.carers_view.selectRow(0)
    fill_form([("offered", QDate(2025, 3, 7)), ("agency", world.adult_care), ("ok", None)])
    tab.offer.click()
    offered = get(other, Carer, carer.id)
    assessment = get(other, Assessment, str(offered.assessment_id))
    assert (assessment.kind.value, assessment.requested_on.isoformat(),
            assessment.agency_id) == ("carer's assessment", "2025-03-07", world.adult_care)
    assert tab.carers.columns[4].text(tab.carers.records[0]) == "offered 7 Mar 2025, requested"

    tab.carers_view.selectRow(0)
    fill_form([("status", AssessmentStatus.DECLINED), ("ok", None)])
    tab.outcome.click()
    assert get(other, Assessment, assessment.id).status is AssessmentStatus.DECLINED
    assert tab.carers.columns[4].text(tab.carers.records[0]) == "offered 7 Mar 2025, declined"

    # Undo: the outcome, then the offer (the assessment goes, the carer names none).
    win.act_undo.trigger()
    win.act_undo.trigger()
    settle(win)
    assert get(other, Carer, carer.id).assessment_id is None
    assert find(other, Assessment, person_id=world.older, kind="carer's assessment") == []
    assert [tab.carers.columns[4].text(k) for k in tab.carers.records] == ["not offered"]


def test_an_ehc_plan_recorded_and_ended(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = _open(win, world.teen)
    tab = ws.social_tab
    fill_form([("kind", YoungPersonStatusKind.EHC_PLAN), ("start", QDate(2022, 9, 1)),
           ("agency", world.children), ("ok", None)])
    tab.add_status.click()
    status, = find(other, YoungPersonStatus, person_id=world.teen)
    assert (status.kind, status.start_date.isoformat()) == (
        YoungPersonStatusKind.EHC_PLAN, "2022-09-01")
    errors: list[str] = []
    fill_form([("kind", YoungPersonStatusKind.EHC_PLAN), ("ok", None)], errors)
    tab.add_status.click()
    assert errors[0].startswith("Kind: education, health and care plan is already recorded")
    tab.statuses_view.selectRow(0)
    fill_form([("end", QDate(2025, 3, 1)), ("ok", None)])
    tab.end_status.click()
    assert get(other, YoungPersonStatus, status.id).end_date.isoformat() == "2025-03-01"  # type: ignore[union-attr]
    assert not tab.end_status.isEnabled()


def test_a_concern_recorded_and_its_decision_refused_without_a_reason(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = _open(win, world.older)
    tab = ws.social_tab
    fill_form([("received", QDate(2025, 3, 5)), ("agency", world.gp),
           ("summary", "Unexplained bruising"), ("ok", None)])
    tab.raise_concern.click()
    concern, = find(other, SafeguardingConcern, person_id=world.older)
    assert (concern.received_on.isoformat(), concern.agency_id) == ("2025-03-05", world.gp)
    # Received Wednesday 5 March: two working days take it to Friday 7 March; today is
    # Monday 10 March, so it is overdue and stands out.
    row = tab.concerns.records[0]
    assert tab.concerns.columns[3].text(row) == "none yet, due by 7 Mar 2025"
    assert tab.concerns.columns[3].alert(row)  # type: ignore[misc]

    tab.concerns_view.selectRow(0)
    errors: list[str] = []
    fill_form([("decision", SafeguardingDecision.NO_ENQUIRY), ("ok", None),
           ("reason", "A fall at home, seen by the GP"), ("ok", None)], errors)
    tab.decide.click()
    assert errors == ["Reason: say why no safeguarding enquiry is needed"]
    decided = get(other, SafeguardingConcern, concern.id)
    assert (decided.decision, decided.decided_on, decided.reason) == (
        SafeguardingDecision.NO_ENQUIRY, ui_world.TODAY, "A fall at home, seen by the GP")
    assert tab.concerns.columns[3].text(tab.concerns.records[0]) == (
        "no safeguarding enquiry, 10 Mar 2025")
    assert not tab.decide.isEnabled()
    win.act_undo.trigger()
    settle(win)
    assert get(other, SafeguardingConcern, concern.id).decision is None


def test_the_tabs_models_pass_qtmodeltester(qtmodeltester, qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = setup
    ws = _open(win, world.older)
    fill_form([("name", "Joan Wood"), ("ok", None)])
    ws.social_tab.add_carer.click()
    settle(win)
    for model in (ws.social_tab.carers, ws.social_tab.statuses, ws.social_tab.concerns):
        qtmodeltester.check(model)
