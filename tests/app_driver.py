"""The real desktop app in a process of its own, taking orders on stdin (end-to-end tests).

Run as ``python tests/app_driver.py STORE USERNAME PERSON_ID``. It starts the app exactly
as ``careplan --db STORE --user USERNAME`` does (through careplan.cli.main: the automatic
backup thread, the damage check, the flags worker, the caseload), and signs in on its
sign-in screen with the password in the file named by CAREPLAN_PASSWORD_FILE, typed
there and Enter pressed. The one addition is a window that reads lines on stdin:

- ``add-need TEXT`` opens the person and adds a need through the Plan tab's real form;
  once the store has committed it prints ``saved NEED_ID``.

It prints ``ready`` once signed in and the store's flags are loaded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QSocketNotifier, QTimer  # noqa: E402
from ui_helpers import when_modal  # noqa: E402

from careplan import cli  # noqa: E402
from careplan.ui import app as app_module  # noqa: E402
from careplan.ui.mainwindow import MainWindow  # noqa: E402
from careplan.ui.workspace.forms import RecordForm  # noqa: E402

USERNAME = sys.argv[2]
PERSON_ID = sys.argv[3]


class DrivenWindow(MainWindow):
    def open_store(self, path, *, create=False):  # type: ignore[no-untyped-def]
        opened = super().open_store(path, create=create)
        if opened:
            self.flags_loaded.connect(self._ready)
            self._orders = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read, self)
            self._orders.activated.connect(self._order)
            QTimer.singleShot(0, self._sign_in)
        return opened

    def _sign_in(self) -> None:
        page = self.sign_in_page
        assert page is not None and page.credentials.user.text() == USERNAME
        secret = Path(os.environ["CAREPLAN_PASSWORD_FILE"]).read_text(encoding="utf-8")
        page.credentials.password.setText(secret.splitlines()[0])
        page.credentials.password.returnPressed.emit()

    def _ready(self) -> None:
        self.flags_loaded.disconnect(self._ready)
        _say("ready")

    def _order(self) -> None:
        line = sys.stdin.readline()
        if not line:  # the test went away
            self.close()
            return
        verb, _, text = line.strip().partition(" ")
        if verb == "add-need":
            QTimer.singleShot(0, lambda: self._add_need(text))

    def _add_need(self, text: str) -> None:
        ws = self.open_person(PERSON_ID)

        def fill(form: RecordForm) -> None:
            form.fields["description"].setText(text)  # type: ignore[attr-defined]
            form.check()  # OK: builds the need and accepts the form

        when_modal(fill)  # type: ignore[arg-type]
        ws.plan_tab.add_need.click()
        assert self.store is not None
        row = self.store.conn.execute("SELECT id FROM needs WHERE description = ?",
                                      (text,)).fetchone()
        _say(f"saved {row[0]}" if row else f"not saved {text}")


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    app_module.MainWindow = DrivenWindow  # type: ignore[misc]
    sys.exit(cli.main(["--db", sys.argv[1], "--user", USERNAME]))
