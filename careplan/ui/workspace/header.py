"""The person's header: who they are, who leads, and their flags (click for why)."""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from careplan.store.person_file import PersonFile
from careplan.ui import text
from careplan.ui.flagview import SEVERITY_COLOURS, FlagSummary
from careplan.ui.flagview import label as flag_words


def lead_name(pf: PersonFile, today: date) -> str | None:
    for member in pf.team:
        if member.is_lead and member.active_on(today):
            return pf.directory.professional_name(member.professional_id)
    return None


class PersonHeader(QWidget):
    #: A flag was clicked (its code): a flag with more to it than its why (a sync
    #: conflict to decide) opens its detail (careplan.ui.conflicts).
    flag_opened = Signal(str)
    #: "Edit details…" was pressed (name, date of birth, NHS number...).
    edit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLabel()
        self.name.setObjectName("person-name")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setAccessibleName(self.tr("Person"))
        self.facts = QLabel()
        self.facts.setAccessibleName(self.tr("Age, NHS number and lead professional"))
        self.facts.setWordWrap(True)
        #: Shown when the reader opened this record in an emergency (break glass).
        self.emergency = QLabel()
        self.emergency.setWordWrap(True)
        self.emergency.setAccessibleName(self.tr("Opened in an emergency"))
        self.emergency.setStyleSheet(
            f"QLabel {{ color: white; background: {SEVERITY_COLOURS['critical']};"
            " padding: 4px 8px; font-weight: bold; }")
        self.emergency.hide()
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setAccessibleName(self.tr("Why this flag"))
        self.why.hide()
        self.flag_row = QHBoxLayout()
        self.flag_row.setSpacing(6)
        self.edit = QPushButton(self.tr("&Edit details…"))
        self.edit.setAccessibleName(self.tr("Edit the person's details"))
        self.edit.clicked.connect(self.edit_requested)
        top = QHBoxLayout()
        top.addWidget(self.name)
        top.addStretch(1)
        top.addWidget(self.edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.emergency)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addLayout(self.flag_row)
        layout.addWidget(self.why)
        self._buttons: list[QPushButton] = []

    def show_person(self, pf: PersonFile, today: date, flags: FlagSummary | None) -> None:
        p = pf.person
        self.name.setText(p.name)
        lead = lead_name(pf, today)
        parts = [
            self.tr("Age %s (born %s)") % (text.age_text(p.birth_date, today),
                                           text.fmt_date(p.birth_date)),
            self.tr("NHS number %s") % (text.fmt_nhs(p.nhs_number) or self.tr("not recorded")),
            self.tr("Lead professional: %s") % (lead or self.tr("none named")),
        ]
        self.facts.setText("   ·   ".join(parts))
        access = pf.opened_in_emergency
        if access is not None:
            self.emergency.setText(self.tr(
                "Opened in an emergency at %s for: “%s”. Your agency has no sharing basis "
                "for this person; this access is recorded and reported to their lead "
                "professional, and ends today.") % (f"{access.opened_at:%H:%M}",
                                                   text.one_line(access.reason, 200)))
            self.emergency.show()
        else:
            self.emergency.hide()
        self.show_flags(flags)

    def show_flags(self, flags: FlagSummary | None) -> None:
        for b in self._buttons:
            self.flag_row.removeWidget(b)
            b.deleteLater()
        self._buttons = []
        while self.flag_row.count():
            self.flag_row.takeAt(0)
        self.why.hide()
        lines = flags.lines if flags else ()
        if not lines:
            label = QPushButton(self.tr("No flags"))
            label.setFlat(True)
            label.setEnabled(False)
            self._buttons.append(label)
            self.flag_row.addWidget(label)
        for sev, code, why in lines:
            button = QPushButton(flag_words(code))
            button.setProperty("flag_code", code)  # the words are for people; the code is the key
            button.setToolTip(why)
            button.setAccessibleName(self.tr("Flag %s, %s") % (flag_words(code), sev))
            button.setAccessibleDescription(why)
            colour = SEVERITY_COLOURS.get(sev, SEVERITY_COLOURS["info"])
            button.setStyleSheet(
                f"QPushButton {{ background: {colour}; color: white; border-radius: 10px;"
                " padding: 3px 10px; font-weight: bold; }"
                " QPushButton:focus { border: 2px solid palette(highlight); }")
            button.clicked.connect(lambda _=False, w=why, c=code: self._show_why(c, w))
            self._buttons.append(button)
            self.flag_row.addWidget(button)
        self.flag_row.addStretch(1)

    def _show_why(self, code: str, why: str) -> None:
        self.why.setText(f"<b>{html.escape(flag_words(code))}</b>: {html.escape(why)}")
        self.why.setVisible(True)
        self.flag_opened.emit(code)
