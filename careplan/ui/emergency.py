"""Emergency access ("break glass") in the app: opening a record one's agency may not
see, giving the reason, and the lead professional's review of such an access.

File ▸ Emergency access… asks for the person's NHS number and why; the access goes to
the window's writer as an operation (careplan.store.emergency.open_in_emergency; never
written from the GUI thread, never on an Undo stack: it must stay recorded), and the
record then opens with a banner saying so. The ``break-glass`` flag in the person's
header opens the list of accesses not yet reviewed, where the lead professional (or a
manager of an agency on the care team) records their review.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from careplan import clock
from careplan.models import EmergencyAccess
from careplan.models import permissions as rules
from careplan.models.flags import FlagCode
from careplan.store import emergency
from careplan.store.visibility import basis_for
from careplan.ui import text
from careplan.ui.listmodels import ChoiceList
from careplan.ui.workspace.forms import RecordForm

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace
    from careplan.ui.workspace.header import PersonHeader


def ask_to_open(window: Any) -> RecordForm | None:
    """Ask for the NHS number and the reason, record the access, then open the record.
    Returns the form (already closed); None when nobody who may do this is signed in."""
    store, actor, viewer = window.store, window.actor, window.viewer
    runner = window.edits.runner
    if store is None or runner is None:
        return None
    tr = window.tr
    if actor is None:
        QMessageBox.warning(window, tr("Emergency access"),
                            rules.break_glass(None).reason)
        return None
    today = window.today()

    def build(f: RecordForm) -> tuple[str, str]:
        person = emergency.person_by_nhs(store, f.text("nhs"))
        if basis_for(store, person.id, viewer.agency_id, today).allowed:
            raise ValueError("NHS number: this person's record is shared with your agency; "
                             "open it from the caseload")
        reason = f.text("reason")
        if len(" ".join(reason.split())) < emergency.SHORTEST_REASON:
            raise ValueError("reason: say why you must open this record in an emergency "
                             "(it is recorded and the lead professional reads it)")
        return person.id, reason

    form = RecordForm(tr("Emergency access"), tr(
        "Open the record of a person your agency may not see, in an emergency only. Who "
        "you are, whose record, why and when are recorded and reported to the person's "
        "lead professional and on the handoff audit; the record stays open to you until "
        "the end of today."), build, window)
    form.add_text("nhs", tr("&NHS number:"), hint=tr("the person's 10 digits"))
    form.add_text("reason", tr("&Why now:"),
                  hint=tr("e.g. brought to A&E unconscious; no one else can be reached"))
    opened: list[str] = []

    def save(built: tuple[str, str], saved: Any, refused: Any) -> None:
        person_id, reason = built
        at = datetime.combine(today, clock.now().time().replace(microsecond=0))
        actor_id = window.actor_id()

        def done(_result: Any) -> None:
            opened.append(person_id)
            saved()

        runner.submit(tr("Emergency access"),
                      lambda s: emergency.open_in_emergency(s, person_id, reason, actor_id,
                                                            at),
                      done=done, failed=refused, owner=form)

    form.saving(save)
    form.finish()
    if form.exec() and opened:
        window.open_person(opened[0])
    return form


def offer_review(ws: PersonWorkspace, code: str) -> ReviewDialog | None:
    """For the ``break-glass`` flag, show the person's accesses waiting for review (the
    one already open, made the active window, when the flag and its next step both ask)."""
    if code != FlagCode.BREAK_GLASS.value:
        return None
    shown = [d for d in ws.findChildren(ReviewDialog) if d.isVisible()]
    if shown:
        shown[0].activateWindow()
        return shown[0]
    dialog = ReviewDialog(ws)
    dialog.open()
    return dialog


def describe(access: EmergencyAccess, ws: PersonWorkspace) -> str:
    d = ws.pf.directory
    return (f"{text.fmt_datetime(access.opened_at)}: {d.professional_name(access.professional_id)}"
            f" of {d.agency_name(access.agency_id)} — “{text.one_line(access.reason, 300)}”")


class ReviewDialog(QDialog):
    """The person's emergency accesses not yet reviewed; the lead professional records
    their review of the one chosen, with a note."""

    def __init__(self, ws: PersonWorkspace) -> None:
        super().__init__(ws)
        self.ws = ws
        self.setWindowTitle(self.tr("Emergency access to this record"))
        self.setAccessibleName(self.tr("Emergency accesses to review"))
        self.list = ChoiceList()
        self.list.setAccessibleName(self.tr("Accesses not yet reviewed"))
        self.list.setWordWrap(True)
        self.note = QLineEdit()
        self.note.setAccessibleName(self.tr("Review note"))
        self.note.setPlaceholderText(self.tr("e.g. appropriate: seen in A&E overnight"))
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.review_button = QPushButton(self.tr("Record &review"))
        self.review_button.clicked.connect(self.review)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.why)
        layout.addWidget(self.review_button)
        layout.addWidget(close)
        self.resize(720, 320)
        self.waiting: list[EmergencyAccess] = []
        self.reload()

    def reload(self) -> None:
        self.waiting = [a for a in self.ws.pf.emergency_accesses if not a.reviewed]
        self.list.set_rows([(describe(access, self.ws), access.id) for access in self.waiting])
        allowed = rules.review_emergency_access(self.ws.who, self.ws.care_team(),
                                                self.ws.pf.directory)
        writable = self.ws.edits is not None and self.ws.edits.runner is not None
        self.review_button.setEnabled(bool(self.waiting) and allowed.allowed and writable)
        self.review_button.setToolTip("" if allowed.allowed else allowed.reason)
        if not self.waiting:
            self.why.setText(self.tr("Every emergency access to this record is reviewed."))
        elif not allowed.allowed:
            self.why.setText(allowed.reason)
        else:
            self.why.setText(self.tr("Record that you have reviewed the access chosen; "
                                     "its flag then clears."))
        if self.waiting:
            self.list.set_current_row(0)

    def review(self) -> None:
        ws = self.ws
        row = self.list.current_row()
        if not 0 <= row < len(self.waiting) or ws.edits is None or ws.edits.runner is None \
                or not ws.require_actor():
            return
        access, note, actor, at = self.waiting[row], self.note.text(), ws.actor_id(), ws.now()
        self.review_button.setEnabled(False)

        def done(_result: Any) -> None:
            ws.reload()
            self.note.clear()
            self.reload()

        def refused(exc: Exception) -> None:
            QMessageBox.warning(self, self.tr("Not recorded"), str(exc))
            self.reload()

        ws.edits.runner.submit(self.tr("Review an emergency access"),
                               lambda s: emergency.review(s, access, note, actor, at),
                               done=done, failed=refused, owner=self)


def hook(header: PersonHeader, ws: PersonWorkspace) -> None:
    """Connect the header's flags to :func:`offer_review`."""
    header.flag_opened.connect(lambda code: offer_review(ws, code))


__all__ = ["ReviewDialog", "ask_to_open", "hook", "offer_review"]
