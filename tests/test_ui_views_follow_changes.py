"""Views follow every change at once, with no F5: header chips, caseload rows, flags.

Each edit runs as an operation on the window's writer; the Changes it returns reach the
caseload (those persons' rows), the open workspace (the tabs showing those records) and
the flags (recomputed for those persons). A change made elsewhere (another laptop's, as
sync will bring them) arrives through the same path. Refresh is made to fail here, so
nothing passes by reading everything again.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import ui_world
from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QApplication
from ui_helpers import file_settings, settle, sign_in, switch_user, when_modal

from careplan.models import Assessment, CarePlan
from careplan.models.enums import (
    AssessmentKind,
    AssessmentStatus,
    PlanStatus,
    ReferralEventKind,
)
from careplan.store import Store, add, operations
from careplan.store import caseload as q
from careplan.ui.caseload_model import COLUMNS, FLAGS_ROLE, PERSON_ID_ROLE
from careplan.ui.mainwindow import MainWindow
from careplan.ui.workspace import PersonWorkspace
from careplan.ui.workspace.dialogs import StepDialog
from careplan.ui.workspace.forms import RecordForm

WAIT_MS = 20_000


@pytest.fixture
def setup(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flags_loaded, timeout=WAIT_MS):
        sign_in(qtbot, win, path, world.sam_social)

    def no_f5() -> None:
        raise AssertionError("a view was refreshed by reading everything again")

    monkeypatch.setattr(win, "refresh", no_f5)
    other = Store.open(path)  # another laptop's store, as far as this window knows
    yield win, world, other
    other.close()


def _chips(ws: PersonWorkspace) -> set[str]:
    """The codes of the flag chips in the header (each chip reads as words)."""
    return {b.property("flag_code") for b in ws.header._buttons if b.property("flag_code")}


def _row_codes(win: MainWindow, person_id: str) -> set[str]:
    model = win.model
    assert model is not None
    for row in range(model.rowCount()):
        if model.index(row, 0).data(PERSON_ID_ROLE) == person_id:
            summary = model.index(row, 0).data(FLAGS_ROLE)
            return summary.codes() if summary is not None else set()
    raise AssertionError("the person is not in the caseload")


def _gone(qtbot: Any, win: MainWindow, ws: PersonWorkspace, code: str) -> None:
    """``code`` leaves the person's header and caseload row, without a refresh."""
    settle(win)
    qtbot.waitUntil(lambda: code not in _chips(ws) and code not in _row_codes(
        win, ws.person_id), timeout=WAIT_MS)


def _form(steps: list[tuple[str, Any]]) -> None:
    def fill(form: RecordForm) -> None:
        for name, value in steps:
            widget = form.fields[name]
            widget.setCurrentIndex(widget.findData(value))  # type: ignore[attr-defined]
        form.check()
        while form.is_saving:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    when_modal(fill)  # type: ignore[arg-type]


def test_team_and_an_assessment_from_elsewhere_end_the_transition_flag(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    """NICE NG43: a 17-year-old is flagged until an adult-services worker is in the team
    and a Care Act adult assessment is done."""
    win, world, other = setup
    ws = win.open_person(world.teen)
    assert "transition-18" in _chips(ws) and "transition-18" in _row_codes(win, world.teen)
    ws.tabs.setCurrentWidget(ws.team_tab)
    _form([("professional", world.nina_nurse)])  # Adult Social Care
    ws.team_tab.add_member.click()
    settle(win)
    assert any(m.professional_id == world.nina_nurse for m in ws.team_tab.members.records)
    assert "transition-18" in _chips(ws)  # the assessment is still missing

    # The assessment is recorded on another laptop; its changes arrive as sync brings them.
    seq = int(other.conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0])
    add(other, Assessment(person_id=world.teen, kind=AssessmentKind.CARE_ACT_ADULT,
                          status=AssessmentStatus.COMPLETED,
                          requested_on=ui_world.TODAY - timedelta(days=20),
                          completed_on=ui_world.TODAY - timedelta(days=1)), world.nina_nurse)
    assert win.edits.runner is not None
    win.edits.runner.broadcast(operations.changes_since(other, seq))
    _gone(qtbot, win, ws, "transition-18")


