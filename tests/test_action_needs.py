"""An action meets one or more needs: the store's links, what the agencies sign, the joint
plan PDF (read back) and the FHIR round trip."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from export_sample import TODAY, Sample, build, prints
from pypdf import PdfReader

from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.export.plan_pdf import plan_pdf
from careplan.models import Action, ActionNeed, CarePlan, Need
from careplan.models.plan import needs_met
from careplan.store import Store, find, get
from careplan.store.casework import set_action_needs
from careplan.store.errors import InputError, NotAllowedError
from careplan.store.plan_versions import issue_version, plan_links, state
from careplan.store.repo import add_many


@pytest.fixture
def sample(store: Store) -> Sample:
    return build(store)


def _plan(sample: Sample) -> CarePlan:
    assert sample.plan is not None
    return sample.plan


def _needs(store: Store, sample: Sample) -> list[Need]:
    return find(store, Need, plan_id=_plan(sample).id)


def _first_action(store: Store, sample: Sample) -> Action:
    """Step 1, owned by the community psychiatric nurse, written for the first need."""
    return next(a for a in find(store, Action, plan_id=_plan(sample).id)
                if a.description.startswith("Step 1:"))


def _met(store: Store, action_id: str) -> frozenset[str]:
    return needs_met(get(store, Action, action_id), find(store, ActionNeed,
                                                          action_id=action_id))


def _links(store: Store) -> list[tuple[str, str]]:
    return sorted((r["action_id"], r["need_id"])
                  for r in store.query("SELECT action_id, need_id FROM action_needs"))


def test_an_action_meets_several_needs_and_keeps_its_own(store: Store, sample: Sample) -> None:
    mental, tenancy, daily = _needs(store, sample)
    action = _first_action(store, sample)
    assert action.need_id == mental.id
    cpn = sample.profs["cpn"].id
    set_action_needs(store, action, {mental.id, daily.id, tenancy.id}, cpn)
    assert _met(store, action.id) == {mental.id, tenancy.id, daily.id}
    assert get(store, Action, action.id).need_id == mental.id  # its own need is kept
    assert _links(store) == sorted([(action.id, tenancy.id), (action.id, daily.id)])
    # Dropping its own need: it takes the first of the others, in the plan's order.
    set_action_needs(store, get(store, Action, action.id), {daily.id, tenancy.id}, cpn)
    assert get(store, Action, action.id).need_id == tenancy.id
    assert _links(store) == [(action.id, daily.id)]
    # None at all: the action meets no need and has no links left.
    set_action_needs(store, get(store, Action, action.id), set(), cpn)
    assert get(store, Action, action.id).need_id is None
    assert _links(store) == []
    written = store.query("SELECT count(*) AS n FROM audit_events WHERE entity = "
                          "'action_needs'")[0]["n"]
    assert written == 4  # two links added, then one removed at a time


def test_a_need_of_another_plan_or_someone_not_allowed_writes_nothing(
        store: Store, sample: Sample) -> None:
    other = build(store, nhs=None, given="Ben", family="Stone")
    stray = _needs(store, other)[0]
    action = _first_action(store, sample)
    before = store.query("SELECT count(*) AS n FROM audit_events")[0]["n"]
    with pytest.raises(InputError, match=r"^needs: .* is not a need of this action's plan"):
        set_action_needs(store, action, {stray.id}, sample.profs["cpn"].id)
    # The housing officer's membership ended: not the owner, the owner's agency or the lead.
    with pytest.raises(NotAllowedError):
        set_action_needs(store, action, {n.id for n in _needs(store, sample)},
                         sample.profs["ho"].id)
    assert store.query("SELECT count(*) AS n FROM audit_events")[0]["n"] == before
    assert _links(store) == []


def test_linking_a_need_is_a_change_to_what_was_signed(store: Store, sample: Sample) -> None:
    """The needs an action meets are signed: a new link makes a draft; issuing it makes
    the next version, whose snapshot names both needs."""
    mental, tenancy, _daily = _needs(store, sample)
    action = _first_action(store, sample)
    plan = get(store, CarePlan, _plan(sample).id)
    assert not state(store, plan).draft  # nothing changed since version 3
    set_action_needs(store, action, {mental.id, tenancy.id}, sample.profs["cpn"].id)
    draft = state(store, get(store, CarePlan, plan.id)).draft
    assert [c.kind for c in draft] == ["action"]
    assert any(f == "need_id" for f, _, _ in draft[0].fields)
    issued = issue_version(store, get(store, CarePlan, plan.id), sample.profs["sw"].id,
                           datetime(2025, 3, 1, 10))
    assert issued.number == 4
    assert " ".join(sorted([mental.id, tenancy.id])) in " ".join(issued.snapshot)
    assert not state(store, get(store, CarePlan, plan.id)).draft


def _pages(path: Path) -> str:
    return " ".join(re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(path).pages)


def test_joint_plan_lists_an_action_under_every_need_it_meets(tmp_path: Path) -> None:
    """Recorded with the plan (no version snapshot yet, so the plan as it is is in force):
    Step 1 also meets the daily-living need, which had no action of its own and so said
    "No actions yet for this need"; now no need says it."""
    store = Store.open(tmp_path / "one.db")
    one = build(store, actions=2)
    _mental, _tenancy, daily = _needs(store, one)
    before = _pages(plan_pdf(store, one.person.id, tmp_path / "before.pdf",
                             printed_by="test", today=TODAY, **prints(store)))
    assert before.count("No actions yet for this need") == 1
    action = _first_action(store, one)
    add_many(store, [ActionNeed(action_id=action.id, need_id=daily.id)], "test")
    text = _pages(plan_pdf(store, one.person.id, tmp_path / "plan.pdf", printed_by="test",
                           today=TODAY, **prints(store)))
    store.close()
    need1 = text.index("Need 1: Keeping well")
    need2 = text.index("Need 2: Managing the tenancy")
    need3 = text.index("Need 3: Daily living")
    step = "Step 1: review medication"
    assert need1 < text.index(step, need1) < need2  # under its own need
    assert need3 < text.index(step, need3)  # and under the linked one
    assert step not in text[need2:need3]
    assert "(also meets need 3)" in text[need1:need2]
    assert "(also meets need 1)" in text[need3:]
    assert "No actions yet for this need" not in text


def _activity(bundle: Path, action_id: str) -> dict[str, Any]:
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    for entry in doc["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "CarePlan":
            for act in res.get("activity", []):
                if act["id"] == action_id:
                    return dict(act)
    raise AssertionError(f"no activity {action_id}")


def test_fhir_reason_reference_lists_every_need_and_reads_back(store: Store, sample: Sample,
                                                                tmp_path: Path) -> None:
    mental, tenancy, daily = _needs(store, sample)
    action = _first_action(store, sample)
    add_many(store, [ActionNeed(action_id=action.id, need_id=daily.id),
                     ActionNeed(action_id=action.id, need_id=tenancy.id)], "test")
    out = tmp_path / "bundle.json"
    export_fhir(store, out, **prints(store), today=TODAY)
    detail = _activity(out, action.id)["detail"]
    # Its own need first, then the others in the plan's order.
    assert [r["reference"] for r in detail["reasonReference"]] == [
        f"Condition/{mental.id}", f"Condition/{tenancy.id}", f"Condition/{daily.id}"]
    assert len(detail["goal"]) == 3  # each need's outcome

    fresh = Store.open(tmp_path / "fresh.db")
    report = import_fhir(fresh, out)
    assert not report.unresolved and not report.warnings
    assert get(fresh, Action, action.id).need_id == mental.id
    assert _met(fresh, action.id) == {mental.id, tenancy.id, daily.id}
    assert {(link.action_id, link.need_id) for link in plan_links(fresh, _plan(sample).id)} \
        == {(action.id, tenancy.id), (action.id, daily.id)}
    again = tmp_path / "again.json"
    export_fhir(fresh, again, **prints(fresh), today=TODAY)
    assert _activity(again, action.id) == _activity(out, action.id)
    # Importing the same file again adds no second link.
    import_fhir(fresh, out)
    assert len(plan_links(fresh, _plan(sample).id)) == 2
    fresh.close()


def test_plan_tab_ticks_the_needs_an_action_meets_and_undo_gives_them_back(
        qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """In the window, as the action's owner: "Needs it meets…" ticks a second need; the
    needs table then lists the action beside both, and Edit ▸ Undo takes the link away."""
    import ui_world
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication
    from ui_helpers import file_settings, settle, sign_in, when_modal

    from careplan.ui.listmodels import ChoiceList
    from careplan.ui.mainwindow import MainWindow
    from careplan.ui.workspace.forms import RecordForm

    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store)
    plan = get(store, CarePlan, world.teen_plan)
    add_many(store, [Need(plan_id=plan.id, description="Staying at college",
                          domain="other")], "test")
    store.close()
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)
    ws = win.open_person(world.teen)
    tab = ws.plan_tab
    row = next(i for i, a in enumerate(tab.action_model.records) if a.id == world.teen_action)
    tab.actions_view.selectRow(row)
    assert tab.choose_needs.isEnabled()

    def tick(form: RecordForm) -> None:
        listed = form.fields["needs"]
        assert isinstance(listed, ChoiceList)
        for i in range(listed.choices.rowCount()):
            listed.choices.set_checked(i, True)
        form.check()
        while form.is_saving:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    when_modal(tick)  # type: ignore[arg-type]
    tab.choose_needs.click()
    settle(win)
    other = Store.open(path)
    assert len(_met(other, world.teen_action)) == 2
    assert tab.need_model.rowCount() == 2
    for r in range(2):
        shown = tab.need_model.data(tab.need_model.index(r, 2))
        assert "Care Act assessment before 18th birthday" in shown
    win.act_undo.trigger()
    settle(win)
    assert len(_met(other, world.teen_action)) == 1
    other.close()
    win.close()
