"""Render the client's screenshots into docs/screenshots/ (run under Xvfb).

    make screenshots    # = xvfb-run ... python -m scripts.screenshots

Builds a demo store in a temporary folder with a fixed "today", so the pictures are
the same from run to run, and keeps the user's own settings untouched.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from careplan.demo.build_file import build_demo_file
from careplan.demo.published import ADMIN, DEMO_PASSWORD
from careplan.models import Professional
from careplan.models.accounts import Account
from careplan.models.enums import Role
from careplan.models.flags import FlagCode
from careplan.store import Store, find, keyring
from careplan.store.flagdata import caseload_flags
from careplan.store.visibility import viewer_for, visible_ids
from careplan.ui.app import application
from careplan.ui.mainwindow import MainWindow
from careplan.ui.settings import Settings

TODAY = date(2025, 3, 10)
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZE = (1480, 900)


def settle(app: QApplication, until: Callable[[], bool] = lambda: False,
           seconds: float = 10.0) -> None:
    """Let the event loop run (workers report back) until ``until`` or the time is up."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until():
            break
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()


def shoot(app: QApplication, widget: QWidget, name: str) -> None:
    settle(app, seconds=0.3)
    if isinstance(widget, MainWindow):
        widget.statusBar().clearMessage()  # not the temporary folder's path
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


def person_with(window: MainWindow, code: str, age: int | None = None,
                on_team: str | None = None) -> str:
    """A person flagged ``code`` (of ``age``; with the professional ``on_team`` on their
    care team)."""
    from careplan.models import Person
    from careplan.models.dates import age_on
    from careplan.store import get

    for person_id, summary in sorted(window.flags.items()):
        if code in summary.codes():
            person = get(window.store, Person, person_id)  # type: ignore[arg-type]
            if age is not None and age_on(person.birth_date, TODAY) != age:
                continue
            if on_team is not None and window.store.conn.execute(  # type: ignore[union-attr]
                    "SELECT 1 FROM care_team_members WHERE person_id = ? "
                    "AND professional_id = ? AND end_date IS NULL",
                    (person_id, on_team)).fetchone() is None:
                continue
            return str(person_id)
    raise SystemExit(f"the demo has nobody flagged {code}")


def get_person(window: MainWindow, person_id: str) -> Any:
    from careplan.models import Person
    from careplan.store import get

    return get(window.store, Person, person_id)  # type: ignore[arg-type]


def register_person(app: QApplication, window: MainWindow, someone: Any) -> None:
    """The Register a person form, with a person typed who may already be on record (the
    same date of birth and name): the possible duplicate is listed before saving."""
    from PySide6.QtCore import QTimer

    from careplan.ui.workspace.forms import RecordForm

    def fill() -> None:
        form = QApplication.activeModalWidget()
        if not isinstance(form, RecordForm):
            QTimer.singleShot(100, fill)
            return
        for name, value in (("given", someone.given_name), ("family", someone.family_name),
                            ("birth", someone.birth_date.strftime("%d/%m/%Y")),
                            ("address", "14 Mill Lane")):
            form.fields[name].setText(value)  # type: ignore[attr-defined]
        form.check()  # lists the possible duplicate; nothing is saved
        form.resize(form.sizeHint())
        shoot(app, form, "register-person")
        form.reject()

    QTimer.singleShot(100, fill)
    window.register_person()


