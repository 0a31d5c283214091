"""Each flag code's next steps: every code has an entry (steps, or none with a reason),
and the steps the issue names are there, each opening a tab of the person's workspace."""

from __future__ import annotations

from careplan.models.flags import FlagCode
from careplan.models.next_steps import NEXT_STEPS, Act, NextStep, NoStep, Tab, next_steps


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
