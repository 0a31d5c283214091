"""The window follows what it did not write itself (HAZ-023): another process's commits
to the same store, and midnight in England, reach the views with no refresh."""

from __future__ import annotations

from datetime import date

import pytest
import ui_world
from ui_helpers import settle

from careplan.models import Action, Person
from careplan.store import caseload as q
from careplan.store import get, update
from careplan.ui.caseload_model import COLUMNS


@pytest.fixture
def setup(signed_in_world):  # type: ignore[no-untyped-def]
    days = [ui_world.TODAY]
    # The second connection stands for another program on the same file.
    win, world, other, _ = signed_in_world("sam_social", today=lambda: days[0])
    return win, world, other, days


def test_another_programs_change_reaches_the_open_person_and_the_caseload(
        qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, other, _ = setup
    ws = win.open_person(world.teen)
    teen = get(other, Person, world.teen)
    update(other, teen.evolve(family_name="Baker-Jones"), world.dr_shah)
    action = get(other, Action, world.teen_action)
    update(other, action.evolve(description="Changed from a terminal"), world.dr_shah)
    qtbot.waitUntil(lambda: ws.header.name.text() == "Jordan Baker-Jones", timeout=10_000)
    model = ws.plan_tab.action_model
    assert any(a.description == "Changed from a terminal" for a in model.records)
    qtbot.waitUntil(lambda: win.model.index(win.model.row_of(world.teen), 0).data()
                    == "Baker-Jones, Jordan", timeout=10_000)


def test_the_windows_own_edit_is_not_told_twice(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, _, _ = setup
    ws = win.open_person(world.teen)
    told: list[object] = []
    win.edits.runner.changed.connect(told.append)
    index = ws.plan_tab.action_model.index(
        next(n for n, a in enumerate(ws.plan_tab.action_model.records)
             if a.id == world.teen_action), 0)
    ws.plan_tab.action_model.setData(index, "My own edit")
    settle(win)
    qtbot.waitUntil(lambda: len(told) == 1)
    win.watch.check()
    assert len(told) == 1  # the writer's Changes, not the watch's copy of them
    assert win.watch._seq > 0


def test_midnight_judges_everything_again_on_the_new_day(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, _, days = setup
    ws = win.open_person(world.teen)
    qtbot.waitUntil(lambda: win.person_flags(world.teen) is not None, timeout=30_000)
    at_17 = win.person_flags(world.teen).lines
    age = COLUMNS.index(q.SortKey.AGE)
    row = win.model.row_of(world.teen)
    assert win.model.index(row, age).data() == "17"
    days[0] = date(2025, 6, 2)  # Jordan's 18th birthday
    with qtbot.waitSignal(win.flags_loaded, timeout=30_000):
        win.watch.check()
    assert ws.today == date(2025, 6, 2)
    assert ws.now().date() == date(2025, 6, 2)  # acts are dated on the new day
    assert "Age 18" in ws.header.facts.text()
    qtbot.waitUntil(lambda: win.model.index(win.model.row_of(world.teen), age).data()
                    == "18")
    before = {code: sev for sev, code, _ in at_17}
    after = {code: sev for sev, code, _ in win.person_flags(world.teen).lines}
    assert (before.get("transition-18"), after.get("transition-18")) == ("warning", "critical")
    assert "new day" in win.statusBar().currentMessage()


def test_the_day_is_checked_just_after_midnight_in_england() -> None:
    from datetime import UTC, datetime

    from careplan.ui.store_watch import until_midnight_ms

    # 23:00 UTC in summer is already 00:00 in England: the next midnight is a day on.
    assert until_midnight_ms(datetime(2025, 7, 1, 23, 0, tzinfo=UTC)) == 86_401_000
    # Winter: 23:59:00 UTC is 23:59:00 GMT.
    assert until_midnight_ms(datetime(2025, 1, 1, 23, 59, tzinfo=UTC)) == 61_000
    # The night the clocks go back (26 Oct 2025): 25 hours from midnight to midnight.
    assert until_midnight_ms(datetime(2025, 10, 25, 23, 0, tzinfo=UTC)) == 90_001_000
