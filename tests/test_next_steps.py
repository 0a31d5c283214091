"""Each flag code's next steps: every code has an entry (steps, or none with a reason),
and the steps the issue names are there, each opening a tab of the person's workspace."""

from __future__ import annotations

import ui_world
from PySide6.QtWidgets import QMessageBox
from ui_helpers import file_settings, settle, sign_in, when_modal

from careplan.models import Handoff, PlanSignOff
from careplan.models.enums import HandoffStatus
from careplan.models.flags import FlagCode
from careplan.models.next_steps import NEXT_STEPS, Act, NextStep, NoStep, Tab, next_steps
from careplan.store import Store, find, get
from careplan.ui.flagview import FlagSummary
from careplan.ui.mainwindow import MainWindow
from careplan.ui.next_steps import NO_CONTROL
from careplan.ui.workspace import health_edits


def test_every_flag_code_has_steps_or_says_why_not() -> None:
    missing = [code for code in FlagCode if code not in NEXT_STEPS]
    assert missing == []
    for code, entry in NEXT_STEPS.items():
        if isinstance(entry, NoStep):
            assert entry.reason.strip().endswith("."), code
        else:
            assert 1 <= len(entry) <= 2, code  # one or two obvious steps, not a menu
            assert len({s.label for s in entry}) == len(entry), code
            for step in entry:
                assert isinstance(step, NextStep) and step.label[:1].isupper(), code
                assert isinstance(step.tab, Tab) and isinstance(step.act, Act), code


def test_the_steps_the_issue_names() -> None:
    labels = {code: [s.label for s in next_steps(code)] for code in FlagCode}
    assert labels[FlagCode.TRANSITION_18] == ["Add an adult-services worker",
                                              "Record the Care Act assessment"]
    assert labels[FlagCode.HANDOFF_UNACKNOWLEDGED] == ["Remind", "Withdraw"]
    assert labels[FlagCode.DISCHARGE_DELAYED][0] == "Add a delay reason"
    assert next_steps(FlagCode.HANDOFF_UNACKNOWLEDGED)[0].tab is Tab.HANDOFFS
    assert next_steps(FlagCode.DISCHARGE_DELAYED)[0].tab is Tab.TRANSITIONS


def test_codes_given_as_text_and_unknown_codes() -> None:
    assert next_steps("transition-18") == next_steps(FlagCode.TRANSITION_18)
    assert next_steps("flags-not-checked") == ()


# -- in the person's header: the flag clicked offers its steps -----------------------------




def _flagged(win: MainWindow, person_id: str, code: str):  # type: ignore[no-untyped-def]
    ws = win.open_person(person_id)
    ws.set_flags(FlagSummary((("warning", 1),), (("warning", code, f"Why {code}."),)))
    [chip] = [b for b in ws.header._buttons if b.isEnabled()]
    chip.click()
    bar = ws.next_steps
    assert not bar.isHidden() and bar.code == code
    return ws, {b.text(): b for b in bar.buttons}


def test_a_flag_offers_its_steps_and_each_opens_its_tab(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store)
    store.close()
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)

    # plan-unsigned: "Sign this version" is the plan tab's own Sign button and question.
    ws, buttons = _flagged(win, world.teen, "plan-unsigned")
    assert list(buttons) == ["Sign this version"]
    asked: list[str] = []

    def answer(box) -> None:  # type: ignore[no-untyped-def]
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.Yes).click()

    when_modal(answer)
    buttons["Sign this version"].click()
    assert ws.tabs.currentWidget() is ws.plan_tab
    assert asked and asked[0].startswith("Sign version 1 of Jordan Baker's plan")
    settle(win)
    other = Store.open(path)
    assert [s.agency_id for s in find(other, PlanSignOff, plan_id=world.teen_plan)] == [
        world.children]
    other.close()

    # handoff-unacknowledged: Remind says how (no messages are sent); Withdraw needs the
    # handoff chosen first.
    ws, buttons = _flagged(win, world.teen, "handoff-unacknowledged")
    assert list(buttons) == ["Remind", "Withdraw"]
    buttons["Remind"].click()
    assert ws.tabs.currentWidget() is ws.handoffs_tab
    assert ws.next_steps.said.text() == NO_CONTROL[Act.REMIND_HANDOFF]
    # Sam proposed it: Withdraw is the tab's own button, on the waiting handoff it chose.
    buttons["Withdraw"].click()
    settle(win)
    other = Store.open(path)
    assert get(other, Handoff, world.handoff).status is HandoffStatus.WITHDRAWN
    other.close()

    # Signed already: the step says why it cannot be taken now, in the control's words.
    ws, buttons = _flagged(win, world.teen, "plan-unsigned")
    buttons["Sign this version"].click()
    assert ws.next_steps.said.text().startswith("“Signed for your agency” is not available")

    # discharge-delayed: the stays tab, and the note says what to do there.
    ws, buttons = _flagged(win, world.older, "discharge-delayed")
    assert list(buttons)[0] == "Add a delay reason"
    # The stay still in hospital is chosen and the tab's own delay-reason form opens on it.
    opened: list[str] = []
    monkeypatch.setattr(health_edits, "add_delay_reason",
                        lambda ws_, stay: opened.append(stay) or False)
    buttons["Add a delay reason"].click()
    assert ws.tabs.currentWidget() is ws.transitions_tab
    assert [(s.person_id, s.discharged_on) for s in opened] == [(world.older, None)]

    # break-glass: the step opens the review of the person's emergency accesses.
    from PySide6.QtWidgets import QApplication

    from careplan.ui.emergency import ReviewDialog

    ws, buttons = _flagged(win, world.older, "break-glass")
    assert list(buttons) == ["Review the emergency access"]
    buttons["Review the emergency access"].click()
    [review] = [w for w in QApplication.topLevelWidgets()
                if isinstance(w, ReviewDialog) and w.isVisible()]
    assert ws.tabs.currentWidget() is ws.history_tab
    review.reject()

    # A code with no steps (the check failed) hides the bar.
    ws.next_steps.show_code("flags not checked")
    assert ws.next_steps.isHidden()
    win.close()


def test_every_step_does_something_or_says_what_to_do() -> None:
    """A step with no control for its act (and not an act of its own) must have words."""
    from careplan.ui.next_steps import CONTROL

    for code in FlagCode:
        for step in next_steps(code):
            acted = step.act in CONTROL or step.act in (Act.HOLD_CONFERENCE,
                                                        Act.DECIDE_CONFLICT,
                                                        Act.REVIEW_EMERGENCY_ACCESS)
            shown = step.act is Act.SHOW
            assert acted or shown or step.note or step.act in NO_CONTROL, (code, step)
