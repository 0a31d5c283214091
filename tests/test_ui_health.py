"""The health side in the app: a stay's admission method and Mental Health Act section
(Transitions tab), continuing healthcare checklists and decisions and section 117
aftercare plans (Continuing healthcare tab), driven through the real forms, checked in
the store, refused in place, undone through the window's Undo; and the flags follow."""

from __future__ import annotations

from datetime import date

import pytest
import ui_world
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMessageBox
from ui_helpers import fill_form, settle, when_modal

from careplan.models import AftercarePlan, ChcAssessment, HospitalStay
from careplan.models.flags import FlagCode
from careplan.models.health import ChcDecision, ChecklistOutcome, MhaSection
from careplan.store import Store, find, get
from careplan.store.audit import events_for
from careplan.store.flagdata import caseload_flags


@pytest.fixture
def setup(signed_in_world):  # type: ignore[no-untyped-def]
    win, world, other, _ = signed_in_world("nina_nurse")
    return win, world, other




def _flag_codes(other: Store, person: str) -> set[FlagCode]:
    return {f.code for f in caseload_flags(other, ui_world.TODAY, person_ids=[person])}


def test_a_stay_after_section_3_then_its_aftercare_plan_naming_both_bodies(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.older)
    ws.tabs.setCurrentWidget(ws.transitions_tab)
    ws.transitions_tab.stays_view.selectRow(0)
    fill_form([("discharged", "8 Mar 2025"), ("method", "emergency"),
           ("section", MhaSection.SECTION_3), ("ok", None)])
    ws.transitions_tab.edit_stay.click()
    stay = find(other, HospitalStay, person_id=world.older)[0]
    assert stay.mha_section is MhaSection.SECTION_3 and stay.discharged_on == date(2025, 3, 8)
    assert ws.transitions_tab.stays.index(0, 7).data() == "section 3"
    assert FlagCode.S117_AFTERCARE_UNASSIGNED in _flag_codes(other, world.older)

    ws.tabs.setCurrentWidget(ws.health_tab)
    errors: list[str] = []
    fill_form([("stay", stay.id), ("agreed", QDate(2025, 3, 7)), ("nhs", world.hospital),
           ("council", world.adult_care), ("summary", "Supported housing"), ("ok", None)],
          errors)
    ws.health_tab.add_aftercare.click()
    assert errors == []
    plan = find(other, AftercarePlan, person_id=world.older)[0]
    assert (plan.nhs_agency_id, plan.council_agency_id) == (world.hospital, world.adult_care)
    assert events_for(other, "aftercare_plans", plan.id)[-1].actor == world.nina_nurse
    assert ws.health_tab.aftercare.rowCount() == 1
    assert FlagCode.S117_AFTERCARE_UNASSIGNED not in _flag_codes(other, world.older)

    win.act_undo.trigger()
    settle(win)
    assert not find(other, AftercarePlan, person_id=world.older)
    assert ws.health_tab.aftercare.rowCount() == 0
    assert FlagCode.S117_AFTERCARE_UNASSIGNED in _flag_codes(other, world.older)


def test_aftercare_needs_a_detention_first_and_offers_only_councils(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.older)
    ws.tabs.setCurrentWidget(ws.health_tab)
    refused: list[str] = []
    when_modal(lambda box: (refused.append(box.text()),  # type: ignore[attr-defined]
                            box.button(QMessageBox.StandardButton.Ok).click()))
    ws.health_tab.add_aftercare.click()  # no detention recorded on any stay
    assert refused and refused[0].startswith("Stay: no hospital stay of Margaret Wood records")
    stay = find(other, HospitalStay, person_id=world.older)[0]
    with Store.open(other.path) as writer:
        from careplan.store.health_records import save_stay

        save_stay(writer, stay.evolve(mha_section="section 37"), world.nina_nurse)
    ws.reload()
    missing: list[str] = []
    fill_form([("stay", stay.id), ("council", world.hospital)], missing=missing)
    ws.health_tab.add_aftercare.click()
    assert missing == ["council"]
    errors: list[str] = []
    fill_form([("stay", stay.id), ("nhs", world.hospital), ("ok", None)], errors)
    ws.health_tab.add_aftercare.click()
    assert errors == [] and len(find(other, AftercarePlan, person_id=world.older)) == 1


def test_a_checklist_then_the_boards_decision(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.older)
    ws.tabs.setCurrentWidget(ws.health_tab)
    missing: list[str] = []
    fill_form([("board", world.adult_care)], missing=missing)  # only NHS bodies are offered
    ws.health_tab.add_checklist.click()
    assert missing == ["board"] and not find(other, ChcAssessment)
    errors: list[str] = []
    fill_form([("checklist", QDate(2025, 2, 1)), ("outcome", ChecklistOutcome.POSITIVE),
           ("board", world.hospital), ("received", "30 Feb 2025"), ("ok", None),
           ("received", "3 Feb 2025"), ("ok", None)], errors)
    ws.health_tab.add_checklist.click()
    assert errors == ["Received by the board: '30 Feb 2025' is not a date (February 2025 "
                      "has 28 days)"]
    chc = find(other, ChcAssessment, person_id=world.older)[0]
    assert chc.received_on == date(2025, 2, 3)
    assert ws.health_tab.chc.index(0, 6).data() == "35"  # days waiting, past 28
    assert FlagCode.CHC_DECISION_OVERDUE in _flag_codes(other, world.older)

    ws.health_tab.chc_view.selectRow(0)
    assert ws.health_tab.decide.isEnabled()
    fill_form([("decision", ChcDecision.ELIGIBLE), ("decided", QDate(2025, 3, 9)), ("ok", None)])
    ws.health_tab.decide.click()
    assert get(other, ChcAssessment, chc.id).decision is ChcDecision.ELIGIBLE
    assert FlagCode.CHC_DECISION_OVERDUE not in _flag_codes(other, world.older)
    assert not ws.health_tab.decide.isEnabled()


def test_the_tab_models_pass_qtmodeltester(qtmodeltester, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.older)
    ws.tabs.setCurrentWidget(ws.transitions_tab)
    ws.tabs.setCurrentWidget(ws.health_tab)
    for model in (ws.health_tab.chc, ws.health_tab.aftercare, ws.transitions_tab.stays):
        qtmodeltester.check(model)