def main() -> int:
    app = application()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.db"
        # Encrypted, as careplan demo and the first start make it.
        build_demo_file(path, persons=200, seed=1, today=TODAY, parallel=False)
        key = keyring.unlock(path, ADMIN, DEMO_PASSWORD, datetime.now(UTC))
        store = Store.open(path, create=False, key=key)
        # A professional on the care team of a 17-year-old flagged transition-18, so that
        # the case conference shot is of a person whose conference they may record.
        flagged = sorted({f.person_id for f in caseload_flags(store, TODAY)
                          if f.code is FlagCode.TRANSITION_18})
        teams = {str(r[0]) for r in store.conn.execute(
            "SELECT m.professional_id FROM care_team_members m "
            "JOIN persons p ON p.id = m.person_id WHERE m.end_date IS NULL "
            f"AND p.birth_date > ? AND p.birth_date <= ? AND m.person_id IN "
            f"({','.join('?' * len(flagged))})",
            (TODAY.replace(year=TODAY.year - 18).isoformat(),
             TODAY.replace(year=TODAY.year - 17).isoformat(), *flagged))}
        # Social workers first; anyone on such a team otherwise (with consent honoured,
        # only the GPs of the demo see both a teenager turning 18 and a dispute).
        workers = sorted(find(store, Professional, order_by="name"),
                         key=lambda p: p.role is not Role.SOCIAL_WORKER)
        # ... whose agency may also see someone in a referral dispute (the bounce chain).
        disputes = sorted({f.person_id for f in caseload_flags(store, TODAY)
                           if f.code is FlagCode.REFERRAL_DISPUTE})

        def sees_a_dispute(p: Professional) -> bool:
            return bool(visible_ids(store, viewer_for(store, p.id), disputes, TODAY))

        coordinator = next((p for p in workers if p.id in teams and sees_a_dispute(p)),
                           next((p for p in workers if p.id in teams), workers[0]))
        username = find(store, Account, professional_id=coordinator.id)[0].username
        store.close()
        settings = Settings(QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings, today=lambda: TODAY)
        window.resize(*SIZE)
        window.show()
        window.open_store(path)
        # Signed in on the sign-in screen, as the coordinator, with the demo's password.
        assert window.sign_in_page is not None
        form = window.sign_in_page.credentials
        form.user.setText(username)
        form.password.setText(DEMO_PASSWORD)
        form.password.setFocus()
        window.sign_in_page.where.hide()  # the temporary folder's path
        shoot(app, window, "sign-in")
        form.go()
        settle(app, lambda: window.account is not None, 30)
        assert window.account is not None, form.message.text()
        settle(app, lambda: bool(window.flags), 30)
        assert window.caseload is not None and window.my_work is not None
        shoot(app, window, "my-work")  # the first tab after sign-in
        window.show_caseload()
        from PySide6.QtCore import Qt

        from careplan.store.caseload import SortKey
        from careplan.ui.caseload_model import COLUMNS

        window.caseload.table.sortByColumn(COLUMNS.index(SortKey.FLAGS),
                                           Qt.SortOrder.DescendingOrder)
        settle(app, lambda: window.model is not None and not window.model.busy, 30)
        shoot(app, window, "caseload")

        teen = window.open_person(person_with(window, "transition-18", age=17,
                                              on_team=coordinator.id))
        shoot(app, window, "plan")
        register_person(app, window, get_person(window, teen.person_id))

        # File ▸ Print: the joint plan's PDF, made in a worker, in the print preview.
        from careplan.ui.printing import PLAN

        window.printing.print_document(PLAN)
        settle(app, lambda: window.printing.preview is not None, 30)
        preview = window.printing.preview
        assert preview is not None, "the print preview did not open"
        preview.resize(*SIZE)
        settle(app, lambda: preview.widget().pageCount() > 0, 30)
        shoot(app, preview, "print-preview")
        preview.close()

        dual = window.open_person(person_with(window, "referral-dispute"))
        dual.tabs.setCurrentWidget(dual.referrals_tab)
        tab = dual.referrals_tab
        for row in range(tab.referrals.rowCount()):
            tab.list_view.selectRow(row)
            chain = tab.chain.chain
            if chain is not None and chain.is_dispute:
                break
        shoot(app, window, "referral-bounce-chain")

        window.tabs.setCurrentWidget(teen)
        window.act_conference.trigger()
        mode = teen.conference
        if mode.attendee_model.rowCount() > 1:
            mode.attendee_model.set_present(1, True)
        mode.others.setText("Mother, Advocate")
        mode.decision.setText("Start the Care Act assessment before the 18th birthday")
        mode._add_decision()
        mode.action_text.setText("Name an adult-services worker by the next review")
        mode.owner.setCurrentIndex(min(1, mode.owner.count() - 1))
        mode._add_action()
        shoot(app, window, "case-conference")
        mode.new_actions.clear()
        mode.decisions.clear()

        window.show_dashboard()
        board = window.tabs.currentWidget()
        settle(app, lambda: getattr(board, "data", None) is not None, 30)
        shoot(app, window, "dashboard")
        window.settings.q.clear()
        teen.conference = None  # leave without saving anything
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