def test_owning_an_action_in_the_plan_tab_ends_action_unowned(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = setup
    ws = win.open_person(world.teen)
    assert "action-unowned" in _chips(ws)
    model = ws.plan_tab.action_model
    row = next(n for n, a in enumerate(model.records) if not a.owner_professional_id)
    assert model.setData(model.index(row, 1), world.sam_social)
    _gone(qtbot, win, ws, "action-unowned")


def test_answering_in_the_handoffs_tab_ends_handoff_unacknowledged(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, _ = setup
    with qtbot.waitSignal(win.flags_loaded, timeout=WAIT_MS):
        switch_user(qtbot, win, world.nina_nurse)  # the handoff is addressed to her
    ws = win.open_person(world.teen)
    assert "handoff-unacknowledged" in _chips(ws)
    ws.tabs.setCurrentWidget(ws.handoffs_tab)
    ws.handoffs_tab.view.selectRow(0)
    qtbot.mouseClick(ws.handoffs_tab.accept, Qt.MouseButton.LeftButton)
    _gone(qtbot, win, ws, "handoff-unacknowledged")
    assert ws.handoffs_tab.waiting.text().startswith("0 handoffs")  # the tab followed too


def test_a_panel_decision_in_the_referrals_tab_ends_the_dispute(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ws = win.open_person(world.dual)
    # A dispute is open in itself: flagged with no plan (issue 15), and with one made
    # elsewhere.
    qtbot.waitUntil(lambda: "referral-dispute" in _chips(ws), timeout=WAIT_MS)
    seq = int(other.conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0])
    add(other, CarePlan(person_id=world.dual, status=PlanStatus.ACTIVE,
                        created_on=ui_world.TODAY, activated_on=ui_world.TODAY),
        world.carl_cpn)
    assert win.edits.runner is not None
    win.edits.runner.broadcast(operations.changes_since(other, seq))  # from elsewhere
    qtbot.waitUntil(lambda: "referral-dispute" in _chips(ws), timeout=WAIT_MS)
    ui_world.make_manager(other, world.rosa_manager)  # a manager escalates and decides
    switch_user(qtbot, win, world.rosa_manager)
    ws = win.open_person(world.dual)
    tab = ws.referrals_tab
    ws.tabs.setCurrentWidget(tab)

    def answer(team: str | None, text: str) -> None:
        def fill(dialog: StepDialog) -> None:
            if team is not None and dialog.choice is not None:
                dialog.choice.setCurrentIndex(dialog.choice.findData(team))
            if dialog.text is not None:
                dialog.text.setPlainText(text)
            dialog._check()

        when_modal(fill)  # type: ignore[arg-type]

    answer(None, "Two teams have declined")
    qtbot.mouseClick(tab.buttons[ReferralEventKind.ESCALATED], Qt.MouseButton.LeftButton)
    settle(win)
    answer(world.mh_team, "Mental health leads, with LD input")
    qtbot.mouseClick(tab.buttons[ReferralEventKind.PANEL_DECISION], Qt.MouseButton.LeftButton)
    _gone(qtbot, win, ws, "referral-dispute")


def test_a_new_lead_shows_in_the_caseload_row_and_the_header(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other = setup
    ui_world.make_manager(other, world.rosa_manager)  # a manager makes the lead
    switch_user(qtbot, win, world.rosa_manager)
    ws = win.open_person(world.teen)
    ws.tabs.setCurrentWidget(ws.team_tab)
    records = ws.team_tab.members.records
    ws.team_tab.members_view.selectRow(
        next(n for n, m in enumerate(records) if m.professional_id == world.dr_shah))

    def why(dialog: StepDialog) -> None:
        assert dialog.text is not None
        dialog.text.setPlainText("Health needs lead for now")
        dialog._check()

    when_modal(why)  # type: ignore[arg-type]
    ws.team_tab.make_lead.click()
    settle(win)
    assert "Dr Asha Shah" in ws.header.facts.text()
    model = win.model
    assert model is not None
    row = next(r for r in range(model.rowCount())
               if model.index(r, 0).data(PERSON_ID_ROLE) == world.teen)
    assert model.index(row, COLUMNS.index(q.SortKey.LEAD)).data() == "Dr Asha Shah"
