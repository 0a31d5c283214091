"""My work: the first tab after sign-in, what waits for the professional signed in.

The rows come from one store query (careplan.store.mywork), read again whenever the
runner reports Changes (the app's own edits and changes from other stores alike: any
of them may add or remove a row, and the query is a handful of indexed statements).
Each row opens the person's workspace on the tab where the work is done, with its
record chosen there (:data:`TAB_OF`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Professional
from careplan.store import Store
from careplan.store.changes import Changes
from careplan.store.mywork import DUE_WITHIN_DAYS, WorkItem, WorkKind, my_work
from careplan.ui import text
from careplan.ui.tablemodel import RECORD_ROLE, Column, RecordTableModel

#: The workspace tab (a PersonWorkspace attribute) each kind of row opens.
TAB_OF: dict[WorkKind, str] = {
    WorkKind.HANDOFF: "handoffs_tab",
    WorkKind.REFERRAL: "referrals_tab",
    WorkKind.ACTION: "plan_tab",
    WorkKind.SIGNATURE: "plan_tab",
    WorkKind.CONFLICT: "history_tab",
}

_KIND_WORDS = {
    WorkKind.HANDOFF: "Handoff to answer",
    WorkKind.REFERRAL: "Referral to my team",
    WorkKind.ACTION: "My action",
    WorkKind.SIGNATURE: "Plan to sign",
    WorkKind.CONFLICT: "Conflict to decide",
}


def _when(item: WorkItem, today: date) -> str:
    if item.when is None:
        return ""
    day = text.fmt_date(item.when)
    if item.kind is WorkKind.HANDOFF:
        return f"answer by {day}" + (" (late)" if item.overdue else "")
    if item.kind is WorkKind.REFERRAL:
        return f"with my team since {day}"
    if item.overdue:
        return f"was due {day} (overdue)"
    return "due today" if item.when == today else f"due {day}"


def work_model(today: Callable[[], date], parent: QWidget | None = None
               ) -> RecordTableModel[WorkItem]:
    """The table of My work's rows."""
    return RecordTableModel[WorkItem]([
        Column("What", lambda w: _KIND_WORDS[w.kind]),
        Column("Person", lambda w: w.person_name),
        Column("Details", lambda w: w.what, tooltip=lambda w: w.what),
        Column("When", lambda w: _when(w, today()), alert=lambda w: w.overdue),
    ], parent)


class MyWorkView(QWidget):
    """The list, a sentence saying what it holds (or why it is empty), and a count."""

    #: A row was opened (its WorkItem).
    open_item = Signal(object)
    #: How many rows the list holds now.
    count_changed = Signal(int)

    def __init__(self, store: Store, professional: Professional | None,
                 today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.professional = professional
        self.today = today
        self.model = work_model(today, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("My work"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in (0, 1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._opened)
        self.table.doubleClicked.connect(self._opened)
        self.said = QLabel()
        self.said.setWordWrap(True)
        self.said.setAccessibleName(self.tr("What My work lists"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.said)
        layout.addWidget(self.table, 1)
        self.refresh()

    def items(self) -> list[WorkItem]:
        return list(self.model.records)

    def refresh(self) -> None:
        """Read the list again."""
        if self.professional is None:
            self.model.set_records([])
            self.said.setText(self.tr(
                "This account belongs to no professional, so no work waits for it here: "
                "handoffs, referrals, actions and signatures are each a professional's or "
                "their agency's. Sign in as a professional to see their work."))
        else:
            items = my_work(self.store, self.professional.id, self.today())
            self.model.set_records(items)
            if items:
                self.said.setText(self.tr(
                    "What waits for you: handoffs to answer, referrals your team holds, "
                    "your actions due within %d days or overdue, plans your agency has "
                    "not signed and conflicts to decide. Double-click or press Enter on "
                    "a row to open it.") % DUE_WITHIN_DAYS)
            else:
                self.said.setText(self.tr("Nothing waits for you: no handoff to answer, "
                                          "no referral with your team, no action due "
                                          "within %d days, no plan to sign, no conflict."
                                          ) % DUE_WITHIN_DAYS)
        self.count_changed.emit(self.model.rowCount())

    def apply(self, changes: Changes) -> None:
        """The runner reported changes: any of them may add or remove a row."""
        if not changes.empty or changes.everyone:
            self.refresh()

    def _opened(self, index: QModelIndex) -> None:
        item = index.data(RECORD_ROLE) if index.isValid() else None
        if isinstance(item, WorkItem):
            self.open_item.emit(item)


def tab_title(count: int) -> str:
    return f"My work ({count})"


def show_item(workspace: object, item: WorkItem) -> QWidget:
    """Show ``item``'s tab in the person's ``workspace`` with its record chosen; returns
    the tab. A conflict also opens the person's conflicts to decide."""
    tab: QWidget = getattr(workspace, TAB_OF[item.kind])
    workspace.show_tab(tab)  # type: ignore[attr-defined]
    for view in tab.findChildren(QTableView):
        model = view.model()
        if not isinstance(model, RecordTableModel):
            continue
        for row, record in enumerate(model.records):
            if getattr(record, "id", None) == item.subject_id:
                view.selectRow(row)
                view.scrollTo(model.index(row, 0))
                view.setFocus()
                break
    if item.kind is WorkKind.CONFLICT:
        from careplan.ui import conflicts

        conflicts.offer(workspace, "sync-conflict")  # type: ignore[arg-type]
    return tab


__all__ = ["TAB_OF", "MyWorkView", "show_item", "tab_title", "work_model"]
