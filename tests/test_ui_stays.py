"""Hospital stays in the app (Transitions tab): the discharge ready date set and changed,
a delay reason added with the agency that owns it, the discharge recorded with its
pathway, each through the real form, checked in the store and in History; a discharge in
the future or without a pathway refused in the form, which keeps what was typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import ui_world
from ui_helpers import answer_form, settle

from careplan.models import DelayReason, HospitalStay
from careplan.models.enums import DischargePathway
from careplan.store import Store, find, get
from careplan.store.audit import events_for

TODAY = ui_world.TODAY


@pytest.fixture
def setup(world_workspace):  # type: ignore[no-untyped-def]
    """Nina Clarke (adult social care) on Margaret Wood's Transitions tab, her hospital
    stay chosen."""
    win, world, other, ws, _ = world_workspace("nina_nurse", "older")
    ws.tabs.setCurrentWidget(ws.transitions_tab)
    ws.transitions_tab.stays_view.selectRow(0)
    return win, world, other, ws


def _stay(other: Store, world: ui_world.World) -> HospitalStay:
    return find(other, HospitalStay, person_id=world.older)[0]


def test_change_the_discharge_ready_date(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws = setup
    seen: dict[str, object] = {}
    answer_form([("ready", "3/3/2025")], seen)
    ws.transitions_tab.ready_button.click()
    assert seen["open"] is False
    stay = _stay(other, world)
    assert stay.discharge_ready_on == date(2025, 3, 3)
    assert stay.days_delayed(TODAY) == 7
    assert ws.transitions_tab.stays.index(0, 2).data() == "3 Mar 2025"
    assert events_for(other, "hospital_stays", stay.id)[-1].actor == world.nina_nurse
    win.act_undo.trigger()
    settle(win)
    assert _stay(other, world).discharge_ready_on == TODAY - timedelta(days=9)


def test_a_ready_date_before_the_admission_is_refused_in_place(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws = setup
    seen: dict[str, object] = {}
    answer_form([("ready", "1 Jan 2025")], seen)
    ws.transitions_tab.ready_button.click()
    assert seen["open"] is True
    assert "discharge ready date" in str(seen["error"]).lower()
    assert seen["values"] == {"ready": "1 Jan 2025"}
    assert _stay(other, world).discharge_ready_on == TODAY - timedelta(days=9)


def test_add_a_delay_reason_with_its_owning_agency(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws = setup
    seen: dict[str, object] = {}
    answer_form([("reason", "Waiting for a care home place"), ("owner", world.adult_care)], seen)
    ws.transitions_tab.reason_button.click()
    assert seen["open"] is False
    stay = _stay(other, world)
    reasons = sorted(find(other, DelayReason, stay_id=stay.id), key=lambda r: r.reason)
    assert [(r.reason, r.owner_agency_id, r.recorded_on) for r in reasons] == [
        ("Waiting for a care home place", world.adult_care, TODAY),
        ("Waiting for a package of care at home", world.adult_care, TODAY - timedelta(days=8))]
    assert ws.transitions_tab.reasons.rowCount() == 2


def test_a_delay_reason_needs_its_owner_and_keeps_the_text(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws = setup
    seen: dict[str, object] = {}
    answer_form([("reason", "Waiting for equipment")], seen)
    ws.transitions_tab.reason_button.click()
    assert seen["open"] is True
    assert "agency" in str(seen["error"]).lower()
    assert seen["values"] == {"reason": "Waiting for equipment"}
    assert len(find(other, DelayReason, stay_id=_stay(other, world).id)) == 1


def test_record_the_discharge_and_its_pathway(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws = setup
    seen: dict[str, object] = {}
    answer_form([("discharged", "9/3/2025"), ("pathway", DischargePathway.HOME_WITH_SUPPORT)], seen)
    ws.transitions_tab.discharge_button.click()
    assert seen["open"] is False
    stay = _stay(other, world)
    assert (stay.discharged_on, stay.pathway) == (
        date(2025, 3, 9), DischargePathway.HOME_WITH_SUPPORT)
    assert ws.transitions_tab.stays.index(0, 3).data() == "9 Mar 2025"
    assert ws.transitions_tab.stays.index(0, 4).data() == "1"
    # a second discharge of the same stay is refused: change the stay to correct it
    seen = {}
    answer_form([("discharged", "10/3/2025"), ("pathway", DischargePathway.CARE_HOME)], seen)
    ws.transitions_tab.discharge_button.click()
    assert seen["open"] is True and "already records a discharge" in str(seen["error"])
    assert get(other, HospitalStay, stay.id).pathway is DischargePathway.HOME_WITH_SUPPORT


def test_a_discharge_in_the_future_or_without_pathway_is_refused(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws = setup
    seen: dict[str, object] = {}
    answer_form([("discharged", "20/3/2025"), ("pathway", DischargePathway.CARE_HOME)], seen)
    ws.transitions_tab.discharge_button.click()
    assert seen["open"] is True and "future" in str(seen["error"])
    assert seen["values"] == {"discharged": "20/3/2025",
                              "pathway": DischargePathway.CARE_HOME}
    seen = {}
    answer_form([("discharged", "9/3/2025")], seen)
    ws.transitions_tab.discharge_button.click()
    assert seen["open"] is True and "pathway" in str(seen["error"])
    assert _stay(other, world).discharged_on is None


def test_a_step_without_a_chosen_stay_says_so(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, ws = setup
    said: list[str] = []
    ws.refused = said.append  # type: ignore[method-assign]
    ws.transitions_tab.stays_view.clearSelection()
    ws.transitions_tab.stays_view.setCurrentIndex(ws.transitions_tab.stays.index(-1, -1))
    ws.transitions_tab.discharge_button.click()
    assert said == ["hospital stay: choose the stay first"]
