"""The Funding tab: what each action costs and who pays, the personal budget with its
allocation, committed and remaining, and any funding dispute."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout

from careplan.models.budgets import FundedCost, PersonalBudgetPosition, personal_budget_position
from careplan.models.costing import cost_between, financial_year, pounds
from careplan.models.funding import FundingStatus, percent
from careplan.store.funding import FundingBook, load_book
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace import funding_edits
from careplan.ui.workspace.tab_base import WorkspaceTab
from careplan.ui.workspace.tables import record_table

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace


@dataclass(frozen=True, slots=True)
class CostRow:
    """One costed action as the tab shows it."""

    line: FundedCost
    action: str
    this_year: int
    to_date: int
    funders: str
    funding: str

    @property
    def disputed(self) -> bool:
        return self.line.cost.funding_status is FundingStatus.DISPUTED


def _rows(book: FundingBook, person_id: str, ws: PersonWorkspace) -> list[CostRow]:
    first, last = financial_year(ws.today)
    rows = []
    for line in book.lines_of(person_id):
        cost = line.cost
        funders = "; ".join(f"{book.streams[f.stream_id].name} {percent(f.share_bp)}"
                            + (" (personal budget)" if f.personal_budget_id else "")
                            for f in line.funders)
        funding = cost.funding_status.value
        if cost.funding_status is FundingStatus.DISPUTED and cost.disputed_since:
            who = " and ".join(book.agency_names.get(a, "?") for a in cost.disputed_by)
            funding = ws.tr("disputed between %s since %s") % (
                who, text.fmt_date(cost.disputed_since))
        action = book.actions.get(cost.action_id)
        rows.append(CostRow(line, action.description if action else "", cost_between(
            cost, first, last), cost_between(cost, first, ws.today), funders, funding))
    return sorted(rows, key=lambda r: (not r.disputed, r.action))


def _unit(r: CostRow) -> str:
    cost = r.line.cost
    return f"{pounds(cost.unit_cost_pence)} {cost.frequency.value}"


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


class FundingTab(WorkspaceTab):
    SHOWS = frozenset({
        "action_costs", "action_funders", "actions", "agencies", "budget_contributions",
        "funding_streams", "joint_budgets", "personal_budgets"})

    def build(self) -> None:
        tr = self.tr
        self.costs = RecordTableModel[CostRow]([
            Column(tr("Action"), lambda r: r.action),
            Column(tr("Cost"), _unit),
            Column(tr("This year"), lambda r: pounds(r.this_year)),
            Column(tr("To date"), lambda r: pounds(r.to_date)),
            Column(tr("Kind of care"), lambda r: r.line.cost.care_type.value),
            Column(tr("Funding"), lambda r: r.funding, tooltip=lambda r: r.line.cost.note,
                   alert=lambda r: r.disputed),
            Column(tr("Funders"), lambda r: r.funders, tooltip=lambda r: r.funders),
        ], self)
        self.budgets = RecordTableModel[PersonalBudgetPosition]([
            Column(tr("Taken as"), lambda p: p.budget.taken_as.value),
            Column(tr("From"), lambda p: text.fmt_date(p.budget.start_date)),
            Column(tr("To"), lambda p: text.fmt_date(p.budget.last_day)),
            Column(tr("Allocation"), lambda p: pounds(p.allocation)),
            Column(tr("Committed"), lambda p: pounds(p.committed)),
            Column(tr("Remaining"), lambda p: pounds(p.remaining),
                   alert=lambda p: p.overcommitted),
            Column(tr("Streams"), lambda p: ", ".join(
                self._stream_names.get(s, "?") for s in p.budget.stream_ids)),
        ], self)
        self._stream_names: dict[str, str] = {}
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel(f"<b>{tr('Costs and funders of the actions')}</b>"))
        self.costs_view = record_table(self.costs, tr("Action costs"), stretch=6)
        layout.addWidget(self.costs_view, 3)
        self.add_cost = QPushButton(tr("&Cost an action…"))
        self.add_cost.clicked.connect(
            lambda: funding_edits.edit_cost(self.ws, self.book))
        self.change_cost = QPushButton(tr("Change the cost and &funders…"))
        self.change_cost.clicked.connect(self._change_cost)
        layout.addLayout(_buttons(self.add_cost, self.change_cost))
        layout.addWidget(QLabel(f"<b>{tr('Personal budget')}</b>"))
        self.budgets_view = record_table(self.budgets, tr("Personal budgets"), stretch=6)
        layout.addWidget(self.budgets_view, 1)
        self.add_budget = QPushButton(tr("Set up a &personal budget…"))
        self.add_budget.clicked.connect(
            lambda: funding_edits.edit_personal_budget(self.ws, self.book))
        self.change_budget = QPushButton(tr("Change the personal &budget…"))
        self.change_budget.clicked.connect(self._change_budget)
        layout.addLayout(_buttons(self.add_budget, self.change_budget))
        self.book: FundingBook = FundingBook()

    def _chosen(self, view: QTableView, what: str) -> int | None:
        index = view.currentIndex()
        if not index.isValid():
            self.ws.refused(self.tr("%s: choose one in the table first") % what)
            return None
        return index.row()

    def _change_cost(self) -> None:
        row = self._chosen(self.costs_view, self.tr("action cost"))
        if row is not None:
            funding_edits.edit_cost(self.ws, self.book, self.costs.record(row).line)

    def _change_budget(self) -> None:
        row = self._chosen(self.budgets_view, self.tr("personal budget"))
        if row is not None:
            funding_edits.edit_personal_budget(self.ws, self.book,
                                               self.budgets.record(row).budget)

    def fill(self) -> None:
        ws = self.ws
        book = load_book(ws.store, person_ids=[ws.person_id])
        self.book = book
        self._stream_names = {s.id: s.name for s in book.streams.values()}
        rows = _rows(book, ws.person_id, ws)
        lines = book.lines_of(ws.person_id)
        self.costs.set_records(rows)
        self.budgets.set_records([personal_budget_position(b, lines)
                                  for b in book.personal_budgets])
        first, last = financial_year(ws.today)
        disputed = sum(1 for r in rows if r.disputed)
        tr = self.tr
        if not rows:
            self.summary.setText(tr("No action in this person's plan has a cost recorded."))
            return
        parts = [tr("This financial year (%s to %s): %s planned, %s to date.") % (
            text.fmt_date(first), text.fmt_date(last), pounds(sum(r.this_year for r in rows)),
            pounds(sum(r.to_date for r in rows)))]
        if disputed:
            parts.append(tr("<span style='color:#b3261e'>Funding disputed for %n action(s).</span>",
                            "", disputed))
        self.summary.setText(" ".join(parts))
