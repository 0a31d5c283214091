"""Words on screen (issue 16): flags by name, not code ("Turning 18", not
``transition-18``), counts with their plural forms ("2 warnings", not "2 warning"), and
the History tab in names and England's local time, not ids and UTC."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import ui_world
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QPushButton

from careplan.models import Action, Professional
from careplan.models.flags import LABELS, FlagCode, flag_label
from careplan.store import Store, get, update
from careplan.ui import plurals, text
from careplan.ui.caseload_model import CaseloadModel
from careplan.ui.caseload_view import CaseloadPanel
from careplan.ui.flagview import FlagSummary, badge_text
from careplan.ui.workspace import PersonWorkspace
from careplan.ui.workspace.header import PersonHeader

TURNING_18 = FlagSummary((("critical", 1), ("warning", 2)), (
    ("critical", "transition-18", "Turns 18 on 2 Jun 2025 with no adult-services worker"),
    ("warning", "review-overdue", "Review was due on 1 Mar 2025"),
    ("warning", "action-unowned", "An action has no owner")))


def test_every_flag_code_has_words() -> None:
    assert set(LABELS) == set(FlagCode)
    assert FlagCode.TRANSITION_18.label == "Turning 18"
    assert len(set(LABELS.values())) == len(LABELS)  # no two flags read alike
    assert all(words[0].isupper() and "-" not in words.split()[0] for words in LABELS.values())
    assert flag_label("transition-18") == "Turning 18"
    assert flag_label("a-code-from-a-newer-version") == "a-code-from-a-newer-version"


@pytest.mark.parametrize(("severity", "n", "words"), [
    ("warning", 1, "1 warning"), ("warning", 2, "2 warnings"), ("critical", 1, "1 critical"),
    ("critical", 3, "3 critical"), ("info", 2, "2 info"), ("warning", 0, "0 warnings"),
])
def test_badges_count_in_plural_forms(qapp, severity: str, n: int, words: str) -> None:  # type: ignore[no-untyped-def]
    """Before issue 16 a badge read "2 warning"."""
    assert badge_text(severity, n) == words


def test_qt_tr_with_n_gives_english_plurals(qapp) -> None:  # type: ignore[no-untyped-def]
    plurals.install()
    plurals.install()  # once is enough; twice changes nothing
    tr = QCoreApplication.translate
    assert tr("X", "%n person(s)", None, 1) == "1 person"
    assert tr("X", "%Ln person(s)", None, 50000) == "50,000 persons"
    assert tr("X", "Hello (s)") == "Hello (s)"  # no count: the text as written
    assert text.days_text(1) == "1 day" and text.days_text(12) == "12 days"


def test_summary_text_and_tooltip_use_words(qapp) -> None:  # type: ignore[no-untyped-def]
    assert TURNING_18.text() == "1 critical, 2 warnings"
    assert TURNING_18.tooltip().splitlines()[0] == (
        "Turning 18 (critical): Turns 18 on 2 Jun 2025 with no adult-services worker")
    assert "transition-18" not in TURNING_18.tooltip()


def test_flag_chips_in_the_header_read_as_words(qtbot) -> None:  # type: ignore[no-untyped-def]
    header = PersonHeader()
    qtbot.addWidget(header)
    header.show_flags(TURNING_18)
    buttons = [b for b in header.findChildren(QPushButton) if b is not header.edit]
    chips = [b.text() for b in buttons]
    assert chips == ["Turning 18", "Review overdue", "Action with no owner"]
    codes: list[str] = []
    header.flag_opened.connect(codes.append)
    buttons[0].click()
    assert codes == ["transition-18"]  # the code stays the key
    assert header.why.text().startswith("<b>Turning 18</b>")


def test_caseload_filters_in_words(qtbot, store: Store) -> None:  # type: ignore[no-untyped-def]
    world = ui_world.build(store, extra_persons=2)
    model = CaseloadModel(store, ui_world.TODAY)
    model.set_query(ui_world.query(store))  # read by an agency that may see everyone
    panel = CaseloadPanel(model)
    qtbot.addWidget(panel)
    panel.set_flags({world.teen: TURNING_18})
    shown = [panel.flag_code.itemText(i) for i in range(panel.flag_code.count())]
    assert shown == ["Any or no flag", "Action with no owner", "Review overdue", "Turning 18"]
    assert panel.flag_code.itemData(3) == "transition-18"
    severities = [panel.severity.itemText(i) for i in range(panel.severity.count())]
    assert severities == ["Any severity", "Critical only", "Critical or warning", "Any flag"]
    panel.flag_code.setCurrentIndex(3)
    assert panel.count.text() == "1 person"
    panel.flag_code.setCurrentIndex(0)
    assert panel.count.text() == "5 persons"


# -- History ----------------------------------------------------------------------------------


def test_history_in_names_and_local_time(qtbot, store: Store) -> None:  # type: ignore[no-untyped-def]
    """Before issue 16 the History tab showed ids ("owner professional id: 01a2… →
    01a2…") and the UTC time of each change."""
    from signin import ensure_account

    world = ui_world.build(store)
    # 09:15 UTC on 1 June is 10:15 British Summer Time.
    store.clock = lambda: datetime(2025, 6, 1, 9, 15, tzinfo=UTC)
    action = get(store, Action, world.teen_action)
    moved = update(store, replace(action, owner_professional_id=world.nina_nurse,
                                  due_date=action.due_date.replace(day=30)), world.sam_social)
    admin = ensure_account(store, "admin")
    store.clock = lambda: datetime(2025, 1, 10, 9, 15, tzinfo=UTC)  # GMT: 09:15 in England
    update(store, replace(moved, description="Care Act assessment before the 18th birthday"),
           admin.actor)
    actor = get(store, Professional, world.sam_social)
    ws = PersonWorkspace(store, world.teen, ui_world.TODAY, actor)
    qtbot.addWidget(ws)
    ws.show_tab(ws.history_tab)
    model = ws.history_tab.model
    rows = [[model.index(r, c).data() for c in range(4)] for r in range(model.rowCount())]
    by_when = {row[0]: row for row in rows}
    owner_change = by_when["1 Jun 2025 10:15"]
    assert owner_change[1] == "Sam Okafor"
    assert owner_change[2] == "Action: Care Act assessment before 18th birthday"
    assert "Owner: Sam Okafor → Nina Clarke" in owner_change[3]
    assert "Due date: 19 Apr 2025 → 30 Apr 2025" in owner_change[3]
    renamed = by_when["10 Jan 2025 09:15"]
    assert renamed[1] == "admin (administrator)"
    assert renamed[3].startswith("Description: Care Act assessment before 18th birthday →")
    every = " ".join(str(cell) for row in rows for cell in row)
    assert world.sam_social not in every and world.nina_nurse not in every
    assert "+00:00" not in every and "T09:" not in every and "_id" not in every
    assert "Added" in {row[3] for row in rows}
