"""The lead professional's review of emergency accesses (careplan.ui.emergency.ReviewDialog):
the accesses not yet reviewed are listed, the first chosen; Record review records the
chosen one through the window's writer and the list then says every access is reviewed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import ui_world
from ui_helpers import file_settings, settle, sign_in

from careplan.models import Consent, EmergencyAccess
from careplan.models.enums import ConsentStatus
from careplan.store import Store, add, emergency, find
from careplan.ui.emergency import ReviewDialog
from careplan.ui.mainwindow import MainWindow

TODAY = ui_world.TODAY
REASONS = ("Found confused at home at night; needed her medicines list.",
           "Brought to A&E by ambulance; no one else could be reached.")


@pytest.fixture
def accessed(tmp_path: Path) -> tuple[Path, ui_world.World]:
    """Margaret Wood refused the Community Mental Health Team; its CPN, Carl Hughes, opened
    her record in an emergency twice (02:15 and 03:40 today)."""
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        w = ui_world.build(store)
        add(store, Consent(person_id=w.older, agency_id=w.mh_team,
                           status=ConsentStatus.REFUSED, recorded_on=TODAY - timedelta(days=7),
                           recorded_by=w.nina_nurse), "test")
        night = datetime.combine(TODAY, datetime.min.time())
        for reason, at in zip(REASONS, (night.replace(hour=2, minute=15),
                                        night.replace(hour=3, minute=40)), strict=True):
            emergency.open_in_emergency(store, w.older, reason, w.carl_cpn, at)
    return path, w


def test_the_lead_reviews_the_access_chosen(qtbot, qtmodeltester, tmp_path,  # type: ignore[no-untyped-def]
                                            accessed) -> None:
    path, w = accessed
    win = MainWindow(file_settings(tmp_path), today=lambda: TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, w.nina_nurse)  # her lead professional
    ws = win.open_person(w.older)
    dialog = ReviewDialog(ws)
    qtbot.addWidget(dialog)
    listed = dialog.list
    qtmodeltester.check(listed.choices)
    assert listed.accessibleName() == "Accesses not yet reviewed"
    texts = [listed.choices.text(r) for r in range(listed.choices.rowCount())]
    assert len(texts) == 2 and all("Carl Hughes of Community Mental Health Team" in t
                                   for t in texts)
    assert {t.split("“")[1].rstrip("”") for t in texts} == set(REASONS)
    assert listed.current_row() == 0 and dialog.review_button.isEnabled()
    assert dialog.why.text().startswith("Record that you have reviewed the access chosen")

    listed.set_current_row(1)
    chosen = listed.current_value()
    dialog.note.setText("Appropriate: seen in A&E overnight")
    dialog.review_button.click()
    settle(win)
    qtbot.waitUntil(lambda: listed.choices.rowCount() == 1)
    with Store.open(path) as store:
        reviewed = [a for a in find(store, EmergencyAccess, person_id=w.older) if a.reviewed]
    assert [(a.id, a.reviewed_by, a.review_note) for a in reviewed] == [
        (chosen, w.nina_nurse, "Appropriate: seen in A&E overnight")]
    assert listed.current_row() == 0 and listed.current_value() != chosen
    assert dialog.note.text() == ""
    qtmodeltester.check(listed.choices)

    dialog.review_button.click()
    settle(win)
    qtbot.waitUntil(lambda: listed.choices.rowCount() == 0)
    assert listed.current_row() == -1 and not dialog.review_button.isEnabled()
    assert dialog.why.text() == "Every emergency access to this record is reviewed."
    dialog.reject()
    win.close()
