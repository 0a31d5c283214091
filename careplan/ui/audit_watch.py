"""The audit log checked in the background after sign-in, and the banner that warns when
someone changed the store outside CarePlan (careplan.store.audit_check).

The check is ``careplan audit verify``'s: every hash chain recomputed, every record
against its latest event. It runs in a worker with its own connection, after the
window is on screen; it only reads. If it fails, a banner above the tabs says so, who
to tell, and how they can see every problem; the store stays usable (its records are
not damaged, they may have been changed by someone), and the banner stays until the
store is closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from careplan.store import Store
from careplan.ui import workers

if TYPE_CHECKING:  # the check itself is imported when it first runs, after the sign-in
    from careplan.store import audit_check

#: Problems shown in the banner's details at most.
DETAILS = 200


def check_store(path: str, job: workers.Job, key: bytes | None = None
                ) -> audit_check.Report | None:
    """Verify the store at ``path`` (opened with ``key`` when encrypted) with a connection
    of this worker's own (None when cancelled: the store was closed meanwhile)."""
    from careplan.store import audit_check

    store = Store.open(path, create=False, key=key)
    try:
        return audit_check.verify(store, cancelled=lambda: job.is_cancelled)
    finally:
        store.close()


class TamperBanner(QFrame):
    """A strip above the tabs: the audit log does not match the store; tell someone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tamperBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Dark text on a pale amber: legible in light, dark and high-contrast palettes.
        self.setStyleSheet("#tamperBanner { background: #fff4d6; border: 2px solid #8a5a00; }"
                           " #tamperBanner QLabel { color: #000000; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton(self.tr("Details…"))
        self.details_button.clicked.connect(self.show_details)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.details_button)
        self.setAccessibleName(self.tr("The audit log does not match the store"))
        self.report: audit_check.Report | None = None
        self.hide()

    def show_report(self, store_path: str, report: audit_check.Report) -> None:
        self.report = report
        count = len(report.problems)
        first = report.problems[0]
        problems = self.tr("1 problem") if count == 1 else self.tr("%d problems") % count
        self.text.setText("\n".join([
            self.tr("Warning: this store's audit log does not match its records (%s; the "
                    "first: %s %s). Someone may have changed the store outside CarePlan.")
            % (problems, first.entity, first.entity_id),
            self.tr("Tell your information governance lead (or Caldicott guardian) and the "
                    "store's administrator today, and do not rely on what changed until "
                    "they have looked. They can list every problem with: careplan audit "
                    "verify --db %s --user NAME") % store_path]))
        self.show()

    def show_details(self) -> None:
        if self.report is None:
            return
        from careplan.store import audit_check

        lines = audit_check.lines(self.report, DETAILS)
        more = len(self.report.problems) - len(lines)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("The audit log does not match"),
                          self.report.summary()[:1].upper() + self.report.summary()[1:] + ".",
                          QMessageBox.StandardButton.Close, self)
        box.setDetailedText("\n".join(lines) + (self.tr("\n… and %d more.") % more
                                                if more > 0 else ""))
        box.open()


class AuditWatch(QObject):
    """The main window's side: checks the audit log once someone has signed in, and shows
    the banner when it fails."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.banner = TamperBanner()
        self.job: workers.Job | None = None
        #: The last report (None until a check ends): tests and the status bar read it.
        self.report: audit_check.Report | None = None

    def watch(self, store: Store) -> None:
        """Check ``store`` in the background (a store in memory only has nothing to fear
        from a sqlite3 prompt)."""
        self.stop()
        path, key = store.path, store.key
        if path == ":memory:":
            return
        self.job = workers.start(
            lambda job: check_store(path, job, key), self,
            connect=lambda job: job.finished.connect(
                lambda found, s=store: self._known(s, found)))

    def stop(self) -> None:
        """The store is closing: stop checking it, hide the banner."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
        self.report = None
        self.banner.hide()

    def _known(self, store: Store, report: audit_check.Report | None) -> None:
        if store is not getattr(self.window, "store", None) or report is None:
            return
        self.report = report
        if not report.ok:
            self.banner.show_report(store.path, report)


__all__ = ["AuditWatch", "TamperBanner", "check_store"]
