"""The desktop app stamps an act (a handoff proposed or answered, a plan signed or issued,
a case conference) with the time in England, not the machine's time of day: on a machine
set to UTC, 00:30 British Summer Time on 1 July was stamped 23:30 on 1 July."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from careplan import clock
from careplan.ui.workspace import PersonWorkspace


@pytest.mark.parametrize("utc,day,stamped", [
    # 00:30 BST on 1 July is 23:30 UTC on 30 June.
    (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1), datetime(2026, 7, 1, 0, 30)),
    # In winter England is on UTC.
    (datetime(2026, 1, 15, 9, 5, tzinfo=UTC), date(2026, 1, 15), datetime(2026, 1, 15, 9, 5)),
])
def test_an_act_is_stamped_in_englands_time(monkeypatch: pytest.MonkeyPatch, utc: datetime,
                                            day: date, stamped: datetime) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: utc)
    assert clock.today() == day
    workspace = SimpleNamespace(today=day)  # the one thing now() reads of the workspace
    assert PersonWorkspace.now(workspace) == stamped  # type: ignore[arg-type]
