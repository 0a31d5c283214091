"""Accepting a referral in the app says how: as the lead team (it settles a dispute) or to
assess first (the referral stays open until a team leads: NICE QS188; before, the app
could only record an acceptance for assessment, so only a panel settled a dispute)."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_world
from PySide6.QtCore import Qt
from ui_helpers import file_settings, settle, sign_in, when_modal

from careplan.models import ReferralEvent
from careplan.models.enums import ReferralEventKind
from careplan.store import Store, find
from careplan.ui.mainwindow import MainWindow
from careplan.ui.workspace.dialogs import StepDialog

WAIT_MS = 20_000


@pytest.fixture
def window(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store)
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flags_loaded, timeout=WAIT_MS):
        sign_in(qtbot, win, path, world.carl_cpn)  # the mental health team holds it
    yield win, world, path


def _accept(qtbot, win, world, as_lead: bool) -> None:  # type: ignore[no-untyped-def]
    ws = win.open_person(world.dual)
    ws.show_tab(ws.referrals_tab)

    def fill(dialog: StepDialog) -> None:
        assert dialog.choice is not None
        dialog.choice.setCurrentIndex(dialog.choice.findData(as_lead))
        dialog._check()

    when_modal(fill)  # type: ignore[arg-type]
    qtbot.mouseClick(ws.referrals_tab.buttons[ReferralEventKind.ACCEPTED],
                     Qt.MouseButton.LeftButton)
    settle(win)
    return ws


def _codes(win, person_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    summary = win.flags.get(person_id)
    return summary.codes() if summary is not None else set()


def test_accepting_as_the_lead_team_ends_the_dispute(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, path = window
    assert "referral-dispute" in _codes(win, world.dual)
    _accept(qtbot, win, world, as_lead=True)
    with Store.open(path, create=False) as store:
        accepted = [e for e in find(store, ReferralEvent, referral_id=world.dual_referral)
                    if e.kind is ReferralEventKind.ACCEPTED]
    assert [e.as_lead for e in accepted] == [True]
    qtbot.waitUntil(lambda: "referral-dispute" not in _codes(win, world.dual),
                    timeout=WAIT_MS)


def test_accepting_to_assess_first_leaves_the_dispute_open(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, path = window
    _accept(qtbot, win, world, as_lead=False)
    with Store.open(path, create=False) as store:
        accepted = [e for e in find(store, ReferralEvent, referral_id=world.dual_referral)
                    if e.kind is ReferralEventKind.ACCEPTED]
    assert [e.as_lead for e in accepted] == [False]
    qtbot.wait(300)  # the flags of the changed person are rechecked in a worker
    qtbot.waitUntil(lambda: not win.jobs, timeout=WAIT_MS)
    assert "referral-dispute" in _codes(win, world.dual)
