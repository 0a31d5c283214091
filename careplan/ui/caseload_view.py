"""The caseload page: search, filters and the lazy table of persons."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from careplan.store import caseload as q
from careplan.ui.caseload_model import COLUMNS, FLAGS_ROLE, PERSON_ID_ROLE, CaseloadModel
from careplan.ui.flagview import SEVERITY_COLOURS, FlagBadgeDelegate, FlagSummary

#: Column widths in average characters, so they follow the system font size.
_WIDTHS = {
    q.SortKey.NAME: 24, q.SortKey.AGE: 5, q.SortKey.NHS_NUMBER: 13, q.SortKey.LEAD: 20,
    q.SortKey.AGENCIES: 34, q.SortKey.FLAGS: 22, q.SortKey.TRANSITION: 27,
    q.SortKey.REVIEW: 12,
}

SCOPE_EVERYONE, SCOPE_MINE, SCOPE_AGENCY = "everyone", "mine", "agency"


class CaseloadPanel(QWidget):
    """Search box, filters and the table; emits ``open_person`` on Enter/double-click."""

    open_person = Signal(str)
    #: "Register a person…" was pressed.
    register_requested = Signal()

    def __init__(self, model: CaseloadModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.actor_id: str | None = None
        self.actor_agency_id: str | None = None
        self._flags: dict[str, FlagSummary] = {}

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search by name or NHS number"))
        self.search.setAccessibleName(self.tr("Search the caseload"))
        self.search.setClearButtonEnabled(True)
        self.scope = QComboBox()
        self.scope.setAccessibleName(self.tr("Whose persons"))
        self.scope.addItem(self.tr("Everyone"), SCOPE_EVERYONE)
        self.scope.addItem(self.tr("My caseload"), SCOPE_MINE)
        self.scope.addItem(self.tr("My agency"), SCOPE_AGENCY)
        self.flag_code = QComboBox()
        self.flag_code.setAccessibleName(self.tr("Flag"))
        self.flag_code.addItem(self.tr("Any or no flag"), "")
        self.severity = QComboBox()
        self.severity.setAccessibleName(self.tr("Severity"))
        self.severity.addItem(self.tr("Any severity"), "")
        for sev in SEVERITY_COLOURS:
            self.severity.addItem(self.tr("At least %s") % sev, sev)
        self.count = QLabel()
        self.count.setAccessibleName(self.tr("Number of persons shown"))
        #: Shown when the flags check failed: an empty Flags column must not read as
        #: "nobody is flagged".
        self.flags_problem = QLabel()
        self.flags_problem.setAccessibleName(self.tr("Flags could not be checked"))
        self.flags_problem.setWordWrap(True)
        self.flags_problem.setStyleSheet(
            f"QLabel {{ color: white; background: {SEVERITY_COLOURS['critical']};"
            " padding: 4px 8px; font-weight: bold; }")
        self.flags_problem.hide()

        bar = QHBoxLayout()
        find_label = QLabel(self.tr("&Find:"))
        find_label.setBuddy(self.search)
        bar.addWidget(find_label)
        bar.addWidget(self.search, 3)
        show_label = QLabel(self.tr("S&how:"))
        show_label.setBuddy(self.scope)
        bar.addWidget(show_label)
        bar.addWidget(self.scope)
        bar.addWidget(self.flag_code)
        bar.addWidget(self.severity)
        bar.addStretch(1)
        bar.addWidget(self.count)
        self.register = QPushButton(self.tr("&Register a person…"))
        self.register.setAccessibleName(self.tr("Register a person"))
        self.register.clicked.connect(self.register_requested)
        bar.addWidget(self.register)

        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Caseload"))
        self.table.setModel(model)
        # The indicator first: enabling sorting re-sorts by it, and name ascending is
        # the order the model already has (so no second query).
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(
            self.fontMetrics().height() + 12)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        em = self.fontMetrics().averageCharWidth()
        for col, key in enumerate(COLUMNS):
            self.table.setColumnWidth(col, _WIDTHS[key] * em + 16)
        # The agencies column takes the spare width: its names are the longest text.
        header.setSectionResizeMode(COLUMNS.index(q.SortKey.AGENCIES),
                                    QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(
            COLUMNS.index(q.SortKey.FLAGS), FlagBadgeDelegate(FLAGS_ROLE, self.table))
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.addWidget(self.flags_problem)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(180)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._open_first)
        self.scope.currentIndexChanged.connect(self.apply_filters)
        self.flag_code.currentIndexChanged.connect(self.apply_filters)
        self.severity.currentIndexChanged.connect(self.apply_filters)
        self.model.modelReset.connect(self._update_count)
        self.model.busy_changed.connect(self._show_busy)
        self._update_count()

    def set_actor(self, professional_id: str | None, agency_id: str | None) -> None:
        self.actor_id, self.actor_agency_id = professional_id, agency_id
        if self.scope.currentData() != SCOPE_EVERYONE:
            self.apply_filters()

    def set_flags(self, flags: dict[str, FlagSummary]) -> None:
        """Offer the flag codes found, and hand the summaries to the model."""
        self._flags = flags
        codes = sorted({code for s in flags.values() for code in s.codes()})
        current = self.flag_code.currentData()
        self.flag_code.blockSignals(True)
        self.flag_code.clear()
        self.flag_code.addItem(self.tr("Any or no flag"), "")
        for code in codes:
            self.flag_code.addItem(code, code)
        self.flag_code.setCurrentIndex(max(0, self.flag_code.findData(current)))
        self.flag_code.blockSignals(False)
        self.flags_problem.hide()
        self.flag_code.setEnabled(True)
        self.severity.setEnabled(True)
        self.model.set_flags(flags)

    def flags_not_checked(self, reason: str) -> None:
        """The flags check failed: say so above the table, and offer no filter by flag
        (it would show nobody, as if nobody were flagged)."""
        self.flags_problem.setText(self.tr(
            "Flags could not be checked (%s): this is an error in CarePlan, logged for "
            "support. The Flags column is empty because of it, not because nobody is "
            "flagged.") % reason)
        self.flags_problem.show()
        self._flags = {}
        self.model.set_flags({})
        self.flag_code.setCurrentIndex(0)
        self.severity.setCurrentIndex(0)
        self.flag_code.setEnabled(False)
        self.severity.setEnabled(False)

    def apply_filters(self) -> None:
        self._debounce.stop()
        scope = self.scope.currentData()
        query = replace(
            self.model.query,
            search=self.search.text(),
            professional_id=self.actor_id if scope == SCOPE_MINE else None,
            agency_id=self.actor_agency_id if scope == SCOPE_AGENCY else None,
            person_ids=self._flagged_ids(),
        )
        if scope != SCOPE_EVERYONE and not (query.professional_id or query.agency_id):
            query = replace(query, person_ids=frozenset())  # nobody chosen: nobody's caseload
        self.model.set_query(query)
        if self.model.rowCount():
            self.table.selectRow(0)

    def _flagged_ids(self) -> frozenset[str] | None:
        code = self.flag_code.currentData()
        severity = self.severity.currentData()
        if not code and not severity:
            return None
        order = list(SEVERITY_COLOURS)
        worst_allowed = order.index(severity) if severity else len(order)

        def keep(summary: FlagSummary) -> bool:
            return any((not code or c == code) and order.index(sev) <= worst_allowed
                       for sev, c, _ in summary.lines if sev in order)

        return frozenset(pid for pid, s in self._flags.items() if keep(s))

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count.setText(self.tr("1 person") if n == 1 else self.tr("%s persons") % f"{n:,}")

    def _show_busy(self, busy: bool) -> None:
        """While a sort runs in a worker the rows stay usable in their old order."""
        if busy:
            key = self.model.query.sort
            self.count.setText(self.tr("Sorting by %s…") % self.model.headerData(
                COLUMNS.index(key), Qt.Orientation.Horizontal).lower())
            self.table.viewport().setCursor(Qt.CursorShape.BusyCursor)
            return
        self.table.viewport().unsetCursor()
        query = self.model.query
        order = Qt.SortOrder.DescendingOrder if query.descending \
            else Qt.SortOrder.AscendingOrder
        # A failed sort kept the old order: point the indicator back at it.
        self.table.horizontalHeader().setSortIndicator(COLUMNS.index(query.sort), order)
        self._update_count()

    def _activated(self, index: QModelIndex) -> None:
        person_id = index.data(PERSON_ID_ROLE)
        if person_id:
            self.open_person.emit(str(person_id))

    def _open_first(self) -> None:
        self.apply_filters()
        if self.model.rowCount() == 1:
            self.open_person.emit(self.model.person_id(0))
        elif self.model.rowCount():
            self.table.setFocus()

    def show_only(self, ids: list[str], label: str) -> None:
        """Show just these persons (e.g. behind a dashboard bar) until the filters change."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.model.set_query(replace(self.model.query, search="", professional_id=None,
                                     agency_id=None, person_ids=frozenset(ids)))
        self.count.setText(self.tr("%s: %s") % (label, self.tr("1 person") if len(ids) == 1
                                                  else self.tr("%d persons") % len(ids)))
        if self.model.rowCount():
            self.table.selectRow(0)

    def current_person_id(self) -> str | None:
        index = self.table.currentIndex()
        return str(index.data(PERSON_ID_ROLE)) if index.isValid() else None

